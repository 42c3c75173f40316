"""Reads for posts: what a member sees, featured items with live price and progress, comments.

Lists never grow their query count with their rows: features, rounds, items, tiers and progress
are read for a whole page of posts at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from communities.models import Membership
from communities.permissions import acts_community_wide
from engagement.models import Comment, Post, PostFeature, PostImage, PostLike

HOME_POSTS = 3
HOME_PINNED = 3  # the latest pins; older ones stay first in the list page


def pinned_first():
    """pinned_at DESC NULLS LAST: pinned posts (the latest pin first) before the rest."""
    return F("pinned_at").desc(nulls_last=True)


def posts_for_member(membership: Membership) -> QuerySet:
    """Published posts of the member's community aimed at everyone or their branch; pinned first."""
    qs = membership.community.posts.filter(status=Post.Status.PUBLISHED)
    if not acts_community_wide(membership):
        qs = qs.filter(Q(branch__isnull=True) | Q(branch_id=membership.branch_id))
    return qs.order_by(pinned_first(), "-published_at", "-id")




def with_liked(posts: QuerySet, membership: Membership) -> QuerySet:
    return posts.annotate(liked=Exists(PostLike.objects.filter(post_id=OuterRef("pk"), member_id=membership.user_id)))


def for_cards(posts: QuerySet) -> QuerySet:
    return posts.select_related("community", "author")


@dataclass
class FeaturedItem:
    """What a post shows of one featured product or round, live."""

    kind: str  # "round" or "product"
    group_buy: object = None
    product: object = None
    item: object = None  # the round's item to order (a product: its item in an open round)
    price: object = None
    progress: object = None
    shortfall: str = ""
    is_open: bool = False
    remaining: int | None = None
    photo: object = None
    items: list = field(default_factory=list)  # a round: RoundItem each


@dataclass
class RoundItem:
    item: object
    price: object

    @property
    def pk(self):
        return self.item.pk


def _visible_rounds(membership: Membership):
    from orders import selectors as order_selectors

    return order_selectors.group_buys_for_member(membership)


def featured(posts: list[Post], membership: Membership) -> dict[int, list[FeaturedItem]]:
    """Per post id, what it features that this member may see, with live price and progress. A
    fixed number of queries whatever the number of posts and features."""
    from orders import selectors as order_selectors
    from orders import services as order_services
    from orders.models import GroupBuy, GroupBuyItem, OrderLine

    ids = [p.pk for p in posts]
    if not ids:
        return {}
    features = list(PostFeature.objects.filter(post_id__in=ids).order_by("post_id", "position", "id"))
    if not features:
        return {}
    round_ids = {f.group_buy_id for f in features if f.group_buy_id}
    product_ids = {f.product_id for f in features if f.product_id}
    now = timezone.now()
    visible = _visible_rounds(membership)
    # Rounds: the featured ones, and the open ones that sell a featured product (one query each).
    rounds = {g.pk: g for g in visible.filter(pk__in=round_ids)} if round_ids else {}
    selling: dict[int, GroupBuyItem] = {}
    if product_ids:
        open_rounds = visible.filter(status=GroupBuy.Status.OPEN, opens_at__lte=now, closes_at__gt=now,
                                     items__product_id__in=product_ids).order_by("closes_at")
        for g in open_rounds:
            rounds.setdefault(g.pk, g)
            for item in g.items.all():
                if item.product_id in product_ids and item.product_id not in selling:
                    selling[item.product_id] = item
    progress = order_services.group_buy_progress_many(rounds.values()) if rounds else {}
    sold = {}
    if rounds:
        sold = dict(OrderLine.objects.filter(order__group_buy_id__in=list(rounds),
                                             order__status__in=order_services.PAID_STATUSES)
                    .values("item_id").annotate(q=Sum("quantity")).values_list("item_id", "q"))
    products = {}
    if product_ids:
        products = {p.pk: p for p in membership.community.products.filter(pk__in=product_ids)
                    .prefetch_related("images")}
    result: dict[int, list[FeaturedItem]] = {}
    for feature in features:
        if feature.group_buy_id:
            g = rounds.get(feature.group_buy_id)
            if g is None:
                continue  # a round this member does not see
            items = [RoundItem(i, order_services.current_tier_price(i, sold.get(i.pk, 0))) for i in g.items.all()]
            first = items[0].item if items else None
            entry = FeaturedItem(
                kind="round", group_buy=g, items=items, item=first if len(items) == 1 else None,
                price=items[0].price if items else None, progress=progress.get(g.pk),
                shortfall=order_selectors.shortfall_text(g, progress[g.pk]) if g.pk in progress else "",
                is_open=g.status == GroupBuy.Status.OPEN and g.opens_at <= now < g.closes_at,
                remaining=first.remaining if first is not None and len(items) == 1 else None,
                photo=first.product.main_image if first is not None else None)
        else:
            product = products.get(feature.product_id)
            if product is None:
                continue
            item = selling.get(product.pk)
            g = rounds.get(item.group_buy_id) if item is not None else None
            entry = FeaturedItem(
                kind="product", product=product, item=item, group_buy=g,
                price=order_services.current_tier_price(item, sold.get(item.pk, 0)) if item else product.list_price,
                progress=progress.get(g.pk) if g else None, is_open=item is not None,
                remaining=item.remaining if item is not None else None, photo=product.main_image)
        result.setdefault(feature.post_id, []).append(entry)
    return result


def default_pickup_point(group_buy, membership: Membership):
    """The pickup point a one-tap order uses: the member's branch's, or the round's only one."""
    points = list(group_buy.pickup_points.all())
    for point in points:
        if membership.branch_id and point.branch_id == membership.branch_id:
            return point
    return points[0] if len(points) == 1 else None


def comments_tree(post: Post, *, include_hidden: bool = False) -> list[Comment]:
    """Top comments (pinned first, then oldest first) with ``replies`` (oldest first): two queries."""
    comments = post.comments.filter(parent__isnull=True)
    replies = Comment.objects.select_related("author")
    if not include_hidden:
        comments = comments.filter(status=Comment.Status.VISIBLE)
        replies = replies.filter(status=Comment.Status.VISIBLE)
    return list(comments.select_related("author").prefetch_related(
        Prefetch("replies", queryset=replies.order_by("created_at", "id")))
        .order_by(pinned_first(), "created_at", "id"))


def images(post: Post) -> list[PostImage]:
    return list(post.images.all())


def reported_comments(community, *, resolved: bool | None = False) -> QuerySet:
    """Reported comments, the most reported first: with open reports (``resolved`` False), only
    answered ones (True), or all (None)."""
    qs = (Comment.objects.filter(community_id=community.pk)
          .annotate(open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True)),
                    all_reports=Count("reports"), last_report=Max("reports__created_at"))
          .filter(all_reports__gt=0)
          .select_related("author", "post").order_by("-open_reports", "-last_report", "-id"))
    if resolved is None:
        return qs
    return qs.filter(open_reports=0) if resolved else qs.filter(open_reports__gt=0)


def home_posts(membership: Membership) -> list[Post]:
    """The home page's posts: the pinned ones, then the latest three the member sees."""
    base = for_cards(posts_for_member(membership))
    pinned = list(base.filter(pinned_at__isnull=False)[:HOME_PINNED])
    latest = list(base.filter(pinned_at__isnull=True)[:HOME_POSTS])
    return pinned + latest
