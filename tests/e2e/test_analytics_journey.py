"""Analytics in the console (desktop 1280×900, and a phone): the owner opens Analytics from the
console menu, reads the last 30 days, switches to the last 7, and the charts are drawn again and the
table's figures change. Set E2E_SCREENSHOTS to a directory (e.g. /tmp/shots-dash) to save the pages."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from analytics import rollups
from communities.models import Community, Membership, Role
from orders import services as orders
from orders.models import Order
from payments import services as payments
from tests.e2e.conftest import PHONE, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)
CONSOLE = {"width": 1280, "height": 900}


def shot(page, name):
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"analytics-{name}.png"), full_page=True)


@pytest.fixture
def english_page(browser, live_server):
    contexts = []

    def new(viewport, **extra):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-US",
                                      extra_http_headers={"Accept-Language": "en"}, **extra)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield new
    for context in contexts:
        context.close()


def seeded_shop():
    """Orders over the last four weeks (two of them in the last 7 days), refreshed into the rollups."""
    community = CommunityFactory(name="Sunny Garden", timezone="Asia/Shanghai")
    owner = MembershipFactory(community=community, role=Role.OWNER,
                              user=UserFactory(display_name="Owner Li", language="en"))
    branch = Community.objects.create(name="East gate", slug=f"{community.slug}-east", parent=community,
                                      timezone="Asia/Shanghai")
    round_ = make_group_buy(owner, products=[ProductFactory(community=community, name="Mangoes"),
                                             ProductFactory(community=community, name="Lychees")],
                            price="12.50", offer=1000)
    items = list(round_.items.order_by("pk"))
    now = timezone.now()
    for n, (days_ago, qty) in enumerate([(25, 4), (20, 2), (14, 6), (10, 3), (3, 2), (1, 1)]):
        member = MembershipFactory(community=community, user=UserFactory(), branch=branch if n % 2 else None)
        payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("500"))
        order, _ = orders.order_place(member=member, group_buy=round_, lines=[(items[n % 2].pk, qty)],
                                      idempotency_key=f"e2e{n}", pickup_point_id=round_.pickup_points.get().pk)
        orders.order_pay_with_wallet(member=member, order=order)
        paid_at = now - timedelta(days=days_ago)
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
        Membership.objects.filter(pk=member.pk).update(joined_at=paid_at - timedelta(days=2))
    rollups.refresh(community)
    return community, owner


def test_the_owner_changes_the_period_and_the_charts_and_tables_follow(english_page):
    community, owner = seeded_shop()
    page = english_page(CONSOLE)
    log_in(page, owner.user.phone, PASSWORD)
    page.goto(reverse("console:dashboard", args=[community.slug]))
    page.click(".sidenav >> text=Analytics")
    expect(page.locator("h1")).to_have_text("Analytics")
    expect(page.locator("select[name=period]")).to_have_value("30d")
    expect(page.locator("[data-total-orders]")).to_have_text("6")
    expect(page.locator("[data-total-gmv]")).to_have_text("¥225.00")
    # The charts are drawn (SVG) and the custom dates stay hidden until asked for.
    expect(page.locator('[data-chart="sales"] svg')).to_have_count(1)
    expect(page.locator('[data-chart="branches"] svg')).to_have_count(1)
    expect(page.locator('[data-chart="products"] svg')).to_have_count(1)
    expect(page.locator("input[name=start]")).to_be_hidden()
    sales_30 = page.locator('[data-chart="sales"] svg').inner_html()
    rows_30 = page.locator('[data-table="sales"] tbody tr').count()
    assert rows_30 == 30
    shot(page, "30-days")

    page.select_option("select[name=period]", "custom")
    expect(page.locator("input[name=start]")).to_be_visible()
    page.select_option("select[name=period]", "7d")
    page.click("[data-period-form] button[type=submit]")
    page.wait_for_url(lambda url: "period=7d" in url)
    expect(page.locator("select[name=period]")).to_have_value("7d")
    expect(page.locator("[data-total-orders]")).to_have_text("2")
    expect(page.locator("[data-total-gmv]")).to_have_text("¥37.50")
    expect(page.locator('[data-table="sales"] tbody tr')).to_have_count(7)
    expect(page.locator('[data-chart="sales"] svg')).to_have_count(1)
    assert page.locator('[data-chart="sales"] svg').inner_html() != sales_30
    expect(page.locator('[data-card="orders_paid"] strong')).to_have_text("2")
    shot(page, "7-days")

    # A bad custom period: the form says why, nothing breaks.
    page.select_option("select[name=period]", "custom")
    page.fill("input[name=start]", "2026-11-10")
    page.fill("input[name=end]", "2026-11-01")
    page.click("[data-period-form] button[type=submit]")
    expect(page.locator("[data-form-errors]")).to_contain_text("The end comes before the start.")
    expect(page.locator("input[name=start]")).to_have_value("2026-11-10")
    expect(page.locator("input[name=month]")).to_be_hidden()
    shot(page, "bad-period")

    phone = english_page(PHONE, is_mobile=True, has_touch=True)
    log_in(phone, owner.user.phone, PASSWORD)
    phone.goto(reverse("analytics_console:dashboard", args=[community.slug]))
    expect(phone.locator('[data-chart="sales"] svg')).to_have_count(1)
    chart_width = phone.locator('[data-chart="sales"]').bounding_box()["width"]
    section_width = phone.locator('[data-section="sales"]').bounding_box()["width"]
    assert chart_width > section_width - 40  # full width of its section
    # The page itself does not scroll sideways: wide tables scroll inside their box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(phone, "phone")


def test_the_owner_goes_through_every_analytics_page_keeping_the_period(english_page):
    community, owner = seeded_shop()
    page = english_page(CONSOLE)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, owner.user.phone, PASSWORD)
    page.goto(reverse("analytics_console:dashboard", args=[community.slug]) + "?period=7d")
    names = page.locator("[data-tabs] a").evaluate_all("links => links.map(a => a.dataset.tab)")
    assert names[0] == "overview" and {"funnel", "engagement", "crowdfunding", "prompts", "leaders"} <= set(names)
    for name in names[1:]:
        page.click(f'[data-tabs] a[data-tab="{name}"]')
        page.wait_for_url(lambda url, name=name: f"/analytics/{name}/" in url and "period=7d" in url)
        expect(page.locator(f'[data-tabs] a[data-tab="{name}"]')).to_have_attribute("aria-current", "page")
        expect(page.locator("select[name=period]")).to_have_value("7d")
        assert page.locator(".a-section").count() >= 1, name
        shot(page, f"tab-{name}")
    # The leaders page draws its chart from the branch's sales (the seeded orders).
    expect(page.locator('[data-chart] svg').first).to_be_visible()
    assert errors == []
