"""Partner shops in a browser (desktop): a supplier signs up as a partner and asks a community to
connect; the community's admin accepts in the console; the partner creates an API key (shown once)
and a webhook endpoint. Then the admin reviews a pushed product and reads the webhook log.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Product
from partners.models import ApiKey, Connection, Partner, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.branches import fresh
from tests.e2e.conftest import log_in
from tests.e2e.test_polls import fits, shot
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONSOLE = {"width": 1280, "height": 900}


def world(language="en"):
    community = CommunityFactory(name="Sunny Garden", slug="sunny-garden", timezone="Asia/Shanghai")
    admin = fresh(MembershipFactory(community=community, role="admin",
                                    user=UserFactory(display_name="Admin Wang", language=language)))
    supplier = UserFactory(display_name="Farmer Li", language=language)
    return community, admin, supplier


def test_a_partner_signs_up_connects_and_sets_up_its_system(english):
    community, admin, supplier = world()
    page = english(CONSOLE)
    log_in(page, supplier.phone, PASSWORD)

    # Sign up.
    page.goto(reverse("partners:home"))
    shot(page, "partner-home-empty")
    page.click("[data-signup]")
    page.click("[data-signup-form] button[type=submit]")  # empty: a form error, nothing made
    expect(page.locator("[data-signup-form] .error")).to_be_visible()
    shot(page, "partner-signup-error")
    page.fill("input[name=name]", "Green Valley Farm")
    page.fill("input[name=contact_email]", "orders@greenvalley.example")
    page.fill("textarea[name=description]", "Organic vegetables, delivered twice a week.")
    page.click("[data-signup-form] button[type=submit]")
    expect(page.locator("[data-partner-name]")).to_have_text("Green Valley Farm")
    partner = Partner.objects.get()

    # Ask to connect.
    page.fill("[data-connect-form] input[name=community]", "sunny-garden")
    page.fill("[data-connect-form] textarea[name=message]", "We deliver to your pickup points on Tuesdays.")
    page.click("[data-connect-form] button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Sunny Garden")
    expect(page.locator("[data-connections] [data-status=requested]")).to_be_visible()
    assert fits(page, CONSOLE["width"])
    shot(page, "partner-connections-requested")

    # The admin accepts, asking to review pushed products.
    admin_page = english(CONSOLE)
    log_in(admin_page, admin.user.phone, PASSWORD)
    admin_page.goto(reverse("partners_console:partners", kwargs={"slug": community.slug}))
    request_row = admin_page.locator("[data-request]")
    expect(request_row).to_contain_text("Green Valley Farm")
    expect(request_row).to_contain_text("Tuesdays")
    shot(admin_page, "community-partners-request")
    request_row.locator("[data-accept]").click()
    expect(admin_page.locator("[data-active] [data-connection]")).to_contain_text("Green Valley Farm")
    expect(admin_page.locator("[data-active]")).to_contain_text("reviewed before sale")
    admin_page.goto(reverse("partners_console:partners", kwargs={"slug": community.slug}) + "?q=nothing")
    shot(admin_page, "community-partners-active")
    connection = Connection.objects.get()
    assert connection.status == "active" and connection.review_products

    # The partner creates a key: shown once.
    page.goto(reverse("partners:partner", kwargs={"partner_slug": partner.slug}))
    expect(page.locator("[data-connections] [data-status=active]")).to_be_visible()
    page.click("text=API keys")
    page.click("[data-new-key]")
    page.fill("[data-key-form] input[name=name]", "ERP")
    page.check("input[name=scopes][value=write_products]")
    page.check("input[name=scopes][value=read_rounds]")
    page.check(f"input[name=communities][value='{community.pk}']")
    page.fill("input[name=expires_on]", (timezone.localdate() + timedelta(days=90)).isoformat())
    shot(page, "partner-key-new")
    page.click("[data-key-form] button[type=submit]")
    full_key = page.locator("[data-full-key]").input_value()
    assert full_key.startswith("sqp_live_")
    api_key = ApiKey.objects.get()
    assert ApiKey.hash_key(full_key) == api_key.key_hash
    shot(page, "partner-key-shown")
    page.reload()
    expect(page.locator("[data-key-gone]")).to_be_visible()
    assert full_key not in page.content()
    page.click("text=Back to the keys")
    expect(page.locator(f'[data-key="{api_key.pk}"]')).to_contain_text("Push products and stock")
    shot(page, "partner-keys")

    # And an endpoint.
    page.click("text=Webhooks")
    page.click("[data-new-endpoint]")
    page.fill("[data-endpoint-form] input[name=url]", "http://127.0.0.1:9/shequn/hooks")
    page.fill("[data-endpoint-form] input[name=description]", "Orders into the ERP")
    page.check("input[name=events][value='order.paid']")
    page.check("input[name=events][value='product.approved']")
    shot(page, "partner-endpoint-new")
    page.click("[data-endpoint-form] button[type=submit]")
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["order.paid", "product.approved"]
    page.click("[data-secret] summary")
    expect(page.locator("[data-secret-value]")).to_have_text(endpoint.secret)

    # A delivery failed: the log shows it and it can be sent again.
    event = WebhookEvent.objects.create(partner=partner, community=community, type="order.paid", source_event_id=1,
                                        data={})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, partner=partner, community=community,
                                              status="failed", attempts=12, response_status=503,
                                              last_attempt_at=timezone.now(), duration_ms=230, error="HTTP 503")
    page.reload()
    expect(page.locator(f'[data-delivery="{delivery.pk}"]')).to_contain_text("503")
    shot(page, "partner-endpoint")
    page.locator(f'[data-delivery="{delivery.pk}"] [data-redeliver]').click()
    expect(page.locator(".messages")).to_contain_text("sent again")
    page.click("text=Webhooks")
    shot(page, "partner-endpoints")
    page.click("text=Staff")
    shot(page, "partner-staff")
    page.goto(reverse("partners:home"))
    shot(page, "partner-home")

    # The admin reviews a pushed product and reads the log.
    product = Product.objects.create(community=community, supplier=connection.supplier, supplier_sku="KALE-500",
                                     name="Kale, 500 g", unit="bag", list_price="8.50", review="pending",
                                     is_active=False)
    admin_page.goto(reverse("partners_console:products", kwargs={"slug": community.slug}))
    shot(admin_page, "community-partner-products")
    admin_page.locator(f'[data-product="{product.pk}"] [data-approve]').click()
    expect(admin_page.locator(".messages")).to_contain_text("approved")
    product.refresh_from_db()
    assert product.review == "approved" and product.is_active
    admin_page.goto(reverse("partners_console:deliveries", kwargs={"slug": community.slug}))
    expect(admin_page.locator(f'[data-delivery="{delivery.pk}"]')).to_contain_text("Green Valley Farm")
    shot(admin_page, "community-partner-deliveries")
    assert fits(admin_page, CONSOLE["width"])
