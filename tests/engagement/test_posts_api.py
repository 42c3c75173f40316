"""The posts API: what members read, like, comment and report; the console's actions; scope
(another community, another branch's leader, a plain member); hidden things never leak; bad input."""

import pytest

from communities.models import Role
from engagement import posts as services
from engagement.models import Comment, CommentReport, Post, PostLike
from tests.engagement.test_posts import XSS_BODY, UNSAFE, make_post, other_community_owner, photo
from tests.factories import MembershipFactory, ProductFactory, make_group_buy
from tests.branches import fresh, make_branch

pytestmark = pytest.mark.django_db


def base(community):
    return f"/api/v1/communities/{community.slug}/"


def test_members_read_posts_with_safe_html_features_live_and_comments(api_as, owner, admin_member, member):
    round_ = make_group_buy(owner, price="9.90")
    post = make_post(admin_member, body=XSS_BODY)
    services.post_feature_set(actor=admin_member, post=post, group_buy_ids=[round_.pk])
    services.comment_add(member=member, post=post, body="Looks good")
    client = api_as(member.user)
    listed = client.get(base(post.community) + "posts/")
    assert listed.status_code == 200 and [p["id"] for p in listed.json()["results"]] == [post.pk]
    detail = client.get(base(post.community) + f"posts/{post.pk}/").json()
    assert not UNSAFE.search(detail["body_html"])
    feature = detail["features"][0]
    assert feature["group_buy"] == round_.pk and feature["price"] == "9.90" and feature["is_open"]
    assert feature["items"][0]["id"] == round_.items.get().pk
    comments = client.get(base(post.community) + f"posts/{post.pk}/comments/").json()["results"]
    assert [c["body"] for c in comments] == ["Looks good"]


def test_hidden_posts_and_comments_are_not_in_the_api(api_as, admin_member, member, leader):
    post = make_post(admin_member)
    hidden, _ = services.comment_add(member=leader, post=post, body="hidden words")
    services.comment_hide(actor=admin_member, comment=hidden)
    client = api_as(member.user)
    comments = client.get(base(post.community) + f"posts/{post.pk}/comments/").json()["results"]
    assert "hidden words" not in str(comments)
    assert client.post(base(post.community) + f"comments/{hidden.pk}/report/", {}, format="json").status_code == 404
    draft = make_post(admin_member, publish=False, title="Draft")
    services.post_hide(actor=admin_member, post=post)
    assert client.get(base(post.community) + "posts/").json()["results"] == []
    for p in (post, draft):
        assert client.get(base(post.community) + f"posts/{p.pk}/").status_code == 404
        assert client.post(base(post.community) + f"posts/{p.pk}/like/").status_code == 404
    admin = api_as(admin_member.user).get(base(post.community) + f"admin/posts/{post.pk}/comments/").json()
    assert admin["results"][0]["status"] == "hidden"


def test_like_unlike_comment_report_delete_through_the_api(api_as, admin_member, member, leader):
    post = make_post(admin_member)
    client = api_as(member.user)
    url = base(post.community) + f"posts/{post.pk}/"
    assert client.post(url + "like/").json() == {"liked": True, "like_count": 1}
    assert client.post(url + "like/").json() == {"liked": True, "like_count": 1}
    assert client.delete(url + "like/").json() == {"liked": False, "like_count": 0}
    made = client.post(url + "comments/", {"body": "Mine"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert made.status_code == 201
    again = client.post(url + "comments/", {"body": "Mine"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    reply = api_as(leader.user).post(url + "comments/", {"body": "Re", "parent": made.json()["id"]}, format="json")
    assert reply.status_code == 201 and reply.json()["parent"] == made.json()["id"]
    reported = client.post(base(post.community) + f"comments/{reply.json()['id']}/report/", {"reason": "no"},
                           format="json")
    assert reported.status_code == 201
    own = client.post(base(post.community) + f"comments/{made.json()['id']}/report/", {}, format="json")
    assert own.status_code == 422
    assert api_as(leader.user).delete(base(post.community) + f"comments/{made.json()['id']}/").status_code == 403
    assert client.delete(base(post.community) + f"comments/{made.json()['id']}/").status_code == 204
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "x" * 1001}, {"body": "a\x00b"}, {"body": ["list"]},
                                  {"body": "ok", "parent": "٣"}, {"body": "ok", "parent": 2**70}, {}])
def test_bad_comments_are_400_and_write_nothing(api_as, admin_member, member, body):
    post = make_post(admin_member)
    answer = api_as(member.user).post(base(post.community) + f"posts/{post.pk}/comments/", body, format="json")
    assert answer.status_code in (400, 404) and "code" in answer.json()
    assert not Comment.objects.exists()


def test_the_console_api_writes_publishes_features_pins_and_resolves(api_as, owner, admin_member, member, leader,
                                                                     settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = api_as(admin_member.user)
    url = base(admin_member.community) + "admin/posts/"
    made = client.post(url, {"title": "New", "body": "**b**", "kind": "announcement"}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "draft"
    pk = made.json()["id"]
    assert client.post(url, {"title": ""}, format="json").status_code == 400
    assert client.patch(f"{url}{pk}/", {"summary": "s" * 301}, format="json").status_code == 400
    assert client.patch(f"{url}{pk}/", {"summary": "Short"}, format="json").json()["summary"] == "Short"
    round_ = make_group_buy(owner)
    product = ProductFactory(community=owner.community)
    featured = client.put(f"{url}{pk}/features/", {"group_buys": [round_.pk], "products": [product.pk]},
                          format="json")
    assert featured.status_code == 200 and len(featured.json()["features"]) == 2
    assert client.put(f"{url}{pk}/features/", {"products": [ProductFactory().pk]}, format="json").status_code == 400
    image = client.post(f"{url}{pk}/images/", {"image": photo()}, format="multipart")
    assert image.status_code == 201
    assert client.put(f"{url}{pk}/cover/", {"image": image.json()["id"]}, format="json").json()["cover_url"]
    assert client.post(f"{url}{pk}/publish/").json()["status"] == "published"
    assert client.post(f"{url}{pk}/publish/").status_code == 409
    assert client.post(f"{url}{pk}/pin/").json()["pinned"] is True
    assert client.get(url + "?pinned=true").json()["count"] == 1
    assert client.get(url + "?status=bogus").status_code == 400
    post = Post.objects.get(pk=pk)
    comment, _ = services.comment_add(member=leader, post=post, body="Spam")
    services.comment_report(member=member, comment=comment)
    reports = client.get(base(admin_member.community) + "admin/reports/").json()["results"]
    assert [r["id"] for r in reports] == [comment.pk] and reports[0]["open_reports"] == 1
    resolved = client.post(base(admin_member.community) + f"admin/reports/{comment.pk}/resolve/",
                           {"action": "delete"}, format="json")
    assert resolved.json() == {"resolved": 1} and not Comment.objects.exists()
    settings_url = base(admin_member.community) + "admin/engagement-settings/"
    assert client.patch(settings_url, {"posts_public": True}, format="json").json()["posts_public"] is True
    assert client.patch(settings_url, {"offer_window_hours": 0}, format="json").status_code == 400
    assert client.delete(f"{url}{pk}/").status_code == 204 and not Post.objects.exists()


def test_console_api_scope_other_community_other_branch_and_plain_member(api_as, community, owner, leader, member):
    east = make_branch(owner, "East", leader=leader)
    west_leader = fresh(MembershipFactory(community=community, role=Role.LEADER))
    make_branch(owner, "West", leader=west_leader)
    post = make_post(fresh(leader))
    assert post.branch_id == east.pk
    url = base(community) + f"admin/posts/{post.pk}/"
    assert api_as(member.user).get(base(community) + "admin/posts/").status_code == 403
    assert api_as(member.user).get(base(community) + "admin/reports/").status_code == 403
    stranger = other_community_owner()
    assert api_as(stranger.user).get(url).status_code == 404
    assert api_as(stranger.user).get(base(community) + f"posts/{post.pk}/").status_code == 404
    west = api_as(west_leader.user)
    assert west.get(url).status_code == 404
    assert west.post(url + "hide/").status_code == 404
    assert west.patch(url, {"title": "Mine"}, format="json").status_code == 404
    assert west.get(base(community) + "admin/posts/").json()["count"] == 0
    assert west.get(base(community) + f"posts/{post.pk}/").status_code == 404
    assert api_as(leader.user).post(url + "pin/").status_code == 200
    post.refresh_from_db()
    assert post.title == "Fresh lychees" and post.status == Post.Status.PUBLISHED
    assert api_as(leader.user).get(base(community) + "admin/engagement-settings/").status_code == 403
    assert not PostLike.objects.exists() and not CommentReport.objects.exists()
