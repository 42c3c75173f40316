"""Member pages: ordering with the form token, paying, cancelling, wallet, team, pickup code."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from payments import services as payments_services
from orders.models import Order
from payments.models import Wallet
from tests.factories import ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


def order_post(group_buy, qty=2, token="tok-1", **extra):
    item = group_buy.items.first()
    data = {"token": token, f"qty_{item.pk}": qty, "fulfilment": "pickup",
            "pickup_point": group_buy.pickup_points.first().pk}
    data.update(extra)
    return data


def test_member_orders_from_the_round_page_and_a_double_tap_makes_one_order(client, owner, member):
    group_buy = make_group_buy(owner, price="12.00")
    client.force_login(member.user)
    url = reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk])
    page = client.get(url)
    assert page.status_code == 200 and group_buy.title in page.content.decode()

    first = client.post(url, order_post(group_buy))
    second = client.post(url, order_post(group_buy))

    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    order = Order.objects.get()
    assert order.total == Decimal("24.00") and order.member == member.user


def test_order_form_errors_are_shown_not_raised(client, owner, member):
    group_buy = make_group_buy(owner, offer=1)
    client.force_login(member.user)
    url = reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk])
    too_many = client.post(url, order_post(group_buy, qty=3))
    nothing = client.post(url, order_post(group_buy, qty=0, token="t2"))
    no_point = client.post(url, order_post(group_buy, qty=1, token="t3", pickup_point=""))
    for response in (too_many, nothing, no_point):
        assert response.status_code == 400 and response.context["form"].errors
    assert not Order.objects.exists()


def test_pay_from_wallet_then_see_the_pickup_code(client, owner, admin_member, member):
    group_buy = make_group_buy(owner, price="10.00")
    payments_services.wallet_top_up(actor=admin_member, member_user=member.user, amount=Decimal("15"))
    client.force_login(member.user)
    client.post(reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]), order_post(group_buy, qty=1))
    order = Order.objects.get()

    client.post(reverse("orders:order_pay", args=[owner.community.slug, order.pk]), {"method": "wallet"})

    order.refresh_from_db()
    assert order.status == "paid"
    page = client.get(order.get_absolute_url())
    assert order.pickup_code in page.content.decode()
    qr = client.get(reverse("orders:pickup_qr", args=[owner.community.slug, order.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    wallet_page = client.get(reverse("orders:wallet", args=[owner.community.slug]))
    assert Wallet.objects.get(member=member.user).balance == Decimal("5.00")
    assert "5.00" in wallet_page.content.decode()


def test_short_balance_shows_a_message_and_transfer_report(client, owner, member):
    group_buy = make_group_buy(owner, price="10.00")
    client.force_login(member.user)
    client.post(reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]), order_post(group_buy, qty=1))
    order = Order.objects.get()
    response = client.post(reverse("orders:order_pay", args=[owner.community.slug, order.pk]), {"method": "wallet"},
                           follow=True)
    assert any(m.level_tag == "error" for m in response.context["messages"])
    client.post(reverse("orders:order_pay", args=[owner.community.slug, order.pk]),
                {"method": "manual", "reference": "wx 1234"})
    assert order.charge.payments.get().reference == "wx 1234"
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_cancel_from_the_order_page(client, owner, member):
    group_buy = make_group_buy(owner)
    client.force_login(member.user)
    client.post(reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]), order_post(group_buy))
    order = Order.objects.get()
    client.post(reverse("orders:order_cancel", args=[owner.community.slug, order.pk]))
    order.refresh_from_db()
    assert order.status == "cancelled" and group_buy.items.get().quantity_sold == 0


def test_someone_elses_order_is_not_found(client, owner, member, leader):
    group_buy = make_group_buy(owner)
    client.force_login(member.user)
    client.post(reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]), order_post(group_buy))
    order = Order.objects.get()
    client.force_login(leader.user)
    for name in ("orders:order", "orders:pickup_qr"):
        assert client.get(reverse(name, args=[owner.community.slug, order.pk])).status_code == 404
    for name in ("orders:order_pay", "orders:order_cancel"):
        assert client.post(reverse(name, args=[owner.community.slug, order.pk]), {"method": "wallet"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_team_page_and_join_link(client, owner, member, leader):
    group_buy = make_group_buy(owner, mode="team", team_size=2)
    client.force_login(member.user)
    client.post(reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]),
                order_post(group_buy, qty=1, team_action="open"))
    team = Order.objects.get().team
    page = client.get(team.get_absolute_url())
    assert page.status_code == 200 and page.context["mine"]
    client.force_login(leader.user)
    join_page = client.get(reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]) + f"?team={team.code}")
    assert join_page.context["team"] == team
    client.post(reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]),
                order_post(group_buy, qty=1, token="t-join", team_action="join", team=team.code))
    team.refresh_from_db()
    assert team.member_count == 2


def test_lists_do_not_grow_queries_with_rows(client, owner, member, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def home_queries():
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("communities:home", args=[owner.community.slug]))
        return len(queries)

    make_group_buy(owner, title="Round 0", products=[ProductFactory(community=owner.community)])
    client.force_login(member.user)
    with_one = home_queries()
    for i in range(1, 6):
        make_group_buy(owner, title=f"Round {i}", products=[ProductFactory(community=owner.community)])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:group_buys", args=[owner.community.slug]))
    assert len(response.context["open_rounds"]) == 6
    # The home page lists rounds, campaigns, collections, events, posts and polls (one query more
    # per kind, never per row) and the member's points card (two).
    assert home_queries() == with_one <= 20


def test_rounds_for_other_branches_are_hidden(client, owner, member):
    from communities.models import Community

    east = Community.objects.create(parent=owner.community, name="East", slug="east-x")
    group_buy = make_group_buy(owner, branch_ids=[east.pk])
    client.force_login(member.user)
    response = client.get(reverse("orders:group_buys", args=[owner.community.slug]))
    assert group_buy not in response.context["open_rounds"]


def test_member_pages_stay_light(client, owner, member):
    """DESIGN: at most 60 KB transferred for a member page (HTML, CSS, JS; images excluded)."""
    from django.contrib.staticfiles import finders

    group_buy = make_group_buy(owner)
    client.force_login(member.user)
    css = len(open(finders.find("css/app.css"), "rb").read())
    for url in (reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk]),
                reverse("communities:home", args=[owner.community.slug]),
                reverse("orders:group_buys", args=[owner.community.slug])):
        html = client.get(url).content
        assert len(html) + css < 60 * 1024, (url, len(html), css)
