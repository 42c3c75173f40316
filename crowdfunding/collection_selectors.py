"""Reads for split-bill collections: what a member sees (collections they organize or take part
in), what owners and admins see in the console, and the members an organizer picks from.

Lists carry their progress as annotations (one query whatever the number of rows); a page of one
collection reads its shares with their people in one more query.
"""

from __future__ import annotations

from django.db.models import Count, DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from communities.models import Membership
from core.exceptions import NotFound
from crowdfunding.models import Collection, CollectionShare

PICK_LIMIT = 200  # members shown at once on the "new collection" form (a search narrows them)

_PAID = Q(shares__status=CollectionShare.Status.PAID)


def with_progress(qs: QuerySet) -> QuerySet:
    """Each collection with share_count, paid_count and collected (the amount of paid shares)."""
    return qs.annotate(
        share_count=Count("shares", distinct=True),
        paid_count=Count("shares", filter=_PAID, distinct=True),
        collected=Coalesce(Sum("shares__amount", filter=_PAID), Value(0),
                           output_field=DecimalField(max_digits=12, decimal_places=2)),
    )


def _taking_part(user_id: int) -> Exists:
    return Exists(CollectionShare.objects.filter(collection_id=OuterRef("pk"), participant_id=user_id))


def collections_for_member(membership: Membership) -> QuerySet:
    """Collections the member organizes or takes part in, newest first, with their progress."""
    qs = (membership.community.collections.filter(Q(organizer_id=membership.user_id) | _taking_part(membership.user_id))
          .select_related("organizer").order_by("-created_at", "-id"))
    return with_progress(qs)


def collections_for_console(membership: Membership) -> QuerySet:
    """Every collection of the community (owners and admins read them in the console)."""
    return with_progress(membership.community.collections.select_related("organizer").order_by("-created_at", "-id"))


def _shares() -> Prefetch:
    return Prefetch("shares", queryset=CollectionShare.objects.select_related("participant", "paid_by", "charge")
                    .prefetch_related("charge__payments").order_by("position", "id"))


def collection_for_member(membership: Membership, pk) -> Collection:
    """One collection the member organizes or takes part in (NotFound otherwise), with its shares."""
    collection = (collections_for_member(membership).filter(pk=pk).prefetch_related(_shares()).first()
                  if isinstance(pk, int) else None)
    if collection is None:
        raise NotFound()
    return collection


def collection_for_console(membership: Membership, pk) -> Collection:
    collection = (collections_for_console(membership).filter(pk=pk).prefetch_related(_shares()).first()
                  if isinstance(pk, int) else None)
    if collection is None:
        raise NotFound()
    return collection


def share_of(collection: Collection, share_pk) -> CollectionShare:
    """A share of this collection (from the prefetched ones), NotFound otherwise."""
    for share in collection.shares.all():
        if share.pk == share_pk:
            share.collection = collection
            return share
    raise NotFound()


def pending_transfer(share: CollectionShare):
    """The transfer reported for a share and waiting for the organizer, if any (prefetched)."""
    for payment in share.charge.payments.all():
        if payment.method == "manual" and payment.status == "pending":
            return payment
    return None


def members_to_pick(membership: Membership, query: str = "") -> QuerySet:
    """Active members the organizer may choose from (themself included), by name, at most PICK_LIMIT."""
    qs = (membership.community.memberships.filter(status=Membership.Status.ACTIVE).select_related("user")
          .order_by("user__display_name", "user_id"))
    query = (query or "").replace("\x00", "").strip()[:50]
    if query:
        qs = qs.filter(Q(user__display_name__icontains=query) | Q(user__phone__icontains=query))
    return qs[:PICK_LIMIT]
