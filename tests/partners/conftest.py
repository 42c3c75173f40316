"""Shared fixtures for partner shops: a partner, its connection to ``community``, keys, a receiver."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from partners import services
from partners.models import Partner, PartnerStaff, Scope
from tests.factories import UserFactory

ALL_SCOPES = list(Scope.values)


@pytest.fixture
def partner_owner(db):
    return UserFactory(display_name="Partner owner")


@pytest.fixture
def partner(partner_owner) -> Partner:
    return services.partner_create(user=partner_owner, name="Green Farm", contact_email="farm@example.com")


@pytest.fixture
def staff(partner) -> PartnerStaff:
    return partner.staff.get(role=PartnerStaff.Role.OWNER)


@pytest.fixture
def connection(partner, staff, community, owner):
    """``partner`` connected to ``community`` (asked, then accepted by the owner), pushed products reviewed."""
    asked = services.connection_request(actor=staff, community=community, message="Fresh vegetables")
    return services.connection_decide(actor=owner, connection=asked, accept=True)


@pytest.fixture
def asked(partner, staff, community):
    """``partner``'s request to connect to ``community``, not decided yet."""
    return services.connection_request(actor=staff, community=community, message="Fresh pears")


@pytest.fixture
def elsewhere(db):
    """Another community with its own admin, and another partner connected to it."""
    from tests.factories import CommunityFactory, MembershipFactory

    community = CommunityFactory(name="Far Away")
    admin = MembershipFactory(community=community, role="admin", user=UserFactory(display_name="Far admin"))
    far_partner = services.partner_create(user=UserFactory(), name="Far Farm")
    asked = services.connection_request(actor=far_partner.staff.get(), community=community)
    return community, admin, services.connection_decide(actor=admin, connection=asked, accept=True)


@pytest.fixture
def make_key(staff):
    """make_key(scopes=ALL, community_ids=()) -> (ApiKey, full key)."""

    def _make(scopes=None, community_ids=(), actor=None, **kwargs):
        return services.api_key_create(actor=actor or staff, name="ERP", scopes=scopes or ALL_SCOPES,
                                       community_ids=community_ids, **kwargs)

    return _make


@pytest.fixture
def key_client():
    """key_client(key) -> an APIClient sending ``Authorization: Bearer <key>``, asking for English."""

    def _client(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
        return client

    return _client


@pytest.fixture
def partner_product(connection):
    """partner_product(sku="APPLE-1", **fields) -> an approved product of the partner in ``community``."""

    def _make(sku="APPLE-1", **fields):
        fields.setdefault("name", f"Product {sku}")
        fields.setdefault("unit", "box")
        fields.setdefault("list_price", "30.00")
        return Product.objects.create(community=connection.community, supplier=connection.supplier,
                                      supplier_sku=sku, **fields)

    return _make


class Receiver:
    """A local HTTP server standing for a partner's system: records each request; answers with the
    queued statuses (then 200), optionally sleeping first."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # else each small answer may wait ~40 ms for an ACK

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                          "body": body, "json": json.loads(body or b"null"), "path": self.path})
                if receiver.delay:
                    import time

                    time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
