"""Schemathesis over the partner API (/api/v1/partner/…) with a partner key: whatever it is sent,
no 5xx, and every answer documented (status, content type, body schema).

The demo community is loaded once (seed_demo, rolled back at the end) with its demo partner shop
(青山果园, connected, its products carrying SKUs); the calls carry a fresh key of that partner with
every scope. Two in three generated ids become ids of real rows the partner can see, so requests
reach the code behind the 404s.
"""

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

from communities.models import Community
from demo.management.commands.seed_demo import DEMO_SLUG
from tests.test_api_schema import CHECKS

FUZZED_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", 10))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).include(
    path_regex=r"^/api/v1/partner/")


@pytest.fixture(scope="module")
def partner_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    try:
        with media, django_db_blocker.unblock(), transaction.atomic():
            with open(os.devnull, "w") as quiet:
                call_command("seed_demo", stdout=quiet)
            yield _rows(Community.objects.get(slug=DEMO_SLUG))
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _rows(community) -> dict:
    from orders.models import GroupBuy, PickupPoint
    from partners import services
    from partners.demo import PARTNER_SLUG
    from partners.models import Partner, Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent

    partner = Partner.objects.get(slug=PARTNER_SLUG)
    connection = partner.connections.get(community=community)
    _key, raw = services.api_key_create(actor=partner.staff.get(), name="schemathesis", scopes=list(Scope.values))
    products = list(community.products.filter(supplier=connection.supplier).exclude(supplier_sku=""))
    ids = {
        "communities": [community.pk],
        "community_id": [community.pk],
        "rounds": list(GroupBuy.objects.filter(community=community, items__product__in=products)
                       .values_list("pk", flat=True).distinct()),
        "pickup_point_id": list(PickupPoint.objects.filter(community=community).values_list("pk", flat=True)),
        "endpoints": list(WebhookEndpoint.objects.filter(partner=partner).values_list("pk", flat=True)),
        "deliveries": list(WebhookDelivery.objects.filter(partner=partner).values_list("pk", flat=True)),
        "events": list(WebhookEvent.objects.filter(partner=partner).values_list("pk", flat=True)),
    }
    ids["round_id"] = ids["rounds"]
    return {"ids": ids, "skus": [p.supplier_sku for p in products], "key": raw}


def _real(value, rows):
    if isinstance(value, bool) or not isinstance(value, int) or not rows:
        return value
    return value if value % 3 == 0 else rows[value % len(rows)]


def aim_at_real_rows(case, demo):
    ids = demo["ids"]
    for name, value in (case.path_parameters or {}).items():
        if name == "sku":
            if isinstance(value, str) and len(value) % 3:
                case.path_parameters[name] = demo["skus"][len(value) % len(demo["skus"])]
            continue
        match = re.search(r"/([a-z-]+)/\{%s\}" % name, case.operation.path)
        collection = ids.get(name) or (ids.get(match.group(1)) if match else None)
        case.path_parameters[name] = _real(value, collection)
    if isinstance(case.body, dict):
        for key in ("pickup_point_id", "round_id"):
            if key in case.body:
                case.body[key] = _real(case.body[key], ids.get(key))


@schema.parametrize()
@settings(max_examples=FUZZED_EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_partner_answer_is_documented_and_never_a_server_error(case, partner_demo, db):
    aim_at_real_rows(case, partner_demo)
    case.call_and_validate(headers={"Authorization": f"Bearer {partner_demo['key']}"}, checks=CHECKS)
