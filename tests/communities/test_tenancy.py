"""A user of community A must never read or change anything of community B (pages)."""

import pytest
from django.urls import URLPattern, get_resolver, reverse

from communities import services
from communities.models import Community, Invite, JoinRequest, Membership
from core.models import AuditLog
from tests.factories import CommunityFactory, InviteFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# Pages that are public on purpose: the invite landing (anyone holding the code) and the join page
# of an open/approval community (tested in test_pages.py), and the share poster of such a community,
# which shows what its join page shows (tested in tests/orders/test_sharing.py).
PUBLIC = {"communities:invite", "communities:invite_qr", "communities:join", "communities:poster"}


def community_patterns():
    """Every named page route that takes a community slug, found from the URLconf itself."""
    resolver = get_resolver()
    found = []
    for namespace in ("communities", "console"):
        _prefix, sub = resolver.namespace_dict[namespace]
        for pattern in sub.url_patterns:
            if isinstance(pattern, URLPattern) and "slug" in pattern.pattern.converters:
                found.append((f"{namespace}:{pattern.name}", pattern.pattern.converters))
    return found


def snapshot(community):
    return (
        sorted(Membership.objects.filter(community=community).values_list("id", "role", "status", "branch_id")),
        sorted(Invite.objects.filter(community=community).values_list("id", "revoked_at", "uses_count")),
        sorted(JoinRequest.objects.filter(community=community).values_list("id", "status")),
        Community.objects.filter(pk=community.pk).values_list("name", "join_policy").get(),
        sorted(Community.objects.filter(parent=community).values_list("id", "name", "leader_id")),
        AuditLog.objects.filter(community=community).count(),
    )


def test_owner_of_a_cannot_reach_any_page_of_b(client):
    a = CommunityFactory()
    owner_a = MembershipFactory(community=a, role="owner")
    b = CommunityFactory(name="Secret B")
    owner_b = MembershipFactory(community=b, role="owner")
    member_b = MembershipFactory(community=b, role="member")
    branch_b = services.branch_create(actor=owner_b, name="B branch")
    invite_b = InviteFactory(community=b, created_by=owner_b.user)
    request_b = services.join_request_create(user=UserFactory(), community=b, message="b-secret")
    # The id each kind of route takes, by the route's name.
    ids = {"member": member_b.pk, "branch": branch_b.pk, "invite": invite_b.pk, "request": request_b.pk}
    before = snapshot(b)
    client.force_login(owner_a.user)

    patterns = community_patterns()
    assert len(patterns) >= 15  # the walk really covers the console
    checked = 0
    for name, converters in patterns:
        if name in PUBLIC:
            continue
        own_id = next((pk for kind, pk in ids.items() if name.split(":")[1].startswith(kind)), None)
        if "pk" in converters:
            assert own_id is not None, f"add the id kind of {name} to the walk"
        for pk in [own_id] if "pk" in converters else [None]:
            kwargs = {"slug": b.slug}
            if pk is not None:
                kwargs["pk"] = pk
            if "decision" in converters:
                kwargs["decision"] = "approve"
            url = reverse(name, kwargs=kwargs)
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"role": "admin", "branch": branch_b.pk, "name": "pwned",
                                                         "reason": "x", "note": "x"})
                assert response.status_code in (403, 404, 405), (name, method, response.status_code)
                assert "Secret B" not in response.content.decode() and "b-secret" not in response.content.decode()
                checked += 1
        # B's ids under A's own slug are not found either.
        if "pk" in converters:
            for pk in [own_id]:
                kwargs = {"slug": a.slug, "pk": pk}
                if "decision" in converters:
                    kwargs["decision"] = "approve"
                response = client.post(reverse(name, kwargs=kwargs), {"role": "admin", "name": "pwned"})
                assert response.status_code in (404, 405), (name, "a-slug", response.status_code)
    assert checked > 30
    assert snapshot(b) == before


def test_invite_only_community_has_no_public_join_page(client):
    community = CommunityFactory(join_policy=Community.JoinPolicy.INVITE)
    client.force_login(UserFactory())
    assert client.get(reverse("communities:join", args=[community.slug])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, community):
    response = client.get(reverse("console:members", args=[community.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
