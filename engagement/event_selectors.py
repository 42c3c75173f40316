"""Reads for events: what members see, what the console shows, attendance and the waitlist."""

from __future__ import annotations

import io

import qrcode
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from communities.models import Membership
from communities.permissions import Perm, acts_community_wide, has_perm
from core.models import AuditLog
from engagement.events import events_in_view
from engagement.models import RSVP, Event


def events_for_member(membership: Membership) -> QuerySet:
    """Published and cancelled events of the community aimed at everyone or the member's branch
    (admins see every branch's), soonest first."""
    events = (Event.objects.filter(community_id=membership.community_id)
              .exclude(status=Event.Status.DRAFT).select_related("pickup_point", "community"))
    if not acts_community_wide(membership):
        events = events.filter(Q(branch__isnull=True) | Q(branch_id=membership.branch_id))
    return events.order_by("starts_at", "pk")


def upcoming_for_member(membership: Membership, now=None) -> QuerySet:
    now = now or timezone.now()
    return events_for_member(membership).filter(status=Event.Status.PUBLISHED, ends_at__gt=now)


def events_in_console(actor: Membership) -> QuerySet:
    """The events the actor manages in the console (a leader: the whole community's, their branch's
    and their own), newest start first."""
    if not has_perm(actor, Perm.MANAGE_EVENTS) and not has_perm(actor, Perm.CHECK_IN):
        return Event.objects.none()
    events = Event.objects.filter(community_id=actor.community_id).select_related("pickup_point", "branch",
                                                                                   "community")
    return events_in_view(actor, events).order_by("-starts_at", "-pk")


def rsvp_of(membership: Membership, event: Event) -> RSVP | None:
    return (RSVP.objects.select_related("charge").filter(event_id=event.pk, member_id=membership.user_id).first())


def waitlist_position(rsvp: RSVP) -> int | None:
    """The member's 1-based place in the queue (None when not waiting)."""
    if rsvp.status != RSVP.Status.WAITLISTED:
        return None
    ahead = RSVP.objects.filter(event_id=rsvp.event_id, status=RSVP.Status.WAITLISTED).filter(
        Q(waitlisted_at__lt=rsvp.waitlisted_at) | Q(waitlisted_at=rsvp.waitlisted_at, pk__lt=rsvp.pk)).count()
    return ahead + 1


def attendance(event: Event, now=None) -> dict:
    """Counts for the console: RSVPs going and their seats, checked in, no-shows (once started),
    waiting and offered. One query."""
    now = now or timezone.now()
    going = Q(status=RSVP.Status.GOING)
    counts = RSVP.objects.filter(event_id=event.pk).aggregate(
        going=Count("pk", filter=going),
        seats=Sum(F("guests") + 1, filter=going),
        checked_in=Count("pk", filter=going & Q(checked_in_at__isnull=False)),
        checked_in_seats=Sum(F("guests") + 1, filter=going & Q(checked_in_at__isnull=False)),
        waitlisted=Count("pk", filter=Q(status=RSVP.Status.WAITLISTED)),
        offered=Count("pk", filter=Q(status=RSVP.Status.OFFERED)),
        unpaid=Count("pk", filter=Q(status=RSVP.Status.PENDING_PAYMENT)),
    )
    counts["seats"] = counts["seats"] or 0
    counts["checked_in_seats"] = counts["checked_in_seats"] or 0
    started = now >= event.starts_at
    counts["no_shows"] = counts["going"] - counts["checked_in"] if started else 0
    counts["started"] = started
    return counts


def attendees(event: Event) -> QuerySet:
    """RSVPs going (for the attendee table and CSV), with the member and who checked them in."""
    return (RSVP.objects.filter(event_id=event.pk, status=RSVP.Status.GOING)
            .select_related("member", "checked_in_by", "charge", "branch").order_by("created_at", "pk"))


def waitlist_history(event: Event) -> list[AuditLog]:
    """Every RSVP change of the event (joined, waited, offered, accepted, declined, expired,
    cancelled, checked in), oldest first."""
    return list(AuditLog.objects.filter(community_id=event.community_id, object_type="rsvp",
                                        action__startswith="rsvp.", data__event=event.pk)
                .select_related("actor", "target_user").order_by("created_at", "pk"))


def ticket_qr_png(rsvp: RSVP) -> bytes:
    """The ticket's QR: the code itself (the door's scanner reads it; the code works typed too)."""
    image = qrcode.make(rsvp.ticket_code, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
