"""Writes for posts (产品内容化): posts with images and featured products and rounds, comments
(one level of replies), likes, reports, and the community's engagement settings.

Who: an owner or admin (Perm.MODERATE) acts on any post and comment; a leader (Perm.MANAGE_POSTS)
writes posts for their own branch (or the whole community when they have none) and changes only
the posts they wrote. A post out of the actor's view is NotFound; one in view but not theirs to
change is Forbidden. Members comment, like and report on the published posts they see.

Lock order: post row (FOR NO KEY UPDATE: editing, publishing, images, features, deleting; the
counters change by guarded F() updates without it) → comment rows (by id) → report rows. Likes and
comments rely on unique constraints (one like per member and post; one comment per author and
idempotency key) so races resolve in the database. Notices and e-mail go out on commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, Membership
from communities.permissions import (
    Perm, acts_community_wide, branch_in_scope, check_perm,
    has_perm, published_in_scope, published_in_view,
)
from core.audit import audit_record
from core.events import emit
from core.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from core.images import clean_image, image_size
from core.notifications import Notice, in_language_of, notify, notify_many
from engagement.common import engagement_settings
from engagement.content import render_markdown
from engagement.models import Comment, CommentReport, EngagementSettings, Post, PostFeature, PostImage, PostLike

MAX_IMAGES = 9
MAX_FEATURES = 6
MAX_TITLE = Post._meta.get_field("title").max_length
MAX_SUMMARY = Post._meta.get_field("summary").max_length
MAX_BODY = Post._meta.get_field("body").max_length
MAX_COMMENT = Comment._meta.get_field("body").max_length
MAX_REASON = CommentReport._meta.get_field("reason").max_length
MAX_KEY = Comment._meta.get_field("idempotency_key").max_length
NOTIFY_BATCH = 500
REPORT_NOTICE_CAP = timedelta(hours=1)  # an admin hears of new reports at most hourly
POST_FIELDS = ("title", "summary", "body", "kind", "comments_open", "branch")


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _text(value, *, field: str, limit: int, required: bool = False, label=None) -> str:
    """Text typed by a person: NUL bytes refused, trimmed, bounded by its column."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise _bad(field, _("Remove the invisible control characters from this text."))
    text = text.strip()
    if required and not text:
        raise _bad(field, _("Fill in %(field)s.") % {"field": label or field})
    if len(text) > limit:
        raise _bad(field, _("At most %(max)s characters.") % {"max": limit})
    return text


def _post_not_found() -> NotFound:
    return NotFound(_("This post does not exist."), code="post_not_found")


def _comment_not_found() -> NotFound:
    return NotFound(_("This comment does not exist."), code="comment_not_found")


# Who sees and changes which post -------------------------------------------------------------

def post_visible_to(member: Membership, post: Post) -> bool:
    """A member sees a published post of their community aimed at everyone or their branch."""
    return (post.community_id == member.community_id and post.status == Post.Status.PUBLISHED
            and (post.branch_id is None or post.branch_id == member.branch_id or acts_community_wide(member)))


def posts_in_view(actor: Membership, posts):
    """Posts the actor sees in the console: admins all; a leader those for the whole community,
    their branch's and their own."""
    return published_in_view(actor, posts, author="author")


def posts_in_scope(actor: Membership, posts):
    """Posts the actor may change: admins all; a leader their own."""
    return published_in_scope(actor, posts, author="author")


def can_change(actor: Membership, post: Post) -> bool:
    return has_perm(actor, Perm.MODERATE) or (has_perm(actor, Perm.MANAGE_POSTS) and post.author_id == actor.user_id)


def _check_post(actor: Membership, post: Post) -> None:
    check_perm(actor, Perm.MANAGE_POSTS)
    if post is None or post.community_id != actor.community_id or not posts_in_view(
            actor, Post.objects.filter(pk=post.pk)).exists():
        raise _post_not_found()
    if not can_change(actor, post):
        raise Forbidden(_("Only its author or an admin can change this post."), code="not_your_post")


def _lock_post(post_id: int) -> Post:
    return Post.objects.select_for_update(of=("self",), no_key=True).select_related("community").get(pk=post_id)


def _audit(post_or_comment, action: str, actor: Membership | None, **data) -> None:
    audit_record(community=post_or_comment.community, actor=actor.user if actor else None, action=action,
                 obj=post_or_comment, **data)


# Posts ---------------------------------------------------------------------------------------

def _post_values(community: Community, values: dict) -> dict:
    errors: dict = {}
    cleaned: dict = {}
    readers = {
        "title": lambda v: _text(v, field="title", limit=MAX_TITLE, required=True, label=_("the title")),
        "summary": lambda v: _text(v, field="summary", limit=MAX_SUMMARY),
        "body": lambda v: _text(v, field="body", limit=MAX_BODY),
    }
    for name, read in readers.items():
        if name in values:
            try:
                cleaned[name] = read(values[name])
            except ValidationFailed as error:
                errors.update(error.fields)
    if "kind" in values:
        if values["kind"] in Post.Kind.values:
            cleaned["kind"] = values["kind"]
        else:
            errors["kind"] = [_("Choose announcement or article.")]
    if "comments_open" in values:
        cleaned["comments_open"] = bool(values["comments_open"])
    if "branch" in values:
        branch = values["branch"]
        if branch is not None and (not isinstance(branch, Community) or branch.parent_id != community.pk):
            errors["branch"] = [_("Choose one of this community's branches.")]
        else:
            cleaned["branch"] = branch
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), fields=errors)
    if "body" in cleaned:
        cleaned["body_html"] = render_markdown(cleaned["body"])
    return cleaned


def post_create(*, actor: Membership, title: str, body: str = "", summary: str = "",
                kind: str = Post.Kind.ARTICLE, branch: Community | None = None, comments_open: bool = True) -> Post:
    """A draft post. A leader's is for their own branch (none: the whole community)."""
    check_perm(actor, Perm.MANAGE_POSTS)
    values = _post_values(actor.community, {"title": title, "body": body, "summary": summary, "kind": kind,
                                            "comments_open": comments_open, "branch": branch})
    values["branch"] = branch_in_scope(actor, values["branch"])
    with transaction.atomic():
        post = Post.objects.create(community=actor.community, author=actor.user, **values)
        _audit(post, "post.created", actor, title=post.title)
    return post


def post_update(*, actor: Membership, post: Post, values: dict) -> Post:
    """Change title, summary, body (rendered again), kind, comments_open or branch."""
    _check_post(actor, post)
    cleaned = _post_values(actor.community, {k: v for k, v in values.items() if k in POST_FIELDS})
    if "branch" in cleaned:
        cleaned["branch"] = branch_in_scope(actor, cleaned["branch"])
    with transaction.atomic():
        locked = _lock_post(post.pk)
        changes = {}
        for name, value in cleaned.items():
            old = getattr(locked, name)
            if old != value:
                if name != "body_html":
                    changes[name] = [str(old.pk if isinstance(old, Community) else old)[:60] if old is not None else None,
                                     str(value.pk if isinstance(value, Community) else value)[:60]
                                     if value is not None else None]
                setattr(locked, name, value)
        if changes:
            locked.save()
            _audit(locked, "post.changed", actor, changes=changes, title=locked.title)
    return locked


def post_publish(*, actor: Membership, post: Post, now: datetime | None = None) -> Post:
    """Publish a draft: members see it; an announcement tells them (its branch's, for a branch post)."""
    _check_post(actor, post)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_post(post.pk)
        if locked.status != Post.Status.DRAFT:
            raise Conflict(_("Only a draft can be published."), code="not_draft")
        locked.status, locked.published_at = Post.Status.PUBLISHED, now
        locked.save(update_fields=["status", "published_at", "updated_at"])
        _audit(locked, "post.published", actor, title=locked.title)
        # An announcement is told to the members by a handler of this event (announce_published):
        # in a worker, after commit, and retried if the worker dies half-way.
        emit("post.published", community_id=locked.community_id, post_id=locked.pk, member_id=actor.user_id,
             kind=locked.kind)
    return locked


def announce_published(event) -> None:
    """core.events handler of "post.published": an announcement tells its members."""
    if event.payload.get("kind") == Post.Kind.ANNOUNCEMENT:
        announce(event.payload["post_id"])


def announce(post_id: int) -> int:
    """Tell the members who see a published announcement (idempotent: one notice per member)."""
    post = Post.objects.select_related("community").filter(pk=post_id, status=Post.Status.PUBLISHED).first()
    if post is None:
        return 0
    members = (Membership.objects.filter(community_id=post.community_id, status=Membership.Status.ACTIVE)
               .exclude(user_id=post.author_id).select_related("user").order_by("pk"))
    if post.branch_id:
        members = members.filter(Q(branch_id=post.branch_id) | Q(role__in=("owner", "admin")))
    url = post.get_absolute_url()
    sent, batch = 0, []
    for membership in members.iterator(chunk_size=NOTIFY_BATCH):
        user = membership.user
        with in_language_of(user):
            title = _("Announcement: %(title)s") % {"title": post.title}
        batch.append(Notice(recipient=user, kind="announcement", title=title, body=post.summary, url=url,
                            community=post.community, dedupe_key=f"announcement:{post.pk}:{user.pk}"))
        if len(batch) >= NOTIFY_BATCH:
            notify_many(batch)
            sent, batch = sent + len(batch), []
    notify_many(batch)
    return sent + len(batch)


def _status_change(actor: Membership, post: Post, *, frm: tuple, to: str, action: str, code: str, message) -> Post:
    _check_post(actor, post)
    with transaction.atomic():
        locked = _lock_post(post.pk)
        if locked.status not in frm:
            raise Conflict(message, code=code)
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
        _audit(locked, action, actor, title=locked.title)
    return locked


def post_hide(*, actor: Membership, post: Post) -> Post:
    return _status_change(actor, post, frm=(Post.Status.PUBLISHED,), to=Post.Status.HIDDEN, action="post.hidden",
                          code="not_published", message=_("Only a published post can be hidden."))


def post_unhide(*, actor: Membership, post: Post) -> Post:
    return _status_change(actor, post, frm=(Post.Status.HIDDEN,), to=Post.Status.PUBLISHED,
                          action="post.unhidden", code="not_hidden", message=_("This post is not hidden."))


def post_delete(*, actor: Membership, post: Post) -> None:
    """Delete the post with its comments, likes, features and photos (the audit row stays)."""
    _check_post(actor, post)
    with transaction.atomic():
        locked = _lock_post(post.pk)
        files = [i.image for i in locked.images.all()] + ([locked.cover] if locked.cover else [])
        _audit(locked, "post.deleted", actor, title=locked.title)
        locked.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


def post_pin(*, actor: Membership, post: Post, pinned: bool = True) -> Post:
    """Pin a published post to the top of the list and the community home (or unpin it)."""
    _check_post(actor, post)
    with transaction.atomic():
        locked = _lock_post(post.pk)
        if pinned and locked.status != Post.Status.PUBLISHED:
            raise Conflict(_("Only a published post can be pinned."), code="not_published")
        if bool(locked.pinned_at) != pinned:
            locked.pinned_at = timezone.now() if pinned else None
            locked.save(update_fields=["pinned_at", "updated_at"])
            _audit(locked, "post.pinned" if pinned else "post.unpinned", actor, title=locked.title)
    return locked


def post_unpin(*, actor: Membership, post: Post) -> Post:
    return post_pin(actor=actor, post=post, pinned=False)


def post_set_cover(*, actor: Membership, post: Post, upload=None, image: PostImage | None = None) -> Post:
    """The cover: a new upload (checked and re-encoded), one of the post's photos, or none."""
    _check_post(actor, post)
    name = ""
    if upload is not None:
        content = clean_image(upload, field="cover")
        field = Post._meta.get_field("cover")
        name = field.storage.save(field.generate_filename(post, content.name), content)  # no I/O under the lock
    elif image is not None:
        if image.post_id != post.pk:
            raise _bad("image", _("Choose one of this post's photos."))
        name = image.image.name
    with transaction.atomic():
        locked = _lock_post(post.pk)
        old = locked.cover.name
        Post.objects.filter(pk=locked.pk).update(cover=name, updated_at=timezone.now())
        _audit(locked, "post.changed", actor, changes={"cover": [old or None, name or None]}, title=locked.title)
    post.refresh_from_db()
    return post


def post_image_add(*, actor: Membership, post: Post, upload) -> PostImage:
    """A photo for the post (at most nine), checked and re-encoded without EXIF."""
    _check_post(actor, post)
    content = clean_image(upload, field="image")
    width, height = image_size(content)
    image = PostImage(community_id=post.community_id, post=post, width=width, height=height)
    image.image.save(content.name, content, save=False)
    try:
        with transaction.atomic():
            _lock_post(post.pk)  # serialises uploads: the limit holds
            count = PostImage.objects.filter(post_id=post.pk).count()
            if count >= MAX_IMAGES:
                raise _bad("image", _("A post has at most %(max)s photos.") % {"max": MAX_IMAGES})
            image.position = count
            image.save()
    except Exception:
        image.image.delete(save=False)
        raise
    return image


def post_image_remove(*, actor: Membership, image: PostImage) -> None:
    _check_post(actor, image.post)
    with transaction.atomic():
        locked = _lock_post(image.post_id)
        if locked.cover and locked.cover.name == image.image.name:
            Post.objects.filter(pk=locked.pk).update(cover="")
        PostImage.objects.filter(pk=image.pk).delete()
    transaction.on_commit(lambda: image.image.delete(save=False))


def featurable_rounds(actor: Membership):
    """Rounds of the community a post may feature: those the author sees as a member would."""
    from orders import selectors as order_selectors

    return order_selectors.group_buys_for_member(actor)


def post_feature_set(*, actor: Membership, post: Post, product_ids=(), group_buy_ids=()) -> list[PostFeature]:
    """Replace what the post features: products of this community and rounds the author sees
    (at most six in all, in the order given)."""
    _check_post(actor, post)
    product_ids = list(dict.fromkeys(int(i) for i in product_ids))
    group_buy_ids = list(dict.fromkeys(int(i) for i in group_buy_ids))
    if len(product_ids) + len(group_buy_ids) > MAX_FEATURES:
        raise _bad("features", _("A post features at most %(max)s products and rounds.") % {"max": MAX_FEATURES})
    found_products = set(actor.community.products.filter(pk__in=product_ids).values_list("pk", flat=True))
    missing = [i for i in product_ids if i not in found_products]
    if missing:
        raise ValidationFailed(_("Choose products of this community."), code="product_not_found",
                               fields={"products": [_("Unknown product: %(ids)s") % {"ids": ", ".join(map(str, missing))}]})
    found_rounds = set(featurable_rounds(actor).filter(pk__in=group_buy_ids).values_list("pk", flat=True))
    missing = [i for i in group_buy_ids if i not in found_rounds]
    if missing:
        raise ValidationFailed(_("Choose group-buys you can see in this community."), code="group_buy_not_found",
                               fields={"group_buys": [_("Unknown group-buy: %(ids)s") % {
                                   "ids": ", ".join(map(str, missing))}]})
    with transaction.atomic():
        locked = _lock_post(post.pk)
        before = sorted(PostFeature.objects.filter(post_id=locked.pk).values_list("product_id", "group_buy_id"),
                        key=str)
        PostFeature.objects.filter(post_id=locked.pk).delete()
        rows = [PostFeature(community_id=locked.community_id, post=locked, group_buy_id=i, position=n)
                for n, i in enumerate(group_buy_ids)]
        rows += [PostFeature(community_id=locked.community_id, post=locked, product_id=i, position=len(rows) + n)
                 for n, i in enumerate(product_ids)]
        PostFeature.objects.bulk_create(rows)
        Post.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
        if before != sorted([(r.product_id, r.group_buy_id) for r in rows], key=str):
            _audit(locked, "post.changed", actor, changes={"features": [len(before), len(rows)]}, title=locked.title)
    return rows


# Comments ------------------------------------------------------------------------------------

def _visible_post(member: Membership, post: Post) -> None:
    check_perm(member, Perm.VIEW)
    if post is None or not post_visible_to(member, post):
        raise _post_not_found()


def comment_add(*, member: Membership, post: Post, body: str, parent: Comment | None = None,
                idempotency_key: str = "") -> tuple[Comment, bool]:
    """A comment on a published post the member sees, or a reply (a reply to a reply joins its top
    comment). The same idempotency key again returns the first comment (created False)."""
    _visible_post(member, post)
    if not post.comments_open:
        raise Conflict(_("Comments are closed on this post."), code="comments_closed")
    text = _text(body, field="body", limit=MAX_COMMENT, required=True, label=_("your comment"))
    key = _text(idempotency_key, field="idempotency_key", limit=MAX_KEY)
    if parent is not None:
        if parent.post_id != post.pk or parent.status != Comment.Status.VISIBLE:
            raise ValidationFailed(_("Reply to a comment of this post."), code="parent_not_found",
                                   fields={"parent": [_("Not a comment of this post.")]})
        if parent.parent_id is not None:
            parent = Comment.objects.select_related("author").get(pk=parent.parent_id)
    if key:
        existing = _comment_for_key(member, key, post, text, parent)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            comment = Comment.objects.create(community_id=post.community_id, post=post, parent=parent,
                                             author=member.user, body=text, idempotency_key=key)
            Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
            emit("comment.added", community_id=post.community_id, post_id=post.pk, comment_id=comment.pk,
                 member_id=member.user_id)
    except IntegrityError:
        if not key:
            raise
        existing = _comment_for_key(member, key, post, text, parent)
        if existing is None:
            raise
        return existing, False
    if parent is not None and parent.author_id != member.user_id:
        transaction.on_commit(lambda: _tell_replied(comment, parent), robust=True)
    return comment, True


def _comment_for_key(member: Membership, key: str, post: Post, text: str, parent) -> Comment | None:
    existing = Comment.objects.filter(community_id=member.community_id, author_id=member.user_id,
                                      idempotency_key=key).first()
    if existing is not None and (existing.post_id != post.pk or existing.body != text
                                 or existing.parent_id != (parent.pk if parent else None)):
        raise Unprocessable(_("This key was used for a different comment; use a new key."),
                            code="idempotency_key_reused", fields={"idempotency_key": [_("Already used.")]})
    return existing


def _tell_replied(comment: Comment, parent: Comment) -> None:
    author = parent.author
    post = comment.post
    with in_language_of(author):
        title = _("%(name)s replied to your comment") % {"name": comment.author.display_name}
    notify(recipient=author, community=post.community, kind="comment_reply", title=title, body=comment.body[:200],
           url=f"{post.get_absolute_url()}#c{comment.pk}", dedupe_key=f"comment_reply:{comment.pk}")


def _check_moderate(actor: Membership, comment: Comment) -> None:
    check_perm(actor, Perm.MODERATE)
    if comment is None or comment.community_id != actor.community_id:
        raise _comment_not_found()


def _lock_comment(comment_id: int) -> Comment:
    comment = Comment.objects.select_for_update(of=("self",)).select_related("community").filter(pk=comment_id).first()
    if comment is None:
        raise _comment_not_found()
    return comment


def _comment_status(actor: Membership, comment: Comment, to: str) -> Comment:
    _check_moderate(actor, comment)
    with transaction.atomic():
        locked = _lock_comment(comment.pk)
        if locked.status != to:
            locked.status = to
            locked.save(update_fields=["status"])
            Post.objects.filter(pk=locked.post_id).update(
                comment_count=F("comment_count") + (1 if to == Comment.Status.VISIBLE else -1))
            _audit(locked, "comment.hidden" if to == Comment.Status.HIDDEN else "comment.unhidden", actor,
                   post=locked.post_id)
    return locked


def comment_hide(*, actor: Membership, comment: Comment) -> Comment:
    return _comment_status(actor, comment, Comment.Status.HIDDEN)


def comment_unhide(*, actor: Membership, comment: Comment) -> Comment:
    return _comment_status(actor, comment, Comment.Status.VISIBLE)


def comment_delete(*, actor: Membership, comment: Comment) -> None:
    """An admin deletes any comment; a member their own. A top comment goes with its replies."""
    check_perm(actor, Perm.VIEW)
    if comment is None or comment.community_id != actor.community_id:
        raise _comment_not_found()
    if not has_perm(actor, Perm.MODERATE) and comment.author_id != actor.user_id:
        raise Forbidden(_("You can delete only your own comments."), code="not_your_comment")
    with transaction.atomic():
        locked = _lock_comment(comment.pk)
        visible = Comment.objects.filter(Q(pk=locked.pk) | Q(parent_id=locked.pk),
                                         status=Comment.Status.VISIBLE).count()
        _audit(locked, "comment.deleted", actor, post=locked.post_id)
        locked.delete()
        if visible:
            Post.objects.filter(pk=locked.post_id, comment_count__gte=visible).update(
                comment_count=F("comment_count") - visible)


def comment_pin(*, actor: Membership, comment: Comment, pinned: bool = True) -> Comment:
    _check_moderate(actor, comment)
    with transaction.atomic():
        locked = _lock_comment(comment.pk)
        if pinned and locked.parent_id is not None:
            raise Conflict(_("Only a top comment can be pinned."), code="reply_not_pinnable")
        if bool(locked.pinned_at) != pinned:
            locked.pinned_at = timezone.now() if pinned else None
            locked.save(update_fields=["pinned_at"])
            _audit(locked, "comment.pinned" if pinned else "comment.unpinned", actor, post=locked.post_id)
            if pinned:
                # Featured: its author may earn points (engagement.points, once per comment).
                emit("comment.featured", community_id=locked.community_id, comment_id=locked.pk,
                     member_id=locked.author_id, pinned_by=actor.user_id)
    return locked


# Likes ---------------------------------------------------------------------------------------

def post_like(*, member: Membership, post: Post) -> bool:
    """Like a post (True when this call added the like; liking again changes nothing)."""
    _visible_post(member, post)
    try:
        with transaction.atomic():
            PostLike.objects.create(community_id=post.community_id, post=post, member=member.user)
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
            emit("post.liked", community_id=post.community_id, post_id=post.pk, member_id=member.user_id)
    except IntegrityError:
        return False
    return True


def post_unlike(*, member: Membership, post: Post) -> bool:
    """Take a like back (True when there was one)."""
    check_perm(member, Perm.VIEW)
    if post is None or post.community_id != member.community_id:
        raise _post_not_found()
    with transaction.atomic():
        deleted, _rows = PostLike.objects.filter(post_id=post.pk, member_id=member.user_id).delete()
        if deleted:
            Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    return bool(deleted)


# Reports -------------------------------------------------------------------------------------

def comment_report(*, member: Membership, comment: Comment, reason: str = "") -> tuple[CommentReport, bool]:
    """Tell the admins a comment breaks the rules (once per member and comment)."""
    check_perm(member, Perm.VIEW)
    if comment is None or comment.community_id != member.community_id or comment.status != Comment.Status.VISIBLE \
            or not post_visible_to(member, comment.post):
        raise _comment_not_found()
    if comment.author_id == member.user_id:
        raise Unprocessable(_("You cannot report your own comment."), code="own_comment")
    text = _text(reason, field="reason", limit=MAX_REASON)
    try:
        with transaction.atomic():
            report = CommentReport.objects.create(community_id=comment.community_id, comment=comment,
                                                  reporter=member.user, reason=text)
    except IntegrityError:
        return CommentReport.objects.get(comment=comment, reporter=member.user), False
    community_id = comment.community_id
    transaction.on_commit(lambda: _tell_admins_reported(community_id, report.pk), robust=True)
    return report, True


def _tell_admins_reported(community_id: int, report_id: int) -> None:
    from django.urls import reverse

    admins = (Membership.objects.filter(community_id=community_id, status=Membership.Status.ACTIVE,
                                        role__in=("owner", "admin")).select_related("user", "community"))
    for admin in admins:
        with in_language_of(admin.user):
            title = _("A comment was reported")
            body = _("A member reported a comment. Review it and keep, hide or delete it.")
        notify(recipient=admin.user, community=admin.community, kind="comment_reported", title=title, body=body,
               url=reverse("engagement_console:reports", kwargs={"slug": admin.community.slug}),
               dedupe_key=f"comment_reported:{report_id}:{admin.user_id}", cap=REPORT_NOTICE_CAP)


RESOLUTIONS = ("keep", "hide", "delete")


def reports_resolve(*, actor: Membership, comment: Comment, action: str) -> int:
    """Answer every open report of a comment: keep it, hide it or delete it. Returns the reports closed."""
    _check_moderate(actor, comment)
    if action not in RESOLUTIONS:
        raise _bad("action", _("Choose keep, hide or delete."))
    with transaction.atomic():
        locked = _lock_comment(comment.pk)
        closed = CommentReport.objects.filter(comment_id=locked.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor.user)
        _audit(locked, "report.resolved", actor, post=locked.post_id, resolution=action, reports=closed)
        if action == "hide":
            comment_hide(actor=actor, comment=locked)
        elif action == "delete":
            comment_delete(actor=actor, comment=locked)
    return closed


# Settings ------------------------------------------------------------------------------------

POINTS_MAX = 100000  # the points rules' CHECK constraint


def _settings_int(name: str, value, low: int, high: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise _bad(name, _("A whole number from %(low)s to %(high)s.") % {"low": low, "high": high})


def engagement_settings_update(*, actor: Membership, posts_public: bool | None = None,
                               offer_window_hours: int | None = None, points_per_yuan: Decimal | None = None,
                               points_event_attended: int | None = None, points_check_in: int | None = None,
                               streak_bonus_every: int | None = None,
                               streak_bonus_points: int | None = None) -> EngagementSettings:
    """Whether posts are previewed to strangers; how long a waitlist offer stands (1 to 168 hours);
    the points rules (per yuan 0 to 1000 with two decimals; points 0 to 100000; a streak bonus every
    2 to 365 days). None leaves a setting as it is. Locks the settings row."""
    check_perm(actor, Perm.MANAGE_SETTINGS)
    if offer_window_hours is not None and (isinstance(offer_window_hours, bool) or not isinstance(
            offer_window_hours, int) or not 1 <= offer_window_hours <= 168):
        raise _bad("offer_window_hours", _("From %(low)s to %(high)s hours.") % {"low": 1, "high": 168})
    if points_per_yuan is not None and (not isinstance(points_per_yuan, Decimal) or not points_per_yuan.is_finite()
                                        or not 0 <= points_per_yuan <= 1000
                                        or points_per_yuan != points_per_yuan.quantize(Decimal("0.01"))):
        raise _bad("points_per_yuan", _("From 0 to 1000, with at most two decimals."))
    for name, value in (("points_event_attended", points_event_attended), ("points_check_in", points_check_in),
                        ("streak_bonus_points", streak_bonus_points)):
        _settings_int(name, value, 0, POINTS_MAX)
    _settings_int("streak_bonus_every", streak_bonus_every, 2, 365)
    engagement_settings(actor.community)
    with transaction.atomic():
        row = EngagementSettings.objects.select_for_update().get(community_id=actor.community_id)
        changes = {}
        for name, value in (("posts_public", posts_public), ("offer_window_hours", offer_window_hours),
                            ("points_per_yuan", points_per_yuan), ("points_event_attended", points_event_attended),
                            ("points_check_in", points_check_in), ("streak_bonus_every", streak_bonus_every),
                            ("streak_bonus_points", streak_bonus_points)):
            if value is not None and getattr(row, name) != value:
                old = getattr(row, name)
                changes[name] = [str(old), str(value)] if isinstance(value, Decimal) else [old, value]
                setattr(row, name, value)
        if changes:
            row.save()
            audit_record(community=actor.community, actor=actor.user, action="engagement.settings_changed",
                         obj=row, changes=changes)
    return row



# Reach -----------------------------------------------------------------------------------------

def post_seen(*, membership: Membership, post: Post, now: datetime | None = None) -> bool:
    """Record that a member opened a post (its reach; analytics): one row per member and post, the
    first time only. One statement that never raises on a duplicate, so two first views at once
    store one row. Members only: an active membership of the post's community (a stranger's public
    preview is not a member's view). True when this call stored the row."""
    from django.db import connection

    if membership is None or membership.pk is None or membership.community_id != post.community_id \
            or membership.status != Membership.Status.ACTIVE:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO engagement_postview (community_id, post_id, member_id, first_seen_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (post_id, member_id) DO NOTHING",
            [post.community_id, post.pk, membership.user_id, now or timezone.now()])
        return cursor.rowcount == 1
