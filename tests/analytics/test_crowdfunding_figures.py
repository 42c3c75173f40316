"""The analytics crowdfunding page and its API: campaigns ended in the period and their results,
money pledged (paid, not refunded) and backers against the period before, campaigns open now with
their progress, split-bill collections with paid and outstanding; local-day boundaries; a leader
sees their branch's only (page, CSV, API); members are refused; bad input is a 400; the query count
does not grow with the data."""

import csv
import io
import itertools
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import selectors, selectors_crowdfunding as cf
from communities.models import Community, Role
from crowdfunding.models import Campaign, Collection, CollectionShare, Pledge
from payments.models import Charge
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
PERIOD = {"period": "custom", "start": "2026-11-10", "end": "2026-11-16"}
pytestmark = pytest.mark.django_db
_n = itertools.count()


def at(m, d, hh=12, mm=0):
    return datetime(2026, m, d, hh, mm, tzinfo=SHANGHAI)


def _charge(community, user, amount):
    return Charge.objects.create(community=community, member=user, amount=Decimal(amount), purpose="test",
                                 description="test")


def campaign(community, *, branch=None, status=Campaign.Status.LIVE, goal="100.00", settled_at=None,
             deadline=None, raised=None, backers=None, title=None):
    return Campaign.objects.create(
        community=community, branch=branch, title=title or f"Campaign {next(_n)}", goal=Decimal(goal),
        deadline=deadline or at(12, 31), status=status, settled_at=settled_at,
        deadline_raised=Decimal(raised) if raised is not None else None, deadline_backers=backers)


def pledge(c, member, amount, *, paid_at, status=Pledge.Status.PAID):
    m = member
    return Pledge.objects.create(community=c.community, campaign=c, member=m.user, branch=m.branch,
                                 charge=_charge(c.community, m.user, amount), status=status, quantity=1,
                                 unit_amount=Decimal("0"), extra_support=Decimal(amount), amount=Decimal(amount),
                                 idempotency_key=f"p{next(_n)}", request_fingerprint="x", paid_at=paid_at)


def collection(community, organizer, created_at, shares, *, title=None):
    """``shares``: (participant membership, amount, status, paid_at) each."""
    k = Collection.objects.create(community=community, organizer=organizer.user, title=title or f"Bill {next(_n)}",
                                  total=sum(Decimal(s[1]) for s in shares), idempotency_key=f"c{next(_n)}")
    Collection.objects.filter(pk=k.pk).update(created_at=created_at)
    for position, (who, amount, status, paid_at) in enumerate(shares):
        CollectionShare.objects.create(community=community, collection=k, participant=who.user, amount=Decimal(amount),
                                       charge=_charge(community, who.user, amount), status=status,
                                       paid_by=who.user if status != "unpaid" else None, paid_at=paid_at,
                                       position=position)
    return k


@pytest.fixture
def shop():
    with time_machine.travel(at(11, 1), tick=False):
        community = CommunityFactory(timezone="Asia/Shanghai", name="Sunny Garden")
        owner = MembershipFactory(community=community, role=Role.OWNER, user=UserFactory())
        east = Community.objects.create(name="East gate", slug=f"{community.slug}-east", parent=community,
                                        timezone="Asia/Shanghai")
        west = Community.objects.create(name="West gate", slug=f"{community.slug}-west", parent=community,
                                        timezone="Asia/Shanghai")
        leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(), branch=east)
        west_leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(), branch=west)
        m_east = MembershipFactory(community=community, user=UserFactory(), branch=east)
        m_west = MembershipFactory(community=community, user=UserFactory(), branch=west)
        m_plain = MembershipFactory(community=community, user=UserFactory())
    S = Campaign.Status
    c1 = campaign(community, branch=east, status=S.SUCCEEDED, settled_at=at(11, 12), raised="120.00", backers=2,
                  title="Mooncakes")
    c2 = campaign(community, status=S.FAILED, settled_at=at(11, 10, 0, 30), goal="500.00", raised="50.00", backers=1,
                  title="New shelves")   # local 10th (the 9th in UTC): in the period
    c3 = campaign(community, branch=east, status=S.FAILED, settled_at=at(11, 9, 23, 30), title="Old")  # before
    c4 = campaign(community, branch=east, goal="200.00", deadline=at(11, 25, 23, 59), title="Winter coats")
    c5 = campaign(community, goal="100.00", deadline=at(11, 30, 23, 59), title="Library")
    P = Pledge.Status
    pledge(c1, m_east, "70.00", paid_at=at(11, 11), status=P.COLLECTED)
    pledge(c1, m_plain, "50.00", paid_at=at(11, 16, 23, 50), status=P.COLLECTED)  # local 16th: in
    pledge(c4, m_east, "60.00", paid_at=at(11, 13))
    pledge(c4, m_west, "30.00", paid_at=at(11, 14))
    pledge(c4, m_plain, "50.00", paid_at=at(11, 14), status=P.REFUNDED)           # refunded: not counted
    pledge(c4, m_plain, "10.00", paid_at=None, status=P.PENDING_PAYMENT)          # unpaid: not counted
    pledge(c5, m_plain, "20.00", paid_at=at(11, 17, 0, 10))                        # local 17th: out
    pledge(c3, m_east, "40.00", paid_at=at(11, 5), status=P.REFUNDED)
    pledge(c1, m_east, "20.00", paid_at=at(11, 8), status=P.COLLECTED)            # the period before
    collection(community, leader, at(11, 12), [(m_east, "30.00", "paid", at(11, 12)),
                                               (m_plain, "30.00", "paid", at(11, 17, 1)),
                                               (m_west, "30.00", "unpaid", None)], title="Dinner")
    collection(community, m_plain, at(11, 15), [(m_plain, "20.00", "paid", at(11, 15)),
                                                (m_east, "20.00", "refunded", at(11, 15))], title="Taxi")
    collection(community, owner, at(11, 5), [(m_east, "10.00", "paid", at(11, 5))], title="Flowers")
    return {"community": community, "owner": owner, "east": east, "west": west, "leader": leader,
            "west_leader": west_leader, "m_east": m_east, "m_plain": m_plain, "campaigns": [c1, c2, c3, c4, c5]}


def period_of(shop):
    with time_machine.travel(NOW, tick=False):
        return selectors.period_from(shop["community"], **PERIOD)


def page_url(shop, **params):
    base = reverse("analytics_console:crowdfunding", args=[shop["community"].slug])
    return base + ("?" + urlencode(params) if params else "")


def get(client, membership, address, **extra):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(address, HTTP_ACCEPT_LANGUAGE="en", **extra)


def api(client, membership, name, shop, params=None):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse(name, args=[shop["community"].slug]), params or {}, HTTP_ACCEPT_LANGUAGE="en")


def read_csv(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_headline_counts_local_days_and_leaves_out_refunds(shop):
    with time_machine.travel(NOW, tick=False):
        result = cf.summary(shop["community"], period_of(shop))
    t, before = result["totals"], result["previous_totals"]
    assert (t["ended"], t["succeeded"], t["failed"], t["success_rate"]) == (2, 1, 1, Decimal("0.500"))
    assert t["pledged"] == Decimal("210.00") and t["pledges"] == 4 and t["backers"] == 3
    assert t["shares_paid"] == 2 and t["collected"] == Decimal("50.00")
    assert (before["ended"], before["failed"], before["pledged"], before["backers"]) == (1, 1, Decimal("20.00"), 1)
    assert before["shares_paid"] == 1 and before["collected"] == Decimal("10.00")
    assert result["changes"]["pledged"] == Decimal("950.0") and result["changes"]["ended"] == Decimal("100.0")


def test_open_campaigns_show_progress_and_days_left(shop):
    with time_machine.travel(NOW, tick=False):
        rows = cf.open_campaigns(shop["community"])
    assert [r["title"] for r in rows] == ["Winter coats", "Library"]  # the one ending first first
    coats, library = rows
    assert coats["pledged"] == Decimal("90.00") and coats["backers"] == 2 and coats["percent"] == Decimal("45.0")
    assert coats["days_left"] == 5 and coats["branch"] == "East gate"
    assert library["pledged"] == Decimal("20.00") and library["percent"] == Decimal("20.0")


def test_ended_campaigns_show_what_the_deadline_saw(shop):
    with time_machine.travel(NOW, tick=False):
        rows = cf.ended_campaigns(shop["community"], period_of(shop))
    assert [(r["title"], r["status"], r["raised"], r["backers"], r["percent"]) for r in rows] == [
        ("Mooncakes", "succeeded", Decimal("120.00"), 2, Decimal("120.0")),
        ("New shelves", "failed", Decimal("50.00"), 1, Decimal("10.0"))]


def test_collections_show_paid_and_outstanding(shop):
    with time_machine.travel(NOW, tick=False):
        rows = cf.collections(shop["community"], period_of(shop))
    assert [r["title"] for r in rows] == ["Taxi", "Dinner"]   # created in the period, newest first
    taxi, dinner = rows
    assert (dinner["shares"], dinner["shares_paid"], dinner["paid"], dinner["outstanding"]) == (
        3, 2, Decimal("60.00"), Decimal("30.00"))
    assert (taxi["shares"], taxi["shares_paid"], taxi["paid"], taxi["refunded_shares"], taxi["outstanding"]) == (
        2, 1, Decimal("20.00"), 1, Decimal("0.00"))


def test_a_branch_sees_its_campaigns_its_members_pledges_and_its_organizers_collections(shop):
    with time_machine.travel(NOW, tick=False):
        period = period_of(shop)
        east = cf.summary(shop["community"], period, branch=shop["east"])["totals"]
        west = cf.summary(shop["community"], period, branch=shop["west"])["totals"]
        assert [r["title"] for r in cf.open_campaigns(shop["community"], branch=shop["east"])] == ["Winter coats"]
        assert cf.open_campaigns(shop["community"], branch=shop["west"]) == []
        assert [r["title"] for r in cf.collections(shop["community"], period, branch=shop["east"])] == ["Dinner"]
        assert cf.collections(shop["community"], period, branch=shop["west"]) == []
        assert cf.ended_campaigns(shop["community"], period, branch=shop["west"]) == []
    assert (east["ended"], east["succeeded"], east["pledged"], east["backers"], east["collected"]) == (
        1, 1, Decimal("130.00"), 1, Decimal("30.00"))
    assert (west["ended"], west["pledged"], west["backers"], west["shares_paid"]) == (0, Decimal("30.00"), 1, 0)


def test_the_owner_sees_the_page_with_cards_chart_and_tables(client, shop):
    response = get(client, shop["owner"], page_url(shop, **PERIOD))
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("headline", "open", "ended", "collections"):
        assert f'data-section="{section}"' in html and f'data-csv="{section}"' in html
    assert 'data-chart="open"' in html and "Winter coats" in html and "Mooncakes" in html and "Taxi" in html
    assert 'data-card="success_rate"' in html and "50.0%" in html
    chart = response.context["data"]["charts"]["open"]
    assert chart["kind"] == "hbars" and chart["labels"] == ["Winter coats", "Library"]
    assert [str(v) for v in chart["series"][0]["values"]] == ["45.0", "20.0"]


def test_each_table_exports_as_csv(client, shop):
    headline = read_csv(get(client, shop["owner"], page_url(shop, format="csv", table="headline", **PERIOD)))
    assert ["Money pledged", "210.00", "20.00", "950.0"] in headline
    assert ["Success rate (%)", "50.0", "0.0", ""] in headline
    ended = read_csv(get(client, shop["owner"], page_url(shop, format="csv", table="ended", **PERIOD)))
    assert ended[1] == ["Mooncakes", "East gate", "Succeeded", "2026-11-12", "100.00", "120.00", "120.0", "2"]
    opened = read_csv(get(client, shop["owner"], page_url(shop, format="csv", table="open", **PERIOD)))
    assert opened[1] == ["Winter coats", "East gate", "200.00", "90.00", "45.0", "2", "2026-11-25", "5"]
    bills = read_csv(get(client, shop["owner"], page_url(shop, format="csv", table="collections", **PERIOD)))
    assert bills[2][0] == "Dinner" and bills[2][-3:] == ["2", "60.00", "30.00"]
    assert get(client, shop["owner"], page_url(shop, format="csv", table="nope")).status_code == 404


def test_a_leader_of_another_branch_sees_none_of_this_ones_figures(client, shop):
    response = get(client, shop["west_leader"], page_url(shop, branch=shop["east"].pk, **PERIOD))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Winter coats" not in html and "Mooncakes" not in html and "Dinner" not in html
    figures = response.context["figures"]
    assert figures["summary"]["totals"]["pledged"] == Decimal("30.00") and figures["open"] == []
    for table in ("ended", "open", "collections"):
        assert len(read_csv(get(client, shop["west_leader"], page_url(shop, format="csv", table=table,
                                                                      branch=shop["east"].pk, **PERIOD)))) == 1
    body = api(client, shop["west_leader"], "api-analytics-crowdfunding", shop,
               {**PERIOD, "branch": shop["east"].pk}).json()
    assert body["totals"]["pledged"] == "30.00" and body["open"] == [] and body["ended"] == []
    assert api(client, shop["west_leader"], "api-analytics-collections", shop, PERIOD).json()["collections"] == []
    east = api(client, shop["leader"], "api-analytics-crowdfunding", shop, PERIOD).json()
    assert [r["title"] for r in east["open"]] == ["Winter coats"] and east["totals"]["pledged"] == "130.00"


def test_the_api_gives_the_pages_figures_as_json_and_csv(client, shop):
    body = api(client, shop["owner"], "api-analytics-crowdfunding", shop, PERIOD).json()
    assert body["totals"]["pledged"] == "210.00" and body["totals"]["success_rate"] == "0.500"
    assert body["previous_totals"]["backers"] == 1 and body["changes"]["pledged"] == "950.0"
    assert [r["title"] for r in body["ended"]] == ["Mooncakes", "New shelves"]
    assert body["open"][0]["days_left"] == 5 and body["open"][0]["percent"] == "45.0"
    ended = read_csv(api(client, shop["owner"], "api-analytics-crowdfunding", shop, {**PERIOD, "format": "csv"}))
    assert ended[0][:4] == ["campaign_id", "title", "branch", "status"] and len(ended) == 3
    opened = read_csv(api(client, shop["owner"], "api-analytics-crowdfunding", shop,
                          {**PERIOD, "format": "csv", "table": "open"}))
    assert [row[1] for row in opened[1:]] == ["Winter coats", "Library"]
    bad = api(client, shop["owner"], "api-analytics-crowdfunding", shop, {**PERIOD, "format": "csv", "table": "x"})
    assert bad.status_code == 400 and "table" in bad.json()["fields"]
    bills = api(client, shop["owner"], "api-analytics-collections", shop, PERIOD).json()["collections"]
    assert [(b["title"], b["paid"], b["outstanding"]) for b in bills] == [("Taxi", "20.00", "0.00"),
                                                                          ("Dinner", "60.00", "30.00")]
    rows = read_csv(api(client, shop["owner"], "api-analytics-collections", shop, {**PERIOD, "format": "csv"}))
    assert rows[0][-1] == "outstanding" and rows[2][-1] == "30.00"


@pytest.mark.parametrize("name", ["api-analytics-crowdfunding", "api-analytics-collections"])
def test_a_member_is_refused_and_another_communitys_admin_is_told_nothing(client, shop, name):
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert api(client, member, name, shop, PERIOD).status_code == 403
    assert get(client, member, page_url(shop)).status_code in (403, 404)
    assert get(client, member, page_url(shop, format="csv", table="ended")).status_code in (403, 404)
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert api(client, stranger, name, shop, PERIOD).status_code == 404
    assert get(client, stranger, page_url(shop)).status_code == 404


@pytest.mark.parametrize("params, field", [
    ({"period": "30d\x00"}, "period"),
    ({"period": "forever"}, "period"),
    ({"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"}, "start"),
    ({"period": "custom", "start": "2026-11-10", "end": "9" * 5000}, "end"),
    ({"period": "month", "month": "２０２６-11"}, "month"),
    ({"branch": "٣"}, "branch"),
    ({"branch": "9" * 40}, "branch"),
    ({"table": "open\x00", "format": "csv"}, "table"),
])
@pytest.mark.parametrize("name", ["api-analytics-crowdfunding", "api-analytics-collections"])
def test_bad_parameters_are_a_400_never_a_500(client, shop, params, field, name):
    if field == "table" and name == "api-analytics-collections":
        params = {**params, "table": "x"}  # no table parameter here: ignored, the CSV comes
        assert api(client, shop["owner"], name, shop, params).status_code == 200
        return
    response = api(client, shop["owner"], name, shop, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and field in body["fields"]


@pytest.mark.parametrize("params", [
    {"period": "1y"}, {"period": "custom", "start": "2026-11-10", "end": "2026-11-01"},
    {"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-11"}, {"period": "month", "month": "x\x00"},
    {"period": "custom", "start": "2026-11-01" * 50, "end": "2026-11-11"}, {"branch": "١"}, {"branch": "9" * 40},
])
def test_bad_periods_on_the_page_are_a_400(client, shop, params):
    assert get(client, shop["owner"], page_url(shop, **params)).status_code == 400
    assert get(client, shop["owner"], page_url(shop, format="csv", table="ended", **params)).status_code == 400


def test_the_query_count_does_not_grow_with_the_data(client, shop):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = get(client, shop["owner"], page_url(shop, **PERIOD))
        assert response.status_code == 200
        return len(queries), response

    count()  # the first request of a session also reads what the session caches
    few, few_page = count()
    community, S = shop["community"], Campaign.Status
    for n in range(12):
        c = campaign(community, branch=shop["east"] if n % 2 else None, goal="50.00", deadline=at(11, 21 + n % 8))
        pledge(c, shop["m_east"], "5.00", paid_at=at(11, 10 + n % 7))
        campaign(community, status=S.SUCCEEDED if n % 3 else S.FAILED, settled_at=at(11, 10 + n % 7))
        collection(community, shop["m_plain"], at(11, 11 + n % 5), [(shop["m_east"], "3.00", "paid", at(11, 12)),
                                                                  (shop["m_plain"], "4.00", "unpaid", None)])
    many, many_page = count()
    assert len(many_page.context["figures"]["open"]) == 14 and len(few_page.context["figures"]["open"]) == 2
    assert len(many_page.context["figures"]["collections"]) == 14
    assert few == many
