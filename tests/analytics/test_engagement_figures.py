"""The engagement page's figures against small hand-made data with known answers: local day
boundaries in the community's timezone, cancelled and refunded orders left out, one branch's scope,
the period before; each selector's query count does not grow with the data."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import rollups
from analytics import selectors_engagement as sel
from analytics.models import CheckInMonth, PostLedOrder
from analytics.selectors import Period
from engagement.models import (
    RSVP, Comment, DailyCheckIn, Event, PointsEntry, Post, PostFeature, PostLike, PostView, Referral,
)
from engagement.posts import post_seen
from orders.models import Coupon, CouponRedemption, Order
from tests.analytics.test_more_figures import NOW, at, make_shop

pytestmark = pytest.mark.django_db
PERIOD = Period(date(2026, 11, 10), date(2026, 11, 16))  # before: 3 to 9 November


@pytest.fixture
def shop():
    return make_shop()


def last_order(membership) -> Order:
    return Order.objects.filter(member=membership.user).latest("id")


def event(shop, starts, *, ends=None, branch=None, status=Event.Status.PUBLISHED, title="Tasting"):
    return Event.objects.create(community=shop["community"], branch=branch, title=title, starts_at=starts,
                                ends_at=ends or starts + timedelta(hours=2), rsvp_deadline=starts, status=status,
                                cancelled_at=starts if status == Event.Status.CANCELLED else None)


def rsvp(shop, ev, member, status=RSVP.Status.GOING, checked_in=False):
    return RSVP.objects.create(community=shop["community"], event=ev, member=member.user, branch=member.branch,
                               status=status, checked_in_at=ev.starts_at if checked_in else None,
                               waitlisted_at=ev.starts_at if status == RSVP.Status.WAITLISTED else None)


def queries(func):
    with CaptureQueriesContext(connection) as captured:
        result = func()
    return result, len(captured)


# Events -----------------------------------------------------------------------------------------

def test_events_attendance_and_no_shows_at_local_day_bounds(shop):
    m = shop["member"]
    first = event(shop, at(2026, 11, 10, 0, 30), title="First")       # local 10th (9th in UTC): in
    late = event(shop, at(2026, 11, 17, 0, 30), title="Too late")     # local 17th (16th in UTC): out
    before = event(shop, at(2026, 11, 5), title="Before")
    event(shop, at(2026, 11, 12), status=Event.Status.CANCELLED)      # cancelled: not held
    a, b, c, d = m(), m(), m(), m()
    rsvp(shop, first, a, checked_in=True)
    rsvp(shop, first, b, checked_in=True)
    rsvp(shop, first, c)                                               # going, never came: a no-show
    rsvp(shop, first, d, status=RSVP.Status.CANCELLED)                 # cancelled: no seat
    rsvp(shop, first, m(), status=RSVP.Status.WAITLISTED)
    rsvp(shop, late, a)
    rsvp(shop, before, a, checked_in=True)
    rsvp(shop, before, b)
    with time_machine.travel(NOW, tick=False):
        data = sel.events(shop["community"], PERIOD)
    assert data["totals"] == {"events": 1, "seats_taken": 3, "attended": 2, "no_shows": 1,
                              "attendance_rate": Decimal("0.667")}
    assert data["previous_totals"] == {"events": 1, "seats_taken": 2, "attended": 1, "no_shows": 1,
                                       "attendance_rate": Decimal("0.500")}
    assert [(r["title"], r["seats_taken"], r["attended"], r["no_shows"]) for r in data["events"]] == [
        ("First", 3, 2, 1)]


def test_an_event_not_over_yet_has_no_no_shows(shop):
    ev = event(shop, at(2026, 11, 16, 20), ends=at(2026, 11, 16, 23))
    rsvp(shop, ev, shop["member"]())
    with time_machine.travel(at(2026, 11, 16, 21), tick=False):
        data = sel.events(shop["community"], PERIOD)
    assert data["totals"]["seats_taken"] == 1 and data["totals"]["no_shows"] == 0
    assert data["totals"]["attendance_rate"] is None and data["events"][0]["no_shows"] is None


def test_a_branch_sees_its_own_and_community_wide_events_and_its_members_rsvps(shop):
    m, branch = shop["member"], shop["branch"]
    everyone = event(shop, at(2026, 11, 11), title="Everyone")
    own = event(shop, at(2026, 11, 12), branch=branch, title="Own")
    other = shop["community"].__class__.objects.create(name="West", slug=f"{shop['community'].slug}-west",
                                                      parent=shop["community"], timezone="Asia/Shanghai")
    event(shop, at(2026, 11, 13), branch=other, title="Other branch")
    rsvp(shop, everyone, m(in_branch=True), checked_in=True)
    rsvp(shop, everyone, m())                      # not of the branch
    rsvp(shop, own, m(in_branch=True))
    with time_machine.travel(NOW, tick=False):
        data = sel.events(shop["community"], PERIOD, branch=branch)
        whole = sel.events(shop["community"], PERIOD)
    assert data["totals"]["events"] == 2 and data["totals"]["seats_taken"] == 2
    assert data["totals"]["attended"] == 1 and data["totals"]["no_shows"] == 1
    assert {r["title"] for r in data["events"]} == {"Everyone", "Own"}
    assert whole["totals"]["events"] == 3 and whole["totals"]["seats_taken"] == 3


# Posts ------------------------------------------------------------------------------------------

def post(shop, published, *, branch=None, title="News"):
    return Post.objects.create(community=shop["community"], branch=branch, title=title, body="x",
                               status=Post.Status.PUBLISHED, published_at=published)


def test_posts_reach_likes_comments_and_the_orders_they_led_to(shop):
    m, buy = shop["member"], shop["buy"]
    news = post(shop, at(2026, 11, 10, 0, 30), title="News")          # local 10th: in the period
    PostFeature.objects.create(community=shop["community"], post=news, group_buy=shop["round"])
    quiet = post(shop, at(2026, 11, 14), title="Quiet")
    old = post(shop, at(2026, 11, 9, 23, 59), title="Old")             # the period before
    post(shop, at(2026, 11, 12), title="Draft").__class__.objects.filter(title="Draft").update(
        status=Post.Status.DRAFT)
    a, b, c, d = m(), m(), m(), m()
    post_seen(membership=a, post=news, now=at(2026, 11, 11))
    post_seen(membership=b, post=news, now=at(2026, 11, 11))
    post_seen(membership=c, post=news, now=at(2026, 11, 11))
    post_seen(membership=a, post=quiet, now=at(2026, 11, 14))
    post_seen(membership=d, post=old, now=at(2026, 11, 10))
    buy(at(2026, 11, 12), qty=2, member_=a)                            # within 7 days: led to, 20.00
    buy(at(2026, 11, 18, 11, 59), qty=3, member_=a)                   # 7 days less a minute: led to, 30.00
    buy(at(2026, 11, 18, 12, 1), qty=4, member_=b)                    # 7 days and a minute: not
    buy(at(2026, 11, 10), qty=5, member_=c)                            # before c opened it: not
    buy(at(2026, 11, 12), qty=6, member_=c, status=Order.Status.REFUNDED)   # refunded: not
    buy(at(2026, 11, 12), qty=7, member_=m())                          # never opened it: not
    PostLike.objects.create(community=shop["community"], post=news, member=a.user)
    PostLike.objects.create(community=shop["community"], post=news, member=b.user)
    Comment.objects.create(community=shop["community"], post=news, author=a.user, body="Nice")
    Comment.objects.create(community=shop["community"], post=news, author=b.user, body="Spam",
                           status=Comment.Status.HIDDEN)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        data = sel.posts(shop["community"], PERIOD)
    assert data["totals"] == {"posts": 2, "reach": 3, "likes": 2, "comments": 1, "orders": 2,
                              "gmv": Decimal("50.00")}
    assert data["previous_totals"]["posts"] == 1 and data["previous_totals"]["reach"] == 1
    assert [(r["title"], r["reach"], r["orders"], r["gmv"]) for r in data["posts"]] == [
        ("News", 3, 2, Decimal("50.00")), ("Quiet", 1, 0, Decimal("0.00"))]


def test_an_order_with_a_featured_product_counts_once_for_two_posts(shop):
    m, buy = shop["member"], shop["buy"]
    product = shop["round"].items.first().product
    one, two = post(shop, at(2026, 11, 11), title="One"), post(shop, at(2026, 11, 11), title="Two")
    PostFeature.objects.create(community=shop["community"], post=one, product=product)
    PostFeature.objects.create(community=shop["community"], post=two, group_buy=shop["round"])
    a = m()
    post_seen(membership=a, post=one, now=at(2026, 11, 11, 13))
    post_seen(membership=a, post=two, now=at(2026, 11, 11, 14))
    buy(at(2026, 11, 12), qty=1, member_=a)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        data = sel.posts(shop["community"], PERIOD)
    assert [r["orders"] for r in data["posts"]] == [1, 1]
    assert data["totals"]["orders"] == 1 and data["totals"]["gmv"] == Decimal("10.00")


def test_orders_led_to_today_count_live_and_a_refund_after_the_refresh_takes_one_out(shop):
    m, buy = shop["member"], shop["buy"]
    news = post(shop, at(2026, 11, 15))
    PostFeature.objects.create(community=shop["community"], post=news, group_buy=shop["round"])
    a, b = m(), m()
    post_seen(membership=a, post=news, now=at(2026, 11, 15, 13))
    post_seen(membership=b, post=news, now=at(2026, 11, 15, 13))
    buy(at(2026, 11, 16), qty=2, member_=a)
    period = Period(date(2026, 11, 14), date(2026, 11, 20))  # to today (NOW: the 20th)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        assert PostLedOrder.objects.filter(post=news).count() == 1
        buy(at(2026, 11, 20, 9), qty=3, member_=b)                     # today, after the refresh: live
        both = sel.posts(shop["community"], period)["totals"]
        Order.objects.filter(member=a.user).update(status=Order.Status.REFUNDED)
        after_refund = sel.posts(shop["community"], period)["totals"]
    assert (both["orders"], both["gmv"]) == (2, Decimal("50.00"))
    assert (after_refund["orders"], after_refund["gmv"]) == (1, Decimal("30.00"))


def test_a_branch_sees_reach_and_orders_of_its_members(shop):
    m, buy = shop["member"], shop["buy"]
    news = post(shop, at(2026, 11, 11))
    PostFeature.objects.create(community=shop["community"], post=news, group_buy=shop["round"])
    inside, outside = m(in_branch=True), m()
    for who in (inside, outside):
        post_seen(membership=who, post=news, now=at(2026, 11, 11, 13))
    buy(at(2026, 11, 12), member_=outside)
    with time_machine.travel(NOW, tick=False):
        data = sel.posts(shop["community"], PERIOD, branch=shop["branch"])
    assert data["totals"]["reach"] == 1 and data["totals"]["orders"] == 0


# Check-ins, points ------------------------------------------------------------------------------

def test_check_ins_by_local_day_members_and_the_longest_streak(shop):
    m = shop["member"]
    a, b = m(), m(in_branch=True)
    for day, member, streak in [(10, a, 1), (11, a, 2), (12, a, 3), (11, b, 5), (16, b, 1), (9, a, 9), (17, b, 2)]:
        DailyCheckIn.objects.create(community=shop["community"], member=member.user, day=date(2026, 11, day),
                                    streak=streak)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        data = sel.check_ins(shop["community"], PERIOD)
        branch = sel.check_ins(shop["community"], PERIOD, branch=shop["branch"])
    assert data["totals"] == {"check_ins": 5, "members": 2, "longest_streak": 5}
    assert data["previous_totals"] == {"check_ins": 1, "members": 1, "longest_streak": 9}
    assert [row["check_ins"] for row in data["series"]] == [1, 2, 1, 0, 0, 0, 1]
    assert branch["totals"] == {"check_ins": 2, "members": 1, "longest_streak": 5}


def test_check_ins_of_today_are_counted_live_and_a_member_once_across_months(shop):
    """The period runs from October into today (20 November): stored days from the rollups, today's
    check-ins live; a member who checked in on both sides (and in two months) counts once."""
    m = shop["member"]
    a, b, c = m(), m(in_branch=True), m()
    community = shop["community"]

    def check_in(member, day, streak=1):
        DailyCheckIn.objects.create(community=community, member=member.user, day=day, streak=streak)

    check_in(a, date(2026, 10, 31))
    check_in(a, date(2026, 11, 1), 2)
    check_in(b, date(2026, 11, 19), 4)
    check_in(c, date(2026, 10, 1))  # the period before
    period = Period(date(2026, 10, 22), date(2026, 11, 20))
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(community)
        check_in(a, date(2026, 11, 20), 1)   # after the refresh: today, live
        check_in(b, date(2026, 11, 20), 5)
        data = sel.check_ins(community, period)
        branch = sel.check_ins(community, period, branch=shop["branch"])
    assert data["totals"] == {"check_ins": 5, "members": 2, "longest_streak": 5}
    assert data["previous_totals"] == {"check_ins": 1, "members": 1, "longest_streak": 1}
    assert data["series"][-1] == {"day": date(2026, 11, 20), "check_ins": 2}
    assert branch["totals"] == {"check_ins": 2, "members": 1, "longest_streak": 5}
    stored = CheckInMonth.objects.filter(community=community, member=a.user).order_by("month")
    assert [(row.month, row.days) for row in stored] == [(date(2026, 10, 1), 1 << 30), (date(2026, 11, 1), 1)]


def test_points_issued_and_spent_by_reason(shop):
    m = shop["member"]
    a, b = m(), m(in_branch=True)
    n = iter(range(100))

    def entry(member, amount, reason, when):
        row = PointsEntry.objects.create(community=shop["community"], member=member.user, amount=amount,
                                         reason=reason, key=f"k{next(n)}")
        PointsEntry.objects.filter(pk=row.pk).update(created_at=when)

    entry(a, 10, PointsEntry.Reason.CHECK_IN, at(2026, 11, 10, 0, 1))
    entry(b, 100, PointsEntry.Reason.ORDER, at(2026, 11, 12))
    entry(a, -30, PointsEntry.Reason.SPENT, at(2026, 11, 13))
    entry(b, -100, PointsEntry.Reason.ORDER_REVERSED, at(2026, 11, 14))
    entry(a, 7, PointsEntry.Reason.CHECK_IN, at(2026, 11, 9, 23, 59))     # the period before
    entry(a, 50, PointsEntry.Reason.ORDER, at(2026, 11, 17, 0, 0))         # after
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        data = sel.points(shop["community"], PERIOD)
        branch = sel.points(shop["community"], PERIOD, branch=shop["branch"])
        entry(b, 40, PointsEntry.Reason.EVENT, at(2026, 11, 20, 0, 5))        # today, after the refresh
        to_today = sel.points(shop["community"], Period(date(2026, 11, 14), date(2026, 11, 20)))
    assert data["totals"] == {"issued": 110, "spent": 130} and data["previous_totals"] == {"issued": 7, "spent": 0}
    assert {r["reason"]: (r["issued"], r["spent"]) for r in data["reasons"]} == {
        "order": (100, 0), "order_reversed": (0, 100), "spent": (0, 30), "check_in": (10, 0)}
    assert branch["totals"] == {"issued": 100, "spent": 100}
    assert to_today["totals"] == {"issued": 90, "spent": 100}
    assert {r["reason"]: r["issued"] for r in to_today["reasons"]} == {"order": 50, "event": 40, "order_reversed": 0}


# Coupons, referrals -----------------------------------------------------------------------------

def coupon(shop, code):
    return Coupon.objects.create(community=shop["community"], code=code, name=f"Coupon {code}",
                                 amount_off=Decimal("5.00"), starts_at=at(2026, 11, 1), ends_at=at(2026, 12, 31))


def use(shop, order, c, discount):
    Order.objects.filter(pk=order.pk).update(discount=Decimal(discount))
    CouponRedemption.objects.create(community=shop["community"], coupon=c, order=order, member=order.member,
                                    amount=Decimal(discount))


def test_coupon_uses_their_cost_and_gmv_without_cancelled_or_refunded_orders(shop):
    buy = shop["buy"]
    five, ten = coupon(shop, "FIVE"), coupon(shop, "TEN")
    use(shop, last_order(buy(at(2026, 11, 10, 0, 5), qty=3)), five, "5.00")            # 30.00
    use(shop, last_order(buy(at(2026, 11, 12), qty=2, in_branch=True)), five, "5.00")  # 20.00, branch
    use(shop, last_order(buy(at(2026, 11, 13), qty=4)), ten, "10.00")                  # 40.00
    use(shop, last_order(buy(at(2026, 11, 13), qty=4, status=Order.Status.REFUNDED)), ten, "10.00")
    use(shop, last_order(buy(at(2026, 11, 14), qty=4, status=Order.Status.CANCELLED)), ten, "10.00")
    use(shop, last_order(buy(at(2026, 11, 9, 23, 55), qty=1)), five, "5.00")           # the period before
    buy(at(2026, 11, 12), qty=9)                                                        # no coupon
    data = sel.coupons(shop["community"], PERIOD)
    assert data["totals"] == {"uses": 3, "discount": Decimal("20.00"), "gmv": Decimal("90.00")}
    assert data["previous_totals"] == {"uses": 1, "discount": Decimal("5.00"), "gmv": Decimal("10.00")}
    assert [(r["code"], r["uses"], r["discount"]) for r in data["coupons"]] == [
        ("FIVE", 2, Decimal("10.00")), ("TEN", 1, Decimal("10.00"))]
    branch = sel.coupons(shop["community"], PERIOD, branch=shop["branch"])
    assert branch["totals"] == {"uses": 1, "discount": Decimal("5.00"), "gmv": Decimal("20.00")}


def test_referrals_joined_ordered_rewarded_and_top_referrers(shop):
    m, buy = shop["member"], shop["buy"]
    ann, bob = m(), m()
    i1, i2, i3, i4, i5 = m(), m(), m(in_branch=True), m(), m()

    def referral(referrer, invitee, joined, **kwargs):
        Referral.objects.create(community=shop["community"], referrer=referrer.user, invitee=invitee.user,
                                joined_at=joined, **kwargs)

    referral(ann, i1, at(2026, 11, 10, 0, 1), status=Referral.Status.REWARDED, points=50, outcome="coupon:1")
    referral(ann, i2, at(2026, 11, 11), status=Referral.Status.REWARDED, points=50, outcome="")
    referral(ann, i3, at(2026, 11, 12))
    referral(bob, i4, at(2026, 11, 16, 23, 59))
    referral(bob, i5, at(2026, 11, 9, 23, 59))                     # the period before
    buy(at(2026, 11, 12), member_=i1)
    buy(at(2026, 11, 12), member_=i2)
    buy(at(2026, 11, 12), member_=i3, status=Order.Status.CANCELLED)   # not an order that counts
    data = sel.referrals(shop["community"], PERIOD)
    assert data["totals"] == {"joined": 4, "ordered": 2, "rewarded": 2, "points": 100, "coupons": 1}
    assert data["previous_totals"]["joined"] == 1
    assert [(r["referrer_id"], r["joined"], r["ordered"]) for r in data["referrers"]] == [
        (ann.user_id, 3, 2), (bob.user_id, 1, 0)]
    branch = sel.referrals(shop["community"], PERIOD, branch=shop["branch"])
    assert branch["totals"]["joined"] == 1 and branch["totals"]["ordered"] == 0


# Queries ----------------------------------------------------------------------------------------

def test_each_selector_spends_the_same_queries_whatever_the_data(shop):
    community = shop["community"]
    selectors = [sel.events, sel.posts, sel.check_ins, sel.points, sel.coupons, sel.referrals]

    def counts():
        with time_machine.travel(NOW, tick=False):
            rollups.refresh(community)  # as the sweep keeps it (the first read would schedule it)
            return [queries(lambda f=f: f(community, PERIOD, branch=shop["branch"]))[1] for f in selectors] + \
                [queries(lambda f=f: f(community, PERIOD))[1] for f in selectors]

    empty = counts()
    m = shop["member"]
    for k in range(3):
        ev = event(shop, at(2026, 11, 11 + k))
        p = post(shop, at(2026, 11, 11 + k))
        PostFeature.objects.create(community=community, post=p, group_buy=shop["round"])
        for _i in range(3):
            who = m(in_branch=bool(k % 2))
            rsvp(shop, ev, who, checked_in=True)
            post_seen(membership=who, post=p, now=at(2026, 11, 11 + k))
            shop["buy"](at(2026, 11, 12 + k), member_=who)
            DailyCheckIn.objects.create(community=community, member=who.user, day=date(2026, 11, 12))
            Referral.objects.create(community=community, referrer=shop["owner"].user, invitee=who.user,
                                    joined_at=at(2026, 11, 12))
    assert PostView.objects.count() == 9
    assert counts() == empty
    # check-ins and points: reading the refresh state, then the rollups (and check-ins' members)
    assert empty == [1, 1, 3, 2, 1, 1] * 2
