"""Instants typed by API clients: ASCII digits only. Django's parser would read "٢٠٢٦" as 2026
(its fallback regular expression's \\d matches any script's digits)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ARABIC_2030 = "٢٠٣٠-01-01T10:00:00Z"


def test_a_time_in_other_digits_is_refused_when_creating(api_as, owner, community):
    url = reverse("api-admin-events", kwargs={"slug": community.slug})
    body = {"title": "Meetup", "kind": "meetup", "starts_at": ARABIC_2030, "ends_at": "2030-01-01T12:00:00Z",
            "address": "Hall"}
    answer = api_as(owner.user).post(url, body, format="json")
    assert answer.status_code == 400 and "starts_at" in answer.json()["fields"]
    assert not community.events.exists()


@pytest.mark.parametrize("name", ["api-admin-orders", "api-admin-events", "api-polls"])
def test_updated_since_in_other_digits_is_refused(api_as, owner, community, name):
    answer = api_as(owner.user).get(reverse(name, kwargs={"slug": community.slug}), {"updated_since": ARABIC_2030})
    assert answer.status_code == 400 and "updated_since" in answer.json()["fields"]
