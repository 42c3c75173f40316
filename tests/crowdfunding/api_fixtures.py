"""Helpers for the campaigns API tests: request bodies and paths (the fixtures are in conftest.py)."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.utils import timezone

from tests.api import url


def day_ahead(community, days: int = 7) -> str:
    """A deadline ``days`` ahead in the community's timezone, as the API takes it."""
    return (timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(community.timezone)) + timedelta(days=days)
            ).date().isoformat()


def campaign_body(community, **overrides) -> dict:
    body = {
        "title": "Mid-autumn mooncakes", "goal": "100.00", "deadline": day_ahead(community),
        "story": "Our bakery's lotus-seed mooncakes, baked for the whole building.",
        "tiers": [
            {"title": "Box of mooncakes", "amount": "50.00", "quantity_limit": 10,
             "price_steps": [{"min_quantity": 4, "price": "45.00"}]},
            {"title": "Tin sent home", "amount": "80.00", "fulfilment": "shipping"},
        ],
    }
    body.update(overrides)
    return body


def campaigns_url(slug, *parts):
    return url(slug, "campaigns", *parts)


def admin_url(slug, *parts):
    return url(slug, "admin", *parts)


def post(client, path, body=None, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body if body is not None else {}, format="json", **extra)
