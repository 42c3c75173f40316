"""Points: earned from completed orders and attended events (through the outbox), taken back once
when a completed order is refunded, and the daily check-in with its streak in the community's days."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict
from core.sweeps import sweep_run
from engagement import events, points
from engagement.common import engagement_settings
from engagement.models import DailyCheckIn, PointsAccount, PointsEntry
from orders import services as orders
from tests.concurrency import run_at_once
from tests.orders.conftest import place  # noqa: F401 (fixture)
from tests.orders.test_pickup_desk import ready_order  # noqa: F401 (fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def deliver_events():
    sweep_run("core.domain_events")


def balance(membership):
    return points.account_of(membership).balance


@pytest.mark.django_db
def test_a_completed_order_earns_points_per_yuan_once(ready_order, owner, member):  # noqa: F811
    orders.order_complete(actor=owner, order=ready_order, code=ready_order.pickup_code)
    deliver_events()
    deliver_events()
    ready_order.refresh_from_db()
    assert balance(member) == int(ready_order.total) > 0
    assert PointsEntry.objects.filter(reason="order").count() == 1


@pytest.mark.django_db
def test_refunding_a_completed_order_takes_its_points_back_once(ready_order, owner, admin_member, member):  # noqa: F811
    orders.order_complete(actor=owner, order=ready_order, code=ready_order.pickup_code)
    deliver_events()
    orders.order_refund(actor=admin_member, order=ready_order, reason="bruised")
    deliver_events()
    deliver_events()
    account = points.account_of(member)
    assert account.balance == 0 and account.lifetime == int(ready_order.total)
    assert PointsEntry.objects.filter(reason="order_reversed").count() == 1


@pytest.mark.django_db
def test_a_refund_before_completion_mints_nothing(ready_order, admin_member, member):  # noqa: F811
    orders.order_refund(actor=admin_member, order=ready_order, reason="changed mind")
    deliver_events()
    assert balance(member) == 0 and not PointsEntry.objects.exists()


@pytest.mark.django_db
def test_attending_an_event_earns_points_once(make_event, leader, member):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    events.ticket_check_in(actor=leader, code=rsvp.ticket_code)
    events.ticket_check_in(actor=leader, code=rsvp.ticket_code)
    deliver_events()
    assert balance(member) == engagement_settings(member.community).points_event_attended


@pytest.mark.django_db
def test_check_in_streak_follows_the_communitys_calendar_days(member):
    rules = engagement_settings(member.community)
    rules.streak_bonus_every, rules.streak_bonus_points = 3, 10
    rules.save()
    late = datetime(2026, 12, 1, 23, 50, tzinfo=SHANGHAI)
    with time_machine.travel(late):
        first, earned = points.daily_check_in(membership=member)
    assert first.streak == 1 and earned == 1
    # Twenty minutes later it is the next day in Shanghai (still the same day in UTC).
    with time_machine.travel(late + timedelta(minutes=20)):
        second, _ = points.daily_check_in(membership=member)
        with pytest.raises(Conflict) as error:
            points.daily_check_in(membership=member)
    assert second.streak == 2 and error.value.code == "checked_in_today"
    with time_machine.travel(late + timedelta(days=1, minutes=20)):
        third, earned = points.daily_check_in(membership=member)
    assert third.streak == 3 and earned == 1 + 10  # the bonus every third day
    # A day missed: the streak starts again.
    with time_machine.travel(late + timedelta(days=3, minutes=20)):
        again, _ = points.daily_check_in(membership=member)
        assert again.streak == 1 and points.current_streak(member) == 1
    assert balance(member) == 1 + 1 + 11 + 1


@pytest.mark.django_db(transaction=True)
def test_two_check_ins_at_once_on_one_day_count_once(member):
    results = run_at_once(4, lambda i: points.daily_check_in(membership=member))
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    assert DailyCheckIn.objects.count() == 1
    assert PointsAccount.objects.get(member=member.user).balance == engagement_settings(member.community).points_check_in


@pytest.mark.django_db
def test_leaderboards_for_the_week_the_month_and_all_time_and_per_branch(community, owner, new_member):
    from tests.branches import make_branch

    west = make_branch(owner, "West")
    ann, bo, cy = new_member("Ann", branch=west), new_member("Bo", branch=west), new_member("Cy")
    monday = datetime(2027, 2, 1, 10, 0, tzinfo=SHANGHAI)  # a Monday, the first of a month
    with time_machine.travel(monday - timedelta(days=1)):  # the Sunday before: last week, last month
        points.points_award(community_id=community.pk, member_id=cy.user_id, amount=50, reason="event", key="old")
    with time_machine.travel(monday):
        for who, amount, key in ((ann, 10, "a"), (bo, 30, "b"), (ann, 25, "c"), (cy, 5, "d")):
            points.points_award(community_id=community.pk, member_id=who.user_id, amount=amount, reason="event",
                                key=key)
        week = [(t.member_id, t.points) for t in points.leaderboard(community, period="week")]
        assert week == [(ann.user_id, 35), (bo.user_id, 30), (cy.user_id, 5)]
        west_week = [t.member_id for t in points.leaderboard(community, period="week", branch=west)]
        assert west_week == [ann.user_id, bo.user_id]
        all_time = [(t.member_id, t.points) for t in points.leaderboard(community, period="all")]
        assert all_time[0] == (cy.user_id, 55)
        month = [t.member_id for t in points.leaderboard(community, period="month")]
        assert month == [ann.user_id, bo.user_id, cy.user_id]  # Cy's 50 were January's
