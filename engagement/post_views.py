"""Member pages (phone first) of the posts area: the list, a post with its photos, what it features
(live price and progress, ordered in one tap through the round's own order form), likes, comments
with replies, reporting a comment; a stranger's preview of a shared post when the community's
posts are public.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.pages import community_page
from communities.permissions import Perm, has_perm
from core.exceptions import DomainError, NotFound
from core.forms import add_domain_error
from core.inputs import parse_id
from engagement import post_selectors as selectors
from engagement import posts as services
from engagement.common import engagement_settings
from engagement.content import first_paragraph
from engagement.models import Comment, Post
from engagement.post_forms import CommentForm, ReportForm

PAGE_SIZE = 30


def _post_for(membership, pk) -> Post:
    post = selectors.with_liked(selectors.posts_for_member(membership), membership).select_related(
        "community", "author").filter(pk=parse_id(pk) or 0).first()
    if post is None:
        raise Http404
    return post


@community_page(Perm.VIEW)
def posts(request, community, membership):
    qs = selectors.for_cards(selectors.with_liked(selectors.posts_for_member(membership), membership))
    items = list(qs[:PAGE_SIZE])
    return render(request, "engagement/posts/posts.html", {
        "community": community, "membership": membership, "posts": items,
        "can_write": has_perm(membership, Perm.MANAGE_POSTS)})


def _og(request, community, post) -> dict:
    image = post.cover.url if post.cover else (community.cover.url if community.cover else "")
    return {"title": post.title, "description": post.summary or first_paragraph(post.body_html),
            "image": request.build_absolute_uri(image) if image else "",
            "url": request.build_absolute_uri(post.get_absolute_url())}


def _order_rows(features, membership):
    """Each featured item a member can order in one tap gets its round's default pickup point."""
    for entry in features:
        g = entry.group_buy
        entry.point = selectors.default_pickup_point(g, membership) if g is not None and entry.is_open else None
        entry.one_tap = bool(entry.is_open and g is not None and g.mode != "team" and entry.point is not None)
        entry.token = uuid.uuid4().hex
    return features


def _post_page(request, community, membership, post, *, comment_form=None, status=200):
    features = _order_rows(selectors.featured([post], membership).get(post.pk, []), membership)
    return render(request, "engagement/posts/post.html", {
        "community": community, "membership": membership, "post": post, "images": selectors.images(post),
        "features": features, "comments": selectors.comments_tree(post),
        "comment_form": comment_form or CommentForm(initial={"token": uuid.uuid4().hex}),
        "can_change": services.can_change(membership, post), "moderates": has_perm(membership, Perm.MODERATE),
        "og": _og(request, community, post),
    }, status=status)


def _stranger_post(request, slug, pk):
    """A stranger's preview of a shared post: title, summary, cover, community and the way in (when
    the community's posts are public and the post is for everyone); otherwise 404 as ever."""
    from orders.sharing import join_prompt, stranger_page

    @stranger_page
    def preview(request, community, stranger_membership, pk):
        post = community.posts.filter(pk=parse_id(pk) or 0, status=Post.Status.PUBLISHED,
                                      branch__isnull=True).first()
        if post is None or not engagement_settings(community).posts_public:
            raise NotFound(_("This post does not exist."), code="post_not_found")
        return render(request, "engagement/posts/preview.html", {
            "community": community, "post": post, "teaser": post.summary or first_paragraph(post.body_html),
            "join": join_prompt(request, community, request.get_full_path()), "og": _og(request, community, post)})

    return preview(request, slug, pk)


@community_page(Perm.VIEW, stranger=_stranger_post)
def post(request, community, membership, pk):
    item = _post_for(membership, pk)
    if request.method == "GET":
        services.post_seen(membership=membership, post=item)  # its reach (analytics)
    return _post_page(request, community, membership, item)


@require_POST
@community_page(Perm.VIEW)
def post_like(request, community, membership, pk):
    item = _post_for(membership, pk)
    try:
        if request.POST.get("action") == "unlike":
            services.post_unlike(member=membership, post=item)
        else:
            services.post_like(member=membership, post=item)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{item.get_absolute_url()}#likes")


@require_POST
@community_page(Perm.VIEW)
def comment_add(request, community, membership, pk):
    item = _post_for(membership, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        parent = None
        if data["parent"]:
            parent = item.comments.select_related("author").filter(pk=data["parent"]).first()
            if parent is None:
                form.add_error(None, _("The comment you replied to is gone."))
        if not form.errors:
            try:
                comment, _created = services.comment_add(member=membership, post=item, body=data["body"],
                                                         parent=parent, idempotency_key=data["token"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect(f"{item.get_absolute_url()}#c{comment.pk}")
    return _post_page(request, community, membership, item, comment_form=form, status=400)


def _comment_for(membership, pk) -> Comment:
    comment = (Comment.objects.filter(community_id=membership.community_id, pk=parse_id(pk) or 0,
                                      status=Comment.Status.VISIBLE)
               .select_related("post__community", "author").first())
    if comment is None or not services.post_visible_to(membership, comment.post):
        raise Http404
    return comment


@require_POST
@community_page(Perm.VIEW)
def comment_delete(request, community, membership, pk):
    comment = _comment_for(membership, pk)
    try:
        services.comment_delete(actor=membership, comment=comment)
        messages.success(request, _("The comment was deleted."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{comment.post.get_absolute_url()}#comments")


@community_page(Perm.VIEW)
def comment_report(request, community, membership, pk):
    comment = _comment_for(membership, pk)
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.comment_report(member=membership, comment=comment, reason=form.cleaned_data["reason"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Thank you: the admins will look at this comment."))
                return redirect(f"{comment.post.get_absolute_url()}#c{comment.pk}")
        status = 400
    return render(request, "engagement/posts/report.html", {
        "community": community, "membership": membership, "comment": comment, "form": form}, status=status)
