"""Writes for events: creating and publishing them, RSVPs with a waitlist, paid seats, check-in.

Seats. An event's ``seats_taken`` counts the seats (member + guests) of RSVPs going, awaiting
payment, or offered to someone on the waitlist. It changes only here, under the event's row lock,
by guarded updates, and a CHECK constraint keeps it within the capacity. When seats free up
(a cancellation, an expired offer, an unpaid seat released, a larger capacity) they are offered at
once, in the same transaction, to the waitlist in order: first come, first offered, skipping a
party that does not fit. An offer holds its seats until it is accepted, declined or lapses (the
community's window, never past the start), and a new RSVP never jumps the queue: while anyone
waits, newcomers wait too.

Lock order (the project's is in payments/services.py): event row (FOR NO KEY UPDATE: every seat
change of one event is serialised on it; NO KEY so that new RSVPs' foreign-key checks pass) →
RSVP rows (by id) → charge → wallet. Check-in takes only the RSVP row (a guarded update), so two
scanners at the door cannot both let one ticket in.

A paid seat is a charge in payments/ (purpose "ticket"): paid from the wallet, or by a transfer an
admin confirms; a cancelled paid seat is refunded (to the wallet, or owed back for a transfer).
Notices go through core.notifications; "event.rsvped" and "event.attended" are emitted for the
points issue (core.events).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, Membership
from communities.permissions import (
    Perm, acts_community_wide, branch_in_scope, check_perm,
    published_in_scope, published_in_view,
)
from core.audit import audit_entry, audit_record, audit_record_many
from core.events import emit
from core.exceptions import Conflict, NotFound, ValidationFailed
from core.images import clean_image
from core.inputs import parse_int
from core.money import MAX_AMOUNT, parse_money
from core.notifications import Notice, in_language_of, notify, notify_many
from core.templatetags.money import money as format_money
from engagement.common import engagement_settings
from engagement.models import MAX_GUESTS, RSVP, TICKET_ALPHABET, TICKET_LENGTH, Event, new_ticket_code
from payments import services as payments

MAX_CAPACITY = 100_000
YEARS = (2000, 2100)
MAX_AHEAD = timedelta(days=730)
MAX_LENGTH = timedelta(days=31)
# The door: a ticket checks in from this long before the start until this long after the end.
CHECK_IN_OPENS = timedelta(hours=12)
CHECK_IN_CLOSES = timedelta(hours=12)

ACTIVE = (RSVP.Status.GOING, RSVP.Status.PENDING_PAYMENT, RSVP.Status.WAITLISTED, RSVP.Status.OFFERED)
HOLDING = (RSVP.Status.GOING, RSVP.Status.PENDING_PAYMENT, RSVP.Status.OFFERED)

_CODE_NOISE = re.compile(r"[\s\-·]+")


def _bad(field: str, message) -> None:
    raise ValidationFailed(message, fields={field: [message]})


def _clean(value, *, field: str, limit: int, required: bool = False) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        _bad(field, _("This field is required."))
    if len(text) > limit:
        _bad(field, _("At most %(limit)s characters.") % {"limit": limit})
    return text


def _transition(rsvp: RSVP, to: str, *, actor=None, **data) -> None:
    audit_record(community=rsvp.community, actor=actor, action=f"rsvp.{to}", target_user=rsvp.member, obj=rsvp,
                 event=rsvp.event_id, **data)


# Scope -----------------------------------------------------------------------------------------

def events_in_view(actor: Membership, events):
    """Events the actor sees in the console: a leader, those for the whole community, their branch's
    and their own."""
    return published_in_view(actor, events)


def events_in_scope(actor: Membership, events):
    """Events the actor may change: a leader, their own."""
    return published_in_scope(actor, events)


def event_visible_to(member: Membership, event: Event) -> bool:
    """A member sees published (and cancelled) events of their community aimed at everyone or their branch."""
    if event.community_id != member.community_id or event.status == Event.Status.DRAFT:
        return False
    return event.branch_id is None or event.branch_id == member.branch_id or acts_community_wide(member)


def _check_event(actor: Membership, event: Event, *, perm: Perm = Perm.MANAGE_EVENTS, change: bool = True) -> None:
    check_perm(actor, perm)
    narrow = events_in_scope if change else events_in_view
    if event.community_id != actor.community_id or not narrow(actor, Event.objects.filter(pk=event.pk)).exists():
        raise NotFound()


def _lock_event(event_id: int) -> Event:
    """First lock of every seat change of an event (see the module's lock order)."""
    return (Event.objects.select_related("community").select_for_update(of=("self",), no_key=True)
            .get(pk=event_id))


def _lock_rsvp(rsvp_id: int) -> RSVP:
    return (RSVP.objects.select_for_update(of=("self",))
            .select_related("event__community", "community", "member", "charge").get(pk=rsvp_id))


# Events ----------------------------------------------------------------------------------------

def _instant(value, *, field: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        _bad(field, _("Enter a date and time."))
    if not YEARS[0] <= value.year <= YEARS[1]:
        _bad(field, _("Choose a date between %(first)s and %(last)s.") % {"first": YEARS[0], "last": YEARS[1]})
    return value


def _event_values(community: Community, values: dict, *, current: Event | None, now: datetime) -> dict:
    """Cleaned event fields (those given), checked together with the current ones; ValidationFailed
    names every bad field."""
    errors: dict[str, list] = {}
    cleaned: dict = {}

    def attempt(name, read):
        if name not in values:
            return
        try:
            cleaned[name] = read(values[name])
        except ValidationFailed as error:
            errors.update(error.fields or {name: [error.message]})

    attempt("kind", lambda v: v if v in Event.Kind.values else _bad("kind", _("Choose a kind of event.")))
    attempt("title", lambda v: _clean(v, field="title", limit=120, required=True))
    attempt("description", lambda v: _clean(v, field="description", limit=5000))
    attempt("address", lambda v: _clean(v, field="address", limit=300))
    attempt("online_url", lambda v: _url(v))
    attempt("starts_at", lambda v: _instant(v, field="starts_at"))
    attempt("ends_at", lambda v: _instant(v, field="ends_at"))
    attempt("rsvp_deadline", lambda v: None if v in (None, "") else _instant(v, field="rsvp_deadline"))
    attempt("capacity", lambda v: None if v in (None, "") else _int(v, field="capacity", low=1, high=MAX_CAPACITY))
    attempt("max_guests", lambda v: _int(v if v not in (None, "") else 0, field="max_guests", low=0, high=MAX_GUESTS))
    attempt("price", lambda v: parse_money(v if v not in (None, "") else "0", field="price", maximum=MAX_AMOUNT))
    if "pickup_point" in values:
        point = values["pickup_point"]
        if point is not None and (point.community_id != community.pk or not point.is_active):
            errors["pickup_point"] = [_("Choose one of this community's pickup points.")]
        cleaned["pickup_point"] = point

    # Fields checked together (those that failed alone are not checked again).
    def final(name, default=None):
        return cleaned[name] if name in cleaned else getattr(current, name, default)

    starts, ends = final("starts_at"), final("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        errors["ends_at"] = [_("The end must come after the start.")]
    if "starts_at" in cleaned and (current is None or cleaned["starts_at"] != current.starts_at):
        if starts is None:
            pass
        elif starts <= now:
            errors["starts_at"] = [_("The start must be in the future.")]
        elif starts > now + MAX_AHEAD:
            errors["starts_at"] = [_("The start can be at most two years away.")]
    if starts is not None and ends is not None and ends - starts > MAX_LENGTH:
        errors["ends_at"] = [_("An event can last at most 31 days.")]
    if "rsvp_deadline" in values or "starts_at" in cleaned:
        deadline = final("rsvp_deadline")
        if "rsvp_deadline" in errors:
            pass
        elif deadline is None or ("rsvp_deadline" in values and cleaned.get("rsvp_deadline") is None):
            cleaned["rsvp_deadline"] = starts  # by default members answer until the start
        elif starts is not None and deadline > starts:
            errors["rsvp_deadline"] = [_("RSVPs must close by the start.")]
    online = final("kind") in (Event.Kind.LIVESTREAM, Event.Kind.ONLINE_CLASS)
    if not (final("pickup_point") or final("address", "") or final("online_url", "")) \
            and not {"address", "online_url", "pickup_point"} & set(errors):
        field = "online_url" if online else "address"
        errors[field] = [_("Say where it happens: a pickup point, an address or a link.")]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), fields=errors)
    return cleaned


def _url(value) -> str:
    url = _clean(value, field="online_url", limit=500)
    if url and not re.match(r"https?://[^\s/]+", url, re.IGNORECASE):
        _bad("online_url", _("Enter a link starting with http:// or https://."))
    return url


def _int(value, *, field: str, low: int, high: int) -> int:
    number = parse_int(value, minimum=low, maximum=high)
    if number is None:
        _bad(field, _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return number


def event_create(*, actor: Membership, title: str, kind: str, starts_at: datetime, ends_at: datetime,
                 description: str = "", rsvp_deadline: datetime | None = None, pickup_point=None, address: str = "",
                 online_url: str = "", capacity: int | None = None, max_guests: int = 0, price=Decimal("0"),
                 branch: Community | None = None, now: datetime | None = None) -> Event:
    """A draft event. A leader's is for their own branch."""
    check_perm(actor, Perm.MANAGE_EVENTS)
    now = now or timezone.now()
    community = actor.community
    if branch is not None and branch.parent_id != community.pk:
        _bad("branch", _("Choose one of this community's branches."))
    values = _event_values(community, {
        "title": title, "kind": kind, "starts_at": starts_at, "ends_at": ends_at, "description": description,
        "rsvp_deadline": rsvp_deadline, "pickup_point": pickup_point, "address": address, "online_url": online_url,
        "capacity": capacity, "max_guests": max_guests, "price": price}, current=None, now=now)
    branch = branch_in_scope(actor, branch)
    with transaction.atomic():
        event = Event.objects.create(community=community, branch=branch, currency=community.currency,
                                     created_by=actor.user, **values)
        audit_record(community=community, actor=actor.user, action="event.created", obj=event, title=event.title)
    return event


FROZEN_ONCE_ANSWERED = ("price", "max_guests")


def event_update(*, actor: Membership, event: Event, now: datetime | None = None, **fields) -> Event:
    """Change an event. Price and guests per member are frozen once anyone answered; the capacity
    never drops below the seats taken (raised, it offers the new seats to the waitlist); a new time
    is told to the members going."""
    _check_event(actor, event)
    now = now or timezone.now()
    unknown = set(fields) - {"title", "kind", "starts_at", "ends_at", "description", "rsvp_deadline", "pickup_point",
                             "address", "online_url", "capacity", "max_guests", "price", "branch"}
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    branch = fields.pop("branch", event.branch)
    if branch is not None and branch.parent_id != event.community_id:
        _bad("branch", _("Choose one of this community's branches."))
    with transaction.atomic():
        locked = _lock_event(event.pk)
        if locked.status == Event.Status.CANCELLED:
            raise Conflict(_("This event was cancelled."), code="event_cancelled")
        if locked.ends_at <= now:
            raise Conflict(_("This event is over."), code="event_over")
        values = _event_values(locked.community, fields, current=locked, now=now)
        changed = {name: value for name, value in values.items() if getattr(locked, name) != value}
        branch = branch_in_scope(actor, branch)
        if branch != locked.branch:
            changed["branch"] = branch
        answered = locked.rsvps.exists()
        frozen = [name for name in FROZEN_ONCE_ANSWERED if name in changed and answered]
        if frozen:
            raise Conflict(_("Members have answered already: the price and guests per member stay as they are."),
                           code="frozen", fields={name: [_("Frozen once members answered.")] for name in frozen})
        if "capacity" in changed and changed["capacity"] is not None and changed["capacity"] < locked.seats_taken:
            raise ValidationFailed(
                _("%(taken)s seats are taken: the capacity cannot be lower.") % {"taken": locked.seats_taken},
                fields={"capacity": [_("Lower than the seats taken.")]})
        retimed = "starts_at" in changed or "ends_at" in changed
        if "starts_at" in changed:
            changed["reminded_day_at"] = changed["reminded_hour_at"] = None
        for name, value in changed.items():
            setattr(locked, name, value)
        if not changed:
            return locked
        locked.save()
        if "starts_at" in changed:
            # Offers never run past the start.
            RSVP.objects.filter(event=locked, status=RSVP.Status.OFFERED,
                                offer_expires_at__gt=locked.starts_at).update(offer_expires_at=locked.starts_at)
        audit_record(community=locked.community, actor=actor.user, action="event.updated", obj=locked,
                     fields=sorted(name for name in changed if not name.startswith("reminded_")))
        if locked.status == Event.Status.PUBLISHED:
            _offer_free_seats(locked, now)
            if retimed:
                _tell_going(locked, kind="event_changed", key=f"event_retimed:{locked.pk}:{locked.updated_at.timestamp()}",
                            title=lambda: _("%(title)s has a new time") % {"title": locked.title},
                            body=lambda: _("It now starts %(when)s.") % {"when": _local(locked, locked.starts_at)})
    return locked


def event_set_cover(*, actor: Membership, event: Event, upload) -> Event:
    _check_event(actor, event)
    content = clean_image(upload, field="cover")
    with transaction.atomic():
        locked = _lock_event(event.pk)
        old = locked.cover.name if locked.cover else ""
        locked.cover.save(content.name, content, save=False)
        locked.save(update_fields=["cover", "updated_at"])
        audit_record(community=locked.community, actor=actor.user, action="event.updated", obj=locked,
                     fields=["cover"])
    if old:
        transaction.on_commit(lambda: locked.cover.storage.delete(old))
    return locked


def event_publish(*, actor: Membership, event: Event, now: datetime | None = None) -> Event:
    """Draft → published: members see it and may RSVP."""
    _check_event(actor, event)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_event(event.pk)
        if locked.status == Event.Status.PUBLISHED:
            return locked
        if locked.status != Event.Status.DRAFT:
            raise Conflict(_("Only a draft can be published."), code="not_draft")
        if locked.starts_at <= now:
            raise Conflict(_("The start has passed: choose a new time first."), code="event_started")
        locked.status, locked.published_at = Event.Status.PUBLISHED, now
        locked.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(community=locked.community, actor=actor.user, action="event.published", obj=locked,
                     **{"from": Event.Status.DRAFT, "to": Event.Status.PUBLISHED})
    return locked


def event_cancel(*, actor: Membership, event: Event, reason: str = "") -> Event:
    """Cancel an event: every RSVP is cancelled, paid seats are refunded, members are told."""
    _check_event(actor, event)
    reason = _clean(reason, field="reason", limit=200)
    with transaction.atomic():
        locked = _lock_event(event.pk)
        if locked.status == Event.Status.CANCELLED:
            return locked
        rsvps = list(RSVP.objects.select_for_update(of=("self",)).select_related("member", "charge", "community")
                     .filter(event=locked, status__in=ACTIVE).order_by("pk"))
        now = timezone.now()
        _release_many(locked, rsvps, to=RSVP.Status.CANCELLED, reason="event_cancelled", actor=actor.user, now=now)
        previous = locked.status
        locked.status, locked.cancelled_at, locked.seats_taken = Event.Status.CANCELLED, now, 0
        locked.save(update_fields=["status", "cancelled_at", "seats_taken", "updated_at"])
        audit_record(community=locked.community, actor=actor.user, action="event.cancelled", obj=locked,
                     reason=reason, **{"from": previous, "to": Event.Status.CANCELLED})
        notices = []
        for rsvp in rsvps:
            with in_language_of(rsvp.member):
                body = _("Your RSVP is cancelled.")
                if rsvp.was_paid:
                    body += " " + (_("What you paid is refunded to your wallet.") if rsvp.refund_method == "wallet"
                                   else _("What you paid by transfer is paid back to you by an admin."))
                notices.append(Notice(recipient=rsvp.member, community=locked.community, kind="event_changed",
                                      title=_("%(title)s was cancelled") % {"title": locked.title},
                                      body=body + (f"\n{reason}" if reason else ""), url=locked.get_absolute_url(),
                                      dedupe_key=f"event_cancelled:{rsvp.pk}"))
        notify_many(notices)
    return locked


# RSVPs -----------------------------------------------------------------------------------------

def _take_seats(event: Event, seats: int) -> bool:
    """A guarded update (the CHECK constraint says so too): True when the seats were free."""
    return bool(Event.objects.filter(Q(capacity__isnull=True) | Q(capacity__gte=F("seats_taken") + seats),
                                     pk=event.pk).update(seats_taken=F("seats_taken") + seats))


def _give_back_seats(event: Event, seats: int) -> None:
    if seats:
        Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") - seats)


def _payment_window(event: Event, now: datetime) -> datetime:
    return min(now + timedelta(minutes=event.community.payment_window_minutes), event.starts_at)


def _open_charge(event: Event, membership_user_id: int, seats: int):
    return payments.charge_open(community_id=event.community_id, member_id=membership_user_id,
                                amount=event.price * seats, currency=event.currency, purpose="ticket",
                                description=event.title, url=event.get_absolute_url())


def rsvp_create(*, membership: Membership, event: Event, guests=0, now: datetime | None = None) -> RSVP:
    """Answer "I'm going" (with guests). Seats free and nobody waiting: going (a paid event: the seat
    is held for the community's payment window). Full, or others waiting: the waitlist. A retry
    while the RSVP stands returns it unchanged; after a cancellation the same row comes back with
    a new ticket code."""
    check_perm(membership, Perm.VIEW)
    if event.community_id != membership.community_id:
        raise NotFound()
    guests = _int(guests if guests not in (None, "") else 0, field="guests", low=0, high=MAX_GUESTS)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_event(event.pk)
        if not event_visible_to(membership, locked):
            raise NotFound()
        rsvp = (RSVP.objects.select_for_update(of=("self",)).select_related("charge")
                .filter(event=locked, member_id=membership.user_id).first())
        if rsvp is not None and rsvp.status in ACTIVE:
            return rsvp
        if locked.status != Event.Status.PUBLISHED:
            raise Conflict(_("This event is not taking RSVPs."), code="event_closed")
        if now >= locked.rsvp_deadline:
            raise Conflict(_("RSVPs for this event are closed."), code="rsvp_closed")
        if guests > locked.max_guests:
            _bad("guests", _("You can bring at most %(n)s guests.") % {"n": locked.max_guests}
                 if locked.max_guests else _("This event takes no guests."))
        seats = 1 + guests
        if locked.capacity is not None and seats > locked.capacity:
            _bad("guests", _("The event has %(n)s seats in all.") % {"n": locked.capacity})
        someone_waits = RSVP.objects.filter(event=locked, status=RSVP.Status.WAITLISTED).exists()
        if not someone_waits and _take_seats(locked, seats):
            status = RSVP.Status.PENDING_PAYMENT if locked.price > 0 else RSVP.Status.GOING
        else:
            status = RSVP.Status.WAITLISTED
        charge = _open_charge(locked, membership.user_id, seats) if status == RSVP.Status.PENDING_PAYMENT else None
        values = {"status": status, "guests": guests, "charge": charge, "branch_id": membership.branch_id,
                  "waitlisted_at": now if status == RSVP.Status.WAITLISTED else None,
                  "expires_at": _payment_window(locked, now) if charge else None,
                  "offered_at": None, "offer_expires_at": None, "cancelled_at": None,
                  "checked_in_at": None, "checked_in_by": None}
        if rsvp is None:
            rsvp = RSVP.objects.create(community_id=locked.community_id, event=locked, member_id=membership.user_id,
                                       **values)
        else:
            values["ticket_code"] = new_ticket_code()  # the old ticket never works again
            for name, value in values.items():
                setattr(rsvp, name, value)
            rsvp.save()
        rsvp.event, rsvp.community, rsvp.member = locked, locked.community, membership.user
        _transition(rsvp, "waitlisted" if status == RSVP.Status.WAITLISTED else "going", actor=membership.user,
                    guests=guests)
        emit("event.rsvped", community_id=locked.community_id, event_id=locked.pk, rsvp_id=rsvp.pk,
             member_id=membership.user_id, status=status)
    return rsvp


def _own_rsvp(membership: Membership, rsvp: RSVP) -> None:
    if rsvp.member_id != membership.user_id or rsvp.community_id != membership.community_id:
        raise NotFound()


def _lock_for_payment(membership: Membership, rsvp: RSVP, now: datetime) -> RSVP:
    _own_rsvp(membership, rsvp)
    _lock_event(rsvp.event_id)
    locked = _lock_rsvp(rsvp.pk)
    if locked.status != RSVP.Status.PENDING_PAYMENT:
        raise Conflict(_("This seat is not waiting for payment."), code="not_payable")
    if locked.event.status != Event.Status.PUBLISHED or now >= locked.event.starts_at:
        raise Conflict(_("This event is no longer taking payments."), code="event_closed")
    return locked


def _mark_paid(rsvp: RSVP, *, actor) -> None:
    rsvp.status, rsvp.expires_at = RSVP.Status.GOING, None
    rsvp.save(update_fields=["status", "expires_at", "updated_at"])
    _transition(rsvp, "paid", actor=actor, amount=str(rsvp.charge.amount))


def rsvp_pay_with_wallet(*, membership: Membership, rsvp: RSVP, now: datetime | None = None) -> RSVP:
    """Pay a held seat from the wallet (a double tap pays once)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for_payment(membership, rsvp, now)
        payments.pay_with_wallet(charge=locked.charge, actor=membership.user)
        _mark_paid(locked, actor=membership.user)
    return locked


def rsvp_report_transfer(*, membership: Membership, rsvp: RSVP, reference: str = "",
                         now: datetime | None = None) -> RSVP:
    """The member paid by transfer or cash: the seat stays held until an admin answers."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for_payment(membership, rsvp, now)
        payment = payments.transfer_report(charge=locked.charge, reference=reference)
        _transition(locked, "transfer_reported", actor=membership.user, amount=str(payment.amount))
    return locked


def _lock_for_admin(actor: Membership, rsvps: list[RSVP]) -> list[RSVP]:
    ids = sorted({r.pk for r in rsvps})
    rows = list(RSVP.objects.filter(pk__in=ids, community_id=actor.community_id).values_list("pk", "event_id"))
    if len(rows) != len(ids):
        raise NotFound()
    event_ids = sorted({event_id for _pk, event_id in rows})
    if events_in_view(actor, Event.objects.filter(pk__in=event_ids)).count() != len(event_ids):
        raise NotFound()
    for event_id in event_ids:
        _lock_event(event_id)
    return list(RSVP.objects.select_for_update(of=("self",))
                .select_related("event__community", "community", "member", "charge").filter(pk__in=ids).order_by("pk"))


def rsvps_mark_received(*, actor: Membership, rsvps: list[RSVP], reference: str = "") -> list[RSVP]:
    """Admins confirm transfers or cash for held seats; paid ones are skipped. Money that arrives
    for a seat no longer held is recorded and owed back."""
    check_perm(actor, Perm.MANAGE_EVENTS)
    check_perm(actor, Perm.MANAGE_ORDERS)
    reference = _clean(reference, field="reference", limit=100)
    marked = []
    with transaction.atomic():
        for rsvp in _lock_for_admin(actor, rsvps):
            if rsvp.charge_id is None:
                continue
            if rsvp.status == RSVP.Status.PENDING_PAYMENT:
                payments.transfer_confirm(charge=rsvp.charge, actor=actor.user, reference=reference)
                _mark_paid(rsvp, actor=actor.user)
                with in_language_of(rsvp.member):
                    notify(recipient=rsvp.member, community=rsvp.community, kind="payment_received",
                           title=_("Payment received: %(amount)s") % {
                               "amount": format_money(rsvp.charge.amount, rsvp.event.currency)},
                           body=_("Your seat at %(title)s is confirmed.") % {"title": rsvp.event.title},
                           url=rsvp.get_absolute_url(), dedupe_key=f"rsvp_received:{rsvp.pk}:{rsvp.charge_id}")
                marked.append(rsvp)
            elif payments.has_pending_transfer(rsvp.charge_id):
                payment = payments.transfer_confirm(charge=rsvp.charge, actor=actor.user, reference=reference)
                if payment is not None:
                    payments.refund(charge=rsvp.charge, amount=payment.amount, reason="arrived_too_late",
                                    key=f"late_transfer:rsvp:{rsvp.charge_id}", actor=actor.user)
                    with in_language_of(rsvp.member):
                        notify(recipient=rsvp.member, community=rsvp.community, kind="refund_owed",
                               title=_("Your transfer for %(title)s arrived late") % {"title": rsvp.event.title},
                               body=_("Your seat was no longer held when the transfer was confirmed; an admin pays "
                                      "it back to you."), url=rsvp.get_absolute_url(),
                               dedupe_key=f"refund_owed:rsvp:{rsvp.charge_id}")
    return marked


def rsvp_transfer_decline(*, actor: Membership, rsvp: RSVP, note: str = "", now: datetime | None = None) -> RSVP:
    """An admin did not receive the reported transfer: the member is told and gets the payment
    window again to pay another way."""
    check_perm(actor, Perm.MANAGE_EVENTS)
    check_perm(actor, Perm.MANAGE_ORDERS)
    note = _clean(note, field="note", limit=200)
    now = now or timezone.now()
    with transaction.atomic():
        (locked,) = _lock_for_admin(actor, [rsvp])
        payment = payments.transfer_decline(charge=locked.charge, actor=actor.user, note=note) \
            if locked.charge_id else None
        if payment is None:
            raise Conflict(_("There is no reported transfer waiting for this seat."), code="no_report")
        if locked.status == RSVP.Status.PENDING_PAYMENT:
            locked.expires_at = _payment_window(locked.event, now)
            locked.save(update_fields=["expires_at", "updated_at"])
        with in_language_of(locked.member):
            notify(recipient=locked.member, community=locked.community, kind="transfer_declined",
                   title=_("Your transfer for %(title)s was not received") % {"title": locked.event.title},
                   body=_("An admin could not find your transfer of %(amount)s. Pay again or contact them.") % {
                       "amount": payment.amount} + (f"\n{note}" if note else ""),
                   url=locked.get_absolute_url(), dedupe_key=f"declined:{payment.pk}")
    return locked


def rsvp_cancel(*, membership: Membership, rsvp: RSVP, now: datetime | None = None) -> RSVP:
    """The member will not come (or leaves the waitlist). Until the start; a paid seat is refunded
    (to the wallet, or owed back for a transfer) and the seats go to the waitlist."""
    _own_rsvp(membership, rsvp)
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(rsvp.event_id)
        locked = _lock_rsvp(rsvp.pk)
        if locked.status not in ACTIVE:
            return locked  # cancelled already (a double tap), declined or expired
        if locked.checked_in_at is not None:
            raise Conflict(_("You are checked in already."), code="checked_in")
        if now >= event.starts_at:
            raise Conflict(_("The event has started: RSVPs can no longer be cancelled."), code="event_started")
        _release_many(event, [locked], to=RSVP.Status.CANCELLED, reason="cancelled", actor=membership.user, now=now)
        _offer_free_seats(event, now)
    return locked


def rsvp_accept_offer(*, membership: Membership, rsvp: RSVP, now: datetime | None = None) -> RSVP:
    """Take the offered seat: going (a paid event: held for the payment window, pay next)."""
    _own_rsvp(membership, rsvp)
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(rsvp.event_id)
        locked = _lock_rsvp(rsvp.pk)
        if locked.status in (RSVP.Status.GOING, RSVP.Status.PENDING_PAYMENT):
            return locked  # accepted already (a double tap)
        if locked.status != RSVP.Status.OFFERED or locked.offer_expires_at <= now:
            raise Conflict(_("This offer is no longer open."), code="offer_closed")
        if event.price > 0:
            locked.charge = _open_charge(event, locked.member_id, locked.seats)
            locked.status, locked.expires_at = RSVP.Status.PENDING_PAYMENT, _payment_window(event, now)
        else:
            locked.status = RSVP.Status.GOING
        locked.offer_expires_at = None
        locked.save(update_fields=["charge", "status", "expires_at", "offer_expires_at", "updated_at"])
        _transition(locked, "accepted", actor=membership.user)
    return locked


def rsvp_decline_offer(*, membership: Membership, rsvp: RSVP, now: datetime | None = None) -> RSVP:
    """Let the offered seat go: it passes to the next in line."""
    _own_rsvp(membership, rsvp)
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(rsvp.event_id)
        locked = _lock_rsvp(rsvp.pk)
        if locked.status == RSVP.Status.DECLINED:
            return locked
        if locked.status != RSVP.Status.OFFERED:
            raise Conflict(_("This offer is no longer open."), code="offer_closed")
        _release_many(event, [locked], to=RSVP.Status.DECLINED, reason="declined", actor=membership.user, now=now)
        _offer_free_seats(event, now)
    return locked


def rsvp_expire_offer(rsvp: RSVP, now: datetime) -> None:
    """An offer lapsed (event and RSVP locked by the sweep): the seats pass to the next in line."""
    event = _lock_event(rsvp.event_id)
    _release_many(event, [rsvp], to=RSVP.Status.EXPIRED, reason="offer_expired", actor=None, now=now)
    _offer_free_seats(event, now)


def rsvp_expire_unpaid(rsvp: RSVP, now: datetime) -> None:
    """A held seat was not paid in time (event and RSVP locked by the sweep): released."""
    event = _lock_event(rsvp.event_id)
    _release_many(event, [rsvp], to=RSVP.Status.CANCELLED, reason="unpaid", actor=None, now=now)
    _offer_free_seats(event, now)


def _release_many(event: Event, rsvps: list[RSVP], *, to: str, reason: str, actor, now: datetime) -> None:
    """End active RSVPs (locked, with their charges): held seats go back to the event, what was
    paid is refunded, the rest of each charge is cancelled. Each RSVP gains ``was_paid`` and
    ``refund_method``."""
    if not rsvps:
        return
    paid = [r for r in rsvps if r.charge_id and r.charge.paid_amount > 0]
    refunds = payments.refund_many(refunds=[(r.charge, r.charge.paid_amount - r.charge.refunded_amount,
                                             f"{reason}:rsvp:{r.charge_id}") for r in paid
                                            if r.charge.paid_amount > r.charge.refunded_amount],
                                   reason="event_cancelled" if reason == "event_cancelled" else "cancelled",
                                   actor=actor)
    payments.charges_cancel(charge_ids=[r.charge_id for r in rsvps if r.charge_id and r not in paid])
    _give_back_seats(event, sum(r.seats for r in rsvps if r.status in HOLDING))
    entries = []
    for rsvp in rsvps:
        entries.append(audit_entry(community=rsvp.community, actor=actor,
                                   action="rsvp.offer_expired" if to == RSVP.Status.EXPIRED else f"rsvp.{to}",
                                   target_user=rsvp.member, obj=rsvp, event=event.pk,
                                   **{"from": rsvp.status, "to": to, "reason": reason}))
        refund = refunds.get(rsvp.charge_id)
        rsvp.was_paid, rsvp.refund_method = rsvp in paid, refund.method if refund else ""
        rsvp.status, rsvp.cancelled_at, rsvp.expires_at, rsvp.offer_expires_at = to, now, None, None
    RSVP.objects.filter(pk__in=[r.pk for r in rsvps]).update(status=to, cancelled_at=now, expires_at=None,
                                                             offer_expires_at=None, updated_at=now)
    audit_record_many(entries)


def _offer_free_seats(event: Event, now: datetime) -> list[RSVP]:
    """Offer the event's free seats to the waitlist in order (the event locked by the caller):
    first come, first offered, skipping a party that does not fit. Nothing is offered once the
    event has started or is not published."""
    event.refresh_from_db(fields=["seats_taken", "capacity", "status", "starts_at"])
    if event.status != Event.Status.PUBLISHED or now >= event.starts_at:
        return []
    window = timedelta(hours=engagement_settings(event.community).offer_window_hours)
    free = None if event.capacity is None else event.capacity - event.seats_taken
    if free is not None and free <= 0:
        return []
    offered = []
    for rsvp in _queue(event, free):
        if free is not None and free <= 0:
            break
        if free is not None and rsvp.seats > free:
            continue  # a party that does not fit waits; the next one may
        if not _take_seats(event, rsvp.seats):
            break
        if free is not None:
            free -= rsvp.seats
        rsvp.event, rsvp.status, rsvp.offered_at = event, RSVP.Status.OFFERED, now
        rsvp.offer_expires_at = min(now + window, event.starts_at)
        offered.append(rsvp)
    if not offered:
        return []
    RSVP.objects.filter(pk__in=[r.pk for r in offered]).update(
        status=RSVP.Status.OFFERED, offered_at=now, offer_expires_at=offered[0].offer_expires_at, updated_at=now)
    audit_record_many([audit_entry(community=r.community, actor=None, action="rsvp.offered", target_user=r.member,
                                   obj=r, event=event.pk, until=r.offer_expires_at.isoformat(),
                                   **{"from": RSVP.Status.WAITLISTED, "to": RSVP.Status.OFFERED}) for r in offered])
    notices = []
    for rsvp in offered:
        with in_language_of(rsvp.member):
            notices.append(Notice(
                recipient=rsvp.member, community=event.community, kind="event_offer",
                title=_("A seat is free at %(title)s") % {"title": event.title},
                body=_("It is yours if you take it by %(until)s.") % {"until": _local(event, rsvp.offer_expires_at)},
                url=rsvp.get_absolute_url(), dedupe_key=f"event_offer:{rsvp.pk}:{int(now.timestamp())}"))
    notify_many(notices)
    return offered


def _queue(event: Event, free: int | None, chunk: int = 50):
    """The waitlist in order, read a chunk at a time (the event's lock, held by the caller, keeps
    it still: every change of an event's RSVPs takes that lock first)."""
    after = None
    while True:
        rows = (RSVP.objects.select_related("member", "community")
                .filter(event=event, status=RSVP.Status.WAITLISTED).order_by("waitlisted_at", "pk"))
        if after is not None:
            rows = rows.filter(Q(waitlisted_at__gt=after[0]) | Q(waitlisted_at=after[0], pk__gt=after[1]))
        size = chunk if free is None else min(chunk, max(free, 1) * 4)
        batch = list(rows[:size])
        yield from batch
        if len(batch) < size:
            return
        after = (batch[-1].waitlisted_at, batch[-1].pk)


def _local(event: Event, instant: datetime) -> str:
    import zoneinfo

    return timezone.localtime(instant, zoneinfo.ZoneInfo(event.community.timezone)).strftime("%Y-%m-%d %H:%M")


# Check-in --------------------------------------------------------------------------------------

@dataclass
class CheckIn:
    rsvp: RSVP
    first_time: bool
    checked_in_at: datetime
    checked_in_by: object  # the user who let them in (the first time)


def normalise_code(code) -> str | None:
    """A ticket code as typed or scanned ("k7m4 x2pq", a URL ending in ?code=…): upper case, no
    spaces or dashes; None when it cannot be one."""
    text = str(code or "").replace("\x00", "")[:600].strip()
    if "code=" in text:
        text = text.rsplit("code=", 1)[1].split("&", 1)[0]
    text = _CODE_NOISE.sub("", text).upper()
    if len(text) != TICKET_LENGTH or any(ch not in TICKET_ALPHABET for ch in text):
        return None
    return text


def _ticket_not_found() -> NotFound:
    return NotFound(_("No ticket has this code. Check it and try again."), code="ticket_not_found")


def ticket_check_in(*, actor: Membership, code, event: Event | None = None, now: datetime | None = None) -> CheckIn:
    """Let a ticket in at the door, once: a second scan answers when and by whom it was used."""
    check_perm(actor, Perm.CHECK_IN)
    now = now or timezone.now()
    normal = normalise_code(code)
    if normal is None:
        raise _ticket_not_found()
    rsvp = (RSVP.objects.select_related("event__community", "member", "community", "checked_in_by")
            .filter(community_id=actor.community_id, ticket_code=normal).first())
    if rsvp is None or rsvp.status in (RSVP.Status.CANCELLED, RSVP.Status.DECLINED, RSVP.Status.EXPIRED) \
            or not events_in_view(actor, Event.objects.filter(pk=rsvp.event_id)).exists():
        raise _ticket_not_found()
    if event is not None and rsvp.event_id != event.pk:
        raise Conflict(_("This ticket is for another event: %(title)s.") % {"title": rsvp.event.title},
                       code="wrong_event")
    if rsvp.event.status == Event.Status.CANCELLED:
        raise Conflict(_("This event was cancelled."), code="event_cancelled")
    if rsvp.status != RSVP.Status.GOING:
        raise Conflict(_("This ticket is not valid: %(state)s.") % {"state": rsvp.get_status_display()},
                       code="ticket_not_valid")
    if rsvp.checked_in_at is None:
        if now < rsvp.event.starts_at - CHECK_IN_OPENS or now > rsvp.event.ends_at + CHECK_IN_CLOSES:
            raise Conflict(_("Check-in for %(title)s is not open now.") % {"title": rsvp.event.title},
                           code="check_in_closed")
        with transaction.atomic():
            won = RSVP.objects.filter(pk=rsvp.pk, status=RSVP.Status.GOING, checked_in_at__isnull=True).update(
                checked_in_at=now, checked_in_by=actor.user, updated_at=now)
            if won:
                rsvp.checked_in_at, rsvp.checked_in_by = now, actor.user
                _transition(rsvp, "checked_in", actor=actor.user, guests=rsvp.guests)
                emit("event.attended", community_id=rsvp.community_id, event_id=rsvp.event_id, rsvp_id=rsvp.pk,
                     member_id=rsvp.member_id, guests=rsvp.guests)
                return CheckIn(rsvp=rsvp, first_time=True, checked_in_at=now, checked_in_by=actor.user)
        rsvp.refresh_from_db()
        if rsvp.checked_in_at is None:  # cancelled in between
            raise _ticket_not_found()
    used = RSVP.objects.select_related("checked_in_by").get(pk=rsvp.pk)
    return CheckIn(rsvp=rsvp, first_time=False, checked_in_at=used.checked_in_at, checked_in_by=used.checked_in_by)


# Reminders -------------------------------------------------------------------------------------

DAY_BEFORE = timedelta(hours=24)
HOUR_BEFORE = timedelta(hours=1)


def _tell_going(event: Event, *, kind: str, key: str, title, body) -> int:
    """Tell every member going (``title``/``body`` are called in each one's language)."""
    notices = []
    for rsvp in (RSVP.objects.select_related("member").filter(event=event, status=RSVP.Status.GOING)
                 .order_by("pk").iterator(chunk_size=500)):
        rsvp.event, rsvp.community = event, event.community
        with in_language_of(rsvp.member):
            notices.append(Notice(recipient=rsvp.member, community=event.community, kind=kind, title=title(),
                                  body=body(), url=rsvp.get_absolute_url(), dedupe_key=f"{key}:{rsvp.pk}"))
    notify_many(notices)
    return len(notices)


def _where(event: Event) -> str:
    if event.pickup_point_id:
        point = event.pickup_point
        return f"{point.name} {getattr(point, 'address', '')}".strip()
    return event.address or _("online")


def event_remind(event: Event, now: datetime, *, which: str) -> int:
    """Send the day-before or hour-before reminder once (the sweep holds the event's lock and the
    marker says it went out; dedupe keys make a rerun send nothing twice). A day-before reminder
    that comes within the last hour is not sent: the hour-before one says it."""
    marker = "reminded_day_at" if which == "day" else "reminded_hour_at"
    setattr(event, marker, now)
    event.save(update_fields=[marker])
    if which == "day" and event.starts_at - now <= HOUR_BEFORE:
        return 0
    when = _local(event, event.starts_at)
    if which == "day":
        title = lambda: _("Tomorrow: %(title)s") % {"title": event.title}  # noqa: E731
    else:
        title = lambda: _("Starting soon: %(title)s") % {"title": event.title}  # noqa: E731
    body = lambda: _("%(when)s, %(where)s. Show your ticket at the door.") % {  # noqa: E731
        "when": when, "where": _where(event)}
    return _tell_going(event, kind="event_reminder", key=f"event_reminder:{which}:{event.pk}", title=title, body=body)
