"""The prompt's link (the member's own only; it lands on the round with the product in the basket),
"stop reminding me", the conversion (an order within 7 days, counted once it completes), and the
console page and API with their numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from core.models import NotificationOptOut
from core.sweeps import sweep_run
from engagement.models import RepurchasePrompt
from orders import services
from tests.engagement.test_repurchase import buy, local, on_sale, run
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eggs(community):
    return ProductFactory(community=community, name="Eggs 30", unit="box", consumption_cycle_days=10)


@pytest.fixture
def prompted(owner, member, eggs):
    """The member bought 2 boxes on 1 March and was prompted on the 9th; eggs are on sale (limit 5)."""
    buy(owner, member, eggs, 2, completed_at=local(1, 8, 0))  # 2 × 10 × 0.85 = 17 days: due the 18th
    round_ = on_sale(owner, eggs, at=local(18, 8, 0), days=10, limit=5)
    run(local(18, 11))
    prompt = RepurchasePrompt.objects.get(member=member.user)
    assert prompt.group_buy_id == round_.pk
    return prompt


@pytest.fixture
def as_(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def login(membership):
        client.force_login(membership.user)
        return client

    return login


def open_url(prompt, slug=None):
    return reverse("engagement:repurchase_open", kwargs={"slug": slug or prompt.community.slug,
                                                          "prompt_id": prompt.pk})


# The link --------------------------------------------------------------------------------------

def test_the_link_marks_the_prompt_opened_once_and_lands_on_the_round_with_the_basket(as_, member, prompted):
    with time_machine.travel(local(19, 9), tick=False):
        response = as_(member).get(open_url(prompted))
    round_url = reverse("orders:group_buy", kwargs={"slug": prompted.community.slug, "pk": prompted.group_buy_id})
    assert response.status_code == 302
    assert response["Location"] == f"{round_url}?basket={prompted.item_id}x2"
    prompted.refresh_from_db()
    first_opened = prompted.opened_at
    assert first_opened is not None
    with time_machine.travel(local(20, 9), tick=False):
        as_(member).get(open_url(prompted))
    prompted.refresh_from_db()
    assert prompted.opened_at == first_opened


def test_the_basket_is_capped_by_the_items_limit_per_member(as_, member, prompted):
    item = prompted.item
    item.per_member_limit = 1
    item.save(update_fields=["per_member_limit"])
    with time_machine.travel(local(19, 9), tick=False):
        response = as_(member).get(open_url(prompted))
    assert response["Location"].endswith(f"?basket={item.pk}x1")


def test_once_the_round_closed_the_link_finds_another_or_the_list(owner, as_, member, eggs, prompted):
    with time_machine.travel(local(29, 9), tick=False):  # the prompt's round closed on the 28th
        response = as_(member).get(open_url(prompted))
    assert response["Location"] == reverse("orders:group_buys", kwargs={"slug": prompted.community.slug})
    later = on_sale(owner, eggs, at=local(29, 8, 0), title="Next week")
    with time_machine.travel(local(29, 9), tick=False):
        response = as_(member).get(open_url(prompted))
    assert f"/buy/{later.pk}/?basket={later.items.get().pk}x2" in response["Location"]


def test_another_members_or_another_communitys_prompt_is_404(as_, community, admin_member, new_member, prompted):
    someone = new_member("Someone")
    assert as_(someone).get(open_url(prompted)).status_code == 404
    assert as_(admin_member).get(open_url(prompted)).status_code == 404  # an admin does not open members' prompts
    # The member of another community, asking through their own community's address.
    elsewhere = CommunityFactory()
    stranger = MembershipFactory(community=elsewhere)
    assert as_(stranger).get(open_url(prompted, slug=elsewhere.slug)).status_code == 404
    assert as_(stranger).get(open_url(prompted)).status_code == 404
    prompted.refresh_from_db()
    assert prompted.opened_at is None


# Stop reminding me -----------------------------------------------------------------------------

def test_stop_asks_first_then_opts_out_once_and_keeps_other_opt_outs(as_, member, prompted):
    NotificationOptOut.objects.create(user=member.user, kind="poll_closed", channel="all")
    NotificationOptOut.objects.create(user=member.user, kind="repurchase_prompt", channel="email")
    url = reverse("engagement:repurchase_stop", kwargs={"slug": prompted.community.slug, "prompt_id": prompted.pk})
    page = as_(member).get(url)  # a mail client fetching the link changes nothing
    assert page.status_code == 200 and b"Stop reminding me" in page.content
    assert not NotificationOptOut.objects.filter(user=member.user, kind="repurchase_prompt", channel="all").exists()
    for _ in range(2):
        assert as_(member).post(url).status_code == 200
    assert set(NotificationOptOut.objects.filter(user=member.user).values_list("kind", "channel")) == {
        ("poll_closed", "all"), ("repurchase_prompt", "email"), ("repurchase_prompt", "all")}


def test_stop_for_someone_elses_prompt_is_404(as_, new_member, prompted):
    someone = new_member("Someone")
    url = reverse("engagement:repurchase_stop", kwargs={"slug": prompted.community.slug, "prompt_id": prompted.pk})
    assert as_(someone).post(url).status_code == 404
    assert not NotificationOptOut.objects.filter(user=someone.user).exists()


@pytest.mark.parametrize("bad", ["٣", "0x1", "99999999999999999999999"])
def test_a_prompt_id_that_is_no_number_is_404(as_, member, prompted, bad):
    response = as_(member).get(f"/c/{prompted.community.slug}/again/{bad}/")
    assert response.status_code == 404


# Conversion ------------------------------------------------------------------------------------

def order_again(member, round_, key, at, qty=1):
    with time_machine.travel(at, tick=False):
        order, _ = services.order_place(member=member, group_buy=round_, lines=[(round_.items.get().pk, qty)],
                                        idempotency_key=key, pickup_point_id=round_.pickup_points.first().pk)
    return order


def complete(owner, order, at):
    round_ = order.group_buy
    services.payments_mark_received(actor=owner, orders=[order])
    with time_machine.travel(round_.closes_at + timedelta(seconds=1), tick=False):
        services.group_buy_close_due()
        services.group_buy_mark_arrived(actor=owner, group_buy=round_)
    order.refresh_from_db()
    with time_machine.travel(at, tick=False):
        services.order_complete(actor=owner, order=order, code=order.pickup_code)
    sweep_run("core.domain_events")


def test_an_order_within_7_days_converts_the_prompt_once_it_completes(owner, member, prompted):
    order = order_again(member, prompted.group_buy, "again", local(20, 9))
    sweep_run("core.domain_events")
    prompted.refresh_from_db()
    assert prompted.converted_order is None  # placed, not yet a sale
    complete(owner, order, local(29, 9))  # completed after the 7 days: placed within them is what counts
    prompted.refresh_from_db()
    assert prompted.converted_order_id == order.pk
    # Refunded: no sale after all.
    services.order_refund(actor=owner, order=order, reason="bad eggs")
    sweep_run("core.domain_events")
    prompted.refresh_from_db()
    assert prompted.converted_order is None


def test_an_order_after_7_days_does_not_convert(owner, member, eggs, prompted):
    later = on_sale(owner, eggs, at=local(26, 8, 0), days=3, title="Late")
    order = order_again(member, later, "late", local(26, 9))  # 7 days and 22 hours after the prompt
    complete(owner, order, local(30, 9))
    prompted.refresh_from_db()
    assert prompted.converted_order is None


# Console and API -------------------------------------------------------------------------------

def test_the_console_shows_sent_opened_and_converted(owner, admin_member, member, as_, prompted):
    with time_machine.travel(local(19, 9), tick=False):
        as_(member).get(open_url(prompted))
    order = order_again(member, prompted.group_buy, "again", local(19, 10))
    complete(owner, order, local(29, 9))
    url = reverse("engagement_console:repurchase", kwargs={"slug": prompted.community.slug})
    with time_machine.travel(local(30, 12), tick=False):
        page = as_(admin_member).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-sent>1<' in html and 'data-opened>1<' in html and 'data-converted>1<' in html
    assert 'data-conversion-rate>100%<' in html
    assert 'data-day="2026-03-18"' in html
    assert f"#{order.pk}" in html and member.user.display_name in html


def test_the_console_page_is_for_admins(as_, leader, member, prompted):
    url = reverse("engagement_console:repurchase", kwargs={"slug": prompted.community.slug})
    assert as_(leader).get(url).status_code == 403
    assert as_(member).get(url).status_code == 403


def test_the_console_page_reads_in_a_fixed_number_of_queries(owner, admin_member, new_member, eggs, as_,
                                                              django_assert_max_num_queries, prompted):
    for n in range(4):
        someone = new_member(f"Buyer {n}")
        buy(owner, someone, eggs, 1, completed_at=local(10, 8, 0))
    on_sale(owner, eggs, at=local(19, 8, 0), title="More eggs")
    run(local(19, 11))
    assert RepurchasePrompt.objects.count() == 5
    client = as_(admin_member)
    url = reverse("engagement_console:repurchase", kwargs={"slug": prompted.community.slug})
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_the_api_lists_my_prompts_and_the_consoles(api_as, admin_member, member, new_member, prompted):
    slug = prompted.community.slug
    mine = api_as(member.user).get(reverse("api-repurchase-prompts", kwargs={"slug": slug}))
    assert mine.status_code == 200
    [row] = mine.json()["results"]
    assert row["product"]["name"] == "Eggs 30" and row["item"] == prompted.item_id
    assert row["open_url"] == open_url(prompted)
    assert api_as(new_member("Other").user).get(
        reverse("api-repurchase-prompts", kwargs={"slug": slug})).json()["results"] == []

    admin = api_as(admin_member.user)
    listed = admin.get(reverse("api-admin-repurchase-prompts", kwargs={"slug": slug}))
    assert [r["member"]["id"] for r in listed.json()["results"]] == [member.user_id]
    assert admin.get(reverse("api-admin-repurchase-prompts", kwargs={"slug": slug}),
                     {"opened": "true"}).json()["results"] == []
    with time_machine.travel(local(19, 12), tick=False):
        numbers = admin.get(reverse("api-admin-repurchase-summary", kwargs={"slug": slug})).json()
    assert (numbers["sent"], numbers["opened"], numbers["converted"], numbers["days"]) == (1, 0, 0, 30)
    assert numbers["per_day"][1] == {"day": "2026-03-18", "sent": 1, "opened": 0, "converted": 0}

    for name in ("api-admin-repurchase-prompts", "api-admin-repurchase-summary"):
        assert api_as(member.user).get(reverse(name, kwargs={"slug": slug})).status_code == 403


@pytest.mark.parametrize("params", [{"opened": "maybe"}, {"sent_since": "٢٠٢٦-03-01T00:00:00Z"},
                                    {"sent_since": "2026-03-01\x00"}, {"page": "٣"}, {"page_size": "100000"}])
def test_bad_filters_are_400_in_the_error_shape(api_as, admin_member, prompted, params):
    response = api_as(admin_member.user).get(
        reverse("api-admin-repurchase-prompts", kwargs={"slug": prompted.community.slug}), params)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}
