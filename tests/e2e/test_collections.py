"""Split the bill (AA收款) on a phone: an organizer starts a collection among three, one member pays
for another from their wallet (代付), and both see the share paid.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

import os
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crowdfunding.models import Collection
from payments import services as payments
from tests.e2e.conftest import PHONE, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name):
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"e2e-{name}.png"), full_page=True)


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_organizer_splits_among_three_and_a_friend_pays_for_another(english):
    community = CommunityFactory(name="Sunny Garden")
    organizer = MembershipFactory(community=community, role="owner",
                                  user=UserFactory(display_name="Organizer Li", language="en"))
    zhang = MembershipFactory(community=community, user=UserFactory(display_name="Member Zhang", language="en"))
    wang = MembershipFactory(community=community, user=UserFactory(display_name="Member Wang", language="en"))
    for m in (organizer, zhang, wang):
        payments.wallet_top_up(actor=organizer, member_user=m.user, amount="100")

    # The organizer starts the collection on their phone.
    phone = english(PHONE)
    log_in(phone, organizer.user.phone, PASSWORD)
    phone.goto(reverse("crowdfunding:collection_new", kwargs={"slug": community.slug}))
    phone.fill("input[name=title]", "Hotpot dinner")
    phone.fill("input[name=amount]", "100")
    for m in (organizer, zhang, wang):
        phone.check(f"input[name=participant][value='{m.user_id}']")
    shot(phone, "collection-new")
    assert fits_the_phone(phone)
    phone.click("button:has-text('Start collecting')")
    expect(phone.locator("[data-status]")).to_have_text("Collecting")
    expect(phone.locator("[data-paid-count]")).to_have_text("0/3 paid")
    collection = Collection.objects.get()
    assert sorted(collection.shares.values_list("amount", flat=True)) == [Decimal("33.33"), Decimal("33.33"),
                                                                         Decimal("33.34")]

    # Zhang opens it and pays for Wang from the wallet (代付).
    friend = english(PHONE)
    log_in(friend, zhang.user.phone, PASSWORD)
    friend.goto(collection.get_absolute_url())
    expect(friend.locator("[data-my-share]")).to_be_visible()
    friend.click("button:has-text('Pay for Member Wang')")
    expect(friend.locator(".messages")).to_contain_text("Paid from your wallet")
    wang_row = friend.locator("[data-participant='Member Wang']")
    expect(wang_row.locator("[data-share-status]")).to_have_text("Paid")
    expect(wang_row.locator("[data-paid-by]")).to_contain_text("paid by Member Zhang")
    expect(friend.locator("[data-paid-count]")).to_have_text("1/3 paid")
    shot(friend, "collection-paid-for")
    assert fits_the_phone(friend)

    # Wang sees the share paid for them: nothing left to pay.
    other = english(PHONE)
    log_in(other, wang.user.phone, PASSWORD)
    other.goto(collection.get_absolute_url())
    mine = other.locator("[data-participant='Member Wang']")
    expect(mine.locator("[data-share-status]")).to_have_text("Paid")
    expect(mine.locator("[data-paid-by]")).to_contain_text("Member Zhang")
    expect(other.locator("[data-my-share]")).to_have_count(0)
    # The organizer sees it too.
    phone.reload()
    expect(phone.locator("[data-participant='Member Wang'] [data-share-status]")).to_have_text("Paid")

    balances = {w.member_id: w.balance for w in community.wallets.all()}
    assert balances[zhang.user_id] == Decimal("100") - collection.shares.get(participant=wang.user).amount
    assert balances[wang.user_id] == Decimal("100")
