"""Running a community through the API: create, settings and images, ownership, branches, the audit
log, and the members' own leave / withdraw. Each endpoint as owner, admin, leader, member and a
stranger: what each may do, what the others are refused, and that a refusal changes nothing."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from communities import services
from communities.models import Community, JoinRequest, Membership, Role
from core.models import AuditLog
from tests.api import assert_error, url
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["owner", "admin", "leader", "member", "stranger"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def people(community, owner, admin_member, leader, member, outsider):
    return {"owner": owner.user, "admin": admin_member.user, "leader": leader.user, "member": member.user,
            "stranger": outsider}


def png(size=(64, 48), name="cover.png"):
    data = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(data, "PNG")
    data.name = name
    data.seek(0)
    return data


def settings_row(community):
    return Community.objects.filter(pk=community.pk).values().get()


def roles_row(community):
    return sorted(community.memberships.values_list("user_id", "role", "status", "branch_id"))


# Create ----------------------------------------------------------------------------------------

def test_any_logged_in_user_creates_a_community_and_owns_it(api_as, outsider):
    response = api_as(outsider).post("/api/v1/communities/", {"name": "Tea lovers", "join_policy": "open",
                                                              "timezone": "Asia/Hong_Kong"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    community = Community.objects.get(slug=body["slug"])
    assert (community.name, community.join_policy, community.timezone) == ("Tea lovers", "open", "Asia/Hong_Kong")
    assert community.memberships.get(user=outsider).role == Role.OWNER
    assert AuditLog.objects.filter(community=community, action="community.created").exists()


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": "x" * 81}, "name"),
    ({"name": "Ok", "join_policy": "everyone"}, "join_policy"),
    ({"name": "Ok", "timezone": "Mars/Olympus"}, "timezone"),
    ({"name": "Ok", "purpose": "p" * 201}, "purpose"),
])
def test_create_refuses_bad_input_with_field_errors(api_as, outsider, body, field):
    before = Community.objects.count()
    assert_error(api_as(outsider).post("/api/v1/communities/", body, format="json"), 400, fields=[field])
    assert Community.objects.count() == before


def test_create_needs_a_login(api):
    assert api.post("/api/v1/communities/", {"name": "Anon"}, format="json").status_code == 401


# Settings --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_settings_change_by_admins_only(api_as, community, people, role):
    before = settings_row(community)
    response = api_as(people[role]).patch(url(community.slug), {
        "name": "Renamed", "rules": "Be kind", "join_policy": "invite", "payment_instructions": "WeChat 8821",
        "payment_window_minutes": 60, "commission_recipient": "referrer"}, format="json")
    if role in ("owner", "admin"):
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["name"], body["payment_window_minutes"], body["commission_recipient"]) == (
            "Renamed", 60, "referrer")
        community.refresh_from_db()
        assert (community.name, community.rules, community.join_policy, community.payment_instructions) == (
            "Renamed", "Be kind", "invite", "WeChat 8821")
        assert AuditLog.objects.filter(community=community, action="community.updated").exists()
    else:
        assert_error(response, 403 if role in ("leader", "member") else 404)
        assert settings_row(community) == before


def test_settings_patch_changes_only_what_is_given(api_as, community, owner):
    Community.objects.filter(pk=community.pk).update(description="Keep me", payment_window_minutes=45)
    response = api_as(owner.user).patch(url(community.slug), {"rules": "New rules"}, format="json")
    assert response.status_code == 200
    community.refresh_from_db()
    assert (community.description, community.payment_window_minutes, community.rules) == (
        "Keep me", 45, "New rules")


@pytest.mark.parametrize("body,field", [
    ({"name": "n" * 81}, "name"),
    ({"name": ""}, "name"),
    ({"join_policy": "anyone"}, "join_policy"),
    ({"commission_recipient": "me"}, "commission_recipient"),
    ({"timezone": "Nowhere/Land"}, "timezone"),
    ({"payment_window_minutes": 4}, "payment_window_minutes"),
    ({"payment_window_minutes": 10081}, "payment_window_minutes"),
    ({"payment_window_minutes": 10**30}, "payment_window_minutes"),
    ({"payment_window_minutes": "soon"}, "payment_window_minutes"),
])
def test_settings_refuse_bad_input_and_keep_what_is_stored(api_as, community, owner, body, field):
    before = settings_row(community)
    assert_error(api_as(owner.user).patch(url(community.slug), body, format="json"), 400, fields=[field])
    assert settings_row(community) == before


def test_a_nul_character_is_refused(api_as, community, owner):
    before = settings_row(community)
    response = api_as(owner.user).patch(url(community.slug), {"rules": "a\x00b"}, format="json")
    assert_error(response, 400)
    assert settings_row(community) == before


# Cover and receiving QR ------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint,field", [("cover", "cover"), ("payment-qr", "payment_qr")])
@pytest.mark.parametrize("role", ROLES)
def test_images_uploaded_and_removed_by_admins_only(api_as, community, people, role, endpoint, field):
    client = api_as(people[role])
    response = client.post(url(community.slug, endpoint), {field: png()}, format="multipart")
    if role in ("owner", "admin"):
        assert response.status_code == 200, response.content
        community.refresh_from_db()
        assert getattr(community, field).name.endswith(".png")
        assert response.json()[f"{field}_url"]
        removed = client.delete(url(community.slug, endpoint))
        assert removed.status_code == 200 and removed.json()[f"{field}_url"] is None
        community.refresh_from_db()
        assert not getattr(community, field)
    else:
        assert_error(response, 403 if role in ("leader", "member") else 404)
        assert_error(client.delete(url(community.slug, endpoint)), 403 if role in ("leader", "member") else 404)
        community.refresh_from_db()
        assert not getattr(community, field)


def test_images_use_the_consoles_checks(api_as, community, owner, settings):
    client = api_as(owner.user)
    not_image = io.BytesIO(b"%PDF-1.4 not an image")
    not_image.name = "cover.png"
    assert_error(client.post(url(community.slug, "cover"), {"cover": not_image}, format="multipart"), 400,
                 code="invalid_image", fields=["cover"])
    settings.IMAGE_MAX_BYTES = 1024
    huge = png(size=(400, 400))
    assert len(huge.getvalue()) > 1024
    assert_error(client.post(url(community.slug, "payment-qr"), {"payment_qr": huge}, format="multipart"), 400,
                 code="invalid_image", fields=["payment_qr"])
    assert_error(client.post(url(community.slug, "cover"), {}, format="multipart"), 400, fields=["cover"])
    # JSON is not an upload.
    assert client.post(url(community.slug, "cover"), {"cover": "x"}, format="json").status_code == 415
    community.refresh_from_db()
    assert not community.cover and not community.payment_qr


# Transfer ownership ----------------------------------------------------------------------------

def test_the_owner_transfers_ownership_and_becomes_an_admin(api_as, community, owner, member):
    response = api_as(owner.user).post(url(community.slug, "transfer-ownership"), {"member": member.user_id},
                                       format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "owner"
    assert Membership.objects.get(pk=member.pk).role == Role.OWNER
    assert Membership.objects.get(pk=owner.pk).role == Role.ADMIN


@pytest.mark.parametrize("role,status", [("admin", 403), ("leader", 403), ("member", 403), ("stranger", 404)])
def test_nobody_but_the_owner_transfers_ownership(api_as, community, people, member, role, status):
    before = roles_row(community)
    target = people["leader"] if role == "member" else member.user
    response = api_as(people[role]).post(url(community.slug, "transfer-ownership"), {"member": target.pk},
                                         format="json")
    assert_error(response, status)
    assert roles_row(community) == before


def test_ownership_goes_only_to_an_active_member_of_this_community(api_as, community, owner, outsider):
    other = MembershipFactory(community=CommunityFactory(), user=UserFactory())
    left = MembershipFactory(community=community, status=Membership.Status.LEFT)
    before = roles_row(community)
    client = api_as(owner.user)
    for value in (outsider.pk, other.user_id, 10**30, "٣", None, True):
        assert_error(client.post(url(community.slug, "transfer-ownership"), {"member": value}, format="json"), 400,
                     fields=["member"])
    assert_error(client.post(url(community.slug, "transfer-ownership"), {"member": left.user_id},
                             format="json"), 409)
    assert_error(client.post(url(community.slug, "transfer-ownership"), {"member": owner.user_id},
                             format="json"), 403)
    assert roles_row(community) == before


# Branches --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_branches_listed_created_and_changed_by_admins_only(api_as, community, people, member, role):
    existing = services.branch_create(actor=Membership.objects.select_related("community", "user").get(
        community=community, role=Role.OWNER), name="North")
    before = (roles_row(community), sorted(community.branches.values_list("id", "name", "leader_id")))
    client = api_as(people[role])
    listed = client.get(url(community.slug, "branches"))
    created = client.post(url(community.slug, "branches"), {"name": "South", "leader": member.user_id},
                          format="json")
    changed = client.patch(url(community.slug, "branches", existing.pk), {"name": "North gate"}, format="json")
    if role in ("owner", "admin"):
        assert listed.status_code == 200 and [b["name"] for b in listed.json()["results"]] == ["North"]
        assert created.status_code == 201, created.content
        assert created.json()["leader"]["id"] == member.user_id and created.json()["member_count"] == 1
        south = community.branches.get(name="South")
        # The leader given is a leader now, in the branch.
        assert Membership.objects.filter(pk=member.pk, role=Role.LEADER, branch=south).exists()
        assert changed.status_code == 200 and changed.json()["name"] == "North gate"
        relead = client.patch(url(community.slug, "branches", south.pk), {"leader": None}, format="json")
        assert relead.status_code == 200 and relead.json()["leader"] is None
        assert relead.json()["name"] == "South"
    else:
        status = 403 if role in ("leader", "member") else 404
        for response in (listed, created, changed):
            assert_error(response, status)
        assert (roles_row(community), sorted(community.branches.values_list("id", "name", "leader_id"))) == before


def test_branch_input_is_checked(api_as, community, owner, outsider):
    client = api_as(owner.user)
    north = services.branch_create(actor=owner, name="North")
    other_branch = CommunityFactory(parent=CommunityFactory())
    before = sorted(Community.objects.values_list("id", "name", "leader_id"))
    assert_error(client.post(url(community.slug, "branches"), {"name": "b" * 81}, format="json"), 400,
                 fields=["name"])
    assert_error(client.post(url(community.slug, "branches"), {}, format="json"), 400, fields=["name"])
    assert_error(client.post(url(community.slug, "branches"), {"name": "   "}, format="json"), 400,
                 fields=["name"])
    assert_error(client.post(url(community.slug, "branches"), {"name": "X", "leader": outsider.pk},
                             format="json"), 400, fields=["leader"])
    assert_error(client.post(url(community.slug, "branches"), {"name": "North"}, format="json"), 409,
                 code="duplicate_branch")
    assert_error(client.patch(url(community.slug, "branches", other_branch.pk), {"name": "Mine"},
                              format="json"), 404)
    assert_error(client.patch(url(community.slug, "branches", north.pk), {"leader": "abc"}, format="json"), 400,
                 fields=["leader"])
    assert sorted(Community.objects.values_list("id", "name", "leader_id")) == before


# Audit log -------------------------------------------------------------------------------------

def test_audit_log_read_by_admins_only_with_labels_and_filters(api_as, community, people, owner):
    member = MembershipFactory(community=community, user=UserFactory(display_name="Troll"))
    services.community_update(actor=owner, rules="Rule one")
    services.membership_ban(actor=owner, membership=member)
    for role in ROLES:
        response = api_as(people[role]).get(url(community.slug, "audit"))
        if role in ("owner", "admin"):
            assert response.status_code == 200
            actions = [row["action"] for row in response.json()["results"]]
            assert actions[:2] == ["membership.banned", "community.updated"]
        else:
            assert_error(response, 403 if role in ("leader", "member") else 404)

    client = api_as(people["admin"])
    banned = client.get(url(community.slug, "audit"), {"action": "membership.banned"},
                        HTTP_ACCEPT_LANGUAGE="en")
    rows = banned.json()["results"]
    assert len(rows) == 1 and rows[0]["target_user"]["id"] == member.user_id and rows[0]["action_label"] == "banned"
    assert rows[0]["actor"]["id"] == owner.user_id
    prefix = client.get(url(community.slug, "audit"), {"action": "membership."}).json()["results"]
    assert {row["action"] for row in prefix} == {"membership.banned"}
    assert client.get(url(community.slug, "audit"), {"actor": member.user_id}).json()["count"] == 0
    assert client.get(url(community.slug, "audit"), {"actor": owner.user_id}).json()["count"] == 2
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    assert client.get(url(community.slug, "audit"), {"since": future}).json()["count"] == 0
    assert client.get(url(community.slug, "audit"), {"since": past, "until": future}).json()["count"] == 2
    # Another community's rows never appear.
    elsewhere = CommunityFactory()
    AuditLog.objects.create(community=elsewhere, actor=owner.user, action="community.updated")
    assert client.get(url(community.slug, "audit"), {"actor": owner.user_id}).json()["count"] == 2


@pytest.mark.parametrize("params,field", [
    ({"since": "yesterday"}, "since"), ({"actor": "٣"}, "actor"), ({"actor": 10**30}, "actor"),
    ({"action": "a" * 65}, "action"),
    ({"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}, "until"),
    ({"page": "zero"}, "page"),
])
def test_audit_filters_refuse_bad_input(api_as, community, admin_member, params, field):
    assert_error(api_as(admin_member.user).get(url(community.slug, "audit"), params), 400, fields=[field])


# Leaving ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "leader", "member"])
def test_members_leave(api_as, community, people, role):
    user = people[role]
    assert api_as(user).post(url(community.slug, "leave")).status_code == 204
    membership = community.memberships.get(user=user)
    assert (membership.status, membership.role) == (Membership.Status.LEFT, Role.MEMBER)
    assert AuditLog.objects.filter(community=community, action="membership.left", target_user=user).exists()
    # Gone: the community does not exist for them any more.
    assert_error(api_as(user).post(url(community.slug, "leave")), 404)


def test_the_owner_cannot_leave_and_a_stranger_is_not_found(api_as, community, owner, outsider):
    before = roles_row(community)
    body = assert_error(api_as(owner.user).post(url(community.slug, "leave")), 403, code="last_owner")
    assert "Transfer ownership" in body["message"] or body["message"]
    assert_error(api_as(outsider).post(url(community.slug, "leave")), 404)
    assert roles_row(community) == before


# Withdrawing a join request --------------------------------------------------------------------

def test_a_person_lists_and_withdraws_their_own_pending_request(api_as, community, outsider):
    join_request = services.join_request_create(user=outsider, community=community, message="hi")
    client = api_as(outsider)
    listed = client.get("/api/v1/join-requests/").json()["results"]
    assert [row["id"] for row in listed] == [join_request.pk]
    response = client.post(f"/api/v1/join-requests/{join_request.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert AuditLog.objects.filter(community=community, action="join_request.withdrawn", target_user=outsider,
                                   object_id=join_request.pk).exists()
    assert client.get("/api/v1/join-requests/").json()["results"] == []
    # Twice: already answered.
    assert_error(client.post(f"/api/v1/join-requests/{join_request.pk}/withdraw/"), 409, code="already_decided")


@pytest.mark.parametrize("role", ["owner", "admin", "leader", "member"])
def test_nobody_withdraws_someone_elses_request(api_as, community, people, outsider, role):
    join_request = services.join_request_create(user=outsider, community=community)
    assert_error(api_as(people[role]).post(f"/api/v1/join-requests/{join_request.pk}/withdraw/"), 404)
    assert api_as(people[role]).get("/api/v1/join-requests/").json()["results"] == []
    assert JoinRequest.objects.get(pk=join_request.pk).status == JoinRequest.Status.PENDING


def test_a_decided_request_cannot_be_withdrawn(api_as, community, admin_member, outsider):
    join_request = services.join_request_create(user=outsider, community=community)
    services.join_request_decline(actor=admin_member, join_request=join_request)
    assert_error(api_as(outsider).post(f"/api/v1/join-requests/{join_request.pk}/withdraw/"), 409)
    assert JoinRequest.objects.get(pk=join_request.pk).status == JoinRequest.Status.DECLINED
