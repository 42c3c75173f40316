"""The API of the analytics page "Repurchase prompts": the same figures as the page (JSON, money and
rates as strings), the per-product table and the days as CSV, a leader's branch whatever they ask,
members refused, bad parameters a 400 in the one error shape."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from communities.models import Role
from tests.analytics.test_prompts_figures import NOW, PERIOD, make_shop, rows_of
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return make_shop()


NAMES = ["api-analytics-prompts", "api-analytics-prompts-daily"]


def get(client, membership, name, s, params=None):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse(name, args=[s.community.slug]), params or {}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_figures_as_json(client, shop):
    body = get(client, shop.owner, "api-analytics-prompts", shop, PERIOD).json()
    prompted, holdout = body["groups"]["prompted"], body["groups"]["holdout"]
    assert (prompted["prompts"], prompted["opened"], prompted["converted"]) == (3, 2, 2)
    assert prompted["conversion"] == "66.7" and prompted["gmv"] == "50.00"
    assert (holdout["prompts"], holdout["converted"], holdout["gmv"], holdout["open_rate"]) == (2, 1, "15.00", None)
    assert body["lift"] is None and body["enough_holdout"] is False and body["min_holdout"] == 30
    assert body["totals"]["prompts"] == 3 and body["previous_totals"]["prompts"] == 2
    assert body["changes"]["prompts"] == "50.0"
    assert [(p["name"], p["sent"], p["conversion"]) for p in body["products"]] == [
        ("Mangoes", 2, "50.0"), ("Lychees", 1, "100.0")]


def test_the_days_as_json_and_csv(client, shop):
    body = get(client, shop.owner, "api-analytics-prompts-daily", shop, PERIOD).json()
    assert [d["sent"] for d in body["days"]] == [1, 0, 1, 0, 0, 0, 1]
    assert [d["held_out"] for d in body["days"]] == [0, 1, 0, 1, 0, 0, 0]
    rows = rows_of(get(client, shop.owner, "api-analytics-prompts-daily", shop, {**PERIOD, "format": "csv"}))
    assert rows[0] == ["day", "sent", "converted", "held_out", "held_out_converted"]
    assert rows[2] == ["2026-11-11", "0", "0", "1", "1"]


def test_the_products_as_csv(client, shop):
    rows = rows_of(get(client, shop.owner, "api-analytics-prompts", shop, {**PERIOD, "format": "csv"}))
    assert rows[0][:3] == ["product_id", "name", "sent"]
    assert [(r[1], r[2], r[5]) for r in rows[1:]] == [("Mangoes", "2", "50.0"), ("Lychees", "1", "100.0")]


def test_a_leader_reads_their_branch_whatever_they_ask(client, shop):
    body = get(client, shop.leader, "api-analytics-prompts", shop, PERIOD).json()
    assert body["groups"]["prompted"]["prompts"] == 2 and body["groups"]["holdout"]["prompts"] == 1
    rows = rows_of(get(client, shop.leader, "api-analytics-prompts", shop, {**PERIOD, "format": "csv"}))
    assert sorted(r[1] for r in rows[1:]) == ["Lychees", "Mangoes"] and all(r[2] == "1" for r in rows[1:])
    days = get(client, shop.leader, "api-analytics-prompts-daily", shop, PERIOD).json()["days"]
    assert sum(d["sent"] for d in days) == 2


def test_an_admin_may_read_one_branch(client, shop):
    body = get(client, shop.owner, "api-analytics-prompts", shop, {**PERIOD, "branch": shop.branch.pk}).json()
    assert body["groups"]["prompted"]["prompts"] == 2


@pytest.mark.parametrize("name", NAMES)
def test_a_member_is_refused_and_a_stranger_told_nothing(client, shop, name):
    assert get(client, shop.member(), name, shop, PERIOD).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert get(client, stranger, name, shop, PERIOD).status_code == 404


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("params, field", [
    ({"period": "30d\x00"}, "period"),
    ({"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"}, "start"),
    ({"period": "custom", "start": "2026-11-10", "end": "9" * 5000}, "end"),
    ({"period": "month", "month": "２０２６-11"}, "month"),
    ({"branch": "٣"}, "branch"),
    ({"branch": "9" * 40}, "branch"),
    ({"period": "30d\x00", "format": "csv"}, "period"),
])
def test_bad_parameters_are_a_400_in_the_error_shape(client, shop, name, params, field):
    response = get(client, shop.owner, name, shop, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and field in body["fields"]
