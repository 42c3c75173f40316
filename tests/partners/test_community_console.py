"""The community console's partner pages: requests to connect (accept/refuse with the review choice),
active connections (review toggle, end), inviting a partner found by name, pushed products to
review, and the webhook log of the community's events. Admins and the owner only: a leader or a
member gets 403, another community's admin 404 (and another community's objects are 404), and
nothing changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Product
from core.models import AuditLog
from partners import services
from partners.models import Connection, WebhookDelivery
from tests.factories import UserFactory
from tests.partners.test_partner_console import browser, make_delivery


def url(name, community, **kwargs):
    return reverse(f"partners_console:{name}", kwargs={"slug": community.slug, **kwargs})


def pending_product(connection, sku="PEAR-1", **fields) -> Product:
    fields.setdefault("name", f"Pushed {sku}")
    return Product.objects.create(community=connection.community, supplier=connection.supplier, supplier_sku=sku,
                                  unit="box", list_price="12.00", review="pending", is_active=False, **fields)




def _state():
    return (list(Connection.objects.values_list("pk", "status", "review_products").order_by("pk")),
            list(Product.objects.values_list("pk", "review", "is_active").order_by("pk")),
            list(WebhookDelivery.objects.values_list("pk", "status", "next_attempt_at").order_by("pk")))


@pytest.mark.django_db
def test_the_admin_sees_a_request_and_accepts_it_with_review(asked, admin_member, community, partner):
    client = browser(admin_member.user)
    page = client.get(url("partners", community)).content.decode()
    assert f'data-request="{asked.pk}"' in page and "Fresh pears" in page and partner.name in page
    response = client.post(url("connection_decide", community, pk=asked.pk), {"accept": "1", "review_products": "1"})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == "active" and asked.review_products and asked.supplier.community == community
    assert AuditLog.objects.filter(action="partner.connected").exists()
    page = client.get(url("partners", community)).content.decode()
    assert f'data-connection="{asked.pk}"' in page


@pytest.mark.django_db
def test_accepting_without_review(asked, owner, community):
    browser(owner.user).post(url("connection_decide", community, pk=asked.pk), {"accept": "1"})
    asked.refresh_from_db()
    assert asked.status == "active" and not asked.review_products


@pytest.mark.django_db
def test_the_admin_refuses_and_a_replay_changes_nothing(asked, admin_member, community):
    client = browser(admin_member.user)
    client.post(url("connection_decide", community, pk=asked.pk), {"accept": "0"})
    asked.refresh_from_db()
    assert asked.status == "refused"
    response = client.post(url("connection_decide", community, pk=asked.pk), {"accept": "1"}, follow=True)
    asked.refresh_from_db()
    assert asked.status == "refused" and b"already decided" in response.content


@pytest.mark.django_db
def test_review_toggle_and_end(connection, admin_member, community):
    client = browser(admin_member.user)
    client.post(url("connection_review", community, pk=connection.pk), {"review_products": "0"})
    connection.refresh_from_db()
    assert not connection.review_products
    client.post(url("connection_review", community, pk=connection.pk), {"review_products": "1"})
    connection.refresh_from_db()
    assert connection.review_products
    client.post(url("connection_end", community, pk=connection.pk))
    connection.refresh_from_db()
    assert connection.status == "ended"


@pytest.mark.django_db
def test_the_admin_finds_a_partner_by_name_and_invites_it(partner, admin_member, community):
    client = browser(admin_member.user)
    page = client.get(url("partners", community), {"q": "green"}).content.decode()
    assert f'data-found-partner="{partner.pk}"' in page
    client.post(url("invite", community), {"partner": str(partner.pk), "review_products": "1"})
    connection = Connection.objects.get(partner=partner, community=community)
    assert connection.status == "invited"
    # Invited already: not offered again.
    page = client.get(url("partners", community), {"q": "green"}).content.decode()
    assert f'data-found-partner="{partner.pk}"' not in page and f'data-invited-connection="{connection.pk}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["x" * 81, "nothing-like-it"])
def test_a_search_with_nothing_found(partner, admin_member, community, q):
    response = browser(admin_member.user).get(url("partners", community), {"q": q})
    assert response.status_code == 200 and f'data-found-partner="{partner.pk}"' not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "abc", "٣", "99999999999999999999999", "0"])
def test_inviting_nobody_changes_nothing(admin_member, community, value):
    browser(admin_member.user).post(url("invite", community), {"partner": value})
    assert not Connection.objects.exists()


@pytest.mark.django_db
def test_pushed_products_are_approved_or_rejected(connection, admin_member, community):
    pear, plum = pending_product(connection, "PEAR-1"), pending_product(connection, "PLUM-1")
    client = browser(admin_member.user)
    page = client.get(url("products", community)).content.decode()
    assert f'data-product="{pear.pk}"' in page and "PLUM-1" in page
    client.post(url("product_review", community, pk=pear.pk), {"approve": "1"})
    client.post(url("product_review", community, pk=plum.pk), {"approve": "0", "note": "too dear"})
    pear.refresh_from_db()
    plum.refresh_from_db()
    assert (pear.review, pear.is_active) == ("approved", True)
    assert (plum.review, plum.is_active) == ("rejected", False)
    assert "Nothing to review" in client.get(url("products", community)).content.decode()


@pytest.mark.django_db
def test_the_webhook_log_and_redelivery(connection, staff, admin_member, community, receiver):
    endpoint = services.endpoint_create(actor=staff, url=receiver.url, events=["order.paid"])
    delivery = make_delivery(endpoint, community)
    client = browser(admin_member.user)
    page = client.get(url("deliveries", community)).content.decode()
    assert delivery.event.public_id in page and connection.partner.name in page
    client.post(url("delivery_redeliver", community, pk=delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == "pending"


# Who may --------------------------------------------------------------------------------------------

def _routes(community, connection, product, delivery):
    gets = [url("partners", community), url("products", community), url("deliveries", community)]
    posts = [
        (url("connection_decide", community, pk=connection.pk), {"accept": "1"}),
        (url("connection_review", community, pk=connection.pk), {"review_products": "0"}),
        (url("connection_end", community, pk=connection.pk), {}),
        (url("invite", community), {"partner": str(connection.partner_id)}),
        (url("product_review", community, pk=product.pk), {"approve": "1"}),
        (url("delivery_redeliver", community, pk=delivery.pk), {}),
    ]
    return gets, posts


@pytest.mark.django_db
def test_leaders_members_and_strangers_are_kept_out(connection, staff, community, leader, member, partner_owner,
                                                    elsewhere):
    product = pending_product(connection)
    endpoint = services.endpoint_create(actor=staff, url="http://127.0.0.1:9/x", events=["order.paid"])
    delivery = make_delivery(endpoint, community)
    gets, posts = _routes(community, connection, product, delivery)
    _far, far_admin, _far_connection = elsewhere
    before = _state()
    for user, status in ((leader.user, 403), (member.user, 403), (partner_owner, 404), (far_admin.user, 404),
                         (UserFactory(), 404)):
        client = browser(user)
        for page in gets:
            assert client.get(page).status_code == status, (user, page)
        for page, data in posts:
            assert client.post(page, data).status_code == status, (user, page)
    assert _state() == before


@pytest.mark.django_db
def test_another_communitys_objects_are_404_to_an_admin(connection, staff, admin_member, community, elsewhere):
    far, _far_admin, far_connection = elsewhere
    far_product = pending_product(far_connection, "FAR-1")
    far_staff = far_connection.partner.staff.get()
    far_endpoint = services.endpoint_create(actor=far_staff, url="http://127.0.0.1:9/f", events=["order.paid"])
    far_delivery = make_delivery(far_endpoint, far, source=7)
    _gets, posts = _routes(community, far_connection, far_product, far_delivery)
    client = browser(admin_member.user)
    before = _state()
    for page, data in posts:
        if "/invite/" in page:
            continue  # a partner id is global: inviting one is allowed (covered above)
        assert client.post(page, data).status_code == 404, page
    assert _state() == before
    assert far_connection.partner.name not in client.get(url("partners", community)).content.decode()
    assert far_delivery.event.public_id not in client.get(url("deliveries", community)).content.decode()
    assert "FAR-1" not in client.get(url("products", community)).content.decode()


@pytest.mark.django_db
def test_console_posts_need_the_csrf_token(asked, admin_member, community):
    client = browser(admin_member.user, enforce_csrf_checks=True)
    assert client.post(url("connection_decide", community, pk=asked.pk), {"accept": "1"}).status_code == 403
    asked.refresh_from_db()
    assert asked.status == "requested"


@pytest.mark.django_db
def test_the_nav_links_the_page_for_admins_only(admin_member, leader, community):
    link = url("partners", community)
    assert link in browser(admin_member.user).get(url("partners", community)).content.decode()
    leader_page = browser(leader.user).get(reverse("console:dashboard", kwargs={"slug": community.slug}))
    assert link not in leader_page.content.decode()
