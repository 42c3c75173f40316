"""Periodic work of the events area (core.sweeps, on beat every minute): offers that lapse, unpaid
seats released, reminders the day before and an hour before.

RSVP sweeps claim in the lock order of engagement.events (event, then RSVP); reminder sweeps hold
the event row while they send, and its marker (reminded_*_at) is set in the same transaction, so
two workers, or a rerun, send each reminder once (the notices' dedupe keys say so again).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.sweeps import Sweep, register
from engagement import events
from engagement.models import RSVP, Event
from payments.models import Payment


def _event_url(community, event_id) -> str:
    return reverse("engagement_console:event", kwargs={"slug": community.slug, "pk": event_id})


class _RSVPSweep(Sweep):
    batch = 200

    def claim(self, pk, now):
        # Lock order: the event, then the RSVP.
        event_id = RSVP.objects.filter(pk=pk).values_list("event_id", flat=True).first()
        if event_id is None:
            return None
        events._lock_event(event_id)
        return (self.due(now).filter(pk=pk).select_related("charge", "community", "member", "event__community")
                .select_for_update(skip_locked=True, of=("self",)).first())

    def console_url(self, rsvp):
        return _event_url(rsvp.community, rsvp.event_id)

    def describe(self, rsvp):
        return _("RSVP #%(id)s") % {"id": rsvp.pk}


@register
class ExpireOffers(_RSVPSweep):
    name = "engagement.expire_offers"
    label = _("Passing on waitlist offers nobody took")

    def due(self, now):
        return RSVP.objects.filter(status=RSVP.Status.OFFERED, offer_expires_at__lte=now).order_by(
            "offer_expires_at", "pk")

    def settle(self, rsvp, now):
        events.rsvp_expire_offer(rsvp, now)


@register
class ExpireUnpaidRSVPs(_RSVPSweep):
    name = "engagement.expire_unpaid_rsvps"
    label = _("Releasing event seats not paid in time")

    def due(self, now):
        # A reported transfer keeps the seat until an admin answers it.
        waiting = Exists(Payment.objects.filter(charge_id=OuterRef("charge_id"), status=Payment.Status.PENDING))
        return (RSVP.objects.filter(status=RSVP.Status.PENDING_PAYMENT, expires_at__lte=now)
                .exclude(waiting).order_by("expires_at", "pk"))

    def settle(self, rsvp, now):
        events.rsvp_expire_unpaid(rsvp, now)


class _ReminderSweep(Sweep):
    which: str
    ahead: object
    lock_no_key = True  # RSVPs being written point at the event

    def due(self, now):
        marker = "reminded_day_at" if self.which == "day" else "reminded_hour_at"
        return (Event.objects.filter(status=Event.Status.PUBLISHED, starts_at__gt=now, starts_at__lte=now + self.ahead,
                                     **{f"{marker}__isnull": True})
                .select_related("community", "pickup_point").order_by("starts_at", "pk"))

    def claim(self, pk, now):
        return (self.due(now).filter(pk=pk)
                .select_for_update(skip_locked=True, of=("self",), no_key=True).first())

    def settle(self, event, now):
        events.event_remind(event, now, which=self.which)

    def console_url(self, event):
        return _event_url(event.community, event.pk)


@register
class RemindDayBefore(_ReminderSweep):
    name = "engagement.remind_day_before"
    label = _("Reminding members of events tomorrow")
    which = "day"
    ahead = events.DAY_BEFORE


@register
class RemindHourBefore(_ReminderSweep):
    name = "engagement.remind_hour_before"
    label = _("Reminding members of events starting within the hour")
    which = "hour"
    ahead = events.HOUR_BEFORE
