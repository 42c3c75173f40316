"""The holdout (对照组) of repurchase prompts: with a holdout share, some members due are held out
(a row marked ``held_out``, no notice), the same ones on every run, never shown to the member, and
their orders within 7 days are counted like the prompted members' ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from communities.models import Role
from core.models import Notification
from core.sweeps import sweep_run
from engagement import repurchase
from engagement.models import EngagementSettings, RepurchasePrompt
from orders import services
from tests.engagement.test_repurchase import buy, local, on_sale
from tests.engagement.test_repurchase_pages import order_again
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db
SWEEP = "engagement.repurchase_prompts"


def shop(members, holdout):
    """``members`` bought eggs handed over on 1 March (due the 9th); eggs on sale again from the 9th."""
    community = CommunityFactory()
    owner = MembershipFactory(community=community, role=Role.OWNER)
    EngagementSettings.objects.update_or_create(community=community,
                                                defaults={"repurchase_holdout_percent": holdout})
    eggs = ProductFactory(community=community, name="Eggs", consumption_cycle_days=10)
    people = [MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(display_name=f"Buyer {n}"))
              for n in range(members)]
    for person in people:
        buy(owner, person, eggs, 1, completed_at=local(1, 8, 0))
    round_ = on_sale(owner, eggs, at=local(9, 8, 0), days=10)
    return community, owner, eggs, people, round_


def notices(community):
    return Notification.objects.filter(community=community, kind="repurchase_prompt")



def test_the_hash_is_stable_and_follows_the_share():
    due = repurchase.Due(1, 2, 3, 4, 5, 1, local(9), local(9).date(), 6, 7)
    assert not repurchase.is_held_out(due, 0)
    assert repurchase.is_held_out(due, 50) == repurchase.is_held_out(due, 50)
    dues = [repurchase.Due(1, 2, m, 4, order, 1, local(9), local(9).date(), 6, 7)
            for m in range(40) for order in range(50)]
    held = sum(repurchase.is_held_out(d, 10) for d in dues)
    assert 150 < held < 250  # about 10 % of 2,000


def test_half_held_out_get_a_row_and_no_notice_and_a_rerun_changes_nothing():
    community, owner, eggs, people, round_ = shop(16, 50)
    sweep_run(SWEEP, now=local(9, 11))
    rows = RepurchasePrompt.objects.filter(community=community)
    assert rows.count() == 16  # every member due has a row, prompted or held out
    held = set(rows.filter(held_out=True).values_list("member_id", flat=True))
    sent = set(rows.filter(held_out=False).values_list("member_id", flat=True))
    assert held and sent
    assert all(r.sent_at == local(9, 11) for r in rows)  # held out: when it would have gone out
    assert set(notices(community).values_list("recipient_id", flat=True)) == sent
    # A rerun (an hour later, and the next day) writes and sends nothing more: the holdout rows hold
    # their members back like sent prompts.
    again = sweep_run(SWEEP, now=local(9, 12))
    sweep_run(SWEEP, now=local(10, 11))
    assert again.settled == 0
    assert rows.count() == 16 and notices(community).count() == len(sent)
    assert set(rows.filter(held_out=True).values_list("member_id", flat=True)) == held


def test_the_same_purchases_are_held_out_whoever_decides():
    community, owner, eggs, people, round_ = shop(10, 50)
    dues = repurchase.due_prompts(local(9, 11), community_id=community.pk)
    decided = {d.member_id: repurchase.is_held_out(d, 50) for d in dues}
    sweep_run(SWEEP, now=local(9, 11))
    recorded = dict(RepurchasePrompt.objects.filter(community=community).values_list("member_id", "held_out"))
    assert recorded == decided


def test_holdout_zero_holds_no_one_out():
    community, owner, eggs, people, round_ = shop(6, 0)
    sweep_run(SWEEP, now=local(9, 11))
    assert not RepurchasePrompt.objects.filter(community=community, held_out=True).exists()
    assert notices(community).count() == 6


def test_conversion_is_recorded_for_both_groups():
    community, owner, eggs, people, round_ = shop(12, 50)
    sweep_run(SWEEP, now=local(9, 11))
    rows = RepurchasePrompt.objects.filter(community=community)
    held = rows.filter(held_out=True).first()
    sent = rows.filter(held_out=False).first()
    by_user = {p.user_id: p for p in people}
    orders = {}
    for prompt in (held, sent):
        orders[prompt.pk] = order_again(by_user[prompt.member_id], round_, f"again-{prompt.pk}", local(12, 9))
    services.payments_mark_received(actor=owner, orders=list(orders.values()))
    with time_machine.travel(round_.closes_at + timedelta(seconds=1), tick=False):
        services.group_buy_close_due()
        services.group_buy_mark_arrived(actor=owner, group_buy=round_)
    with time_machine.travel(local(20, 9), tick=False):
        for order in orders.values():
            order.refresh_from_db()
            services.order_complete(actor=owner, order=order, code=order.pickup_code)
    sweep_run("core.domain_events")
    for prompt in (held, sent):
        prompt.refresh_from_db()
        assert prompt.converted_order_id == orders[prompt.pk].pk
    assert rows.filter(converted_order__isnull=False).count() == 2


def test_a_held_out_row_is_invisible_to_the_member(client, api_as):
    community, owner, eggs, people, round_ = shop(12, 50)
    sweep_run(SWEEP, now=local(9, 11))
    held = RepurchasePrompt.objects.filter(community=community, held_out=True).first()
    sent = RepurchasePrompt.objects.filter(community=community, held_out=False).first()
    member = next(p for p in people if p.user_id == held.member_id)
    client.force_login(member.user)
    for name in ("engagement:repurchase_open", "engagement:repurchase_stop"):
        url = reverse(name, kwargs={"slug": community.slug, "prompt_id": held.pk})
        assert client.get(url).status_code == 404
    held.refresh_from_db()
    assert held.opened_at is None
    assert repurchase.my_prompts(member).count() == 0
    api = api_as(member.user)
    response = api.get(reverse("api-repurchase-prompts", kwargs={"slug": community.slug}))
    assert response.status_code == 200
    assert response.json()["results"] == []
    # The prompted member sees theirs.
    other = next(p for p in people if p.user_id == sent.member_id)
    response = api_as(other.user).get(reverse("api-repurchase-prompts", kwargs={"slug": community.slug}))
    assert [r["id"] for r in response.json()["results"]] == [sent.pk]
    # The console's numbers count prompts sent, not held-out rows.
    summary = repurchase.summary(community, now=local(10, 12))
    assert summary["sent"] == RepurchasePrompt.objects.filter(community=community, held_out=False).count()


class Killed(Exception):
    pass


@pytest.mark.parametrize("held_out", [True, False])
def test_a_worker_killed_after_writing_the_row_leaves_nothing_half_done(monkeypatch, held_out):
    community, owner, eggs, people, round_ = shop(12, 50)
    dues = [d for d in repurchase.due_prompts(local(9, 11), community_id=community.pk)
            if repurchase.is_held_out(d, 50) == held_out]
    assert dues
    real_insert = repurchase._insert

    def insert_then_die(*args, **kwargs):
        assert real_insert(*args, **kwargs) is not None  # the row is written …
        raise Killed  # … and the worker dies before the transaction ends

    monkeypatch.setattr(repurchase, "_insert", insert_then_die)
    with pytest.raises(Killed):
        repurchase.repurchase_prompt_send(due=dues[0], now=local(9, 11))
    assert not RepurchasePrompt.objects.filter(community=community, member_id=dues[0].member_id).exists()
    assert not notices(community).exists()
    monkeypatch.setattr(repurchase, "_insert", real_insert)
    prompt = repurchase.repurchase_prompt_send(due=dues[0], now=local(9, 11))  # the retry does it whole
    assert prompt is not None and prompt.held_out == held_out
    assert notices(community).filter(recipient_id=dues[0].member_id).count() == (0 if held_out else 1)


def test_the_console_list_marks_held_out_rows(client, api_as):
    community, owner, eggs, people, round_ = shop(12, 50)
    sweep_run(SWEEP, now=local(9, 11))
    held = set(RepurchasePrompt.objects.filter(community=community, held_out=True).values_list("pk", flat=True))
    response = api_as(owner.user).get(reverse("api-admin-repurchase-prompts", kwargs={"slug": community.slug}))
    assert {r["id"] for r in response.json()["results"] if r["held_out"]} == held
    client.force_login(owner.user)
    page = client.get(reverse("engagement_console:repurchase", kwargs={"slug": community.slug}),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("data-held-out") == len(held)
