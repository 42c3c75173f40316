"""core.sweeps: one bad row never stops the others; failures are recorded, retried with backoff,
cleared on success, and shown to the community's admins."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import Community, Role
from core.models import SweepFailure
from core.sweeps import get_sweep, registered_sweeps, sweep_run
from core.tasks import run_sweep
from tests.concurrency import run_at_once
from tests.core.sweeps_fixtures import FlagSweep
from tests.factories import CommunityFactory, MembershipFactory

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("UTC"))


def due_communities(n):
    return [CommunityFactory(description="due") for _ in range(n)]


def descriptions(communities):
    return [Community.objects.get(pk=c.pk).description for c in communities]


@pytest.mark.django_db
def test_a_row_that_raises_is_recorded_and_skipped_while_the_others_settle():
    bad, *good = due_communities(4)  # the bad one is the oldest: it comes first, as in the old loop
    sweep = FlagSweep(bad={bad.pk})

    result = sweep_run(sweep, now=T0, batch=2)

    assert (result.settled, result.failed, result.skipped) == (3, 1, 0)
    assert descriptions(good) == ["done"] * 3  # rows of other communities went on
    assert descriptions([bad]) == ["due"]  # its half-done work was rolled back
    failure = SweepFailure.objects.get(job="tests.flag_communities", object_id=bad.pk)
    assert failure.community_id == bad.pk
    assert failure.attempts == 1
    assert failure.error_summary == f"RuntimeError: boom on {bad.slug}"
    assert failure.first_failed_at == failure.last_failed_at == T0
    assert failure.next_try_at == T0 + timedelta(minutes=1)
    assert failure.object_repr == bad.name
    assert failure.object_url == reverse("console:dashboard", args=[bad.slug])

    # Until its next try the bad row is not even claimed; the run ends at once.
    sweep.settled.clear()
    again = sweep_run(sweep, now=T0 + timedelta(seconds=30))
    assert (again.settled, again.failed, again.skipped) == (0, 0, 0)
    assert sweep.settled == []


@pytest.mark.django_db
def test_a_failing_row_backs_off_then_settles_and_its_failure_disappears():
    bad, = due_communities(1)
    sweep = FlagSweep(bad={bad.pk})

    sweep_run(sweep, now=T0)
    sweep_run(sweep, now=T0 + timedelta(minutes=1))  # due again after 1 min: fails a second time
    failure = SweepFailure.objects.get(object_id=bad.pk)
    assert failure.attempts == 2
    assert failure.first_failed_at == T0 and failure.last_failed_at == T0 + timedelta(minutes=1)
    assert failure.next_try_at == T0 + timedelta(minutes=3)  # backoff doubled
    assert sweep_run(sweep, now=T0 + timedelta(minutes=2)).failed == 0  # still waiting

    sweep.bad.clear()  # whatever broke it was fixed
    result = sweep_run(sweep, now=T0 + timedelta(minutes=3))

    assert result.settled == 1
    assert descriptions([bad]) == ["done"]
    assert not SweepFailure.objects.exists()


def test_backoff_doubles_and_is_capped_at_a_few_hours():
    sweep = FlagSweep()
    assert [sweep.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert sweep.backoff(9) == sweep.backoff(500) == timedelta(hours=3)


@pytest.mark.django_db
def test_the_error_text_is_bounded():
    bad, = due_communities(1)

    class Verbose(FlagSweep):
        def settle(self, community, now):
            raise ValueError("x" * 50_000)

    sweep_run(Verbose(), now=T0)
    failure = SweepFailure.objects.get()
    assert len(failure.last_error) <= 4000
    assert failure.error_summary.startswith("ValueError: xxx")


@pytest.mark.django_db
def test_a_settle_that_leaves_its_row_due_does_not_make_the_run_spin():
    rows = due_communities(5)

    class Forgetful(FlagSweep):
        def settle(self, community, now):
            self.settled.append(community.pk)  # does the work but never clears "due"

    sweep = Forgetful()
    result = sweep_run(sweep, now=T0, batch=2)

    assert result.settled == 5
    assert sorted(sweep.settled) == sorted(c.pk for c in rows)  # each once, then the run ended


@pytest.mark.django_db
def test_the_celery_task_runs_a_registered_sweep_by_name():
    rows = due_communities(2)
    assert isinstance(get_sweep("tests.flag_communities"), FlagSweep)

    assert run_sweep.apply(args=["tests.flag_communities"]).get() == {"settled": 2, "failed": 0, "skipped": 0}
    assert descriptions(rows) == ["done", "done"]


@pytest.mark.django_db
def test_the_email_and_digest_sweeps_are_registered_and_scheduled(settings):
    scheduled = {tuple(entry.get("args", ())) for entry in settings.CELERY_BEAT_SCHEDULE.values()
                 if entry["task"] == "core.tasks.run_sweep"}
    for name in ("core.notification_emails", "communities.join_request_digest"):
        get_sweep(name)
        assert (name,) in scheduled


@pytest.mark.django_db
def test_every_registered_sweep_is_scheduled(settings):
    """A sweep nobody schedules never runs (the analytics refresh once was such a sweep)."""
    scheduled = {entry["args"][0] for entry in settings.CELERY_BEAT_SCHEDULE.values()
                 if entry["task"] == "core.tasks.run_sweep"}
    unscheduled = {name for name in registered_sweeps() if not name.startswith("tests.")} - scheduled
    assert not unscheduled


# Two workers ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_workers_running_one_sweep_settle_each_row_exactly_once():
    rows = due_communities(40)
    bad = rows[7]
    sweep = FlagSweep(bad={bad.pk})

    results = run_at_once(2, lambda i: sweep_run(sweep, batch=5))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(sweep.settled) == sorted(c.pk for c in rows)  # every row once, the bad one included
    assert sum(r.settled for r in results) == 39 and sum(r.failed for r in results) == 1
    assert SweepFailure.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_held_by_another_worker_is_skipped_not_waited_for():
    held, *others = due_communities(3)
    sweep = FlagSweep()
    outcome = {}

    with transaction.atomic():
        Community.objects.select_for_update().get(pk=held.pk)  # another worker is settling it
        worker = threading.Thread(target=lambda: (outcome.update(result=sweep_run(sweep)), connection.close()))
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), "the sweep waited for a locked row"

    result = outcome["result"]
    assert (result.settled, result.skipped) == (2, 1)
    assert descriptions(others) == ["done", "done"]
    assert descriptions([held]) == ["due"]  # left for the worker holding it (or the next run)


# Console ------------------------------------------------------------------------------------

def fail_rows(*communities, now=T0):
    """Record a failure of the test sweep on a row of each community."""
    for community in communities:
        community.description = "due"
        community.save(update_fields=["description"])
    sweep_run(FlagSweep(bad={c.pk for c in communities}), now=now)


@pytest.mark.django_db
def test_admins_see_their_communitys_failing_rows_in_its_timezone(client, community, admin_member, owner):
    community.timezone = "America/New_York"
    community.save(update_fields=["timezone"])
    other = CommunityFactory(name="Other place")
    fail_rows(community, other)
    failure = SweepFailure.objects.get(object_id=community.pk)

    for viewer in (admin_member, owner):
        client.force_login(viewer.user)
        page = client.get(reverse("console:sweep_failures", args=[community.slug]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Flagging communities" in html  # the job's label
        assert f'href="{reverse("console:dashboard", args=[community.slug])}"' in html  # the row, linked
        assert f"RuntimeError: boom on {community.slug}" in html
        local_next = timezone.localtime(failure.next_try_at, ZoneInfo("America/New_York"))
        assert local_next.strftime("%Y-%m-%d %H:%M") in html
        assert "boom on " + other.slug not in html and "Other place" not in html


@pytest.mark.django_db
def test_failures_of_a_branch_show_in_its_parents_console(client, community, admin_member):
    branch = CommunityFactory(parent=community, name="North gate")
    fail_rows(branch)
    client.force_login(admin_member.user)
    html = client.get(reverse("console:sweep_failures", args=[community.slug])).content.decode()
    assert "North gate" in html


@pytest.mark.django_db
def test_members_leaders_and_other_communities_admins_cannot_see_failures(client, community, member, leader):
    fail_rows(community)
    url = reverse("console:sweep_failures", args=[community.slug])
    for viewer in (member, leader):
        client.force_login(viewer.user)
        assert client.get(url).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN)
    client.force_login(stranger.user)
    assert client.get(url).status_code == 404
    # ...and their own page lists nothing of this community.
    html = client.get(reverse("console:sweep_failures", args=[stranger.community.slug])).content.decode()
    assert community.slug not in html


@pytest.mark.django_db
def test_the_overview_warns_admins_with_a_constant_number_of_queries(client, community, admin_member, leader):
    link = reverse("console:sweep_failures", args=[community.slug])
    overview = reverse("console:dashboard", args=[community.slug])
    client.force_login(admin_member.user)
    with CaptureQueriesContext(connection) as none_failing:
        assert link not in client.get(overview).content.decode()

    fail_rows(community, *[CommunityFactory(parent=community) for _ in range(4)])
    with CaptureQueriesContext(connection) as five_failing:
        html = client.get(overview).content.decode()
    assert f'href="{link}"' in html and 'class="msg warning"' in html
    assert len(five_failing) == len(none_failing)

    client.force_login(leader.user)  # leaders open the overview but do not see failures
    assert link not in client.get(overview).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_sweep_can_lock_the_parent_row_before_the_child():
    from core.models import Notification
    from tests.core.sweeps_fixtures import ParentFirstSweep
    from tests.factories import UserFactory

    busy, free = CommunityFactory(), CommunityFactory()
    user = UserFactory()
    rows = {c.pk: Notification.objects.create(recipient=user, community=c, kind="tests.due", title="t")
            for c in (busy, free)}
    sweep = ParentFirstSweep()
    outcome = {}

    with transaction.atomic():
        Community.objects.select_for_update().get(pk=busy.pk)  # another worker holds the parent
        worker = threading.Thread(target=lambda: (outcome.update(result=sweep_run(sweep)), connection.close()))
        worker.start()
        worker.join(30)
        assert not worker.is_alive()

    assert (outcome["result"].settled, outcome["result"].skipped) == (1, 1)
    assert Notification.objects.get(pk=rows[free.pk].pk).kind == "tests.done"
    assert Notification.objects.get(pk=rows[busy.pk].pk).kind == "tests.due"
    assert sweep.locked == [("community", free.pk), ("notification", rows[free.pk].pk)]  # parent, then child

    assert sweep_run(sweep).settled == 1  # once the parent is free
    assert Notification.objects.filter(kind="tests.due").count() == 0
