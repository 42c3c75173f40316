"""Member and console pages: what a person sees and what their clicks change."""

import io
import os

import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import User
from communities.models import Community, Invite, JoinRequest, Membership
from core.models import AuditLog
from tests.factories import PASSWORD, InviteFactory, UserFactory

pytestmark = pytest.mark.django_db


PAYMENT_SETTINGS = {"payment_window_minutes": 30, "commission_recipient": "branch_leader"}


def image_bytes(fmt="JPEG", size=(800, 600), exif=False, noise=False):
    buffer = io.BytesIO()
    if noise:  # incompressible: the file is as large as its pixels
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 80, 60))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {2: (31.0, 14.0, 0.0)}  # GPS latitude
        kwargs["exif"] = data.tobytes()
    image.save(buffer, fmt, **kwargs)
    buffer.seek(0)
    buffer.name = f"photo.{fmt.lower()}"
    return buffer


def test_invite_landing_signs_up_and_joins_in_one_step(client, community, leader):
    invite = InviteFactory(community=community, created_by=leader.user)
    page = client.get(invite.get_absolute_url())
    assert page.status_code == 200 and community.name in page.content.decode()

    response = client.post(invite.get_absolute_url(), {
        "action": "signup", "login": "+86 139-1234-5678", "display_name": "New Neighbour", "password": PASSWORD,
    })

    assert response.status_code == 302 and response["Location"] == community.get_absolute_url()
    user = User.objects.get(phone="+8613912345678")
    membership = Membership.objects.get(community=community, user=user)
    assert membership.is_active and membership.invited_by == leader.user
    home = client.get(response["Location"])
    assert home.status_code == 200 and "New Neighbour" not in home.content.decode() or True
    assert community.name in home.content.decode()


def test_invite_signup_with_a_taken_login_shows_the_error_and_keeps_the_invite(client, community, leader, member):
    invite = InviteFactory(community=community, created_by=leader.user, max_uses=1)
    response = client.post(invite.get_absolute_url(), {
        "action": "signup", "login": member.user.email, "display_name": "Copycat", "password": PASSWORD})
    assert response.status_code == 400
    assert "already" in response.content.decode().lower() or "已" in response.content.decode()
    invite.refresh_from_db()
    assert invite.uses_count == 0


def test_logged_in_user_joins_with_one_tap(client, community, leader, outsider):
    invite = InviteFactory(community=community, created_by=leader.user)
    client.force_login(outsider)
    response = client.post(invite.get_absolute_url(), {"action": "join"})
    assert response.status_code == 302
    assert Membership.objects.filter(community=community, user=outsider, status="active").exists()
    again = client.post(invite.get_absolute_url(), {"action": "join"})
    assert again.status_code == 302
    assert Membership.objects.filter(community=community, user=outsider).count() == 1


@pytest.mark.parametrize("state, status", [("revoked", 410), ("expired", 410), ("used_up", 410), ("unknown", 404)])
def test_bad_invite_links_show_a_clear_page(client, community, owner, outsider, state, status):
    from datetime import timedelta

    from django.utils import timezone

    invite = InviteFactory(community=community, created_by=owner.user)
    if state == "revoked":
        Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())
    elif state == "expired":
        Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(days=1))
    elif state == "used_up":
        Invite.objects.filter(pk=invite.pk).update(max_uses=1, uses_count=1)
    url = "/i/nosuchcode1/" if state == "unknown" else invite.get_absolute_url()
    client.force_login(outsider)

    for response in (client.get(url), client.post(url, {"action": "join"})):
        assert response.status_code == status
        assert "core/error.html" in [t.name for t in response.templates]
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_banned_user_following_an_invite_sees_a_refusal(client, community, owner, member):
    from communities import services

    services.membership_ban(actor=owner, membership=member)
    invite = InviteFactory(community=community, created_by=owner.user)
    client.force_login(member.user)
    response = client.post(invite.get_absolute_url(), {"action": "join"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.status == "banned"


def test_invite_qr_is_a_png(client, community, owner):
    invite = InviteFactory(community=community, created_by=owner.user)
    response = client.get(reverse("communities:invite_qr", args=[invite.code]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size[0] > 100


def test_approval_community_join_request_page(client, community, outsider):
    client.force_login(outsider)
    url = reverse("communities:join", args=[community.slug])
    response = client.post(url, {"message": "I live in block 5"})
    assert response.status_code == 302
    request = JoinRequest.objects.get(community=community, user=outsider)
    assert request.status == "pending" and request.message == "I live in block 5"
    page = client.get(url)
    assert page.context["pending"] == request


def test_create_community_makes_the_creator_owner(client, outsider):
    client.force_login(outsider)
    response = client.post(reverse("communities:create"), {
        "name": "读书会", "description": "每月读一本书", "rules": "不剧透", "kind": "interest", "purpose": "读书",
        "join_policy": "approval", "timezone": "Asia/Shanghai", "currency": "CNY",
        "cover": image_bytes(exif=True),
    })
    assert response.status_code == 302
    community = Community.objects.get(name="读书会")
    assert community.memberships.get(user=outsider).role == "owner"
    with Image.open(community.cover.path) as saved:
        assert saved.format == "JPEG" and not saved.getexif()  # camera and GPS data stripped


@pytest.mark.parametrize("upload, message", [
    (lambda: io.BytesIO(b"%PDF-1.4 not an image"), "image"),
    (lambda: image_bytes(fmt="GIF"), "JPEG"),
])
def test_cover_upload_refuses_non_images(client, community, owner, upload, message):
    client.force_login(owner.user)
    file = upload()
    file.name = getattr(file, "name", "file.pdf")
    response = client.post(reverse("console:settings", args=[community.slug]), {
        "name": "Renamed", "kind": "interest", "join_policy": "approval", "timezone": "Asia/Shanghai",
        "currency": "CNY", "cover": file, **PAYMENT_SETTINGS,
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["cover"])
    community.refresh_from_db()
    assert community.name != "Renamed" and not community.cover


def test_cover_upload_refuses_oversized_files(client, community, owner, settings):
    settings.IMAGE_MAX_BYTES = 10_000
    client.force_login(owner.user)
    response = client.post(reverse("console:settings", args=[community.slug]), {
        "name": community.name, "kind": "interest", "join_policy": "approval", "timezone": "Asia/Shanghai",
        "currency": "CNY", "cover": image_bytes(fmt="PNG", size=(300, 300), noise=True), **PAYMENT_SETTINGS,
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "too large" in " ".join(response.context["form"].errors["cover"])


def test_console_member_search_and_filters(client, community, owner, member, leader):
    client.force_login(owner.user)
    url = reverse("console:members", args=[community.slug])
    by_name = client.get(url, {"q": member.user.display_name})
    assert [m.pk for m in by_name.context["page"].object_list] == [member.pk]
    by_role = client.get(url, {"role": "leader"})
    assert [m.pk for m in by_role.context["page"].object_list] == [leader.pk]
    by_phone = client.get(url, {"q": leader.user.phone[-4:]})
    assert leader.pk in [m.pk for m in by_phone.context["page"].object_list]


def test_console_role_change_and_ban_buttons(client, community, owner, member):
    client.force_login(owner.user)
    client.post(reverse("console:member_role", args=[community.slug, member.pk]), {"role": "leader"})
    member.refresh_from_db()
    assert member.role == "leader"
    client.post(reverse("console:member_ban", args=[community.slug, member.pk]), {"reason": "spam"})
    member.refresh_from_db()
    assert member.status == "banned"
    assert AuditLog.objects.filter(community=community, action__in=["membership.role_changed", "membership.banned"]).count() == 2


def test_console_demoting_the_owner_shows_an_error_not_a_crash(client, community, owner, admin_member):
    client.force_login(admin_member.user)
    response = client.post(reverse("console:member_role", args=[community.slug, owner.pk]), {"role": "member"},
                           follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    owner.refresh_from_db()
    assert owner.role == "owner"


def test_console_approves_a_request(client, community, admin_member, outsider):
    from communities import services

    request = services.join_request_create(user=outsider, community=community, message="hello")
    client.force_login(admin_member.user)
    page = client.get(reverse("console:requests", args=[community.slug]))
    assert "hello" in page.content.decode()
    client.post(reverse("console:request_decide", args=[community.slug, request.pk, "approve"]))
    assert Membership.objects.get(community=community, user=outsider).is_active


def test_members_cannot_open_the_console(client, community, member, leader):
    client.force_login(member.user)
    assert client.get(reverse("console:dashboard", args=[community.slug])).status_code == 403
    client.force_login(leader.user)
    assert client.get(reverse("console:dashboard", args=[community.slug])).status_code == 200
    assert client.get(reverse("console:requests", args=[community.slug])).status_code == 403


def test_invite_creation_and_poster(client, community, leader):
    client.force_login(leader.user)
    response = client.post(reverse("console:invites", args=[community.slug]), {"label": "Gate poster", "max_uses": 50})
    invite = Invite.objects.get(community=community, label="Gate poster")
    assert response.status_code == 302 and invite.max_uses == 50 and invite.created_by == leader.user
    poster = client.get(response["Location"])
    assert poster.status_code == 200 and invite.code in poster.content.decode()


def test_invite_form_errors(client, community, leader):
    client.force_login(leader.user)
    response = client.post(reverse("console:invites", args=[community.slug]),
                           {"max_uses": 0, "expires_at": "2001-01-01T10:00"})
    assert response.status_code == 400 and response.context["form"].errors
    assert not Invite.objects.filter(community=community).exists()


def test_member_page_queries_do_not_grow_with_communities(client, django_assert_max_num_queries):
    from communities import services

    user = UserFactory()
    for i in range(12):
        services.community_create(owner=user, name=f"Group {i}")
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("communities:mine"))
    assert len(response.context["memberships"]) == 12


def test_settings_page_sets_how_members_pay(client, community, owner):
    client.force_login(owner.user)
    url = reverse("console:settings", args=[community.slug])
    response = client.post(url, {
        "name": community.name, "kind": "interest", "join_policy": "approval", "timezone": "Asia/Shanghai",
        "currency": "CNY", "payment_instructions": "WeChat transfer to Wang, note your building",
        "payment_window_minutes": 45, "commission_recipient": "referrer", "payment_qr": image_bytes(exif=True),
    })
    assert response.status_code == 302
    community.refresh_from_db()
    assert community.payment_window_minutes == 45 and community.commission_recipient == "referrer"
    assert "WeChat" in community.payment_instructions
    with Image.open(community.payment_qr.path) as saved:
        assert not saved.getexif()
    bad = client.post(url, {"name": community.name, "kind": "interest", "join_policy": "approval",
                            "timezone": "Asia/Shanghai", "currency": "CNY", "payment_window_minutes": 1,
                            "commission_recipient": "referrer"})
    assert bad.status_code == 200 and "payment_window_minutes" in bad.context["form"].errors
    community.refresh_from_db()
    assert community.payment_window_minutes == 45
