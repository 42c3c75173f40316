"""E-mail copies of notifications: delivered at least once (failures retried, lost tasks and dead
workers caught up by the sweep), and never twice by two workers at once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection

from core.models import Notification, NotificationOptOut
from core.notifications import (EMAIL_GRACE, EMAIL_LEASE, EMAIL_MAX_ATTEMPTS, NotificationEmailSweep,
                                email_message_id, notification_email_claim, notification_email_send, notify)
from core.sweeps import sweep_run
from core.tasks import send_notification_email
from tests.concurrency import run_at_once
from tests.factories import UserFactory

T0 = datetime(2026, 5, 4, 2, 0, tzinfo=ZoneInfo("UTC"))
SWEEP = NotificationEmailSweep()


class FlakyBackend(locmem.EmailBackend):
    """locmem, but raises the queued exceptions first, one per send."""

    failures: list[Exception] = []

    def send_messages(self, messages):
        if FlakyBackend.failures:
            raise FlakyBackend.failures.pop(0)
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.core.test_notification_email.FlakyBackend"
    FlakyBackend.failures = []
    yield FlakyBackend.failures
    FlakyBackend.failures = []


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def run_sweep_and_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the sweep sends after each commit
        return sweep_run(SWEEP)


def fresh(notification):
    notification.refresh_from_db()
    return notification


@pytest.mark.django_db
def test_a_backend_error_of_any_kind_leaves_it_unsent_and_it_is_retried_and_sent_once(
        flaky, clock, django_capture_on_commit_callbacks):
    flaky.append(ValueError("the mail library broke"))  # not an OSError: was never retried
    with django_capture_on_commit_callbacks(execute=True):
        notice = notify(recipient=UserFactory(), kind="order_ready", title="Ready", body="Come and get it")

    fresh(notice)
    assert mail.outbox == [] and notice.emailed_at is None
    assert notice.email_attempts == 1 and notice.email_last_error == "ValueError: the mail library broke"
    assert notice.email_claimed_until is None  # the lease was released
    assert notice.email_due_at == T0 + timedelta(minutes=1)

    clock.move_to(T0 + timedelta(seconds=30))
    assert run_sweep_and_commit(django_capture_on_commit_callbacks).settled == 0  # backing off
    clock.move_to(T0 + timedelta(minutes=1))
    assert run_sweep_and_commit(django_capture_on_commit_callbacks).settled == 1

    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Ready"
    assert mail.outbox[0].extra_headers["Message-ID"] == email_message_id(notice)
    fresh(notice)
    assert notice.emailed_at == T0 + timedelta(minutes=1) and notice.email_due_at is None
    clock.move_to(T0 + timedelta(days=1))
    run_sweep_and_commit(django_capture_on_commit_callbacks)
    send_notification_email(notice.pk)  # a redelivered task
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_after_the_last_attempt_it_gives_up_and_records_it(flaky, clock, django_capture_on_commit_callbacks):
    flaky.extend(RuntimeError(f"refused {i}") for i in range(EMAIL_MAX_ATTEMPTS + 5))
    with django_capture_on_commit_callbacks(execute=True):
        notice = notify(recipient=UserFactory(), kind="order_ready", title="Ready")
    for _ in range(EMAIL_MAX_ATTEMPTS + 3):
        if fresh(notice).email_due_at is None:
            break
        clock.move_to(notice.email_due_at)
        run_sweep_and_commit(django_capture_on_commit_callbacks)

    fresh(notice)
    assert notice.email_attempts == EMAIL_MAX_ATTEMPTS
    assert notice.email_failed_at is not None and notice.email_due_at is None and notice.emailed_at is None
    assert notice.email_last_error == f"RuntimeError: refused {EMAIL_MAX_ATTEMPTS - 1}"
    assert mail.outbox == []
    clock.move_to(T0 + timedelta(days=30))
    assert run_sweep_and_commit(django_capture_on_commit_callbacks).settled == 0


@pytest.mark.django_db
def test_a_worker_that_claimed_and_died_is_replaced_by_the_sweep_after_its_lease(
        clock, django_capture_on_commit_callbacks):
    notice = notify(recipient=UserFactory(), kind="order_ready", title="Ready")  # its task is not run
    assert notification_email_claim(notification_id=notice.pk, now=T0)  # a worker claims... and dies
    assert not notification_email_send(notification_id=notice.pk)  # a second one may not step in

    clock.move_to(T0 + EMAIL_LEASE - timedelta(seconds=1))
    run_sweep_and_commit(django_capture_on_commit_callbacks)
    assert mail.outbox == []
    clock.move_to(T0 + EMAIL_LEASE)
    run_sweep_and_commit(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1 and fresh(notice).emailed_at == T0 + EMAIL_LEASE


@pytest.mark.django_db
def test_a_task_the_broker_lost_is_sent_by_the_sweep_after_the_grace_period(
        clock, django_capture_on_commit_callbacks):
    notice = notify(recipient=UserFactory(), kind="order_ready", title="Ready")  # on_commit never ran

    clock.move_to(T0 + EMAIL_GRACE - timedelta(seconds=1))
    run_sweep_and_commit(django_capture_on_commit_callbacks)
    assert mail.outbox == []
    clock.move_to(T0 + EMAIL_GRACE)
    run_sweep_and_commit(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and fresh(notice).emailed_at is not None


@pytest.mark.django_db
def test_a_crash_between_accept_and_mark_resends_with_the_same_message_id(
        clock, django_capture_on_commit_callbacks):
    """The one case that can send twice (documented in core.notifications): the copy is
    recognisable as the same message."""
    with django_capture_on_commit_callbacks(execute=True):
        notice = notify(recipient=UserFactory(), kind="order_ready", title="Ready")
    # As if the worker died after the backend accepted it and before the mark was written:
    Notification.objects.filter(pk=notice.pk).update(emailed_at=None, email_claimed_until=T0 + EMAIL_LEASE,
                                                     email_due_at=T0 + EMAIL_LEASE)
    clock.move_to(T0 + EMAIL_LEASE)
    run_sweep_and_commit(django_capture_on_commit_callbacks)

    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"] == email_message_id(notice)


@pytest.mark.django_db
def test_without_an_address_or_opted_out_no_copy_is_ever_picked_up(clock, django_capture_on_commit_callbacks):
    no_address = UserFactory(email="")
    opted_out = UserFactory()
    NotificationOptOut.objects.create(user=opted_out, kind="order_ready", channel=NotificationOptOut.Channel.EMAIL)
    changed_mind = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):  # the copy's task is lost...
        later = notify(recipient=changed_mind, kind="order_ready", title="Ready")
    NotificationOptOut.objects.create(user=changed_mind, kind="order_ready", channel="email")  # ...and they opt out

    with django_capture_on_commit_callbacks(execute=True):
        notices = [notify(recipient=user, kind="order_ready", title="Ready") for user in (no_address, opted_out)]
    assert all(n is not None and n.email_due_at is None for n in notices)  # in the inbox, owed no e-mail
    clock.move_to(T0 + timedelta(days=1))
    run_sweep_and_commit(django_capture_on_commit_callbacks)
    for notice in notices:
        assert not send_notification_email(notice.pk)

    assert mail.outbox == []
    assert fresh(later).email_due_at is None and later.emailed_at is None  # no longer owed
    assert run_sweep_and_commit(django_capture_on_commit_callbacks).settled == 0


@pytest.mark.django_db
def test_the_sweeps_due_query_is_served_by_the_partial_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: ask what it would use
    plan = SWEEP.due(T0).values("pk").explain()
    assert "notification_email_due" in plan


# Two workers ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_notification_send_one_mail():
    user = UserFactory()
    past = datetime.now(ZoneInfo("UTC")) - timedelta(hours=1)
    notices = [Notification.objects.create(recipient=user, kind="order_ready", title=f"Ready {i}", email_due_at=past)
               for i in range(10)]

    def work(i):  # two tasks (a redelivery) and two sweep runs, all at once
        if i < 2:
            return [notification_email_send(notification_id=n.pk) for n in notices]
        return sweep_run(SWEEP)

    results = run_at_once(4, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(m.subject for m in mail.outbox) == sorted(n.title for n in notices)  # each exactly once
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
