"""Every partner API route × every way a key can be wrong (issue 13's matrices).

Routes are read from the URLconf (partners.api.urls), so a route added later is covered without
editing this file; each route's methods come from its view. For each route and method:
- no key, a malformed key, a revoked key, an expired key → 401;
- a key lacking the route's scope (all the others granted) → 403 ``missing_scope`` naming it;
- another partner's key (every scope; connected to another community only) → 404, nothing changed;
- the partner's own key limited to another community → 404 (community routes);
- once the connection has ended → 404 (community routes).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from catalog.models import Product
from partners import services
from partners.models import ApiKey, Scope, WebhookDelivery, WebhookEvent
from partners.webhooks import EventType
from tests.factories import CommunityFactory, MembershipFactory, UserFactory, make_group_buy

from communities.models import Role

ALL = list(Scope.values)


def _partner_routes():
    """(name, pattern kwargs, view class) of every route under /api/v1/partner/."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                view = getattr(p.callback, "view_class", None) or getattr(p.callback, "cls", None)
                found.append((p.name, prefix + str(p.pattern), view))

    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and str(top.pattern) == "api/v1/":
            for inner in top.url_patterns:
                if isinstance(inner, URLResolver) and str(inner.pattern) == "partner/":
                    walk(inner.url_patterns, "partner/")
    return found


ROUTES = _partner_routes()
METHODS = ("get", "post", "put", "patch", "delete")


ROW_KWARGS = ("community_id", "sku", "round_id", "pk", "endpoint_id", "delivery_id", "event_id", "image_id",
              "point_id")


def _required_scope(view, method):
    required = getattr(view, "required_scopes", {}) or {}
    return required.get(method.upper(), required.get("*"))


def _cases(keep=lambda name, pattern, view, method: True):
    """Every (route, method), or those ``keep`` applies to (each test only gets the cases it can try)."""
    for name, pattern, view in ROUTES:
        for method in METHODS:
            if view is not None and hasattr(view, method) and keep(name, pattern, view, method):
                yield pytest.param(name, pattern, view, method, id=f"{name}-{method}")


def _names_a_row(pattern):
    return any(f"<{k}>" in pattern or f":{k}>" in pattern for k in ROW_KWARGS)


@pytest.fixture
def world(community, owner, staff, connection, partner_product, make_key):
    """Partner P connected to ``community`` (A) and to B; partner Q connected to B only."""
    product = partner_product("SKU-1", stock=500)
    round_ = make_group_buy(owner, products=[product])
    other = CommunityFactory()
    other_owner = MembershipFactory(community=other, role=Role.OWNER, user=UserFactory())
    asked = services.connection_request(actor=staff, community=other)
    services.connection_decide(actor=other_owner, connection=asked, accept=True)
    q_user = UserFactory()
    q = services.partner_create(user=q_user, name="Other Farm")
    q_staff = q.staff.get()
    services.connection_decide(actor=other_owner, accept=True,
                               connection=services.connection_request(actor=q_staff, community=other))
    endpoint = services.endpoint_create(actor=staff, url="http://127.0.0.1:9/hooks", events=["order.paid"])
    event = WebhookEvent.objects.create(partner=staff.partner, community=community, type=EventType.ORDER_PAID,
                                        source_event_id=1, data={})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, partner=staff.partner,
                                              community=community)
    image = None
    kwargs = {"community_id": community.pk, "sku": product.supplier_sku, "round_id": round_.pk,
              "pk": endpoint.pk, "endpoint_id": endpoint.pk, "delivery_id": delivery.pk, "event_id": event.pk,
              "image_id": image or 1, "point_id": round_.pickup_points.first().pk}
    return {"kwargs": kwargs, "other": other, "q_staff": q_staff, "connection": connection, "product": product}


def _call(client, name, pattern, method, kwargs):
    needed = {k: v for k, v in kwargs.items() if f"<{k}>" in pattern or f":{k}>" in pattern}
    url = reverse(name, kwargs=needed)
    return getattr(client, method)(url, {}, format="json")


@pytest.mark.parametrize("name,pattern,view,method", list(_cases()))
def test_a_wrong_key_gets_nothing(name, pattern, view, method, world, make_key, key_client, api):
    kwargs = world["kwargs"]
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    assert _call(api, name, pattern, method, kwargs).status_code == 401, "no key"
    for bad in ("sqp_live_nothing_here", "Token abc", "sqp_live_\u00e9\u00e9"):
        client = key_client(bad)
        assert _call(client, name, pattern, method, kwargs).status_code == 401, bad
    revoked, raw = make_key()
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    assert _call(key_client(raw), name, pattern, method, kwargs).status_code == 401, "revoked"
    expired, raw = make_key()
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _call(key_client(raw), name, pattern, method, kwargs).status_code == 401, "expired"


@pytest.mark.parametrize("name,pattern,view,method",
                         list(_cases(lambda name, pattern, view, method: _required_scope(view, method) is not None)))
def test_a_key_without_the_scope_is_refused_naming_it(name, pattern, view, method, world, make_key, key_client):
    scope = _required_scope(view, method)
    implied_by = {"read_products": "write_products", "read_orders": "write_fulfillments"}
    lacking = [s for s in ALL if s not in (str(scope), implied_by.get(str(scope)))]
    _key, raw = make_key(scopes=lacking)
    response = _call(key_client(raw), name, pattern, method, world["kwargs"])
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "missing_scope" and str(scope) in response.json()["message"]


def _snapshot():
    from orders.models import Order

    return (list(Product.objects.order_by("pk").values()), list(Order.objects.order_by("pk").values("pk", "status")),
            list(WebhookDelivery.objects.order_by("pk").values("pk", "status", "attempts", "next_attempt_at")))


@pytest.mark.parametrize("name,pattern,view,method",
                         list(_cases(lambda name, pattern, view, method: _names_a_row(pattern))))
def test_another_partner_never_reaches_these_rows(name, pattern, view, method, world, key_client):
    kwargs = world["kwargs"]
    _key, raw = services.api_key_create(actor=world["q_staff"], name="Q", scopes=ALL)
    before = _snapshot()
    response = _call(key_client(raw), name, pattern, method, kwargs)
    assert response.status_code == 404, (response.status_code, response.content)
    assert _snapshot() == before


@pytest.mark.parametrize("name,pattern,view,method",
                         list(_cases(lambda name, pattern, view, method: "community_id" in pattern)))
def test_a_key_limited_to_another_community_or_an_ended_connection_gets_404(name, pattern, view, method, world,
                                                                            make_key, key_client, staff):
    kwargs = world["kwargs"]
    _key, raw = make_key(community_ids=[world["other"].pk])
    before = _snapshot()
    assert _call(key_client(raw), name, pattern, method, kwargs).status_code == 404
    services.connection_end(connection=world["connection"], by_staff=staff)
    _key, raw = make_key()
    assert _call(key_client(raw), name, pattern, method, kwargs).status_code == 404
    assert _snapshot() == before


def test_every_partner_route_is_in_the_matrix():
    assert len(ROUTES) >= 1
    unknown = [name for name, pattern, view in ROUTES if view is None]
    assert not unknown, f"routes whose view class could not be read: {unknown}"


@pytest.mark.parametrize("name,pattern,view,method",
                         list(_cases(lambda name, pattern, view, method: not _names_a_row(pattern)
                                     and method == "get")))
def test_another_partners_lists_show_none_of_these_rows(name, pattern, view, method, world, key_client, community):
    """Routes of the caller's own (its communities, endpoints, deliveries, events) list nothing of P's."""
    _key, raw = services.api_key_create(actor=world["q_staff"], name="Q", scopes=ALL)
    response = _call(key_client(raw), name, pattern, method, world["kwargs"])
    assert response.status_code == 200, response.content
    body = response.content.decode()
    assert "127.0.0.1:9/hooks" not in body and f'"slug":"{community.slug}"' not in body.replace(" ", "")
    assert world["product"].supplier_sku not in body
