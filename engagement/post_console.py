"""Console pages of the posts area (admins and leaders, desktop): the posts list with status and
pin filters, the post form (Markdown with a preview), what a post features, its photos and cover,
its comments (moderation), the reported comments, and the engagement settings.

Views stay thin: queries start from the community narrowed by the actor's scope (posts_in_view /
posts_in_scope: a leader sees whole-community posts, their branch's and their own, and changes their
own); every change goes through engagement.posts; a DomainError becomes a form error or a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from communities.permissions import Perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.inputs import parse_id
from engagement import loyalty_rules
from engagement import post_selectors as selectors
from engagement import posts as services
from engagement.common import engagement_settings
from engagement.content import render_markdown
from engagement.models import Comment, Post, PostImage
from engagement.post_console_forms import FeatureForm, ImageForm, PostForm, SettingsForm
from communities.pages import console_context as _ctx
from communities.pages import console_page

SECTION = "posts"
PAGE_SIZE = 30


def _in_view(membership, community):
    return services.posts_in_view(membership, community.posts.all())


def _post_in_scope(membership, community, pk) -> Post:
    post = services.posts_in_scope(membership, _in_view(membership, community)).select_related(
        "community", "branch", "author").filter(pk=parse_id(pk) or 0).first()
    if post is None:
        raise Http404
    return post


def _edit_url(community, pk) -> str:
    return reverse("engagement_console:post_edit", kwargs={"slug": community.slug, "pk": pk})


@require_safe
@console_page(Perm.MANAGE_POSTS)
def posts(request, community, membership):
    status = request.GET.get("status", "")
    pinned = request.GET.get("pinned", "")
    visible = _in_view(membership, community)
    qs = visible.select_related("branch", "author", "community").order_by(selectors.pinned_first(), "-created_at", "-id")
    if status in Post.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    if pinned == "yes":
        qs = qs.filter(pinned_at__isnull=False)
    elif pinned == "no":
        qs = qs.filter(pinned_at__isnull=True)
    else:
        pinned = ""
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for post in page.object_list:
        post.can_change = services.can_change(membership, post)
    counts = dict(visible.values_list("status").annotate(n=Count("id")).order_by())
    tabs = [("", _("All"), sum(counts.values()))] + [(v, label, counts.get(v, 0)) for v, label in Post.Status.choices]
    return render(request, "engagement/posts/console/posts.html", _ctx(
        community, membership, SECTION, page=page, tabs=tabs, status=status, pinned=pinned,
        filters={"status": status, "pinned": pinned}))


def _form_page(request, community, membership, *, post=None):
    initial = PostForm.initial_of(post) if post else {"kind": Post.Kind.ARTICLE, "comments_open": True}
    form = PostForm(request.POST or None, request.FILES or None, community=community, membership=membership,
                    initial=initial)
    preview = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if "preview" in request.POST:
                preview = render_markdown(form.cleaned_data["body"])
                status = 200
            else:
                try:
                    with transaction.atomic():
                        if post is None:
                            result = services.post_create(actor=membership, **form.values())
                        else:
                            result = services.post_update(actor=membership, post=post, values=form.values())
                        if form.cleaned_data.get("cover"):
                            services.post_set_cover(actor=membership, post=result, upload=form.cleaned_data["cover"])
                except DomainError as error:
                    add_domain_error(form, error)
                else:
                    messages.success(request, _("“%(title)s” was saved.") % {"title": result.title})
                    return redirect(_edit_url(community, result.pk))
    context = {"form": form, "post": post, "preview": preview}
    if post is not None:
        context.update(_post_extras(community, membership, post))
    return render(request, "engagement/posts/console/post_form.html",
                  _ctx(community, membership, SECTION, **context), status=status)


def _post_extras(community, membership, post, *, feature_form=None, image_form=None) -> dict:
    chosen = list(post.features.values_list("product_id", "group_buy_id"))
    products = list(community.products.filter(Q(is_active=True) | Q(pk__in=[p for p, _g in chosen if p]))
                    .order_by("name")[:200])
    rounds = list(services.featurable_rounds(membership).order_by("-closes_at")[:50])
    feature_form = feature_form or FeatureForm(products=products, rounds=rounds, initial={
        "products": [p for p, _g in chosen if p], "group_buys": [g for _p, g in chosen if g]})
    return {"feature_form": feature_form, "image_form": image_form or ImageForm(),
            "images": list(post.images.all()), "max_images": services.MAX_IMAGES,
            "comments": selectors.comments_tree(post, include_hidden=True),
            "features": selectors.featured([post], membership).get(post.pk, [])}


@console_page(Perm.MANAGE_POSTS)
def post_new(request, community, membership):
    return _form_page(request, community, membership)


@console_page(Perm.MANAGE_POSTS)
def post_edit(request, community, membership, pk):
    return _form_page(request, community, membership, post=_post_in_scope(membership, community, pk))


ACTIONS = {
    "publish": (services.post_publish, gettext_lazy("Published.")),
    "hide": (services.post_hide, gettext_lazy("Hidden from members.")),
    "unhide": (services.post_unhide, gettext_lazy("Shown to members again.")),
    "pin": (services.post_pin, gettext_lazy("Pinned.")),
    "unpin": (services.post_unpin, gettext_lazy("Unpinned.")),
}


@require_POST
@console_page(Perm.MANAGE_POSTS)
def post_action(request, community, membership, pk):
    post = _post_in_scope(membership, community, pk)
    action = request.POST.get("action", "")
    try:
        if action == "delete":
            services.post_delete(actor=membership, post=post)
            messages.success(request, _("“%(title)s” was deleted.") % {"title": post.title})
            return redirect(reverse("engagement_console:posts", kwargs={"slug": community.slug}))
        if action not in ACTIONS:
            raise Http404
        service, done = ACTIONS[action]
        service(actor=membership, post=post)
        messages.success(request, str(done))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(_edit_url(community, post.pk))


@require_POST
@console_page(Perm.MANAGE_POSTS)
def post_features(request, community, membership, pk):
    post = _post_in_scope(membership, community, pk)
    extras = _post_extras(community, membership, post)
    form = FeatureForm(request.POST, products=[], rounds=[])
    form.fields["products"].choices = extras["feature_form"].fields["products"].choices
    form.fields["group_buys"].choices = extras["feature_form"].fields["group_buys"].choices
    if form.is_valid():
        try:
            services.post_feature_set(actor=membership, post=post, product_ids=form.cleaned_data["products"],
                                      group_buy_ids=form.cleaned_data["group_buys"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("What the post features was saved."))
            return redirect(_edit_url(community, post.pk) + "#features")
    extras["feature_form"] = form
    return render(request, "engagement/posts/console/post_form.html", _ctx(
        community, membership, SECTION, form=PostForm(community=community, membership=membership,
                                                      initial=PostForm.initial_of(post)),
        post=post, **extras), status=400)


@require_POST
@console_page(Perm.MANAGE_POSTS)
def post_images(request, community, membership, pk):
    """Add a photo, remove one (``remove``) or make one the cover (``cover``; ``cover=none`` removes it)."""
    post = _post_in_scope(membership, community, pk)
    try:
        if "remove" in request.POST or "cover" in request.POST:
            image = None
            image_id = parse_id(request.POST.get("remove") or request.POST.get("cover"))
            if image_id:
                image = PostImage.objects.filter(post_id=post.pk, pk=image_id).first()
            if "remove" in request.POST:
                if image is None:
                    raise Http404
                services.post_image_remove(actor=membership, image=image)
                messages.success(request, _("The photo was removed."))
            else:
                services.post_set_cover(actor=membership, post=post, image=image)
                messages.success(request, _("The cover was changed."))
        else:
            form = ImageForm(request.POST, request.FILES)
            if not form.is_valid():
                extras = _post_extras(community, membership, post, image_form=form)
                return render(request, "engagement/posts/console/post_form.html", _ctx(
                    community, membership, SECTION, form=PostForm(community=community, membership=membership,
                                                                  initial=PostForm.initial_of(post)),
                    post=post, **extras), status=400)
            services.post_image_add(actor=membership, post=post, upload=form.cleaned_data["image"])
            messages.success(request, _("The photo was added."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(_edit_url(community, post.pk) + "#photos")


COMMENT_ACTIONS = {
    "hide": (services.comment_hide, gettext_lazy("The comment was hidden.")),
    "unhide": (services.comment_unhide, gettext_lazy("The comment is shown again.")),
    "pin": (lambda **kw: services.comment_pin(pinned=True, **kw), gettext_lazy("The comment was pinned.")),
    "unpin": (lambda **kw: services.comment_pin(pinned=False, **kw), gettext_lazy("The comment was unpinned.")),
    "delete": (services.comment_delete, gettext_lazy("The comment was deleted.")),
}


@require_POST
@console_page(Perm.MODERATE)
def comment_moderate(request, community, membership, pk):
    comment = Comment.objects.filter(community_id=community.pk, pk=parse_id(pk) or 0).select_related(
        "community").first()
    action = request.POST.get("action", "")
    if comment is None or action not in COMMENT_ACTIONS:
        raise Http404
    service, done = COMMENT_ACTIONS[action]
    try:
        service(actor=membership, comment=comment)
        messages.success(request, str(done))
    except DomainError as error:
        messages.error(request, error.message)
    back = request.POST.get("next", "")
    if back == "reports":
        return redirect(reverse("engagement_console:reports", kwargs={"slug": community.slug}))
    return redirect(_edit_url(community, comment.post_id) + "#comments")


@require_safe
@console_page(Perm.MODERATE)
def reports(request, community, membership):
    resolved = request.GET.get("resolved") == "yes"
    qs = selectors.reported_comments(community, resolved=resolved)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [c.pk for c in page.object_list]
    from engagement.models import CommentReport

    by_comment: dict[int, list] = {}
    for report in (CommentReport.objects.filter(comment_id__in=ids).select_related("reporter", "resolved_by")
                   .order_by("-created_at")):
        by_comment.setdefault(report.comment_id, []).append(report)
    for comment in page.object_list:
        comment.report_rows = by_comment.get(comment.pk, [])[:5]
    return render(request, "engagement/posts/console/reports.html", _ctx(
        community, membership, "reports", page=page, resolved=resolved,
        filters={"resolved": "yes" if resolved else ""}))


@require_POST
@console_page(Perm.MODERATE)
def report_resolve(request, community, membership, pk):
    comment = Comment.objects.filter(community_id=community.pk, pk=parse_id(pk) or 0).select_related(
        "community").first()
    if comment is None:
        raise Http404
    try:
        closed = services.reports_resolve(actor=membership, comment=comment, action=request.POST.get("action", ""))
        messages.success(request, _("Answered %(n)s report(s).") % {"n": closed})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("engagement_console:reports", kwargs={"slug": community.slug}))


@console_page(Perm.MANAGE_SETTINGS)
def settings_page(request, community, membership):
    """Events and posts settings and the loyalty rules (points earned and spent, referrals,
    repurchase prompts): one form, saved by both services in one transaction."""
    current = engagement_settings(community)
    form = SettingsForm(request.POST if request.method == "POST" else None, community=community,
                        initial=SettingsForm.initial_of(current))
    if request.method == "POST" and form.is_valid():
        posts_values, loyalty_values = form.values()
        try:
            with transaction.atomic():
                services.engagement_settings_update(actor=membership, **posts_values)
                loyalty_rules.loyalty_settings_update(actor=membership, **loyalty_values)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The settings were saved."))
            return redirect(reverse("engagement_console:engagement_settings", kwargs={"slug": community.slug}))
    return render(request, "engagement/posts/console/settings.html", _ctx(
        community, membership, "engagement_settings", form=form),
        status=400 if request.method == "POST" else 200)
