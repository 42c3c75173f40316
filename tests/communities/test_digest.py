"""The daily digest of pending join requests: once per community, admin and local day (a sweep:
core.sweeps, so one community whose digest fails does not stop the others')."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from communities import services
from communities.tasks import send_join_request_digests
from core.models import Notification, NotificationOptOut, SweepFailure
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def at_shanghai(hour, day=10):
    return datetime(2026, 11, day, hour, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def digest_at(when):
    """Run the digest with the clock at ``when``; the number of notices it wrote."""
    before = Notification.objects.filter(kind="join_request_digest").count()
    with time_machine.travel(when, tick=False):
        services.join_request_digest_send()
    return Notification.objects.filter(kind="join_request_digest").count() - before


def test_admins_get_one_digest_a_day_and_reruns_send_nothing(community, owner, admin_member, leader, django_capture_on_commit_callbacks):
    for _ in range(3):
        services.join_request_create(user=UserFactory(), community=community, message="hello")

    with django_capture_on_commit_callbacks(execute=True):
        first = digest_at(at_shanghai(10))
    with django_capture_on_commit_callbacks(execute=True):
        again = digest_at(at_shanghai(15))

    assert first == 2 and again == 0  # owner and admin; not the leader
    notices = Notification.objects.filter(kind="join_request_digest")
    assert {n.recipient_id for n in notices} == {owner.user_id, admin_member.user_id}
    assert all("3" in n.title for n in notices)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.user.email, admin_member.user.email])
    assert digest_at(at_shanghai(10, day=11)) == 2


def test_no_digest_before_nine_local_time_or_without_requests(community, owner):
    assert digest_at(at_shanghai(10)) == 0  # nothing pending
    services.join_request_create(user=UserFactory(), community=community)
    assert digest_at(at_shanghai(7)) == 0
    assert digest_at(at_shanghai(9)) >= 1


def test_each_community_is_served_on_its_own_clock(community, owner):
    london = CommunityFactory(timezone="Europe/London")
    london_owner = MembershipFactory(community=london, role="owner")
    for place in (community, london):
        services.join_request_create(user=UserFactory(), community=place)

    assert digest_at(at_shanghai(10)) == 2  # Shanghai's owner and admin; 02:00 in London
    assert digest_at(at_shanghai(18)) == 1  # 10:00 in London
    assert Notification.objects.get(community=london).recipient == london_owner.user


def test_opted_out_admins_are_skipped(community, owner, admin_member):
    NotificationOptOut.objects.create(user=owner.user, kind="join_request_digest", channel="all")
    services.join_request_create(user=UserFactory(), community=community)

    assert digest_at(at_shanghai(12)) == 1
    assert not Notification.objects.filter(recipient=owner.user).exists()


def test_a_community_whose_digest_fails_does_not_stop_the_others(community, owner, monkeypatch):
    broken = CommunityFactory()
    MembershipFactory(community=broken, role="owner")
    for place in (broken, community):
        services.join_request_create(user=UserFactory(), community=place)
    real = services.join_request_digest_notify

    def notify_or_fail(*, community, now):
        if community.pk == broken.pk:
            raise RuntimeError("cannot render the digest")
        return real(community=community, now=now)

    monkeypatch.setattr(services, "join_request_digest_notify", notify_or_fail)
    assert digest_at(at_shanghai(10)) == 2  # owner and admin of the healthy one

    assert set(Notification.objects.values_list("community", flat=True)) == {community.pk}
    failure = SweepFailure.objects.get()
    assert (failure.job, failure.object_id, failure.community_id) == ("communities.join_request_digest",
                                                                      broken.pk, broken.pk)
    monkeypatch.setattr(services, "join_request_digest_notify", real)
    assert digest_at(at_shanghai(11)) == 1  # after its backoff the broken one is served too
    assert not SweepFailure.objects.exists()


def test_the_celery_task_runs_the_digest(community, owner):
    services.join_request_create(user=UserFactory(), community=community)
    send_join_request_digests.apply().get()
    # Whatever the wall clock, the task ran the service without error; it sends at most once.
    send_join_request_digests.apply().get()
    assert Notification.objects.filter(kind="join_request_digest", recipient=owner.user).count() <= 1
