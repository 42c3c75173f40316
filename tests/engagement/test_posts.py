"""Posts (产品内容化): writing, publishing, featuring rounds and products, comments, likes, reports;
who may do what (other communities, other branches, plain members); what reaches the page."""

import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from communities.models import Membership, Role
from core.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from core.models import DomainEvent, Notification
from engagement import posts as services
from engagement.common import engagement_settings
from engagement.models import Comment, CommentReport, Post, PostFeature, PostLike
from tests.branches import fresh, make_branch
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db

XSS_BODY = ('Hello <script>alert("x")</script>\n\n[click](javascript:alert(1)) '
            '<img src=x onerror="alert(2)">\n\n![p](https://evil.example/p.png) [ok](https://example.com)')


# A tag that would run something: a script, a javascript: address, an event handler attribute.
UNSAFE = re.compile(r"<script|<[^>]*\bon[a-z]+\s*=|<[^>]*=\s*[\"']?\s*javascript:", re.I)


def make_post(actor, *, publish=True, **kwargs):
    kwargs.setdefault("title", "Fresh lychees")
    kwargs.setdefault("body", "Sweet **lychees** from Guangdong.\n\nOrder below.")
    post = services.post_create(actor=actor, **kwargs)
    if publish:
        post = services.post_publish(actor=actor, post=post)
    return post


def photo(name="p.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def other_community_owner():
    owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    return Membership.objects.select_related("community", "user").get(pk=owner.pk)


@pytest.fixture
def branches(community, owner, leader, member):
    """East (led by ``leader``, with ``member``) and West (its own leader and member)."""
    east = make_branch(owner, "East", leader=leader, members=[member])
    west_leader = MembershipFactory(community=community, role=Role.LEADER)
    west_member = MembershipFactory(community=community, role=Role.MEMBER)
    west = make_branch(owner, "West", leader=west_leader, members=[west_member])
    return {"east": east, "west": west, "west_leader": fresh(west_leader), "west_member": fresh(west_member),
            "leader": fresh(leader), "member": fresh(member)}


# Writing and publishing ------------------------------------------------------------------------

def test_a_post_is_a_draft_until_published_and_publishing_leaves_an_audit_row_and_an_event(admin_member, member):
    post = make_post(admin_member, publish=False)
    assert post.status == Post.Status.DRAFT and post.published_at is None
    assert not services.post_visible_to(member, post)
    post = services.post_publish(actor=admin_member, post=post)
    assert post.status == Post.Status.PUBLISHED and services.post_visible_to(member, post)
    assert "<strong>lychees</strong>" in post.body_html
    assert DomainEvent.objects.filter(name="post.published", payload__post_id=post.pk).count() == 1
    from core.models import AuditLog
    assert AuditLog.objects.filter(action="post.published", object_id=post.pk).exists()
    with pytest.raises(Conflict):
        services.post_publish(actor=admin_member, post=post)


def test_an_announcement_tells_each_member_once_and_a_branch_announcement_only_its_branch(
        community, owner, admin_member, branches, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(owner, kind=Post.Kind.ANNOUNCEMENT, title="Pickup moves to Friday")
    told = set(Notification.objects.filter(kind="announcement").values_list("recipient_id", flat=True))
    members = set(community.memberships.exclude(user_id=owner.user_id).values_list("user_id", flat=True))
    assert told == members
    services.announce(post.pk)  # a rerun sends nothing twice
    assert Notification.objects.filter(kind="announcement").count() == len(members)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        make_post(branches["leader"], kind=Post.Kind.ANNOUNCEMENT, title="East only")
    told = set(Notification.objects.filter(kind="announcement").values_list("recipient_id", flat=True))
    assert branches["member"].user_id in told and admin_member.user_id in told
    assert branches["west_member"].user_id not in told and branches["west_leader"].user_id not in told


def test_the_body_is_sanitised_script_javascript_links_and_event_handlers_never_reach_the_html(admin_member):
    post = make_post(admin_member, body=XSS_BODY)
    html = post.body_html
    assert not UNSAFE.search(html)
    assert "evil.example" not in html  # only our own media as images
    assert '<a href="https://example.com" rel="nofollow noopener">ok</a>' in html
    assert "&lt;script&gt;" in html  # shown as text, not run


@pytest.mark.parametrize("markdown, kept, dropped", [
    ("[round](/c/x/buy/1/)", 'href="/c/x/buy/1/"', None),
    ("[x](//evil.example/a)", None, "evil.example"),
    ("[x](data:text/html,hi)", None, 'href="data'),
    ("[x](vbscript:msgbox)", None, 'href="vbscript'),
    ("![p](/media/posts/a.jpg)", 'src="/media/posts/a.jpg"', None),
    ("![p](/media/../secret)", None, "secret\""),
    ("![p](/static/x.png)", None, "<img"),
    ("<iframe src=https://evil.example></iframe>", None, "<iframe"),
    ('<a href="https://x.example" onclick="steal()">x</a>', "&lt;a href=", None),  # text, not a tag
])
def test_links_stay_on_safe_schemes_and_images_on_our_media(markdown, kept, dropped):
    from engagement.content import render_markdown

    html = render_markdown(markdown)
    assert not UNSAFE.search(html)
    if kept:
        assert kept in html
    if dropped:
        assert dropped not in html


def test_bad_input_is_refused_with_field_errors_and_nothing_is_written(admin_member):
    for values, field in (({"title": ""}, "title"), ({"title": "x" * 121}, "title"),
                          ({"title": "a\x00b"}, "title"), ({"title": "ok", "body": "x" * 20001}, "body"),
                          ({"title": "ok", "kind": "poem"}, "kind"), ({"title": "ok", "summary": "s" * 301}, "summary")):
        with pytest.raises(ValidationFailed) as caught:
            services.post_create(actor=admin_member, **values)
        assert field in caught.value.fields
    assert not Post.objects.exists()


def test_images_are_at_most_nine_and_one_may_be_the_cover(admin_member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    post = make_post(admin_member)
    images = [services.post_image_add(actor=admin_member, post=post, upload=photo()) for _ in range(9)]
    with pytest.raises(ValidationFailed):
        services.post_image_add(actor=admin_member, post=post, upload=photo())
    assert post.images.count() == 9
    with pytest.raises(ValidationFailed):
        services.post_image_add(actor=admin_member, post=post, upload=SimpleUploadedFile("x.jpg", b"not an image"))
    services.post_set_cover(actor=admin_member, post=post, image=images[0])
    post.refresh_from_db()
    assert post.cover.name == images[0].image.name
    services.post_image_remove(actor=admin_member, image=images[0])
    post.refresh_from_db()
    assert not post.cover and post.images.count() == 8


def test_features_are_this_communitys_products_and_rounds_the_author_sees_at_most_six(admin_member, owner):
    post = make_post(admin_member)
    round_ = make_group_buy(owner)
    products = [ProductFactory(community=admin_member.community) for _ in range(6)]
    services.post_feature_set(actor=admin_member, post=post, group_buy_ids=[round_.pk],
                              product_ids=[p.pk for p in products[:5]])
    assert PostFeature.objects.filter(post=post).count() == 6
    with pytest.raises(ValidationFailed):
        services.post_feature_set(actor=admin_member, post=post, group_buy_ids=[round_.pk],
                                  product_ids=[p.pk for p in products])
    elsewhere = ProductFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.post_feature_set(actor=admin_member, post=post, product_ids=[elsewhere.pk])
    assert "products" in caught.value.fields
    other_round = make_group_buy(other_community_owner())
    with pytest.raises(ValidationFailed):
        services.post_feature_set(actor=admin_member, post=post, group_buy_ids=[other_round.pk])
    assert PostFeature.objects.filter(post=post).count() == 6  # nothing half-changed


# Who may do what -------------------------------------------------------------------------------

def test_another_community_cannot_touch_a_post_or_its_comments(admin_member, member):
    post = make_post(admin_member)
    comment, _ = services.comment_add(member=member, post=post, body="Lovely")
    stranger = other_community_owner()
    for action in (lambda: services.post_update(actor=stranger, post=post, values={"title": "x"}),
                   lambda: services.post_hide(actor=stranger, post=post),
                   lambda: services.post_delete(actor=stranger, post=post),
                   lambda: services.post_like(member=stranger, post=post),
                   lambda: services.comment_add(member=stranger, post=post, body="hi"),
                   lambda: services.comment_hide(actor=stranger, comment=comment),
                   lambda: services.comment_delete(actor=stranger, comment=comment),
                   lambda: services.comment_report(member=stranger, comment=comment),
                   lambda: services.reports_resolve(actor=stranger, comment=comment, action="hide")):
        with pytest.raises(NotFound):
            action()
    post.refresh_from_db()
    assert post.title == "Fresh lychees" and post.status == Post.Status.PUBLISHED and post.like_count == 0
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.VISIBLE


def test_a_plain_member_cannot_write_or_moderate(member, admin_member):
    with pytest.raises(Forbidden):
        services.post_create(actor=member, title="Mine")
    post = make_post(admin_member)
    comment, _ = services.comment_add(member=admin_member, post=post, body="Admin says hi")
    for action in (lambda: services.post_hide(actor=member, post=post),
                   lambda: services.post_pin(actor=member, post=post),
                   lambda: services.comment_hide(actor=member, comment=comment),
                   lambda: services.comment_delete(actor=member, comment=comment),
                   lambda: services.reports_resolve(actor=member, comment=comment, action="keep"),
                   lambda: services.engagement_settings_update(actor=member, posts_public=True)):
        with pytest.raises(Forbidden):
            action()


def test_a_leader_writes_for_their_branch_and_changes_only_their_own_posts(community, owner, branches):
    leader, west_leader = branches["leader"], branches["west_leader"]
    post = make_post(leader)
    assert post.branch_id == branches["east"].pk
    with pytest.raises(ValidationFailed):
        services.post_create(actor=leader, title="For West", branch=branches["west"])
    with pytest.raises(NotFound):  # another branch's post does not exist for them
        services.post_hide(actor=west_leader, post=post)
    admins_post = make_post(owner, title="Everyone")
    with pytest.raises(Forbidden):  # seen, but not theirs
        services.post_update(actor=leader, post=admins_post, values={"title": "Mine now"})
    services.post_pin(actor=leader, post=post)
    services.post_hide(actor=owner, post=post)  # admins moderate every post


def test_a_branch_post_is_seen_by_its_branch_and_the_admins_only(owner, admin_member, branches):
    from engagement.post_selectors import posts_for_member

    post = make_post(branches["leader"])
    assert list(posts_for_member(branches["member"])) == [post]
    assert list(posts_for_member(admin_member)) == [post]
    assert not posts_for_member(branches["west_member"]).exists()
    with pytest.raises(NotFound):
        services.comment_add(member=branches["west_member"], post=post, body="hi")
    with pytest.raises(NotFound):
        services.post_like(member=branches["west_member"], post=post)


# Comments, likes, reports ----------------------------------------------------------------------

def test_a_reply_to_a_reply_joins_the_top_comment_and_tells_the_author_of_what_was_replied_to(
        admin_member, member, leader, django_capture_on_commit_callbacks):
    post = make_post(admin_member)
    top, _ = services.comment_add(member=member, post=post, body="Are they ripe?")
    with django_capture_on_commit_callbacks(execute=True):
        reply, _ = services.comment_add(member=admin_member, post=post, body="Yes", parent=top)
        deeper, _ = services.comment_add(member=leader, post=post, body="Very", parent=reply)
    assert reply.parent_id == top.pk and deeper.parent_id == top.pk
    assert Notification.objects.filter(kind="comment_reply", recipient=member.user).count() == 2
    post.refresh_from_db()
    assert post.comment_count == 3
    assert DomainEvent.objects.filter(name="comment.added").count() == 3


def test_comments_refuse_nul_bytes_empty_and_long_text_and_closed_posts(admin_member, member):
    post = make_post(admin_member)
    for body in ("", "   ", "a\x00b", "x" * 1001):
        with pytest.raises(ValidationFailed):
            services.comment_add(member=member, post=post, body=body)
    services.post_update(actor=admin_member, post=post, values={"comments_open": False})
    post.refresh_from_db()
    with pytest.raises(Conflict):
        services.comment_add(member=member, post=post, body="hi")
    assert not Comment.objects.exists()


def test_one_idempotency_key_posts_one_comment_and_another_body_with_it_is_refused(admin_member, member):
    post = make_post(admin_member)
    first, created = services.comment_add(member=member, post=post, body="Hi", idempotency_key="k1")
    again, created_again = services.comment_add(member=member, post=post, body="Hi", idempotency_key="k1")
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(Unprocessable):
        services.comment_add(member=member, post=post, body="Other", idempotency_key="k1")
    post.refresh_from_db()
    assert post.comment_count == 1


def test_hiding_and_deleting_comments_keeps_the_count_of_visible_ones(admin_member, member, leader):
    post = make_post(admin_member)
    top, _ = services.comment_add(member=member, post=post, body="Top")
    services.comment_add(member=leader, post=post, body="Reply", parent=top)
    other, _ = services.comment_add(member=leader, post=post, body="Other")
    services.comment_hide(actor=admin_member, comment=other)
    post.refresh_from_db()
    assert post.comment_count == 2
    services.comment_hide(actor=admin_member, comment=other)  # twice changes nothing
    services.comment_unhide(actor=admin_member, comment=other)
    services.comment_delete(actor=member, comment=top)  # the author deletes their own, with its reply
    post.refresh_from_db()
    assert post.comment_count == 1 and list(post.comments.all()) == [other]
    with pytest.raises(Forbidden):
        services.comment_delete(actor=member, comment=other)


def test_likes_are_one_per_member_and_unlike_takes_it_back(admin_member, member):
    post = make_post(admin_member)
    assert services.post_like(member=member, post=post) is True
    assert services.post_like(member=member, post=post) is False
    post.refresh_from_db()
    assert post.like_count == 1 and PostLike.objects.count() == 1
    assert services.post_unlike(member=member, post=post) is True
    assert services.post_unlike(member=member, post=post) is False
    post.refresh_from_db()
    assert post.like_count == 0
    assert DomainEvent.objects.filter(name="post.liked").count() == 1


def test_a_report_is_once_per_member_tells_the_admins_and_resolving_hides_the_comment(
        owner, admin_member, member, leader, django_capture_on_commit_callbacks):
    post = make_post(admin_member)
    comment, _ = services.comment_add(member=leader, post=post, body="Buy my stuff elsewhere")
    with django_capture_on_commit_callbacks(execute=True):
        report, created = services.comment_report(member=member, comment=comment, reason="Spam")
        again, created_again = services.comment_report(member=member, comment=comment, reason="Spam!")
    assert created and not created_again and again.pk == report.pk
    assert set(Notification.objects.filter(kind="comment_reported").values_list("recipient_id", flat=True)) == {
        owner.user_id, admin_member.user_id}
    with pytest.raises(Unprocessable):
        services.comment_report(member=leader, comment=comment)
    with pytest.raises(ValidationFailed):
        services.reports_resolve(actor=admin_member, comment=comment, action="burn")
    assert services.reports_resolve(actor=admin_member, comment=comment, action="hide") == 1
    comment.refresh_from_db()
    assert comment.status == Comment.Status.HIDDEN
    assert CommentReport.objects.get().resolved_by == admin_member.user


def test_settings_are_for_admins_and_bounded(owner, leader):
    row = services.engagement_settings_update(actor=owner, posts_public=True, offer_window_hours=24)
    assert row.posts_public and row.offer_window_hours == 24
    for hours in (0, 169, True, "12"):
        with pytest.raises(ValidationFailed):
            services.engagement_settings_update(actor=owner, offer_window_hours=hours)
    with pytest.raises(Forbidden):
        services.engagement_settings_update(actor=leader, posts_public=False)
    assert engagement_settings(owner.community).offer_window_hours == 24


# Pages -----------------------------------------------------------------------------------------

def _client(client, membership):
    client.force_login(membership.user)
    return client


def test_the_post_page_shows_the_safe_body_the_featured_round_live_and_a_one_tap_order_form(
        client, owner, admin_member, member):
    round_ = make_group_buy(owner, price="12.50")
    post = make_post(admin_member, body=XSS_BODY)
    services.post_feature_set(actor=admin_member, post=post, group_buy_ids=[round_.pk])
    page = _client(client, member).get(post.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert not UNSAFE.search(html.split('<div class="post-body"', 1)[1].split("</div>", 1)[0])
    assert "&lt;script&gt;" in html
    assert round_.title in html and "12.50" in html
    assert f'action="{round_.get_absolute_url()}"' in html and 'name="qty_' in html
    assert 'property="og:title"' in html
    assert len(page.content) < 60_000


def test_hidden_posts_and_comments_do_not_show_to_members(client, admin_member, member, leader):
    post = make_post(admin_member)
    visible, _ = services.comment_add(member=leader, post=post, body="Visible words")
    hidden, _ = services.comment_add(member=leader, post=post, body="Hidden words")
    services.comment_hide(actor=admin_member, comment=hidden)
    html = _client(client, member).get(post.get_absolute_url()).content.decode()
    assert "Visible words" in html and "Hidden words" not in html
    services.post_hide(actor=admin_member, post=post)
    assert client.get(post.get_absolute_url()).status_code == 404
    assert post.title not in client.get(reverse("engagement:posts", args=[post.community.slug])).content.decode()


def test_member_pages_are_404_for_another_communitys_members_and_another_branch(client, owner, branches):
    post = make_post(branches["leader"])
    stranger = other_community_owner()
    assert _client(client, stranger).get(post.get_absolute_url()).status_code == 404
    assert client.post(reverse("engagement:post_like", args=[post.community.slug, post.pk])).status_code in (403, 404)
    assert _client(client, branches["west_member"]).get(post.get_absolute_url()).status_code == 404
    assert client.post(reverse("engagement:post_comment", args=[post.community.slug, post.pk]),
                       {"body": "hi", "token": "t"}).status_code == 404
    assert not Comment.objects.exists() and not PostLike.objects.exists()


def test_a_stranger_sees_a_preview_with_a_join_button_only_when_posts_are_public(client, owner, admin_member):
    post = make_post(admin_member, summary="The season's first lychees", body="Secret details for members.")
    url = post.get_absolute_url()
    assert client.get(url).status_code == 404  # logged out, posts not public
    services.engagement_settings_update(actor=owner, posts_public=True)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "The season&#x27;s first lychees" in html
    assert "Secret details" not in html and 'property="og:title"' in html
    assert reverse("accounts:signup") in html
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(url).status_code == 200
    services.post_hide(actor=admin_member, post=post)
    assert client.get(url).status_code == 404


def test_liking_commenting_replying_and_reporting_through_the_pages(client, admin_member, member, leader):
    post = make_post(admin_member)
    c = _client(client, member)
    slug = post.community.slug
    c.post(reverse("engagement:post_like", args=[slug, post.pk]), {"action": "like"})
    c.post(reverse("engagement:post_like", args=[slug, post.pk]), {"action": "like"})
    token = uuid.uuid4().hex
    for _ in range(2):  # a double tap posts once
        answer = c.post(reverse("engagement:post_comment", args=[slug, post.pk]), {"body": "Yum", "token": token})
        assert answer.status_code == 302
    post.refresh_from_db()
    assert post.like_count == 1 and post.comment_count == 1
    bad = c.post(reverse("engagement:post_comment", args=[slug, post.pk]), {"body": "x" * 1001, "token": "t2"})
    assert bad.status_code == 400
    nul = c.post(reverse("engagement:post_comment", args=[slug, post.pk]), {"body": "a\x00b", "token": "t3"})
    assert nul.status_code == 400
    other, _ = services.comment_add(member=leader, post=post, body="Rude")
    assert c.post(reverse("engagement:comment_report", args=[slug, other.pk]), {"reason": "Rude"}).status_code == 302
    assert CommentReport.objects.filter(comment=other, reporter=member.user).exists()
    assert c.post(reverse("engagement:comment_report", args=[slug, other.pk]),
                  {"reason": "r" * 201}).status_code == 400


def test_list_pages_do_not_grow_their_queries_with_rows(client, owner, admin_member, member,
                                                        django_assert_max_num_queries):
    round_ = make_group_buy(owner)
    c = _client(client, member)

    def add(n):
        for i in range(n):
            post = make_post(admin_member, title=f"Post {i}")
            services.post_feature_set(actor=admin_member, post=post, group_buy_ids=[round_.pk],
                                      product_ids=[ProductFactory(community=owner.community).pk])
            services.comment_add(member=member, post=post, body="hi")

    add(2)
    slug = owner.community.slug
    counts = {}
    for name in ("engagement:posts", "communities:home"):
        with django_assert_max_num_queries(40) as few:
            assert c.get(reverse(name, args=[slug])).status_code == 200
        counts[name] = len(few.captured_queries)
    add(10)
    for name in ("engagement:posts", "communities:home"):
        with django_assert_max_num_queries(counts[name]):
            assert c.get(reverse(name, args=[slug])).status_code == 200


def test_console_pages_answer_admins_and_refuse_members_and_other_communities(client, admin_member, member, leader):
    post = make_post(admin_member)
    slug = post.community.slug
    urls = [reverse("engagement_console:posts", args=[slug]), reverse("engagement_console:post_new", args=[slug]),
            reverse("engagement_console:post_edit", args=[slug, post.pk]),
            reverse("engagement_console:reports", args=[slug]),
            reverse("engagement_console:engagement_settings", args=[slug])]
    c = _client(client, admin_member)
    for url in urls:
        assert c.get(url).status_code == 200, url
    c = _client(client, member)
    for url in urls:
        assert c.get(url).status_code == 403, url
    c = _client(client, other_community_owner())
    for url in urls:
        assert c.get(url).status_code == 404, url
    c = _client(client, leader)
    assert c.get(urls[2]).status_code == 404  # not their post
    assert c.post(reverse("engagement_console:post_action", args=[slug, post.pk]),
                  {"action": "hide"}).status_code == 404
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


def test_the_console_writes_previews_publishes_and_features(client, owner, admin_member):
    slug = admin_member.community.slug
    c = _client(client, admin_member)
    preview = c.post(reverse("engagement_console:post_new", args=[slug]),
                     {"kind": "article", "title": "Hi", "body": "**bold** <script>x</script>", "preview": "1"})
    assert preview.status_code == 200 and "<strong>bold</strong>" in preview.content.decode()
    assert "<script>x" not in preview.content.decode() and not Post.objects.exists()
    bad = c.post(reverse("engagement_console:post_new", args=[slug]), {"kind": "article", "title": ""})
    assert bad.status_code == 400 and not Post.objects.exists()
    saved = c.post(reverse("engagement_console:post_new", args=[slug]),
                   {"kind": "article", "title": "Hi", "body": "Text", "comments_open": "on"})
    assert saved.status_code == 302
    post = Post.objects.get()
    round_ = make_group_buy(owner)
    assert c.post(reverse("engagement_console:post_features", args=[slug, post.pk]),
                  {"group_buys": [round_.pk]}).status_code == 302
    assert c.post(reverse("engagement_console:post_features", args=[slug, post.pk]),
                  {"group_buys": ["٣"]}).status_code == 400
    c.post(reverse("engagement_console:post_action", args=[slug, post.pk]), {"action": "publish"})
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED and post.features.count() == 1
    bad = c.post(reverse("engagement_console:engagement_settings", args=[slug]), {"offer_window_hours": "٣"})
    assert bad.status_code == 400


def test_console_lists_do_not_grow_their_queries_with_rows(client, owner, admin_member, member,
                                                           django_assert_max_num_queries):
    c = _client(client, admin_member)
    slug = owner.community.slug
    urls = [reverse("engagement_console:posts", args=[slug]), reverse("engagement_console:reports", args=[slug])]

    def add(n):
        for i in range(n):
            post = make_post(admin_member, title=f"Post {i}")
            comment, _ = services.comment_add(member=admin_member, post=post, body="hi")
            services.comment_report(member=member, comment=comment, reason="why")

    add(2)
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(40) as few:
            assert c.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    add(8)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert c.get(url).status_code == 200


def test_an_announcement_whose_worker_died_is_sent_by_the_next_sweep(community, owner):
    from core.sweeps import sweep_run

    make_post(owner, kind=Post.Kind.ANNOUNCEMENT, title="Water off on Sunday")  # no task ran after commit
    assert not Notification.objects.filter(kind="announcement").exists()
    assert sweep_run("core.domain_events").settled == 1
    members = set(community.memberships.exclude(user_id=owner.user_id).values_list("user_id", flat=True))
    assert set(Notification.objects.filter(kind="announcement").values_list("recipient_id", flat=True)) == members
    assert sweep_run("core.domain_events").settled == 0
