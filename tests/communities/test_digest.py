"""The daily digest of pending join requests: once per community, admin and local day."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from communities import services
from communities.tasks import send_join_request_digests
from core.models import Notification, NotificationOptOut
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def at_shanghai(hour, day=10):
    return datetime(2026, 11, day, hour, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_admins_get_one_digest_a_day_and_reruns_send_nothing(community, owner, admin_member, leader, django_capture_on_commit_callbacks):
    for _ in range(3):
        services.join_request_create(user=UserFactory(), community=community, message="hello")

    with django_capture_on_commit_callbacks(execute=True):
        first = services.join_request_digest_send(now=at_shanghai(10))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.join_request_digest_send(now=at_shanghai(15))

    assert first == 2 and again == 0  # owner and admin; not the leader
    notices = Notification.objects.filter(kind="join_request_digest")
    assert {n.recipient_id for n in notices} == {owner.user_id, admin_member.user_id}
    assert all("3" in n.title for n in notices)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.user.email, admin_member.user.email])
    next_day = services.join_request_digest_send(now=at_shanghai(10, day=11))
    assert next_day == 2


def test_no_digest_before_nine_local_time_or_without_requests(community, owner):
    assert services.join_request_digest_send(now=at_shanghai(10)) == 0  # nothing pending
    services.join_request_create(user=UserFactory(), community=community)
    assert services.join_request_digest_send(now=at_shanghai(7)) == 0
    assert services.join_request_digest_send(now=at_shanghai(9)) >= 1


def test_opted_out_admins_are_skipped(community, owner, admin_member):
    NotificationOptOut.objects.create(user=owner.user, kind="join_request_digest", channel="all")
    services.join_request_create(user=UserFactory(), community=community)

    assert services.join_request_digest_send(now=at_shanghai(12)) == 1
    assert not Notification.objects.filter(recipient=owner.user).exists()


def test_the_celery_task_runs_the_digest(community, owner):
    services.join_request_create(user=UserFactory(), community=community)
    send_join_request_digests.apply().get()
    # Whatever the wall clock, the task ran the service without error; it sends at most once.
    send_join_request_digests.apply().get()
    assert Notification.objects.filter(kind="join_request_digest", recipient=owner.user).count() <= 1
