"""The API answers what its OpenAPI schema says, whatever it is sent: Schemathesis over /api/schema/.

Every operation of the schema gets generated requests, valid and invalid (Schemathesis' coverage
cases plus a fixed number of fuzzed ones, derandomized so a run repeats), sent in process to the
WSGI application, against the demo community (seed_demo) as its owner and as a plain member.
Every answer must be: no 5xx, a documented status code, a documented content type, and a body
matching the documented schema.

Ids in the path and in bodies are generated as any integer; two in three are swapped for ids of
real rows of the right kind (a product id for /products/{id}/...), so requests reach the code
behind the 404. No operation of people's API is excluded (the partner API runs with a key in
tests/partners/test_partner_api_schema.py): each test rolls back what its requests changed (a ban,
an ownership transfer), so they cannot spoil the data of the next.
"""

import io
import os
import re

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create
from communities.models import Community, Membership, Role
from demo.management.commands.seed_demo import DEMO_SLUG

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation and caller, on top of the coverage cases; API_FUZZ_EXAMPLES=200 for a deeper run.
FUZZED_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", 10))
MEMBER_PHONE = "13800000003"  # 张三: a plain member of the demo community, with a branch, a wallet, an order

# The partner API (/api/v1/partner/) takes partner keys, not people's tokens: it has its own run with
# a key, in tests/partners/test_partner_api_schema.py.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).exclude(
    path_regex=r"^/api/v1/partner/")
schema.config.update(parameters={"path.slug": DEMO_SLUG})


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo community, loaded once per module: each test's own transaction is a savepoint
    inside this one, and this one is rolled back at the end, so no other test sees the data.

    Requests go straight to the WSGI handler, which closes the database connection at the end of
    each request (request_finished) and would end these transactions: Django's test client
    detaches the same signal handlers.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    try:
        with media, django_db_blocker.unblock(), transaction.atomic():
            with open(os.devnull, "w") as quiet:
                call_command("seed_demo", stdout=quiet)
            community = Community.objects.get(slug=DEMO_SLUG)
            _add_a_team_and_a_photo(community)
            yield _rows(community)
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _add_a_team_and_a_photo(community) -> None:
    """seed_demo has a team purchase without teams and products without photos: one of each."""
    from catalog.services import product_image_add
    from orders import services as orders
    from orders.models import GroupBuy

    owner = community.memberships.select_related("community", "user").get(role=Role.OWNER)
    leader = community.memberships.select_related("community", "user").get(role=Role.LEADER)
    team_round = community.group_buys.get(mode=GroupBuy.Mode.TEAM)
    orders.order_place(member=leader, group_buy=team_round, lines=[(team_round.items.first().pk, 1)],
                       idempotency_key="schema-test-team", pickup_point_id=team_round.pickup_points.first().pk,
                       open_team=True)
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(photo, "PNG")
    photo.name = "mango.png"
    product_image_add(actor=owner, product=community.products.order_by("pk").first(), upload=photo)


def _rows(community) -> dict:
    from catalog.models import ProductImage
    from orders.models import GroupBuyItem, Order, PickupPoint

    ids = {
        "members": list(community.memberships.values_list("pk", flat=True)),
        "invites": list(community.invites.values_list("pk", flat=True)),
        "join-requests": list(community.join_requests.values_list("pk", flat=True)),
        "products": list(community.products.values_list("pk", flat=True)),
        "images": list(ProductImage.objects.filter(community=community).values_list("pk", flat=True)),
        "teams": list(community.teams.values_list("code", flat=True)),
        "group-buys": list(community.group_buys.values_list("pk", flat=True)),
        "orders": list(Order.objects.filter(community=community).values_list("pk", flat=True)),
        "item": list(GroupBuyItem.objects.filter(group_buy__community=community).values_list("pk", flat=True)),
        "pickup_point": list(PickupPoint.objects.filter(community=community).values_list("pk", flat=True)),
        "member": list(community.memberships.values_list("user_id", flat=True)),
        "quantity": [1, 2],  # not ids, but a quantity that the rounds' limits allow
    }
    ids.update({"group_buy": ids["group-buys"], "order": ids["orders"], "branch": list(
        community.branches.values_list("pk", flat=True)), "branches": list(
        community.branches.values_list("pk", flat=True)), "category": list(
        community.categories.values_list("pk", flat=True)), "supplier": list(
        community.suppliers.values_list("pk", flat=True))})
    ids.update({"categories": ids["category"], "suppliers": ids["supplier"], "wallets": ids["member"]})
    from engagement.models import RSVP

    ids["events"] = list(community.events.values_list("pk", flat=True))
    ids["rsvps"] = list(RSVP.objects.filter(community=community).values_list("pk", flat=True))
    ids["rsvp_ids"], ids["event_id"] = ids["rsvps"], ids["events"]
    owner = community.memberships.get(role=Role.OWNER)
    member = community.memberships.get(user__phone=MEMBER_PHONE, role=Role.MEMBER, status=Membership.Status.ACTIVE)
    return {"ids": ids, "tokens": {role: api_token_create(user=m.user, name="schemathesis")[1]
                                   for role, m in ((Role.OWNER, owner), (Role.MEMBER, member))}}


@pytest.fixture(params=[Role.OWNER, Role.MEMBER])
def caller(request, demo, db):
    return {"ids": demo["ids"], "headers": {"Authorization": f"Token {demo['tokens'][request.param]}"}}


def _real(value, rows):
    """Two in three generated ids (integers; strings for team codes) become the id of a real row,
    chosen by the value itself so that a run repeats."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not rows:
        return value
    number = value if isinstance(value, int) else len(value)
    return value if number % 3 == 0 else rows[number % len(rows)]


def _real_body(value, ids, key=None):
    if isinstance(value, dict):
        return {k: _real_body(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_real_body(v, ids, key) for v in value]
    return _real(value, ids[key]) if key in ids and isinstance(value, int) else value


def aim_at_real_rows(case, ids):
    for name, value in (case.path_parameters or {}).items():
        if name != "slug":
            collection = re.search(r"/([a-z-]+)/\{%s\}/" % name, case.operation.path).group(1)
            case.path_parameters[name] = _real(value, ids.get(collection))
    if isinstance(case.body, dict):
        case.body = _real_body(case.body, ids)
    # Generated keys shrink to "" (refused: 1 to 100 characters); two in three get a usable one.
    if case.headers and case.headers.get("Idempotency-Key") == "" and len(repr(case.body)) % 3:
        case.headers["Idempotency-Key"] = f"key-{len(repr(case.body))}"


@schema.parametrize()
@settings(max_examples=FUZZED_EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_answer_is_documented_and_never_a_server_error(case, caller):
    aim_at_real_rows(case, caller["ids"])
    case.call_and_validate(headers=caller["headers"], checks=CHECKS)
