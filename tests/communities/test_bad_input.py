"""Communities: numbers and strings beyond their columns are a field error (4xx), never a 500."""

import pytest
from django.urls import reverse

from communities import services
from communities.models import Community, Invite, JoinRequest
from core.exceptions import ValidationFailed
from tests.api import assert_error, url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SETTINGS = {"kind": "interest", "join_policy": "approval", "timezone": "Asia/Shanghai", "currency": "CNY",
            "payment_window_minutes": 30, "commission_recipient": "branch_leader"}


@pytest.mark.parametrize("minutes", [4, 10081, 2**31, 10**30])
def test_payment_window_out_of_range_is_refused_by_form_and_service(client, owner, minutes):
    community = owner.community
    client.force_login(owner.user)

    response = client.post(reverse("console:settings", args=[community.slug]),
                           {**SETTINGS, "name": community.name, "payment_window_minutes": str(minutes)})

    assert response.status_code == 200 and response.context["form"].errors["payment_window_minutes"]
    with pytest.raises(ValidationFailed) as error:
        services.community_update(actor=owner, payment_window_minutes=minutes)
    assert "payment_window_minutes" in error.value.fields
    community.refresh_from_db()
    assert community.payment_window_minutes == 30


@pytest.mark.parametrize("field, value", [("name", "x" * 81), ("purpose", "x" * 201)])
def test_community_strings_past_their_columns_are_field_errors(client, owner, field, value):
    community = owner.community
    client.force_login(owner.user)

    response = client.post(reverse("console:settings", args=[community.slug]),
                           {**SETTINGS, "name": community.name, field: value})

    assert response.status_code == 200 and response.context["form"].errors[field]
    with pytest.raises(ValidationFailed):
        services.community_update(actor=owner, **{field: value})
    with pytest.raises(ValidationFailed):
        services.community_create(owner=owner.user, **{"name": "New", field: value})
    assert Community.objects.count() == 1


def test_branch_name_past_its_column_is_a_field_error(client, owner):
    client.force_login(owner.user)

    response = client.post(reverse("console:branches", args=[owner.community.slug]), {"name": "x" * 81})

    assert response.status_code == 200 and response.context["form"].errors["name"]
    with pytest.raises(ValidationFailed):
        services.branch_create(actor=owner, name="x" * 81)
    assert not owner.community.branches.exists()


@pytest.mark.parametrize("body, field", [
    ({"label": "x" * 81}, "label"),
    ({"max_uses": 100_001}, "max_uses"),
    ({"max_uses": 2**31}, "max_uses"),
    ({"max_uses": 0}, "max_uses"),
    ({"branch": 2**63}, "branch"),
])
def test_invite_api_refuses_values_past_their_columns(api_as, owner, body, field):
    assert_error(api_as(owner.user).post(url(owner.community.slug, "invites"), body, format="json"), 400,
                 fields=[field])
    assert not Invite.objects.exists()


def test_join_request_message_and_decline_note_past_their_limits(api_as, community, owner):
    outsider = UserFactory()
    assert_error(api_as(outsider).post(url(community.slug, "join-requests"), {"message": "x" * 501},
                                       format="json"), 400, fields=["message"])
    assert not JoinRequest.objects.exists()

    request = services.join_request_create(user=outsider, community=community, message="Hi")
    assert_error(api_as(owner.user).post(url(community.slug, "join-requests", request.pk, "decline"),
                                         {"note": "x" * 201}, format="json"), 400, fields=["note"])
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.PENDING


def test_ban_reason_past_its_column_is_a_400(api_as, owner, member):
    assert_error(api_as(owner.user).post(url(owner.community.slug, "members", member.pk, "ban"),
                                         {"reason": "x" * 201}, format="json"), 400, fields=["reason"])
    member.refresh_from_db()
    assert member.status == "active"
