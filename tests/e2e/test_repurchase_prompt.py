"""定时复购提醒 on a phone: a member who bought two boxes of eggs nine days ago finds the prompt in
their inbox, taps it, lands on this week's round with two boxes in the basket (``?basket=`` and
the round form's ``qty_<item>``), taps "Place order" and sees their order.

Also the "stop reminding me" page of the same prompt. Set E2E_SCREENSHOTS to a directory (e.g.
/tmp) to save the pages looked at along the way."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core.models import NotificationOptOut
from core.sweeps import sweep_run
from engagement.models import RepurchasePrompt
from orders.models import Order, PickupPoint
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.e2e.test_polls import fits, shot
from tests.engagement.test_repurchase import buy
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)


def member_due_for_eggs():
    community = CommunityFactory(name="Sunny Garden", timezone="Asia/Shanghai")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    member = MembershipFactory(community=community, role="member",
                               user=UserFactory(display_name="Member Zhang", language="en"))
    point = PickupPoint.objects.create(community=community, name="East gate", address="Building 1")
    eggs = ProductFactory(community=community, name="Free-range eggs", unit="box", consumption_cycle_days=10)
    now = timezone.now()
    buy(owner, member, eggs, 2, completed_at=now - timedelta(days=18))  # 2 × 10 × 0.85 = 17 days: due yesterday
    round_ = make_group_buy(owner, products=[eggs], price="32.00", point=point, title="This week's eggs")
    # Prompts go out from 10:00 in the community's timezone: run the sweep then if it is earlier now.
    tz = zoneinfo.ZoneInfo(community.timezone)
    ten = datetime.combine(timezone.localtime(now, tz).date(), time(10, 30), tzinfo=tz)
    with time_machine.travel(max(now, ten), tick=False):
        assert sweep_run("engagement.repurchase_prompts").settled == 1
    return community, member, round_, RepurchasePrompt.objects.get()


def test_a_member_opens_the_prompt_from_the_inbox_and_orders_again_in_one_tap(english):
    community, member, round_, prompt = member_due_for_eggs()
    page = english(PHONE)
    log_in(page, member.user.phone, PASSWORD)
    page.goto(reverse("inbox"))
    notice = page.locator("a", has_text="Running low on Free-range eggs?")
    expect(notice).to_be_visible()
    shot(page, "repurchase-inbox")
    assert fits(page, PHONE["width"])

    notice.click()
    page.wait_for_url(f"**/buy/{round_.pk}/?basket={prompt.item_id}x2")
    item = round_.items.get()
    expect(page.locator(f"input[name=qty_{item.pk}]")).to_have_value("2")  # the basket, prefilled
    expect(page.locator(".buy-button")).to_contain_text("¥64.00")
    shot(page, "repurchase-round")
    assert fits(page, PHONE["width"])
    prompt.refresh_from_db()
    assert prompt.opened_at is not None

    page.click(".buy-button")
    expect(page.locator("h1")).to_contain_text("Awaiting payment")
    order = Order.objects.get(member=member.user, group_buy=round_)
    assert order.lines.get().quantity == 2
    shot(page, "repurchase-order")


def test_the_stop_link_of_the_notice_asks_then_stops_the_reminders(english):
    community, member, round_, prompt = member_due_for_eggs()
    page = english(PHONE)
    log_in(page, member.user.phone, PASSWORD)
    page.goto(reverse("engagement:repurchase_stop", kwargs={"slug": community.slug, "prompt_id": prompt.pk}))
    expect(page.locator("[data-stop]")).to_be_visible()
    shot(page, "repurchase-stop")
    assert fits(page, PHONE["width"])
    assert not NotificationOptOut.objects.filter(user=member.user).exists()
    page.click("[data-stop]")
    expect(page.locator("[data-stopped]")).to_be_visible()
    shot(page, "repurchase-stopped")
    assert NotificationOptOut.objects.filter(user=member.user, kind="repurchase_prompt", channel="all").exists()


def test_an_admin_sees_the_prompts_sent_and_who_opened_them(english):
    community, member, round_, prompt = member_due_for_eggs()
    admin = MembershipFactory(community=community, role="admin", user=UserFactory(display_name="Admin Li"))
    prompt.opened_at = timezone.now()
    prompt.save(update_fields=["opened_at"])
    page = english(DESKTOP)
    log_in(page, admin.user.phone, PASSWORD)
    page.goto(reverse("engagement_console:repurchase", kwargs={"slug": community.slug}))
    expect(page.locator("[data-sent]")).to_have_text("1")
    expect(page.locator("[data-opened]")).to_have_text("1")
    expect(page.locator(f"[data-prompt='{prompt.pk}']")).to_contain_text("Member Zhang")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Repurchase prompts")
    shot(page, "repurchase-console")
