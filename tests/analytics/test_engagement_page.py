"""The engagement page and its API figures: each section as cards, table, chart data and CSV; a
leader sees only their branch (page, CSV, API); members and other communities see nothing; bad
input is a 400 (page) or the one JSON error shape (API), never a 500; the page's query count does
not grow with the data."""

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import rollups
from communities.models import Community, Role
from engagement.models import RSVP, DailyCheckIn, Event, PointsEntry, Post, PostFeature, Referral
from engagement.posts import post_seen
from orders.models import Coupon, CouponRedemption, Order
from tests.analytics.test_more_figures import NOW, at, make_shop
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PERIOD = {"period": "custom", "start": "2026-11-10", "end": "2026-11-16"}
API = ["api-analytics-events", "api-analytics-posts", "api-analytics-check-ins", "api-analytics-points",
       "api-analytics-coupons", "api-analytics-referrals"]
TABLES = ["headline", "events", "posts", "check_ins", "points", "coupons", "referrers"]


def seed(shop, n=1, start=0):
    """n of each: an event with two RSVPs (one in the branch, checked in; one not, a no-show), a post
    featuring the round opened by both and a paid order each, check-ins, points, a coupon use."""
    community, m, buy = shop["community"], shop["member"], shop["buy"]
    coupon = Coupon.objects.get_or_create(community=community, code="HELLO", defaults=dict(
        name="Hello", amount_off=Decimal("5.00"), starts_at=at(2026, 11, 1), ends_at=at(2026, 12, 31)))[0]
    for k in range(start, start + n):
        ev = Event.objects.create(community=community, title=f"Event {k}", starts_at=at(2026, 11, 11),
                                  ends_at=at(2026, 11, 11, 14), rsvp_deadline=at(2026, 11, 11),
                                  status=Event.Status.PUBLISHED)
        post = Post.objects.create(community=community, title=f"Post {k}", status=Post.Status.PUBLISHED,
                                   published_at=at(2026, 11, 11))
        PostFeature.objects.create(community=community, post=post, group_buy=shop["round"])
        for in_branch in (True, False):
            who = m(in_branch=in_branch)
            RSVP.objects.create(community=community, event=ev, member=who.user, branch=who.branch,
                                status=RSVP.Status.GOING, checked_in_at=at(2026, 11, 11) if in_branch else None)
            post_seen(membership=who, post=post, now=at(2026, 11, 11, 13))
            buy(at(2026, 11, 12), qty=2 if in_branch else 3, member_=who)
            order = Order.objects.filter(member=who.user).latest("id")
            Order.objects.filter(pk=order.pk).update(discount=Decimal("5.00"))
            CouponRedemption.objects.create(community=community, coupon=coupon, order=order, member=who.user,
                                            amount=Decimal("5.00"))
            DailyCheckIn.objects.create(community=community, member=who.user, day=date(2026, 11, 12), streak=2)
            Referral.objects.create(community=community, referrer=shop["owner"].user, invitee=who.user,
                                    joined_at=at(2026, 11, 12))
            PointsEntry.objects.create(community=community, member=who.user, amount=3,
                                       reason=PointsEntry.Reason.CHECK_IN, key=f"c{who.pk}")
    PointsEntry.objects.filter(community=community).update(created_at=at(2026, 11, 12))
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(community)  # the nightly sweep (check-ins and points read its rollups)


@pytest.fixture
def shop():
    return make_shop()


def url(shop, **params):
    base = reverse("analytics_console:engagement", args=[shop["community"].slug])
    return base + ("?" + urlencode(params) if params else "")


def get(client, membership, address, **extra):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(address, HTTP_ACCEPT_LANGUAGE="en", **extra)


def api(client, membership, name, shop, params=None, **extra):
    return get(client, membership, reverse(name, args=[shop["community"].slug]) + "?" + urlencode(params or {}),
               **extra)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def chart_data(response) -> dict:
    html = response.content.decode()
    marker = '<script id="analytics-data" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start:html.index("</script>", start)])


def test_the_owner_sees_each_section_with_cards_tables_and_charts(client, shop):
    seed(shop)
    response = get(client, shop["owner"], url(shop, **PERIOD))
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("events", "posts", "check-ins", "points", "coupons", "referrals"):
        assert f'data-section="{section}"' in html
    assert "counted from the day recording began" in html
    figures = response.context["figures"]
    assert figures["events"]["totals"]["attended"] == 1 and figures["events"]["totals"]["no_shows"] == 1
    assert figures["posts"]["totals"]["reach"] == 2 and figures["posts"]["totals"]["gmv"] == Decimal("50.00")
    cards = {c["name"]: c["value"] for section in figures["cards"].values() for c in section}
    assert cards["events.attendance_rate"] == Decimal("50.0") and cards["coupons.discount"] == Decimal("10.00")
    charts = chart_data(response)["charts"]
    assert charts["check_ins"]["series"][0]["values"] == [0, 0, 2, 0, 0, 0, 0]
    assert charts["points"]["labels"] == ["Daily check-in"] and charts["coupons"]["labels"] == ["Hello"]


def test_each_table_exports_as_csv(client, shop):
    seed(shop)
    for table in TABLES:
        assert len(read_csv(get(client, shop["owner"], url(shop, format="csv", table=table, **PERIOD)))) >= 2
    posts = read_csv(get(client, shop["owner"], url(shop, format="csv", table="posts", **PERIOD)))
    assert posts[0][:3] == ["Post", "Published", "Members reached"] and posts[1][2] == "2" and posts[1][6] == "50.00"
    headline = read_csv(get(client, shop["owner"], url(shop, format="csv", table="headline", **PERIOD)))
    assert ["Coupon uses", "2", "0", ""] in headline and ["Invitees who ordered", "2", "0", ""] in headline
    referrers = read_csv(get(client, shop["owner"], url(shop, format="csv", table="referrers", **PERIOD)))
    assert referrers[1][1:3] == ["2", "2"]
    assert get(client, shop["owner"], url(shop, format="csv", table="nope")).status_code == 404


def test_a_leader_sees_only_their_branch_on_the_page_in_csv_and_in_the_api(client, shop):
    seed(shop)
    west = Community.objects.create(name="West gate", slug=f"{shop['community'].slug}-west",
                                    parent=shop["community"], timezone="Asia/Shanghai")
    response = get(client, shop["leader"], url(shop, branch=west.pk, **PERIOD))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["events"]["totals"]["seats_taken"] == 1 and figures["events"]["totals"]["no_shows"] == 0
    assert figures["posts"]["totals"]["reach"] == 1 and figures["posts"]["totals"]["gmv"] == Decimal("20.00")
    assert figures["coupons"]["totals"]["uses"] == 1 and figures["check_ins"]["totals"]["check_ins"] == 1
    assert figures["referrals"]["totals"]["joined"] == 1
    rows = read_csv(get(client, shop["leader"], url(shop, format="csv", table="coupons", **PERIOD)))
    assert rows[1][2:5] == ["1", "5.00", "20.00"]
    data = api(client, shop["leader"], "api-analytics-posts", shop, {**PERIOD, "branch": west.pk}).json()
    assert data["totals"]["reach"] == 1 and data["totals"]["gmv"] == "20.00"
    rows = read_csv(api(client, shop["leader"], "api-analytics-points", shop, {**PERIOD, "format": "csv"}))
    assert rows == [["reason", "label", "issued", "spent", "entries"], ["check_in", "Daily check-in", "3", "0", "1"]]
    whole = api(client, shop["owner"], "api-analytics-points", shop, PERIOD).json()
    assert whole["totals"] == {"issued": 6, "spent": 0}
    branch = api(client, shop["owner"], "api-analytics-points", shop, {**PERIOD, "branch": shop["branch"].pk})
    assert branch.json()["totals"] == {"issued": 3, "spent": 0}


@pytest.mark.parametrize("name", API)
def test_every_figure_as_json_and_csv_and_refused_to_members_and_strangers(client, shop, name):
    seed(shop)
    response = api(client, shop["owner"], name, shop, PERIOD)
    assert response.status_code == 200 and {"totals", "previous_totals", "changes", "period"} <= set(response.json())
    assert read_csv(api(client, shop["owner"], name, shop, PERIOD, HTTP_ACCEPT="text/csv"))[0]
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert api(client, member, name, shop, PERIOD).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert api(client, stranger, name, shop, PERIOD).status_code == 404


def test_members_and_other_communities_do_not_see_the_page(client, shop):
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert get(client, member, url(shop)).status_code in (403, 404)
    assert get(client, member, url(shop, format="csv", table="events")).status_code in (403, 404)
    elsewhere = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert get(client, elsewhere, url(shop)).status_code == 404


@pytest.mark.parametrize("params", [
    {"period": "forever"}, {"period": "30d\x00"}, {"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"},
    {"period": "custom", "start": "2026-11-10", "end": "9" * 5000}, {"period": "month", "month": "2026-13"},
    {"period": "custom", "start": "2026-11-16", "end": "2026-11-10"}, {"branch": "٣"}, {"branch": "9" * 40},
])
def test_bad_input_is_a_400_never_a_500(client, shop, params):
    page = get(client, shop["owner"], url(shop, **params))
    assert page.status_code == 400
    assert get(client, shop["owner"], url(shop, format="csv", table="events", **params)).status_code == 400
    for name in API:
        response = api(client, shop["owner"], name, shop, params)
        assert response.status_code == 400, (name, response.content)
        assert set(response.json()) == {"code", "message", "fields"}


def test_the_pages_query_count_does_not_grow_with_the_data(client, shop):
    seed(shop)

    def count():
        client.force_login(shop["owner"].user)
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
            assert client.get(url(shop, **PERIOD), HTTP_ACCEPT_LANGUAGE="en").status_code == 200
        return len(captured)

    small = count()
    seed(shop, n=4, start=1)
    assert count() == small
    assert Post.objects.count() == 5 and date(2026, 11, 10) + timedelta(days=6) == date(2026, 11, 16)
