"""REST API of the posts area: what members read (posts with their featured items live, comments),
like, comment and report; and the console's post, comment, report and settings actions.

Each view: input serializer → rows from the community-scoped queryset → service → output
serializer. A member sees published posts aimed at everyone or their branch, and visible comments
only; the console (Perm.MANAGE_POSTS) sees posts in view (a leader: whole-community, their
branch's and their own) and changes those in scope (a leader: their own); moderation of comments
and reports is Perm.MODERATE. Anything out of view answers 404, as another community's rows do.
"""

from __future__ import annotations

import re
from decimal import Decimal

import django_filters
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from communities.api.views import CommunityAPIView
from communities.permissions import Perm
from core.api import error_responses as errors
from core.exceptions import NotFound, ValidationFailed
from core.filters import FILTER_BACKENDS, BooleanFilter, OrderingFilter, SyncFilterSet
from core.idempotency import KEY_PARAMETER, idempotency_key, idempotent
from engagement import loyalty_rules
from engagement import post_selectors as selectors
from engagement import posts as services
from engagement.common import engagement_settings
from engagement.models import Comment, Post, PostImage
from core.api import IdField
from crowdfunding.api.serializers import AsciiDecimalField, AsciiIntegerField
from orders.api.serializers import MoneyField, NamedChoiceField



TAG = "posts"
TAG_CONSOLE = "posts console"
MAX_TEXT = 20000


# Filters -------------------------------------------------------------------------------------

class PostFilter(SyncFilterSet):
    kind = django_filters.ChoiceFilter(choices=Post.Kind.choices)
    pinned = BooleanFilter(field_name="pinned_at", lookup_expr="isnull", exclude=True,
                           label=_lazy("true: pinned posts only; false: the others"))
    ordering = OrderingFilter(fields=(("published_at", "published_at"), ("updated_at", "updated_at")),
                              label=_lazy("published_at or updated_at; a leading - reverses "
                                          "(default: pinned first, then newest)"))

    class Meta:
        model = Post
        fields = []


class AdminPostFilter(PostFilter):
    status = django_filters.ChoiceFilter(choices=Post.Status.choices)

    class Meta:
        model = Post
        fields = []


# Serializers ---------------------------------------------------------------------------------

def _url(context, file) -> str | None:
    if not file:
        return None
    request = context.get("request")
    return request.build_absolute_uri(file.url) if request is not None else file.url


class PostAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class PostSerializer(serializers.Serializer):
    """A post in a list."""

    id = serializers.IntegerField(read_only=True)
    kind = NamedChoiceField(enum_name="PostKindEnum", choices=Post.Kind.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    cover_url = serializers.SerializerMethodField()
    author = PostAuthorSerializer(read_only=True, allow_null=True)
    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True)
    pinned = serializers.SerializerMethodField()
    like_count = serializers.IntegerField(read_only=True)
    comment_count = serializers.IntegerField(read_only=True)
    liked = serializers.BooleanField(read_only=True, default=False, help_text=_lazy("Whether I like it"))
    comments_open = serializers.BooleanField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_cover_url(self, post) -> str | None:
        return _url(self.context, post.cover)

    def get_pinned(self, post) -> bool:
        return post.pinned_at is not None


class PostImageSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)

    def get_url(self, image) -> str:
        return _url(self.context, image.image)


class FeaturedRoundItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk", read_only=True, help_text=_lazy("The round's item id (to order)"))
    product = serializers.IntegerField(source="item.product_id", read_only=True)
    name = serializers.CharField(source="item.product.name", read_only=True)
    unit = serializers.CharField(source="item.product.unit", read_only=True)
    price = MoneyField(help_text=_lazy("The price everyone pays now (tiers reached)"))
    remaining = serializers.IntegerField(source="item.remaining", read_only=True)


class FeaturedProgressSerializer(serializers.Serializer):
    ratio = serializers.FloatField(read_only=True)
    reached = serializers.BooleanField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    buyers = serializers.IntegerField(read_only=True)
    amount = MoneyField()


class FeaturedSerializer(serializers.Serializer):
    """A product or round the post features, live: price, progress and where to order."""

    kind = serializers.ChoiceField(choices=[("round", "round"), ("product", "product")], read_only=True)
    group_buy = serializers.IntegerField(source="group_buy.pk", read_only=True, allow_null=True, default=None,
                                         help_text=_lazy("The round to order from (POST …/group-buys/{id}/orders/)"))
    group_buy_title = serializers.CharField(source="group_buy.title", read_only=True, allow_null=True, default=None)
    product = serializers.IntegerField(source="product.pk", read_only=True, allow_null=True, default=None)
    product_name = serializers.CharField(source="product.name", read_only=True, allow_null=True, default=None)
    item = serializers.IntegerField(source="item.pk", read_only=True, allow_null=True, default=None,
                                    help_text=_lazy("The round's item to order (a product: its item in an open round)"))
    price = MoneyField(allow_null=True)
    is_open = serializers.BooleanField(read_only=True, help_text=_lazy("Orders are taken now"))
    remaining = serializers.IntegerField(read_only=True, allow_null=True)
    progress = FeaturedProgressSerializer(read_only=True, allow_null=True)
    shortfall = serializers.CharField(read_only=True)
    items = FeaturedRoundItemSerializer(many=True, read_only=True)


class PostDetailSerializer(PostSerializer):
    body = serializers.CharField(read_only=True, help_text=_lazy("Markdown, as written"))
    body_html = serializers.CharField(read_only=True, help_text=_lazy("Rendered and sanitised HTML"))
    images = PostImageSerializer(many=True, read_only=True, source="image_list")
    features = FeaturedSerializer(many=True, read_only=True, source="feature_list")


class AdminPostSerializer(PostDetailSerializer):
    status = NamedChoiceField(enum_name="PostStatusEnum", choices=Post.Status.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    can_change = serializers.BooleanField(read_only=True, help_text=_lazy("Whether I may change it"))


class CommentBaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    author = PostAuthorSerializer(read_only=True)
    body = serializers.CharField(read_only=True)
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)
    pinned = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_pinned(self, comment) -> bool:
        return comment.pinned_at is not None


class CommentSerializer(CommentBaseSerializer):
    """A top comment with its replies (one level)."""

    replies = CommentBaseSerializer(many=True, read_only=True, source="replies.all")


class AdminCommentBaseSerializer(CommentBaseSerializer):
    status = NamedChoiceField(enum_name="CommentStatusEnum", choices=Comment.Status.choices, read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True)


class AdminCommentSerializer(AdminCommentBaseSerializer):
    replies = AdminCommentBaseSerializer(many=True, read_only=True, source="replies.all")


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_COMMENT, trim_whitespace=False)
    parent = IdField(required=False, allow_null=True, default=None,
                     help_text=_lazy("The comment replied to (a reply to a reply joins its top comment)"))


class ReportCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_REASON, required=False, allow_blank=True, default="")


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    comment = serializers.IntegerField(source="comment_id", read_only=True)
    reason = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)


class LikeSerializer(serializers.Serializer):
    liked = serializers.BooleanField(read_only=True)
    like_count = serializers.IntegerField(read_only=True)


class ReportedCommentSerializer(AdminCommentBaseSerializer):
    post_title = serializers.CharField(source="post.title", read_only=True)
    open_reports = serializers.IntegerField(read_only=True)
    all_reports = serializers.IntegerField(read_only=True)
    last_report = serializers.DateTimeField(read_only=True, allow_null=True)


class PostWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Post.Kind.choices, required=False)
    title = serializers.CharField(max_length=services.MAX_TITLE, trim_whitespace=False)
    summary = serializers.CharField(max_length=services.MAX_SUMMARY, required=False, allow_blank=True,
                                    trim_whitespace=False)
    body = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, trim_whitespace=False,
                                 help_text=_lazy("Markdown; raw HTML is shown as text"))
    comments_open = serializers.BooleanField(required=False)
    branch = IdField(required=False, allow_null=True,
                     help_text=_lazy("A branch id; null: the whole community (a leader's post is for their branch)"))


class FeatureSetSerializer(serializers.Serializer):
    products = serializers.ListField(child=IdField(), max_length=services.MAX_FEATURES, required=False, default=list)
    group_buys = serializers.ListField(child=IdField(), max_length=services.MAX_FEATURES, required=False,
                                       default=list)


class PostImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_lazy("JPEG, PNG or WebP, up to 5 MB"))


class PostCoverSerializer(serializers.Serializer):
    image = IdField(help_text=_lazy("One of the post's photos"))


class CommentModerateSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[("hide", "hide"), ("unhide", "unhide"), ("pin", "pin"),
                                              ("unpin", "unpin")])


class ReportResolveSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(a, a) for a in services.RESOLUTIONS],
                                     help_text=_lazy("keep the comment, hide it or delete it"))


class ReportResolvedSerializer(serializers.Serializer):
    resolved = serializers.IntegerField(read_only=True, help_text=_lazy("Reports answered"))


class PlainDecimalField(AsciiDecimalField):
    """A decimal as plain digits with one point: "1e3", "NaN" and "３" are errors, as in core.money."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class CommunityEngagementSettingsSerializer(serializers.Serializer):
    posts_public = serializers.BooleanField(required=False,
                                            help_text=_lazy("Strangers see a preview of a shared post"))
    offer_window_hours = serializers.IntegerField(required=False, min_value=1, max_value=168)
    points_per_yuan = PlainDecimalField(
        required=False, max_digits=6, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("1000"),
        coerce_to_string=True, help_text=_lazy("Points per yuan of a completed order, 0 to 1000 (0: off)"))
    points_event_attended = AsciiIntegerField(required=False, min_value=0, max_value=services.POINTS_MAX,
                                              help_text=_lazy("Points for attending an event (0: off)"))
    points_check_in = AsciiIntegerField(required=False, min_value=0, max_value=services.POINTS_MAX,
                                        help_text=_lazy("Points for a daily check-in (0: off)"))
    streak_bonus_every = AsciiIntegerField(required=False, min_value=2, max_value=365,
                                           help_text=_lazy("Check-ins in a row that earn the streak bonus"))
    streak_bonus_points = AsciiIntegerField(required=False, min_value=0, max_value=services.POINTS_MAX,
                                            help_text=_lazy("The streak bonus (0: off)"))
    points_featured_comment = AsciiIntegerField(
        required=False, min_value=0, max_value=loyalty_rules.POINTS_MAX,
        help_text=_lazy("Points for a comment an admin features (pins), once per comment (0: off)"))
    points_per_yuan_off = AsciiIntegerField(
        required=False, min_value=0, max_value=loyalty_rules.POINTS_MAX,
        help_text=_lazy("Points a member spends for one yuan off at checkout (0: not spent at checkout)"))
    points_max_percent_off = AsciiIntegerField(required=False, min_value=0, max_value=loyalty_rules.PERCENT_MAX,
                                               help_text=_lazy("Most of an order points may pay, 0 to 100 (%)"))
    referral_points = AsciiIntegerField(
        required=False, min_value=0, max_value=loyalty_rules.POINTS_MAX,
        help_text=_lazy("Points for a referral that succeeds: the invitee's first order completed and its refund "
                        "window passed (0: off)"))
    referral_coupon = IdField(
        required=False, allow_null=True, source="referral_coupon_id",
        help_text=_lazy("The coupon a referral that succeeds hands to the inviter: one of this community's active "
                        "coupons, or null for none"))
    referral_refund_window_days = AsciiIntegerField(
        required=False, min_value=0, max_value=loyalty_rules.REFUND_WINDOW_MAX,
        help_text=_lazy("Days after the invitee's first order completes before the referral pays, 0 to 90"))
    referral_weekly_cap = AsciiIntegerField(required=False, min_value=0, max_value=loyalty_rules.WEEKLY_CAP_MAX,
                                            help_text=_lazy("Referral rewards per inviter per week, 0 to 1000"))
    repurchase_enabled = serializers.BooleanField(required=False, help_text=_lazy("Send repurchase prompts"))
    repurchase_lead = PlainDecimalField(
        required=False, max_digits=3, decimal_places=2, min_value=Decimal("0"), max_value=loyalty_rules.LEAD_MAX,
        coerce_to_string=True,
        help_text=_lazy("Remind this share of the consumption cycle early, 0 to 0.9 (0.15: a 20-day pack is "
                        "prompted 3 days before it runs out)"))
    repurchase_cap_days = AsciiIntegerField(
        required=False, min_value=loyalty_rules.CAP_DAYS[0], max_value=loyalty_rules.CAP_DAYS[1],
        help_text=_lazy("At most one repurchase prompt per member in this many days, 1 to 60"))
    repurchase_holdout_percent = AsciiIntegerField(
        required=False, min_value=0, max_value=loyalty_rules.HOLDOUT_MAX,
        help_text=_lazy("Share of the members due a prompt who get none (the holdout analytics compares with), "
                        "0 to 50"))


# Helpers -------------------------------------------------------------------------------------

def _post_not_found() -> NotFound:
    return NotFound(_("This post does not exist."), code="post_not_found")


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _member_post(view, pk) -> Post:
    post = selectors.with_liked(selectors.posts_for_member(view.membership), view.membership).select_related(
        "community", "author").filter(pk=pk).first()
    if post is None:
        raise _post_not_found()
    return post


def _console_posts(view):
    return services.posts_in_view(view.membership, view.community.posts.all()).select_related("author", "community")


def _post_in_scope(view, pk) -> Post:
    post = services.posts_in_scope(view.membership, _console_posts(view)).filter(pk=pk).first()
    if post is None:
        raise _post_not_found()
    return post


def _detail(view, post: Post, *, admin: bool = False, status_code=status.HTTP_200_OK) -> Response:
    post.image_list = list(post.images.all())
    post.feature_list = selectors.featured([post], view.membership).get(post.pk, [])
    context = {"request": view.request}
    if admin:
        post.can_change = services.can_change(view.membership, post)
        return Response(AdminPostSerializer(post, context=context).data, status=status_code)
    return Response(PostDetailSerializer(post, context=context).data, status=status_code)


def _comment_in_community(view, pk, *, visible_only: bool) -> Comment:
    comment = Comment.objects.filter(community_id=view.community.pk, pk=pk).select_related(
        "post__community", "author", "community").first()
    if comment is None or (visible_only and (comment.status != Comment.Status.VISIBLE
                                             or not services.post_visible_to(view.membership, comment.post))):
        raise NotFound(_("This comment does not exist."), code="comment_not_found")
    return comment


# Members -------------------------------------------------------------------------------------

class PostListView(CommunityAPIView):
    """Published posts I see (aimed at everyone or my branch), pinned first, then newest."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = PostFilter
    queryset = Post.objects.none()

    @extend_schema(responses={200: PostSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Posts"))
    def get(self, request, slug):
        qs = selectors.with_liked(selectors.posts_for_member(self.membership), self.membership).select_related(
            "author", "community")
        page = self.paginate_queryset(self.filter_queryset(qs))
        return self.get_paginated_response(PostSerializer(page, many=True, context={"request": request}).data)


class PostDetailView(CommunityAPIView):
    """A post: its text (Markdown and sanitised HTML), photos, and what it features with the live
    price and progress (order from a round with the orders API)."""

    permission = Perm.VIEW

    @extend_schema(responses={200: PostDetailSerializer, **errors(403, 404)}, tags=[TAG], summary=_lazy("A post"))
    def get(self, request, slug, pk):
        post = _member_post(self, pk)
        services.post_seen(membership=self.membership, post=post)  # its reach (analytics)
        return _detail(self, post)


class PostCommentListView(CommunityAPIView):
    """GET: a post's visible comments (pinned first, then oldest), each with its replies. POST: comment."""

    permission = Perm.VIEW
    parser_classes = [JSONParser]
    queryset = Comment.objects.none()

    @extend_schema(responses={200: CommentSerializer(many=True), **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("A post's comments"))
    def get(self, request, slug, pk):
        post = _member_post(self, pk)
        page = self.paginate_queryset(selectors.comments_tree(post))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(request=CommentCreateSerializer, parameters=[KEY_PARAMETER],
                   responses={201: OpenApiResponse(CommentBaseSerializer, description=_lazy("Comment added")),
                              200: OpenApiResponse(CommentBaseSerializer,
                                                   description=_lazy("A retry with the same key: the same comment")),
                              **errors(400, 403, 404, 409, 422)},
                   tags=[TAG], summary=_lazy("Comment on a post"),
                   description=_lazy("At most 1000 characters. 409 comments_closed when the post takes no "
                                     "comments. The Idempotency-Key (optional) is kept on the comment: the same "
                                     "key again answers the first comment."))
    def post(self, request, slug, pk):
        key = idempotency_key(request, required=False) or ""
        data = _valid(CommentCreateSerializer, request.data)
        post = _member_post(self, pk)
        parent = None
        if data["parent"]:
            parent = post.comments.select_related("author").filter(pk=data["parent"]).first()
            if parent is None:
                raise ValidationFailed(_("Reply to a comment of this post."), code="parent_not_found",
                                       fields={"parent": [_("Not a comment of this post.")]})
        comment, created = services.comment_add(member=self.membership, post=post, body=data["body"],
                                                parent=parent, idempotency_key=key)
        comment = Comment.objects.select_related("author").get(pk=comment.pk)
        return Response(CommentBaseSerializer(comment).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PostLikeView(CommunityAPIView):
    """Like a post (POST) or take the like back (DELETE); repeating either changes nothing."""

    permission = Perm.VIEW

    def _answer(self, pk):
        post = _member_post(self, pk)
        return Response({"liked": bool(post.liked), "like_count": post.like_count})

    @extend_schema(request=None, responses={200: LikeSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Like a post"))
    def post(self, request, slug, pk):
        services.post_like(member=self.membership, post=_member_post(self, pk))
        return self._answer(pk)

    @extend_schema(request=None, responses={200: LikeSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Unlike a post"))
    def delete(self, request, slug, pk):
        services.post_unlike(member=self.membership, post=_member_post(self, pk))
        return self._answer(pk)


class CommentDetailView(CommunityAPIView):
    """Delete my comment (admins: any comment). A top comment goes with its replies."""

    permission = Perm.VIEW

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Deleted")), **errors(403, 404)},
                   tags=[TAG], summary=_lazy("Delete my comment"))
    def delete(self, request, slug, pk):
        comment = _comment_in_community(self, pk, visible_only=True)
        services.comment_delete(actor=self.membership, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentReportView(CommunityAPIView):
    """Report a comment to the admins (once per comment: again answers the first report)."""

    permission = Perm.VIEW
    parser_classes = [JSONParser]

    @extend_schema(request=ReportCreateSerializer,
                   responses={201: ReportSerializer, 200: OpenApiResponse(ReportSerializer, description=_lazy(
                       "Reported before: the first report")), **errors(400, 403, 404, 422)},
                   tags=[TAG], summary=_lazy("Report a comment"),
                   description=_lazy("422 own_comment for one's own comment."))
    def post(self, request, slug, pk):
        data = _valid(ReportCreateSerializer, request.data)
        comment = _comment_in_community(self, pk, visible_only=True)
        report, created = services.comment_report(member=self.membership, comment=comment, reason=data["reason"])
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# Console -------------------------------------------------------------------------------------

class AdminPostListView(CommunityAPIView):
    """GET: the console's posts, drafts and hidden ones too (a leader: those in view). POST: a draft."""

    permission = Perm.MANAGE_POSTS
    filter_backends = FILTER_BACKENDS
    filterset_class = AdminPostFilter
    queryset = Post.objects.none()
    parser_classes = [JSONParser]

    @extend_schema(responses={200: AdminPostSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Posts in the console"))
    def get(self, request, slug):
        qs = _console_posts(self).order_by(selectors.pinned_first(), "-created_at", "-id").prefetch_related("images")
        page = self.paginate_queryset(self.filter_queryset(qs))
        features = selectors.featured(page, self.membership)
        for post in page:
            post.image_list = list(post.images.all())
            post.feature_list = features.get(post.pk, [])
            post.can_change = services.can_change(self.membership, post)
        return self.get_paginated_response(AdminPostSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=PostWriteSerializer, parameters=[KEY_PARAMETER],
                   responses={201: OpenApiResponse(AdminPostSerializer, description=_lazy("Draft created")),
                              **errors(400, 403, 404, 422)}, tags=[TAG_CONSOLE], summary=_lazy("Write a post"),
                   description=_lazy("A draft: publish it with …/publish/. An announcement is sent to the "
                                     "members' inboxes when published."))
    def post(self, request, slug):
        return idempotent(request, f"post-create:{self.community.pk}", self._create)

    def _create(self):
        data = _valid(PostWriteSerializer, self.request.data)
        post = services.post_create(
            actor=self.membership, title=data["title"], body=data.get("body", ""), summary=data.get("summary", ""),
            kind=data.get("kind", Post.Kind.ARTICLE), comments_open=data.get("comments_open", True),
            branch=self.branch_from_id(data.get("branch")))
        return _detail(self, _console_posts(self).get(pk=post.pk), admin=True, status_code=status.HTTP_201_CREATED)


class AdminPostDetailView(CommunityAPIView):
    """A post in the console: read, change (PATCH) or delete (with its comments, likes and photos)."""

    permission = Perm.MANAGE_POSTS
    parser_classes = [JSONParser]

    @extend_schema(responses={200: AdminPostSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("A post in the console"))
    def get(self, request, slug, pk):
        post = _console_posts(self).filter(pk=pk).first()
        if post is None:
            raise _post_not_found()
        return _detail(self, post, admin=True)

    @extend_schema(request=PostWriteSerializer(partial=True), responses={200: AdminPostSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Change a post"))
    def patch(self, request, slug, pk):
        data = dict(_valid(PostWriteSerializer, request.data, partial=True))
        post = _post_in_scope(self, pk)
        if "branch" in data:
            data["branch"] = self.branch_from_id(data["branch"])
        services.post_update(actor=self.membership, post=post, values=data)
        return _detail(self, _console_posts(self).get(pk=pk), admin=True)

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Deleted")), **errors(403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Delete a post"))
    def delete(self, request, slug, pk):
        services.post_delete(actor=self.membership, post=_post_in_scope(self, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _action_view(name: str, service, summary, description):
    class ActionView(CommunityAPIView):
        permission = Perm.MANAGE_POSTS

        @extend_schema(request=None, responses={200: AdminPostSerializer, **errors(403, 404, 409)},
                       tags=[TAG_CONSOLE], summary=summary, description=description)
        def post(self, request, slug, pk):
            service(actor=self.membership, post=_post_in_scope(self, pk))
            return _detail(self, _console_posts(self).get(pk=pk), admin=True)

    ActionView.__name__ = ActionView.__qualname__ = name
    ActionView.__doc__ = str(summary)
    return ActionView


AdminPostPublishView = _action_view(
    "AdminPostPublishView", services.post_publish, _lazy("Publish a post"),
    _lazy("409 not_draft unless it is a draft. An announcement tells the members who see it."))
AdminPostHideView = _action_view("AdminPostHideView", services.post_hide, _lazy("Hide a post"),
                                 _lazy("Members no longer see it. 409 not_published."))
AdminPostUnhideView = _action_view("AdminPostUnhideView", services.post_unhide, _lazy("Show a hidden post again"),
                                   _lazy("409 not_hidden."))


class AdminPostPinView(CommunityAPIView):
    """Pin a published post first in the list and on the community home (POST), or unpin it (DELETE)."""

    permission = Perm.MANAGE_POSTS

    @extend_schema(request=None, responses={200: AdminPostSerializer, **errors(403, 404, 409)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Pin a post"))
    def post(self, request, slug, pk):
        services.post_pin(actor=self.membership, post=_post_in_scope(self, pk))
        return _detail(self, _console_posts(self).get(pk=pk), admin=True)

    @extend_schema(request=None, responses={200: AdminPostSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Unpin a post"))
    def delete(self, request, slug, pk):
        services.post_unpin(actor=self.membership, post=_post_in_scope(self, pk))
        return _detail(self, _console_posts(self).get(pk=pk), admin=True)


class AdminPostFeaturesView(CommunityAPIView):
    """Replace what a post features: products of this community and rounds I see (at most 6 in all)."""

    permission = Perm.MANAGE_POSTS
    parser_classes = [JSONParser]

    @extend_schema(request=FeatureSetSerializer, responses={200: AdminPostSerializer, **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Set what a post features"))
    def put(self, request, slug, pk):
        data = _valid(FeatureSetSerializer, request.data)
        post = _post_in_scope(self, pk)
        services.post_feature_set(actor=self.membership, post=post, product_ids=data["products"],
                                  group_buy_ids=data["group_buys"])
        return _detail(self, _console_posts(self).get(pk=pk), admin=True)


class AdminPostImageListView(CommunityAPIView):
    """Add a photo to a post (multipart): checked and stripped of EXIF. At most 9."""

    permission = Perm.MANAGE_POSTS
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PostImageUploadSerializer}, parameters=[KEY_PARAMETER],
                   responses={201: PostImageSerializer, **errors(400, 403, 404, 422)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Add a photo to a post"))
    def post(self, request, slug, pk):
        def add():
            data = _valid(PostImageUploadSerializer, request.data)
            image = services.post_image_add(actor=self.membership, post=_post_in_scope(self, pk),
                                            upload=data["image"])
            return Response(PostImageSerializer(image, context={"request": request}).data,
                            status=status.HTTP_201_CREATED)
        return idempotent(request, f"post-image:{self.community.pk}:{pk}", add)


class AdminPostImageDetailView(CommunityAPIView):
    """Remove a photo of a post."""

    permission = Perm.MANAGE_POSTS

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Removed")), **errors(403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Remove a photo of a post"))
    def delete(self, request, slug, pk, image_pk):
        post = _post_in_scope(self, pk)
        image = PostImage.objects.filter(post_id=post.pk, pk=image_pk).select_related("post").first()
        if image is None:
            raise NotFound(_("This photo does not exist."), code="image_not_found")
        services.post_image_remove(actor=self.membership, image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminPostCoverView(CommunityAPIView):
    """Make one of the post's photos its cover (PUT), or remove the cover (DELETE)."""

    permission = Perm.MANAGE_POSTS
    parser_classes = [JSONParser]

    @extend_schema(request=PostCoverSerializer, responses={200: AdminPostSerializer, **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Set a post's cover"))
    def put(self, request, slug, pk):
        data = _valid(PostCoverSerializer, request.data)
        post = _post_in_scope(self, pk)
        image = PostImage.objects.filter(post_id=post.pk, pk=data["image"]).first()
        if image is None:
            raise ValidationFailed(_("Choose one of this post's photos."), fields={"image": [_("Not a photo of this post.")]})
        services.post_set_cover(actor=self.membership, post=post, image=image)
        return _detail(self, _console_posts(self).get(pk=pk), admin=True)

    @extend_schema(request=None, responses={200: AdminPostSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Remove a post's cover"))
    def delete(self, request, slug, pk):
        services.post_set_cover(actor=self.membership, post=_post_in_scope(self, pk))
        return _detail(self, _console_posts(self).get(pk=pk), admin=True)


class AdminPostCommentListView(CommunityAPIView):
    """A post's comments in the console, hidden ones too, each with its replies."""

    permission = Perm.MODERATE
    queryset = Comment.objects.none()

    @extend_schema(responses={200: AdminCommentSerializer(many=True), **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("A post's comments (moderation)"))
    def get(self, request, slug, pk):
        post = _console_posts(self).filter(pk=pk).first()
        if post is None:
            raise _post_not_found()
        page = self.paginate_queryset(selectors.comments_tree(post, include_hidden=True))
        return self.get_paginated_response(AdminCommentSerializer(page, many=True).data)


class AdminCommentModerateView(CommunityAPIView):
    """Hide, show again, pin or unpin a comment."""

    permission = Perm.MODERATE
    parser_classes = [JSONParser]

    @extend_schema(request=CommentModerateSerializer, responses={200: AdminCommentBaseSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Moderate a comment"))
    def post(self, request, slug, pk):
        data = _valid(CommentModerateSerializer, request.data)
        comment = _comment_in_community(self, pk, visible_only=False)
        action = data["action"]
        if action in ("hide", "unhide"):
            (services.comment_hide if action == "hide" else services.comment_unhide)(actor=self.membership,
                                                                                     comment=comment)
        else:
            services.comment_pin(actor=self.membership, comment=comment, pinned=action == "pin")
        return Response(AdminCommentBaseSerializer(Comment.objects.select_related("author").get(pk=pk)).data)


class AdminCommentDetailView(CommunityAPIView):
    """Delete any comment (a top comment with its replies)."""

    permission = Perm.MODERATE

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Deleted")), **errors(403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Delete a comment"))
    def delete(self, request, slug, pk):
        services.comment_delete(actor=self.membership, comment=_comment_in_community(self, pk, visible_only=False))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportFilter(django_filters.FilterSet):
    resolved = BooleanFilter(method="by_resolved", label=_lazy("true: answered only; false: waiting (the default)"))

    class Meta:
        model = Comment
        fields = []

    def by_resolved(self, queryset, name, value):
        return queryset.filter(open_reports=0) if value else queryset.filter(open_reports__gt=0)


class AdminReportListView(CommunityAPIView):
    """Reported comments: waiting ones (the most reported first), or answered ones."""

    permission = Perm.MODERATE
    filter_backends = FILTER_BACKENDS
    filterset_class = ReportFilter
    queryset = Comment.objects.none()

    @extend_schema(responses={200: ReportedCommentSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Reported comments"))
    def get(self, request, slug):
        qs = selectors.reported_comments(self.community, resolved=None)
        if "resolved" not in request.query_params:
            qs = qs.filter(open_reports__gt=0)
        page = self.paginate_queryset(self.filter_queryset(qs))
        return self.get_paginated_response(ReportedCommentSerializer(page, many=True).data)


class AdminReportResolveView(CommunityAPIView):
    """Answer every waiting report of a comment: keep it, hide it or delete it."""

    permission = Perm.MODERATE
    parser_classes = [JSONParser]

    @extend_schema(request=ReportResolveSerializer, responses={200: ReportResolvedSerializer,
                   **errors(400, 403, 404)}, tags=[TAG_CONSOLE], summary=_lazy("Answer a comment's reports"))
    def post(self, request, slug, pk):
        data = _valid(ReportResolveSerializer, request.data)
        comment = _comment_in_community(self, pk, visible_only=False)
        closed = services.reports_resolve(actor=self.membership, comment=comment, action=data["action"])
        return Response({"resolved": closed})


LOYALTY_API_FIELDS = {"points_featured_comment", "points_per_yuan_off", "points_max_percent_off", "referral_points",
                      "referral_coupon_id", "referral_refund_window_days", "referral_weekly_cap",
                      "repurchase_enabled", "repurchase_lead", "repurchase_cap_days", "repurchase_holdout_percent"}


class AdminEngagementSettingsView(CommunityAPIView):
    """The community's events and posts settings (public posts, the waitlist offer window) and its
    loyalty rules: points earned and spent, referral rewards, repurchase prompts."""

    permission = Perm.MANAGE_SETTINGS
    parser_classes = [JSONParser]

    @extend_schema(responses={200: CommunityEngagementSettingsSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Events and posts settings"))
    def get(self, request, slug):
        return Response(CommunityEngagementSettingsSerializer(engagement_settings(self.community)).data)

    @extend_schema(request=CommunityEngagementSettingsSerializer, responses={
        200: CommunityEngagementSettingsSerializer, **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
        summary=_lazy("Change the events and posts settings"))
    def patch(self, request, slug):
        data = _valid(CommunityEngagementSettingsSerializer, request.data)
        loyalty = {name: data.pop(name) for name in list(data) if name in LOYALTY_API_FIELDS}
        with transaction.atomic():
            services.engagement_settings_update(actor=self.membership, **data)
            row = loyalty_rules.loyalty_settings_update(actor=self.membership, **loyalty)
        return Response(CommunityEngagementSettingsSerializer(row).data)
