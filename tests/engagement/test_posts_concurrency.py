"""Races on posts with real threads on PostgreSQL: likes counted exactly, one comment per key, one
report per member."""

import pytest
from rest_framework.test import APIClient

from communities.models import Membership, Role
from engagement import posts as services
from engagement.models import Comment, CommentReport, Post, PostLike
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

N = 8


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


@pytest.fixture
def published():
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    post = services.post_create(actor=owner, title="Tasting notes", body="Pu'er, 2019.")
    return owner, services.post_publish(actor=owner, post=post)


def test_n_members_liking_at_once_count_n_likes(published):
    owner, post = published
    members = [membership(owner.community) for _ in range(N)]
    results = run_at_once(N, lambda i: services.post_like(member=members[i], post=post))
    assert results == [True] * N
    post.refresh_from_db()
    assert post.like_count == N == PostLike.objects.filter(post=post).count()


def test_one_member_liking_twice_at_once_counts_once(published):
    owner, post = published
    member = membership(owner.community)
    results = run_at_once(4, lambda i: services.post_like(member=member, post=post))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(results) == [False, False, False, True]
    post.refresh_from_db()
    assert post.like_count == 1 == PostLike.objects.filter(post=post).count()


def test_likes_and_unlikes_at_once_leave_the_count_equal_to_the_rows(published):
    owner, post = published
    members = [membership(owner.community) for _ in range(N)]
    for m in members[: N // 2]:
        services.post_like(member=m, post=post)
    run_at_once(N, lambda i: services.post_unlike(member=members[i], post=post) if i < N // 2
                else services.post_like(member=members[i], post=post))
    post.refresh_from_db()
    assert post.like_count == PostLike.objects.filter(post=post).count() == N // 2


def test_one_idempotency_key_sent_at_once_posts_one_comment(published):
    owner, post = published
    member = membership(owner.community)
    results = run_at_once(N, lambda i: services.comment_add(member=member, post=post, body="First!",
                                                            idempotency_key="tap-1"))
    assert not any(isinstance(r, Exception) for r in results), results
    assert len({comment.pk for comment, _created in results}) == 1
    assert sum(created for _comment, created in results) == 1
    post.refresh_from_db()
    assert Comment.objects.filter(post=post).count() == 1 == post.comment_count


def test_one_idempotency_key_over_the_api_at_once_posts_one_comment(published):
    owner, post = published
    member = membership(owner.community)
    url = f"/api/v1/communities/{owner.community.slug}/posts/{post.pk}/comments/"

    def send(i):
        client = APIClient()
        client.force_authenticate(member.user)
        return client.post(url, {"body": "Hello"}, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code

    codes = run_at_once(N, send)
    assert sorted(codes) == [200] * (N - 1) + [201]
    assert Comment.objects.filter(post=post).count() == 1


def test_reports_sent_at_once_by_one_member_make_one_report(published):
    owner, post = published
    author, reporter = membership(owner.community), membership(owner.community)
    comment, _ = services.comment_add(member=author, post=post, body="Spam spam")
    results = run_at_once(4, lambda i: services.comment_report(member=reporter, comment=comment))
    assert not any(isinstance(r, Exception) for r in results), results
    assert CommentReport.objects.filter(comment=comment).count() == 1
    assert Post.objects.get(pk=post.pk).comment_count == 1
