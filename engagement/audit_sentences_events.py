"""The events area's audit-log entries in words (core.audit)."""

from django.utils.translation import pgettext_lazy

from core.audit import by_member_or_admin

SENTENCES = {
    "event.created": pgettext_lazy("audit log", "%(actor)s created event #%(id)s"),
    "event.published": pgettext_lazy("audit log", "%(actor)s published event #%(id)s"),
    "event.updated": pgettext_lazy("audit log", "%(actor)s changed event #%(id)s"),
    "event.cancelled": pgettext_lazy("audit log", "%(actor)s cancelled event #%(id)s"),
    "rsvp.going": pgettext_lazy("audit log", "%(target)s is going (RSVP #%(id)s)"),
    "rsvp.waitlisted": pgettext_lazy("audit log", "%(target)s joined the waitlist (RSVP #%(id)s)"),
    "rsvp.offered": pgettext_lazy("audit log", "A seat was offered to %(target)s (RSVP #%(id)s)"),
    "rsvp.accepted": pgettext_lazy("audit log", "%(target)s took the offered seat (RSVP #%(id)s)"),
    "rsvp.declined": pgettext_lazy("audit log", "%(target)s declined the offered seat (RSVP #%(id)s)"),
    "rsvp.offer_expired": pgettext_lazy("audit log", "The seat offered to %(target)s lapsed (RSVP #%(id)s)"),
    "rsvp.cancelled": by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s cancelled RSVP #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s cancelled RSVP #%(id)s of %(target)s"),
        pgettext_lazy("audit log", "RSVP #%(id)s of %(target)s was released")),
    "rsvp.paid": by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s paid for RSVP #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s confirmed the payment of RSVP #%(id)s of %(target)s"),
        pgettext_lazy("audit log", "RSVP #%(id)s of %(target)s was paid")),
    "rsvp.transfer_reported": pgettext_lazy("audit log", "%(actor)s reported a transfer for RSVP #%(id)s"),
    "rsvp.checked_in": pgettext_lazy("audit log", "%(actor)s checked %(target)s in (RSVP #%(id)s)"),
}
