"""The funnel page's API: the 接龙 funnel (JSON, CSV of the top rounds) and the stored cohort table
(JSON, CSV); a leader reads their branch whatever they ask; members are refused; bad parameters
are a 400 in the one error shape, never a 500."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from communities.models import Role
from tests.analytics import test_funnel as base
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = base.NOW
shop, funnel_data, cohort_data = base.shop, base.funnel_data, base.cohort_data  # the fixtures, shared
PERIOD = {"period": "custom", "start": "2026-11-10", "end": "2026-11-11"}


def get(client, membership, name, data, params=None, **extra):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse(name, args=[data["community"].slug]), params or {}, HTTP_ACCEPT_LANGUAGE="en",
                          **extra)


def csv_rows(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_funnel_as_json(client, funnel_data):
    body = get(client, funnel_data["owner"], "api-analytics-funnel", funnel_data, PERIOD).json()
    assert [(s["stage"], s["pairs"], s["from_previous"], s["from_first"]) for s in body["stages"]] == [
        ("saw", 5, None, "1.000"), ("ordered", 5, "1.000", "1.000"), ("paid", 2, "0.400", "0.400"),
        ("completed", 1, "0.500", "0.200")]
    assert body["ordered_without_view"] == 1 and body["orders"] == 6
    assert [(r["title"], r["closes_on"], r["saw"], r["ordered"], r["paid"], r["completed"]) for r in body["rounds"]] \
        == [("Round A", "2026-11-10", 4, 4, 1, 1), ("Round B", "2026-11-11", 1, 1, 1, 0)]
    one_day = get(client, funnel_data["owner"], "api-analytics-funnel", funnel_data,
                  {"period": "custom", "start": "2026-11-11", "end": "2026-11-11"}).json()
    assert [r["title"] for r in one_day["rounds"]] == ["Round B"]


def test_the_funnel_rounds_as_csv(client, funnel_data):
    rows = csv_rows(get(client, funnel_data["owner"], "api-analytics-funnel", funnel_data, {**PERIOD, "format": "csv"}))
    assert rows[0] == ["group_buy_id", "title", "closes_at", "closes_on", "orders", "saw", "ordered", "paid",
                       "completed", "ordered_unseen"]
    assert [row[1] for row in rows[1:]] == ["Round A", "Round B"] and rows[1][4:] == ["5", "4", "4", "1", "1", "1"]


def test_an_admin_may_read_one_branch_and_a_leader_reads_only_theirs(client, funnel_data):
    branch = funnel_data["branch"]
    admin = get(client, funnel_data["owner"], "api-analytics-funnel", funnel_data, {**PERIOD, "branch": branch.pk})
    assert [s["pairs"] for s in admin.json()["stages"]] == [3, 3, 2, 1]
    leader = get(client, funnel_data["leader"], "api-analytics-funnel", funnel_data, PERIOD).json()
    assert [s["pairs"] for s in leader["stages"]] == [3, 3, 2, 1]
    rows = csv_rows(get(client, funnel_data["leader"], "api-analytics-funnel", funnel_data,
                        {**PERIOD, "format": "csv"}))
    assert [(row[1], row[4]) for row in rows[1:]] == [("Round A", "3"), ("Round B", "1")]


def test_the_cohort_table_as_json_and_csv(client, cohort_data):
    body = get(client, cohort_data["owner"], "api-analytics-cohort-table", cohort_data).json()
    assert body["refreshed_at"] is not None and len(body["cohorts"]) == 12
    by_month = {row["month"]: row for row in body["cohorts"]}
    assert by_month["2026-09-01"]["members"] == 1 and [c["members"] for c in by_month["2026-09-01"]["later"]] == [1, 1]
    assert by_month["2026-10-01"]["members"] == 2 and by_month["2026-10-01"]["later"][0]["rate"] == "0.500"
    rows = csv_rows(get(client, cohort_data["owner"], "api-analytics-cohort-table", cohort_data, {"format": "csv"}))
    assert rows[0][:3] == ["month", "members", "after_1"] and rows[0][13] == "rate_1"
    october = next(row for row in rows if row[0] == "2026-10")
    assert october[1:3] == ["2", "1"] and october[13] == "0.500"
    leader = get(client, cohort_data["leader"], "api-analytics-cohort-table", cohort_data).json()
    assert {row["month"]: row["members"] for row in leader["cohorts"]}["2026-10-01"] == 1
    assert {row["month"]: row["members"] for row in leader["cohorts"]}["2026-09-01"] == 0


@pytest.mark.parametrize("name", ["api-analytics-funnel", "api-analytics-cohort-table"])
def test_a_member_is_refused_and_another_communitys_admin_is_told_nothing(client, funnel_data, name):
    assert get(client, funnel_data["m"][0], name, funnel_data, PERIOD).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    response = get(client, stranger, name, funnel_data, PERIOD)
    assert response.status_code == 404 and response.json()["code"] == "community_not_found"


@pytest.mark.parametrize("params, field", [
    ({"period": "30d\x00"}, "period"),
    ({"period": "forever"}, "period"),
    ({"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"}, "start"),
    ({"period": "custom", "start": "2026-11-10", "end": "9" * 5000}, "end"),
    ({"period": "month", "month": "２０２６-11"}, "month"),
    ({"branch": "٣"}, "branch"),
    ({"branch": "9" * 40}, "branch"),
    ({"branch": "1\x00"}, "branch"),
])
def test_bad_parameters_are_a_400_in_the_error_shape(client, funnel_data, params, field):
    for fmt in ({}, {"format": "csv"}):
        response = get(client, funnel_data["owner"], "api-analytics-funnel", funnel_data, {**params, **fmt})
        assert response.status_code == 400, response.content
        body = response.json()
        assert set(body) == {"code", "message", "fields"} and field in body["fields"]


@pytest.mark.parametrize("branch", ["٣", "9" * 40, "1\x00", "0"])
def test_a_bad_branch_on_the_cohort_table_is_a_400(client, funnel_data, branch):
    response = get(client, funnel_data["owner"], "api-analytics-cohort-table", funnel_data, {"branch": branch})
    assert response.status_code == 400 and "branch" in response.json()["fields"]
