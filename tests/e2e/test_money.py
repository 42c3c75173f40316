"""Money by hand in a real browser (English UI): a member reports a transfer on their phone and an admin
declines then confirms it; an admin refunds a transfer payer and records the refund as paid back.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders import services
from orders.models import Order
from payments.models import Refund
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)

MEMBER_PAGE_BUDGET = 60 * 1024  # DESIGN.md: member pages stay under 60 KB (HTML, CSS, JS; images aside)


def shot(page, name):
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"e2e-{name}.png"), full_page=True)


def page_weight(page) -> int:
    """Bytes of the page's HTML, CSS and JS as loaded (images aside)."""
    return page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const rest = performance.getEntriesByType('resource').filter(r => r.initiatorType !== 'img');
        return [nav, ...rest].reduce((sum, r) => sum + (r.decodedBodySize || 0), 0);
    }""")


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def shop():
    community = CommunityFactory(name="Sunny Garden")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    # The member reads English: notices are written in the recipient's language.
    member = MembershipFactory(community=community, role="member",
                               user=UserFactory(display_name="Member Zhang", language="en"))
    community.payment_instructions = "WeChat Pay to Owner Wang (wxid sunny-garden), note your order number."
    community.save(update_fields=["payment_instructions"])
    product = ProductFactory(community=community, name="Mango box", unit="box")
    group_buy = make_group_buy(owner, products=[product], price="45.00", offer=50, title="Weekend mangoes")
    return community, owner, member, group_buy


def place(member, group_buy, quantity=2, key="first"):
    item = group_buy.items.get()
    point = group_buy.pickup_points.get()
    order, _created = services.order_place(member=member, group_buy=group_buy, lines=[(item.pk, quantity)],
                                           idempotency_key=key, pickup_point_id=point.pk)
    return order


def report_transfer(phone, reference):
    phone.fill("input[name=reference]", reference)
    phone.click("button:has-text('I have paid by transfer')")
    expect(phone.locator(".messages")).to_contain_text("An admin will confirm your transfer")


def test_admin_declines_a_reported_transfer_then_confirms_the_next_one(english):
    community, owner, member, group_buy = shop()
    order = place(member, group_buy)

    # The member's wallet is empty: they pay by transfer and say so on their phone.
    phone = english(PHONE)
    log_in(phone, member.user.phone, PASSWORD)
    phone.goto(order.get_absolute_url())
    expect(phone.locator("[data-status]")).to_have_text("Awaiting payment")
    report_transfer(phone, "WeChat 8841")
    pay = phone.locator("section.pay")
    expect(pay).to_contain_text("waiting for an admin to confirm")
    expect(pay).to_contain_text("“WeChat 8841”")
    expect(pay.locator("button")).to_have_count(0)  # nothing more to pay with while the admin checks
    expect(pay).not_to_contain_text("or the order is cancelled")  # a reported transfer does not expire
    assert fits_the_phone(phone)
    assert page_weight(phone) < MEMBER_PAGE_BUDGET
    shot(phone, "phone-order-reported")

    # The admin finds it behind the "transfers reported" tile and did not receive it.
    admin = english(DESKTOP)
    log_in(admin, owner.user.email, PASSWORD)
    admin.goto(f"/console/{community.slug}/orders/")
    tile = admin.locator(".tile", has_text="transfers reported, to confirm")
    expect(tile.locator("strong")).to_have_text("1")
    tile.click()
    expect(admin.locator("select[name=method]")).to_have_value("reported")
    row = admin.locator(f"tr[data-order='{order.pk}']")
    expect(row).to_contain_text("transfer reported")
    expect(row).to_contain_text("WeChat 8841")
    shot(admin, "desktop-orders-reported")
    row.locator("button:has-text('Not received')").click()
    expect(admin.locator(".messages")).to_contain_text(f"order #{order.pk} of Member Zhang was marked not received")
    expect(admin.locator("tr[data-order]")).to_have_count(0)  # still filtered on reported transfers

    # The member can pay again, and their inbox says why.
    phone.reload()
    expect(phone.locator("[data-status]")).to_have_text("Awaiting payment")
    expect(pay.locator("[data-declined]")).to_contain_text("Your transfer for Weekend mangoes was not received")
    expect(pay).to_contain_text("or the order is cancelled")
    shot(phone, "phone-order-declined")
    expect(pay.locator("button:has-text('I have paid by transfer')")).to_be_visible()
    expect(phone.locator(".inbox-link .badge")).to_have_text("1")
    phone.click(".inbox-link")
    notice = phone.locator(".list-item").first
    expect(notice).to_contain_text("Your transfer for Weekend mangoes was not received")
    expect(notice).to_contain_text("could not find your transfer of 90.00")

    # They transfer again; this time the money is there.
    notice.locator("a").click()
    report_transfer(phone, "WeChat 9902")
    admin.reload()
    row.locator("button:has-text('Mark received')").click()
    expect(admin.locator(".messages")).to_contain_text("1 order marked as paid.")

    phone.reload()
    expect(phone.locator("[data-status]")).to_have_text("Paid")
    expect(phone.locator("section.pay")).to_have_count(0)
    expect(phone.locator("[data-code]")).to_have_text(Order.objects.get(pk=order.pk).pickup_code)


def test_admin_refunds_a_transfer_payer_and_records_the_refund_paid_back(english):
    community, owner, member, group_buy = shop()
    order = place(member, group_buy)
    # A few other refunds already owed, so the list has rows to tell apart.
    for n, name in enumerate(["Neighbour Chen", "Auntie Liu"]):
        other = MembershipFactory(community=community, role="member", user=UserFactory(display_name=name))
        other_order = place(other, group_buy, quantity=n + 1, key=f"other-{n}")
        services.order_report_transfer(member=other, order=other_order, reference=f"Alipay {n}")
        services.payments_mark_received(actor=owner, orders=[other_order])
        services.order_refund(actor=owner, order=other_order)

    phone = english(PHONE)
    log_in(phone, member.user.phone, PASSWORD)
    phone.goto(order.get_absolute_url())
    report_transfer(phone, "WeChat 8841")

    admin = english(DESKTOP)
    log_in(admin, owner.user.email, PASSWORD)
    admin.goto(f"/console/{community.slug}/orders/?method=reported")
    admin.locator(f"tr[data-order='{order.pk}'] button:has-text('Mark received')").click()
    expect(admin.locator(".messages")).to_contain_text("1 order marked as paid.")

    # The round's page: the admin refunds the order in full.
    admin.goto(f"/console/{community.slug}/group-buys/{group_buy.pk}/")
    row = admin.locator(f"tr[data-order='{order.pk}']")
    row.locator("input[name=reason]").fill("Mangoes bruised")
    admin.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Refund')").click()
    expect(admin.locator(".messages")).to_contain_text(f"Order #{order.pk} of Member Zhang was refunded.")

    # It is owed by hand: listed with the others on "Refunds owed".
    admin.click(".sidenav >> text=Refunds owed")
    expect(admin.locator(".page-head")).to_contain_text("3 refunds to pay back")
    refund = Refund.objects.get(charge__order=order)
    row = admin.locator(f"tr[data-refund='{refund.pk}']")
    expect(row).to_contain_text("Member Zhang")
    expect(row).to_contain_text("Refunded by an admin")
    expect(row).to_contain_text("90.00")
    expect(row).to_contain_text("to pay back")
    shot(admin, "desktop-refunds-owed")

    phone.reload()
    refunds_card = phone.locator("section.refunds")
    expect(refunds_card).to_contain_text("90.00")
    expect(refunds_card).to_contain_text("to be paid back to you by hand")
    assert fits_the_phone(phone)
    assert page_weight(phone) < MEMBER_PAGE_BUDGET
    shot(phone, "phone-order-refund-owed")

    # The admin pays it back by WeChat, then records it with a reference.
    ticks = admin.locator("tbody input[name=refund]")
    admin.check("thead input[type=checkbox]")
    assert all(tick.is_checked() for tick in ticks.all()) and ticks.count() == 3
    admin.uncheck("thead input[type=checkbox]")
    assert not any(tick.is_checked() for tick in ticks.all())
    row.locator("input[name=refund]").check()
    admin.fill("input[name=reference]", "WeChat refund 6-3")
    admin.click("button:has-text('Record ticked refunds as paid back')")
    expect(admin.locator(".messages")).to_contain_text("1 refund recorded as paid back; the member was told.")
    expect(row).to_have_count(0)
    expect(admin.locator(".page-head")).to_contain_text("2 refunds to pay back")
    admin.select_option("select[name=status]", "done")
    admin.click("form.filters button:has-text('Filter')")
    row = admin.locator(f"tr[data-refund='{refund.pk}']")
    expect(row).to_contain_text("paid back")
    expect(row).to_contain_text("WeChat refund 6-3")
    expect(row.locator("input[type=checkbox]")).to_have_count(0)
    shot(admin, "desktop-refunds-paid-back")

    phone.reload()
    expect(phone.locator("[data-status]")).to_have_text("Refunded")
    expect(refunds_card).to_contain_text("paid back")
    expect(refunds_card).not_to_contain_text("to be paid back")
    expect(phone.locator(".inbox-link .badge")).to_have_text("2")  # payment received, then paid back
    assert fits_the_phone(phone)
    shot(phone, "phone-order-refund-paid-back")
    phone.click(".inbox-link")
    expect(phone.locator(".list-item").first).to_contain_text("90.00 was paid back to you")
    expect(phone.locator(".list-item").first).to_contain_text("WeChat refund 6-3")
    expect(phone.locator(".list-item").nth(1)).to_contain_text("Payment received: ¥90.00")
