"""The community's sharing settings: how the 接龙 list names buyers, and members-only previews."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from communities.models import Community
from core.models import AuditLog
from tests.api import assert_error, url

pytestmark = pytest.mark.django_db

FORM = {"kind": "interest", "join_policy": "approval", "timezone": "Asia/Shanghai", "currency": "CNY",
        "payment_window_minutes": 30, "commission_recipient": "branch_leader"}


def test_defaults_mask_names_and_show_previews(community):
    assert (community.jielong_names, community.previews_members_only) == ("masked", False)


def test_the_database_refuses_an_unknown_name_display(community):
    with pytest.raises(IntegrityError), transaction.atomic():
        Community.objects.filter(pk=community.pk).update(jielong_names="phone")


def test_console_settings_set_both_and_the_change_is_audited(client, community, owner):
    client.force_login(owner.user)
    url = reverse("console:settings", args=[community.slug])
    page = client.get(url).content.decode()
    assert 'name="jielong_names"' in page and 'name="previews_members_only"' in page
    response = client.post(url, {**FORM, "name": community.name, "jielong_names": "hidden",
                                 "previews_members_only": "on"})
    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.jielong_names, community.previews_members_only) == ("hidden", True)
    log = AuditLog.objects.filter(community=community, action="community.updated").latest("id")
    assert set(log.data["changed"]) >= {"jielong_names", "previews_members_only"}
    bad = client.post(url, {**FORM, "name": community.name, "jielong_names": "phone"})
    assert bad.status_code == 200 and "jielong_names" in bad.context["form"].errors
    # A post without the field (an older form) keeps what was chosen.
    client.post(url, {**FORM, "name": community.name})
    community.refresh_from_db()
    assert community.jielong_names == "hidden"


def test_api_reads_and_patches_both_admins_only(api_as, community, owner, member):
    response = api_as(owner.user).patch(url(community.slug), {"jielong_names": "full", "previews_members_only": True},
                                        format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["jielong_names"], response.json()["previews_members_only"]) == ("full", True)
    community.refresh_from_db()
    assert (community.jielong_names, community.previews_members_only) == ("full", True)
    assert AuditLog.objects.filter(community=community, action="community.updated",
                                   data__changed__contains=["jielong_names"]).exists()
    assert_error(api_as(owner.user).patch(url(community.slug), {"jielong_names": "phone"}, format="json"), 400,
                 fields=["jielong_names"])
    assert_error(api_as(owner.user).patch(url(community.slug), {"previews_members_only": "perhaps"},
                                          format="json"), 400, fields=["previews_members_only"])
    assert_error(api_as(member.user).patch(url(community.slug), {"jielong_names": "masked"}, format="json"), 403)
    community.refresh_from_db()
    assert (community.jielong_names, community.previews_members_only) == ("full", True)
