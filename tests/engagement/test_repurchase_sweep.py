"""The repurchase sweep run twice, or twice at once (real threads on PostgreSQL), sends each message
once; a member whose prompt fails is recorded and retried, and the others still get theirs."""

from __future__ import annotations

import pytest
import time_machine

from communities.models import Role
from core.models import Notification, SweepFailure
from core.sweeps import sweep_run
from engagement import repurchase
from engagement.models import RepurchasePrompt
from tests.concurrency import run_at_once
from tests.engagement.test_repurchase import buy, local, on_sale
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory

SWEEP = "engagement.repurchase_prompts"


def shop(members=3):
    """A community whose ``members`` each bought eggs on 1 March (due on the 9th), eggs on sale again."""
    community = CommunityFactory()
    owner = MembershipFactory(community=community, role=Role.OWNER)
    eggs = ProductFactory(community=community, name="Eggs", consumption_cycle_days=10)
    people = [MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(display_name=f"Buyer {n}"))
              for n in range(members)]
    for person in people:
        buy(owner, person, eggs, 1, completed_at=local(1, 8, 0))
    on_sale(owner, eggs, at=local(9, 8, 0))
    return community, owner, eggs, people


def notices(community):
    return Notification.objects.filter(community=community, kind="repurchase_prompt")


@pytest.mark.django_db
def test_running_the_sweep_twice_sends_each_prompt_once():
    community, owner, eggs, people = shop(3)
    first = sweep_run(SWEEP, now=local(9, 11))
    second = sweep_run(SWEEP, now=local(9, 11, 5))
    assert (first.settled, second.settled) == (3, 0)
    assert RepurchasePrompt.objects.filter(community=community).count() == 3
    assert sorted(notices(community).values_list("recipient_id", flat=True)) == sorted(p.user_id for p in people)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_prompt_once():
    community, owner, eggs, people = shop(6)
    with time_machine.travel(local(9, 11), tick=False):
        results = run_at_once(2, lambda i: sweep_run(SWEEP, now=local(9, 11)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.settled for r in results) >= 6
    assert RepurchasePrompt.objects.filter(community=community).count() == 6
    assert notices(community).count() == 6
    assert sorted(notices(community).values_list("recipient_id", flat=True)) == sorted(p.user_id for p in people)


@pytest.mark.django_db(transaction=True)
def test_the_same_prompt_sent_at_once_from_many_places_goes_out_once():
    """A retried task and the sweep (or two products of one member) racing: the membership lock,
    the unique key and the cap leave one prompt and one notice."""
    community, owner, eggs, [person] = shop(1)
    rice = ProductFactory(community=community, name="Rice", consumption_cycle_days=20)
    buy(owner, person, rice, 1, completed_at=local(20, 8, 0, month=2))
    on_sale(owner, rice, at=local(9, 8, 0), title="Rice")
    [found] = repurchase.due_prompts(local(9, 11), community_id=community.pk)
    other = repurchase.Due(**{**found.__dict__, "product_id": eggs.pk,
                              "last_order_id": person.user.orders.filter(lines__product=eggs).get().pk})
    with time_machine.travel(local(9, 11), tick=False):
        results = run_at_once(6, lambda i: repurchase.repurchase_prompt_send(due=found if i % 2 else other))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([r for r in results if r is not None]) == 1
    assert RepurchasePrompt.objects.filter(member=person.user).count() == 1
    assert notices(community).count() == 1


@pytest.mark.django_db
def test_a_failing_member_is_recorded_and_retried_and_the_others_still_get_theirs(monkeypatch):
    community, owner, eggs, people = shop(3)
    unlucky = people[1]
    real_notify = repurchase.notify

    def notify(*, recipient, **kwargs):
        if recipient.pk == unlucky.user_id:
            raise RuntimeError("mail template exploded")
        return real_notify(recipient=recipient, **kwargs)

    monkeypatch.setattr(repurchase, "notify", notify)
    result = sweep_run(SWEEP, now=local(9, 11))
    assert (result.settled, result.failed) == (2, 1)
    failure = SweepFailure.objects.get(job=SWEEP)
    assert (failure.object_id, failure.community_id) == (unlucky.pk, community.pk)
    assert "mail template exploded" in failure.last_error
    assert failure.object_url == f"/console/{community.slug}/repurchase/"  # shown to its admins
    # Its prompt was rolled back with the notice: nothing half-sent.
    assert not RepurchasePrompt.objects.filter(member=unlucky.user).exists()
    assert notices(community).count() == 2

    monkeypatch.setattr(repurchase, "notify", real_notify)
    assert sweep_run(SWEEP, now=local(9, 11, 0)).settled == 0  # waiting out its backoff
    assert sweep_run(SWEEP, now=local(9, 12)).settled == 1  # the retry
    assert not SweepFailure.objects.filter(job=SWEEP).exists()
    assert notices(community).filter(recipient=unlucky.user).count() == 1
    assert notices(community).count() == 3


@pytest.mark.django_db
def test_a_round_item_gone_since_the_due_rows_were_read_prompts_nothing_and_stops_nothing(monkeypatch):
    """The row read as due names a round item that went before the insert: the service checks it
    again under the lock and sends nothing for that member; the others are prompted."""
    community, owner, eggs, people = shop(2)
    real = repurchase.due_prompts

    def stale(now, **kwargs):
        rows = real(now, **kwargs)
        if kwargs.get("member_id") == people[0].user_id:
            rows = [repurchase.Due(**{**row.__dict__, "item_id": 2**31 - 1}) for row in rows]
        return rows

    monkeypatch.setattr(repurchase, "due_prompts", stale)
    result = sweep_run(SWEEP, now=local(9, 11))
    assert (result.settled, result.failed) == (2, 0)
    assert RepurchasePrompt.objects.filter(community=community).get().member_id == people[1].user_id
