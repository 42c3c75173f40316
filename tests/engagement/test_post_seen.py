"""A post's reach: post_seen records a member's first view once (twice counts once, two first views
at once store one row); the member's post page and the member API's post detail record it; a
stranger's public preview, a member who left and a POST record nothing."""

from datetime import datetime, timezone

import pytest
from rest_framework.test import APIClient

from communities.models import Membership, Role
from engagement import posts as services
from engagement.models import PostView
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, UserFactory


def membership(community, role=Role.MEMBER, **kwargs):
    created = MembershipFactory(community=community, role=role, **kwargs)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def published(community):
    owner = membership(community, Role.OWNER)
    post = services.post_create(actor=owner, title="Tasting notes", body="Pu'er, 2019.")
    return owner, services.post_publish(actor=owner, post=post)


@pytest.mark.django_db
def test_twice_counts_once_and_keeps_the_first_time():
    community = CommunityFactory()
    _owner, post = published(community)
    member = membership(community)
    first, later = datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 5, tzinfo=timezone.utc)
    assert services.post_seen(membership=member, post=post, now=first) is True
    assert services.post_seen(membership=member, post=post, now=later) is False
    rows = list(PostView.objects.filter(post=post).values_list("member_id", "first_seen_at", "community_id"))
    assert rows == [(member.user_id, first, community.pk)]


@pytest.mark.django_db
def test_a_member_of_another_community_or_one_who_left_stores_nothing():
    community = CommunityFactory()
    _owner, post = published(community)
    outsider = membership(CommunityFactory())
    gone = membership(community, status=Membership.Status.LEFT)
    assert services.post_seen(membership=outsider, post=post) is False
    assert services.post_seen(membership=gone, post=post) is False
    assert services.post_seen(membership=None, post=post) is False
    assert not PostView.objects.exists()


@pytest.mark.django_db
def test_the_post_page_and_the_api_detail_record_a_view_and_the_stranger_preview_does_not(client):
    community = CommunityFactory()
    owner, post = published(community)
    services.engagement_settings_update(actor=owner, posts_public=True)
    url = post.get_absolute_url()
    assert client.get(url).status_code == 200                       # a stranger's public preview
    client.force_login(UserFactory())
    assert client.get(url).status_code == 200                       # logged in, not a member: preview
    assert not PostView.objects.exists()
    member = membership(community)
    client.force_login(member.user)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert list(PostView.objects.values_list("member_id", flat=True)) == [member.user_id]
    other = membership(community)
    api = APIClient()
    api.force_authenticate(other.user)
    assert api.get(f"/api/v1/communities/{community.slug}/posts/{post.pk}/").status_code == 200
    assert sorted(PostView.objects.values_list("member_id", flat=True)) == sorted([member.user_id, other.user_id])


@pytest.mark.django_db(transaction=True)
def test_two_first_views_at_once_store_one_row():
    community = CommunityFactory()
    _owner, post = published(community)
    member = membership(community)
    results = run_at_once(2, lambda i: services.post_seen(membership=member, post=post))
    assert sorted(results) == [False, True]
    assert PostView.objects.filter(post=post, member=member.user).count() == 1
