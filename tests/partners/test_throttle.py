"""Each key has its own rate (PARTNER_API_RATE): a busy partner system is slowed, the others are not."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@override_settings(PARTNER_API_RATE="3/min")
def test_a_key_past_its_rate_waits_and_another_key_does_not(connection, make_key, key_client):
    busy, busy_raw = make_key()
    calm, calm_raw = make_key()
    for key in (busy, calm):
        cache.delete(f"throttle_partner_key_{key.pk}")
    url = reverse("api-partner-communities")
    answers = [key_client(busy_raw).get(url).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = key_client(busy_raw).get(url)
    assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    assert key_client(calm_raw).get(url).status_code == 200
