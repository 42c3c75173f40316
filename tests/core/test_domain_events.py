"""core.events: what a service emits reaches the subscribed handlers after commit, once, and a
handler that fails is retried without stopping the others."""

import pytest
from django.db import transaction

from core import events
from core.models import DomainEvent, SweepFailure
from core.sweeps import sweep_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen():
    calls = []

    def handler(event):
        calls.append((event.name, event.payload))

    events.subscribe("test.happened", handler)
    yield calls
    events.unsubscribe("test.happened", handler)


def test_an_event_reaches_its_handlers_once(seen, community):
    events.emit("test.happened", community_id=community.pk, thing=1)
    assert sweep_run(events.SWEEP_NAME).settled == 1
    assert sweep_run(events.SWEEP_NAME).settled == 0
    assert seen == [("test.happened", {"thing": 1})]
    assert DomainEvent.objects.get().dispatched_at is not None


def test_a_rolled_back_change_emits_nothing(seen, community):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            events.emit("test.happened", community_id=community.pk, thing=2)
            raise RuntimeError("the service failed")
    sweep_run(events.SWEEP_NAME)
    assert seen == [] and not DomainEvent.objects.exists()


def test_a_failing_handler_is_retried_and_the_others_go_on(seen, community):
    def broken(event):
        if event.payload.get("bad"):
            raise ValueError("handler bug")

    events.subscribe("test.happened", broken)
    try:
        events.emit("test.happened", community_id=community.pk, bad=True)
        events.emit("test.happened", community_id=community.pk, bad=False)
        result = sweep_run(events.SWEEP_NAME)
        assert (result.settled, result.failed) == (1, 1)
        failure = SweepFailure.objects.get(job=events.SWEEP_NAME)
        assert "handler bug" in failure.last_error and failure.community_id == community.pk
        assert DomainEvent.objects.filter(dispatched_at__isnull=True).count() == 1
    finally:
        events.unsubscribe("test.happened", broken)


def test_events_without_handlers_are_marked_dispatched(community):
    events.emit_many([("test.nobody_listens", community.pk, {"n": n}) for n in range(3)])
    assert sweep_run(events.SWEEP_NAME).settled == 3
    assert not DomainEvent.objects.filter(dispatch_due_at__isnull=False).exists()
