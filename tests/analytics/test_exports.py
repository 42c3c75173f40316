"""Large CSV exports: asked for through the API or the console, written by the task (called here
directly), downloaded by the community's admins or the leader who asked; a leader's file holds
their branch only; at most 5 are prepared at once."""

import csv
import io
import os
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from analytics.models_exports import AnalyticsExport
from analytics.tasks import write_analytics_export
from communities.models import Role
from core.sweeps import sweep_run
from orders.models import Order
from tests.analytics.test_more_figures import NOW, at, make_shop
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
ORDERS = {"kind": "orders", "period": "custom", "start": "2026-11-10", "end": "2026-11-16"}


@pytest.fixture
def shop(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    state = make_shop()
    buy = state["buy"]
    buy(at(2026, 11, 10, 23, 30), in_branch=True, qty=4)   # in the branch: 40.00
    buy(at(2026, 11, 12), qty=1)                           # elsewhere: 10.00
    buy(at(2026, 11, 13), qty=2, status=Order.Status.CANCELLED)  # listed, with its status
    buy(at(2026, 11, 17), qty=3)                           # after the period
    return state


def post(client, membership, shop, body):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.post(reverse("api-analytics-exports", args=[shop["community"].slug]), body,
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def download(client, membership, shop, export):
    client.force_login(membership.user)
    return client.get(reverse("api-analytics-export-download", args=[shop["community"].slug, export.pk]),
                      HTTP_ACCEPT_LANGUAGE="en")


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def requested(client, membership, shop, body=ORDERS):
    response = post(client, membership, shop, body)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending" and response.json()["download_url"] is None
    export = AnalyticsExport.objects.get(pk=response.json()["id"])
    with time_machine.travel(NOW, tick=False):
        assert write_analytics_export(export.pk) == "ready"
    export.refresh_from_db()
    return export


def test_the_owner_exports_every_order_paid_in_the_period(client, shop):
    export = requested(client, shop["owner"], shop)
    assert export.status == "ready" and export.rows == 3 and export.file.name.startswith("exports/")
    rows = rows_of(download(client, shop["owner"], shop, export))
    assert rows[0] == ["Day", "Paid at", "Order", "Member", "Branch", "Total", "Currency", "Status"]
    body = sorted((row[0], row[4], row[5], row[7]) for row in rows[1:])
    assert body == [("2026-11-10", "East gate", "40.00", "paid"), ("2026-11-12", "", "10.00", "paid"),
                    ("2026-11-13", "", "20.00", "cancelled")]
    # Running the task again leaves the finished export alone.
    assert write_analytics_export(export.pk) == "skipped"
    detail = client.get(reverse("api-analytics-export", args=[shop["community"].slug, export.pk])).json()
    assert detail["status"] == "ready" and detail["download_url"].endswith("/download/")


def test_a_leaders_export_holds_their_branch_only(client, shop):
    export = requested(client, shop["leader"], shop)
    assert export.branch == shop["branch"]
    rows = rows_of(download(client, shop["leader"], shop, export))
    assert [(row[4], row[5]) for row in rows[1:]] == [("East gate", "40.00")]


def test_a_leader_may_not_export_another_branch_or_the_whole_community(client, shop):
    other = make_shop()["branch"]
    assert post(client, shop["leader"], shop, {**ORDERS, "branch": other.pk}).status_code == 400
    sibling = shop["community"].branches.create(name="West gate", slug=f"{shop['community'].slug}-west",
                                                timezone="Asia/Shanghai")
    assert post(client, shop["leader"], shop, {**ORDERS, "branch": sibling.pk}).status_code == 403


def test_daily_export_has_one_row_per_day(client, shop):
    export = requested(client, shop["owner"], shop, {"kind": "daily", "period": "7d"})
    rows = rows_of(download(client, shop["owner"], shop, export))
    assert export.rows == 7 and len(rows) == 8 and rows[1][0] == "2026-11-14"
    # Every column has its heading (commission's are the last).
    assert {len(row) for row in rows} == {12} and rows[0][-4:] == [
        "Members left", "Commission earned", "Commission reversed", "Commission base"]


def test_a_finished_export_is_deleted_with_its_file_after_a_week(client, shop, django_capture_on_commit_callbacks):
    kept = requested(client, shop["owner"], shop)
    gone = requested(client, shop["owner"], shop, {"kind": "daily", "period": "7d"})
    assert kept.expires_at == gone.expires_at == NOW + timedelta(days=7)
    path = gone.file.path
    AnalyticsExport.objects.filter(pk=kept.pk).update(expires_at=NOW + timedelta(days=8))
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert sweep_run("analytics.delete_expired_exports").as_dict()["settled"] == 0
    with time_machine.travel(NOW + timedelta(days=7, minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row's deletion commits
            result = sweep_run("analytics.delete_expired_exports").as_dict()
    assert result == {"settled": 1, "failed": 0, "skipped": 0}
    assert list(AnalyticsExport.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not os.path.exists(path) and os.path.exists(kept.file.path)
    # The console says how long files are kept, and until when this one is.
    client.force_login(shop["owner"].user)
    page = client.get(reverse("analytics_console:exports", args=[shop["community"].slug]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Files are kept for 7 days." in page and "until 2026-11-28" in page


def test_an_expired_export_whose_file_is_already_gone_is_still_deleted(client, shop,
                                                                     django_capture_on_commit_callbacks):
    export = requested(client, shop["owner"], shop)
    os.remove(export.file.path)
    with time_machine.travel(NOW + timedelta(days=8), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert sweep_run("analytics.delete_expired_exports").as_dict()["settled"] == 1
    assert not AnalyticsExport.objects.exists()


def test_the_download_is_refused_to_others(client, shop):
    export = requested(client, shop["leader"], shop)
    other_leader = MembershipFactory(community=shop["community"], role=Role.LEADER, user=UserFactory(),
                                     branch=shop["branch"])
    assert download(client, other_leader, shop, export).status_code == 404
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert download(client, member, shop, export).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert download(client, stranger, shop, export).status_code == 404
    assert download(client, shop["owner"], shop, export).status_code == 200
    # The owner's exports are not listed to a leader.
    mine = requested(client, shop["owner"], shop)
    assert download(client, shop["leader"], shop, mine).status_code == 404
    client.force_login(shop["leader"].user)
    listed = client.get(reverse("api-analytics-exports", args=[shop["community"].slug])).json()
    assert [row["id"] for row in listed["results"]] == [export.pk]


def test_a_pending_export_is_not_downloadable_and_five_pending_is_the_most(client, shop):
    pending = []
    for _ in range(5):
        response = post(client, shop["owner"], shop, ORDERS)
        assert response.status_code == 202
        pending.append(AnalyticsExport.objects.get(pk=response.json()["id"]))
    refused = post(client, shop["owner"], shop, ORDERS)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_exports"
    conflict = download(client, shop["owner"], shop, pending[0])
    assert conflict.status_code == 409 and conflict.json()["code"] == "export_not_ready"
    # One lost for half an hour (its task never ran) fails and frees its place.
    AnalyticsExport.objects.filter(pk=pending[0].pk).update(created_at=NOW - timedelta(minutes=31))
    assert post(client, shop["owner"], shop, ORDERS).status_code == 202
    assert [e.status for e in AnalyticsExport.objects.filter(pk__in=[p.pk for p in pending]).order_by("id")] == \
        ["failed", "pending", "pending", "pending", "pending"]


def test_the_task_is_queued_when_the_request_commits(client, shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, shop["owner"], shop, ORDERS)
    assert response.status_code == 202 and len(callbacks) == 1
    assert AnalyticsExport.objects.get().status == "ready"  # run eagerly in the tests


@pytest.mark.parametrize("body, field", [
    ({"kind": "everything"}, "kind"),
    ({"kind": "orders\x00"}, "kind"),
    ({"kind": "orders", "period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"}, "start"),
    ({"kind": "orders", "period": "custom", "start": "2026-11-10", "end": "9" * 5000}, "end"),
    ({"kind": "orders", "branch": "٣"}, "branch"),
    ({"kind": "orders", "branch": 10 ** 30}, "branch"),
])
def test_bad_export_requests_are_a_400(client, shop, body, field):
    response = post(client, shop["owner"], shop, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not AnalyticsExport.objects.exists()


def test_a_member_may_not_ask_for_an_export(client, shop):
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert post(client, member, shop, ORDERS).status_code == 403


def test_the_console_page_lists_exports_and_asks_for_one(client, shop):
    client.force_login(shop["leader"].user)
    url = reverse("analytics_console:exports", args=[shop["community"].slug])
    with time_machine.travel(NOW, tick=False):
        response = client.post(url, {"kind": "orders", "period": "custom", "start": "2026-11-10", "end": "2026-11-16"},
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    export = AnalyticsExport.objects.get()
    assert export.branch == shop["branch"] and export.requested_by == shop["leader"].user
    write_analytics_export(export.pk)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    download_url = reverse("analytics_console:export_download", args=[shop["community"].slug, export.pk])
    assert page.status_code == 200 and download_url.encode() in page.content
    assert client.get(download_url).status_code == 200
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    client.force_login(member.user)
    assert client.get(url).status_code == 403
    assert client.get(download_url).status_code == 403


def test_the_console_form_shows_a_bad_period(client, shop):
    client.force_login(shop["owner"].user)
    url = reverse("analytics_console:exports", args=[shop["community"].slug])
    response = client.post(url, {"kind": "orders", "period": "month", "month": "2026-13"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and b"Enter a month such as 2026-11." in response.content
    nul = client.post(url, {"kind": "orders", "period": "month", "month": "2026-1\x00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert nul.status_code == 400
    assert not AnalyticsExport.objects.exists()
