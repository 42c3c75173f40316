"""Money and timezones read the same way on member and console pages (issue 8)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from core.timezones import timezone_name
from payments import services as payments_services
from tests.factories import make_group_buy

pytestmark = pytest.mark.django_db


def test_zone_names_are_words_not_identifiers():
    with translation.override("en"):
        assert timezone_name("Asia/Shanghai") == "China time (Shanghai)"
        assert timezone_name("America/Port_of_Spain") == "America/Port of Spain"
    with translation.override("zh-hans"):
        assert timezone_name("Asia/Shanghai") == "北京时间（上海）"


def test_console_pages_show_money_with_its_sign_and_two_decimals_like_member_pages(client, owner, admin_member,
                                                                                  member):
    payments_services.wallet_top_up(actor=admin_member, member_user=member.user, amount=Decimal("1234.5"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(owner.user)
    console = client.get(reverse("orders_console:wallets", args=[owner.community.slug])).content.decode()
    client.force_login(member.user)
    mine = client.get(reverse("orders:wallet", args=[owner.community.slug])).content.decode()
    assert "¥1,234.50" in console and "1234.50 CNY" not in console and "¥1,234.50" in mine


def test_console_round_pages_name_the_timezone_in_words(client, owner):
    make_group_buy(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(owner.user)
    html = client.get(reverse("orders_console:group_buys", args=[owner.community.slug])).content.decode()
    assert "China time (Shanghai)" in html and "Asia/Shanghai" not in html
    settings_page = client.get(reverse("console:settings", args=[owner.community.slug])).content.decode()
    assert '<option value="Asia/Shanghai" selected>China time (Shanghai)</option>' in settings_page
