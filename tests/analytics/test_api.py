"""The analytics API: every figure as JSON (money as strings) and the tabular ones as CSV; a leader
reads their own branch only; members and strangers are refused; bad input is a 400 in the one
error shape."""

import csv
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from analytics import rollups
from communities.models import Role
from tests.api import assert_error
from tests.analytics.test_more_figures import NOW, at, make_shop
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
FIGURES = ["api-analytics-overview", "api-analytics-members", "api-analytics-branches", "api-analytics-top-products",
           "api-analytics-rounds", "api-analytics-repurchase", "api-analytics-sources", "api-analytics-cohorts"]
PERIOD = {"period": "custom", "start": "2026-11-10", "end": "2026-11-16"}


@pytest.fixture
def shop():
    state = make_shop()
    buy = state["buy"]
    buy(at(2026, 11, 12), in_branch=True, qty=4)   # 40.00 in the branch
    buy(at(2026, 11, 12), qty=1)                   # 10.00 elsewhere
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(state["community"])
    return state


def get(client, membership, name, shop, params=None, **extra):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse(name, args=[shop["community"].slug]), params or {}, HTTP_ACCEPT_LANGUAGE="en",
                          **extra)


def rows_of(response):
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("name", FIGURES)
def test_the_owner_reads_every_figure_as_json(client, shop, name):
    response = get(client, shop["owner"], name, shop, PERIOD)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")


def test_overview_totals_are_the_periods_with_money_as_strings(client, shop):
    data = get(client, shop["owner"], "api-analytics-overview", shop, PERIOD).json()
    assert data["totals"]["gmv"] == "50.00" and data["totals"]["orders_paid"] == 2
    assert data["period"] == {"start": "2026-11-10", "end": "2026-11-16", "days": 7}
    assert len(data["series"]) == 7


def test_an_admin_may_read_one_branch(client, shop):
    data = get(client, shop["owner"], "api-analytics-overview", shop, {**PERIOD, "branch": shop["branch"].pk}).json()
    assert data["totals"]["gmv"] == "40.00"


def test_a_leader_sees_only_their_branch_in_json_and_csv(client, shop):
    other = CommunityFactory()  # a branch id of another community changes nothing for a leader
    data = get(client, shop["leader"], "api-analytics-overview", shop, {**PERIOD, "branch": other.pk}).json()
    assert data["totals"]["gmv"] == "40.00" and data["totals"]["orders_paid"] == 1
    response = get(client, shop["leader"], "api-analytics-overview", shop, {**PERIOD, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert rows[0][:4] == ["day", "members_joined", "orders_paid", "gmv"]
    assert sum(Decimal(row[3]) for row in rows[1:]) == Decimal("40.00")
    top = get(client, shop["leader"], "api-analytics-top-products", shop, PERIOD, HTTP_ACCEPT="text/csv")
    assert [row[2:4] for row in rows_of(top)[1:]] == [["4", "40.00"]]


def test_a_leader_may_not_compare_branches(client, shop):
    response = get(client, shop["leader"], "api-analytics-branches", shop, PERIOD)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_branches_csv_for_the_owner(client, shop):
    rows = rows_of(get(client, shop["owner"], "api-analytics-branches", shop, {**PERIOD, "format": "csv"}))
    assert rows[0][:2] == ["branch_id", "name"] and rows[1][1] == "East gate" and rows[1][5] == "40.00"


def test_cohorts_and_sources_as_csv(client, shop):
    cohorts = rows_of(get(client, shop["owner"], "api-analytics-cohorts", shop, {"format": "csv"}))
    assert cohorts[0][:3] == ["month", "members", "after_1"] and len(cohorts) == 13
    assert cohorts[-1][:2] == ["2026-11", "2"]
    sources = rows_of(get(client, shop["owner"], "api-analytics-sources", shop, {**PERIOD, "format": "csv"}))
    assert sources[0] == ["inviter_id", "inviter", "joined"] and sources[-1][1] == "No inviter"


@pytest.mark.parametrize("name", FIGURES)
def test_a_member_is_refused_and_another_communitys_admin_is_told_nothing(client, shop, name):
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert get(client, member, name, shop, PERIOD).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    response = get(client, stranger, name, shop, PERIOD)
    assert response.status_code == 404 and response.json()["code"] == "community_not_found"


def test_not_logged_in_is_refused(client, shop):
    response = client.get(reverse("api-analytics-overview", args=[shop["community"].slug]))
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("params, field", [
    ({"period": "30d\x00"}, "period"),
    ({"period": "forever"}, "period"),
    ({"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"}, "start"),
    ({"period": "custom", "start": "2026-11-10", "end": "2026-11-1\x00"}, "end"),
    ({"period": "custom", "start": "2026-11-10", "end": "9" * 5000}, "end"),
    ({"period": "custom", "start": "2020-01-01", "end": "2026-11-16"}, "start"),
    ({"period": "month", "month": "2026-13"}, "month"),
    ({"period": "month", "month": "２０２６-11"}, "month"),
    ({"branch": "٣"}, "branch"),
    ({"branch": "9" * 40}, "branch"),
    ({"branch": "0"}, "branch"),
])
def test_bad_parameters_are_a_400_in_the_error_shape(client, shop, params, field):
    response = get(client, shop["owner"], "api-analytics-overview", shop, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and field in body["fields"]


def test_bad_parameters_on_a_csv_request_still_answer_json(client, shop):
    response = get(client, shop["owner"], "api-analytics-top-products", shop, {"period": "x", "format": "csv"})
    assert response.status_code == 400 and response.json()["fields"]["period"]


def test_a_branch_of_another_community_is_refused_to_an_admin(client, shop):
    other = make_shop()
    response = get(client, shop["owner"], "api-analytics-overview", shop, {"branch": other["branch"].pk})
    assert response.status_code == 400 and "branch" in response.json()["fields"]


def test_lists_come_a_page_at_a_time(client, shop):
    branches = get(client, shop["owner"], "api-analytics-branches", shop, PERIOD).json()
    assert branches["count"] == 1 and branches["results"][0]["gmv"] == "40.00"
    top = get(client, shop["leader"], "api-analytics-top-products", shop, {**PERIOD, "page_size": "1"}).json()
    assert top["count"] == 1 and top["results"][0]["amount"] == "40.00" and top["results"][0]["quantity"] == 4


@pytest.mark.parametrize("name", ["api-analytics-members", "api-analytics-rounds", "api-analytics-repurchase"])
def test_csv_of_a_figure_given_as_json_only_is_not_acceptable(client, shop, name):
    by_parameter = get(client, shop["owner"], name, shop, {**PERIOD, "format": "csv"})
    assert_error(by_parameter, 406, code="not_acceptable")
    assert by_parameter.json()["message"] == "This figure is given as json only."
    assert_error(get(client, shop["owner"], name, shop, PERIOD, HTTP_ACCEPT="text/csv"), 406, code="not_acceptable")
    assert get(client, shop["owner"], name, shop, {**PERIOD, "format": "json"}).status_code == 200
