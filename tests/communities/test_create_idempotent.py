"""POST /api/v1/communities/ with an Idempotency-Key creates one community however often it is sent."""

import pytest

from communities.models import Community
from tests.api import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_retried_create_answers_the_same_community(api_as):
    client = api_as(UserFactory())
    body = {"name": "楼下团购群", "kind": "neighbourhood", "join_policy": "approval"}
    first = client.post("/api/v1/communities/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    again = client.post("/api/v1/communities/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == again.status_code == 201, first.content
    assert first.json()["slug"] == again.json()["slug"] and again["Idempotent-Replayed"] == "true"
    assert Community.objects.filter(name="楼下团购群").count() == 1
    assert_error(client.post("/api/v1/communities/", dict(body, name="Other"), format="json",
                             HTTP_IDEMPOTENCY_KEY="c-1"), 422, code="idempotency_key_reused")
    # another person's same key is theirs alone
    other = api_as(UserFactory()).post("/api/v1/communities/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert other.status_code == 201 and other.json()["slug"] != first.json()["slug"]
