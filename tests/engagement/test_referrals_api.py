"""Referrals on the member page and in the API: my link (made once), the rule, my invitees only;
the console's list (status, updated_since), numbers, approve and reject. Bad input is a 400, a
leader a 403, another community's referral a 404, a replayed decision a 409."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from communities.models import Invite
from engagement.models import Referral
from tests.engagement.referral_helpers import complete_order, join_by_link, referral_of
from tests.factories import CommunityFactory, MembershipFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2027, 3, 2, 10, 0, tzinfo=SHANGHAI)


def api_url(community, name, **kwargs):
    return reverse(name, kwargs={"slug": community.slug, **kwargs})


@pytest.fixture
def held_world(owner, admin_member, member, leader):
    """Five people joined by ``member``'s link from one address (all held); another member's invitee."""
    with time_machine.travel(T0, tick=False):
        burst = [join_by_link(member, address="198.51.100.9") for _ in range(5)]
        other = join_by_link(leader, address="198.51.100.50")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        complete_order(owner, admin_member, burst[0])
    return burst, other


# The member page ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_my_invites_page_shows_my_link_qr_rule_and_only_my_invitees(client, member, held_world):
    burst, other = held_world
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(member.user)
    page = client.get(reverse("engagement:my_referrals", kwargs={"slug": member.community.slug}))
    assert page.status_code == 200
    html = page.content.decode()
    invite = Invite.objects.get(created_by=member.user)
    assert invite.get_absolute_url() in html and reverse("communities:invite_qr", args=[invite.code]) in html
    assert "50 points" in html and "7 days have passed without a refund" in html and "At most 10 rewards" in html
    assert html.count("data-referral=") == 5 and other.user.display_name not in html
    assert html.count('data-status="held"') == 5 and "Under review" in html
    assert "198.51.100.9" not in html  # the address is for admins only
    # Opening it again does not make a second link.
    client.get(reverse("engagement:my_referrals", kwargs={"slug": member.community.slug}))
    assert Invite.objects.filter(created_by=member.user).count() == 1


@pytest.mark.django_db
def test_my_invites_page_is_for_members_of_the_community(client, member, outsider):
    url = reverse("engagement:my_referrals", kwargs={"slug": member.community.slug})
    assert client.get(url).status_code == 302  # log in first
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert not Invite.objects.filter(created_by=outsider).exists()


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_invitees(client, member, django_assert_max_num_queries):
    client.force_login(member.user)
    url = reverse("engagement:my_referrals", kwargs={"slug": member.community.slug})
    join_by_link(member)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(6):
        join_by_link(member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# The member API ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_my_referrals(api_as, member, leader, held_world):
    client = api_as(member.user)
    body = client.get(api_url(member.community, "api-my-referrals")).json()
    assert body["invite"]["url"].endswith(Invite.objects.get(created_by=member.user).get_absolute_url())
    assert body["invite"]["qr_url"].endswith("qr.png")
    assert body["rules"] == {"points": 50, "coupon": None, "window_days": 7, "weekly_cap": 10}
    assert body["summary"] == {"invited": 5, "rewarded": 0, "points": 0}
    assert body["count"] == 5 and {r["status"] for r in body["results"]} == {"held"}
    assert "join_address" not in body["results"][0] and "referrer" not in body["results"][0]
    assert client.get(api_url(member.community, "api-my-referrals"), {"page_size": "٣"}).status_code == 400
    # The leader sees only their own invitee.
    assert api_as(leader.user).get(api_url(member.community, "api-my-referrals")).json()["count"] == 1


# The console API ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_admin_referrals_lists_filters_and_syncs(api_as, admin_member, member, held_world):
    client = api_as(admin_member.user)
    url = api_url(member.community, "api-admin-referrals")
    everything = client.get(url).json()
    assert everything["count"] == 6
    held = client.get(url, {"status": "held"}).json()["results"]
    assert len(held) == 5 and held[0]["held_reasons"] == ["address_burst"]
    assert held[0]["join_address"] == "198.51.100.9" and held[0]["referrer"]["id"] == member.user_id
    assert len(client.get(url, {"updated_since": "2999-01-01T00:00:00Z"}).json()["results"]) == 0
    for bad in ({"status": "bogus"}, {"updated_since": "٢٠٢٦-01-01T00:00:00Z"}, {"updated_since": "yesterday"},
                {"page": "0"}):
        answer = client.get(url, bad)
        assert answer.status_code == 400 and answer.json()["code"], bad
    stats = client.get(api_url(member.community, "api-admin-referral-stats")).json()
    assert stats["numbers"] == {"invited": 6, "ordered": 1, "rewarded": 0, "held": 5, "points": 0}
    assert stats["top_referrers"][0]["referrer"]["id"] == member.user_id


@pytest.mark.django_db
def test_api_approve_and_reject(api_as, admin_member, member, held_world):
    burst, _other = held_world
    client = api_as(admin_member.user)
    first, second = referral_of(burst[0]), referral_of(burst[1])
    approved = client.post(api_url(member.community, "api-admin-referral-approve", pk=first.pk))
    assert approved.status_code == 200 and approved.json()["status"] == "due"
    replay = client.post(api_url(member.community, "api-admin-referral-approve", pk=first.pk))
    assert replay.status_code == 409 and replay.json()["code"] == "not_held"
    for bad in ({"note": "x" * 201}, {"note": "bad\x00note"}, {"note": ["list"]}):
        answer = client.post(api_url(member.community, "api-admin-referral-reject", pk=second.pk), bad, format="json")
        assert answer.status_code == 400, bad
    assert referral_of(burst[1]).status == Referral.Status.HELD
    rejected = client.post(api_url(member.community, "api-admin-referral-reject", pk=second.pk), {"note": "bots"},
                           format="json")
    assert rejected.status_code == 200 and rejected.json()["outcome"] == "rejected"
    assert client.post(api_url(member.community, "api-admin-referral-reject", pk=10**20)).status_code == 404


@pytest.mark.django_db
def test_api_console_is_for_admins_of_this_community_only(api_as, leader, member, held_world):
    burst, _other = held_world
    pk = referral_of(burst[0]).pk
    for who in (leader.user, member.user):
        client = api_as(who)
        assert client.get(api_url(member.community, "api-admin-referrals")).status_code == 403
        assert client.post(api_url(member.community, "api-admin-referral-approve", pk=pk)).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role="owner")
    client = api_as(stranger.user)
    assert client.post(api_url(stranger.community, "api-admin-referral-approve", pk=pk)).status_code == 404
    assert client.post(api_url(member.community, "api-admin-referral-reject", pk=pk)).status_code == 404
    assert client.get(api_url(stranger.community, "api-admin-referrals")).json()["count"] == 0
    assert referral_of(burst[0]).status == Referral.Status.HELD
