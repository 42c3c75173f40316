"""Member pages (mobile web) for events: the list, an event with the member's answer and its
actions (RSVP with guests, the waitlist, an offer to accept or decline, paying, cancelling), the
ticket with its QR, and my events.

Every write is a service call (engagement.events); the services are idempotent, so a second tap
finds the work done and the page says so rather than showing an error.
"""

from decimal import Decimal

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities.pages import community_page
from communities.permissions import Perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from engagement import event_selectors as selectors
from engagement import events as services
from engagement.event_forms import RSVPForm
from engagement.models import RSVP, Event
from orders.forms import TransferForm
from payments.models import Payment, Refund

UPCOMING_LIMIT = 50
PAST_LIMIT = 10
MY_LIMIT = 100
ACTIVE = services.ACTIVE


def _with_my_rsvps(membership, events: list[Event]) -> list[Event]:
    """Each event gains ``my_rsvp`` (the member's answer or None): one query for the whole list."""
    ids = [e.pk for e in events]
    mine = {r.event_id: r for r in RSVP.objects.filter(community_id=membership.community_id,
                                                       member_id=membership.user_id, event_id__in=ids)} if ids else {}
    for event in events:
        event.my_rsvp = mine.get(event.pk)
    return events


@community_page(Perm.VIEW)
def events(request, community, membership):
    now = timezone.now()
    visible = selectors.events_for_member(membership).exclude(status=Event.Status.DRAFT).select_related(
        "pickup_point", "community")
    upcoming = list(visible.filter(ends_at__gte=now).order_by("starts_at", "id")[:UPCOMING_LIMIT])
    past = list(visible.filter(ends_at__lt=now, status=Event.Status.PUBLISHED)
                .order_by("-starts_at", "-id")[:PAST_LIMIT])
    _with_my_rsvps(membership, upcoming + past)
    return render(request, "engagement/events/events.html", {
        "community": community, "membership": membership, "upcoming": upcoming, "past": past})


def _load_event(community, membership, pk) -> Event:
    """The event if the member may see it; a cancelled event (or one of a branch they have left)
    still shows to whoever answered it, with its notice."""
    event = (selectors.events_for_member(membership).exclude(status=Event.Status.DRAFT)
             .select_related("pickup_point", "community").filter(pk=pk).first())
    if event is None:
        event = (community.events.exclude(status=Event.Status.DRAFT)
                 .filter(pk=pk, rsvps__member_id=membership.user_id)
                 .select_related("pickup_point", "community").first())
    if event is None:
        raise Http404
    return event


def _load_rsvp(community, membership, pk) -> RSVP:
    rsvp = (community.rsvps.filter(member_id=membership.user_id, pk=pk)
            .select_related("event__pickup_point", "event__community", "community", "charge", "checked_in_by")
            .prefetch_related(Prefetch("charge__payments", queryset=Payment.objects.order_by("-created_at", "-id")),
                              Prefetch("charge__refunds", queryset=Refund.objects.order_by("-created_at", "-id")))
            .first())
    if rsvp is None:
        raise Http404
    return rsvp


def _taking_rsvps(event: Event, now) -> bool:
    return event.status == Event.Status.PUBLISHED and now < event.rsvp_deadline and now < event.starts_at


def _event_page(request, community, membership, event, *, rsvp=None, form=None, transfer_form=None, status=200):
    now = timezone.now()
    if rsvp is None:
        found = selectors.rsvp_of(membership, event)
        rsvp = _load_rsvp(community, membership, found.pk) if found is not None else None
    open_ = _taking_rsvps(event, now)
    answering = open_ and (rsvp is None or rsvp.status not in ACTIVE)
    if answering and form is None:
        form = RSVPForm(event=event, initial={"guests": 0})
    context = {
        "community": community, "membership": membership, "event": event, "rsvp": rsvp, "now": now,
        "taking_rsvps": open_, "form": form if answering else None,
        "answered": bool(rsvp and rsvp.status in ACTIVE),
        "guest_choices": range(event.max_guests + 1),
        "full": event.seats_left is not None and event.seats_left < 1,
        "started": now >= event.starts_at, "ended": now >= event.ends_at,
        "position": selectors.waitlist_position(rsvp) if rsvp and rsvp.status == RSVP.Status.WAITLISTED else None,
        "can_cancel": bool(rsvp and rsvp.status in ACTIVE and event.status == Event.Status.PUBLISHED
                           and now < event.starts_at and rsvp.checked_in_at is None),
        "show_link": bool(event.online_url and rsvp and rsvp.status == RSVP.Status.GOING
                          and event.status == Event.Status.PUBLISHED),
    }
    if rsvp and rsvp.status == RSVP.Status.PENDING_PAYMENT and rsvp.charge_id:
        wallet = community.wallets.filter(member_id=membership.user_id).first()
        balance = wallet.balance if wallet else Decimal("0")
        owed = rsvp.charge.amount - rsvp.charge.paid_amount
        payments = list(rsvp.charge.payments.all())
        context.update({
            "balance": balance, "owed": owed, "wallet_short": owed - balance if balance < owed else None,
            "transfer_form": transfer_form or TransferForm(),
            "reported": [p for p in payments if p.method == "manual" and p.status == "pending"],
            "declined": [p for p in payments if p.method == "manual" and p.status == "declined"],
        })
    return render(request, "engagement/events/event.html", context, status=status)


RSVP_SAID = {
    RSVP.Status.GOING: gettext_lazy("You are going! Show your ticket at the door."),
    RSVP.Status.PENDING_PAYMENT: gettext_lazy("Your seat is held: pay to confirm it."),
    RSVP.Status.WAITLISTED: gettext_lazy("The event is full: you are on the waitlist."),
}


@community_page(Perm.VIEW)
def event(request, community, membership, pk):
    item = _load_event(community, membership, pk)
    if request.method != "POST":
        return _event_page(request, community, membership, item)
    form = RSVPForm(request.POST, event=item)
    if not _taking_rsvps(item, timezone.now()):
        messages.error(request, _("This event is not taking RSVPs."))
        return redirect(item.get_absolute_url())
    if form.is_valid():
        try:
            rsvp = services.rsvp_create(membership=membership, event=item, guests=form.cleaned_data["guests"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            said = RSVP_SAID.get(rsvp.status)
            if said:
                messages.success(request, str(said))
            return redirect(item.get_absolute_url())
    item.refresh_from_db(fields=["seats_taken", "status"])
    return _event_page(request, community, membership, item, form=form, status=400)


@community_page(Perm.VIEW)
def my_events(request, community, membership):
    now = timezone.now()
    rsvps = (RSVP.objects.filter(community_id=community.pk, member_id=membership.user_id)
             .exclude(event__status=Event.Status.DRAFT)
             .select_related("event__pickup_point", "event__community", "community"))
    upcoming = list(rsvps.filter(event__ends_at__gte=now).order_by("event__starts_at", "id")[:MY_LIMIT])
    past = list(rsvps.filter(event__ends_at__lt=now).order_by("-event__starts_at", "-id")[:MY_LIMIT])
    return render(request, "engagement/events/my_events.html", {
        "community": community, "membership": membership, "upcoming": upcoming, "past": past, "now": now})


@community_page(Perm.VIEW)
def rsvp(request, community, membership, pk):
    """The member's ticket: the QR and the code at the door, while the answer is "going"."""
    item = _load_rsvp(community, membership, pk)
    return render(request, "engagement/events/ticket.html", {
        "community": community, "membership": membership, "rsvp": item, "event": item.event,
        "valid": item.status == RSVP.Status.GOING and item.event.status == Event.Status.PUBLISHED,
        "code_groups": [item.ticket_code[i:i + 4] for i in range(0, len(item.ticket_code), 4)],
    })


@community_page(Perm.VIEW)
def rsvp_qr(request, community, membership, pk):
    """The ticket's QR as a PNG, only while it would check in (a cancelled RSVP has none). The page
    asks for it with the code in the address, so a new code after cancelling is never a cached old one."""
    item = (community.rsvps.filter(member_id=membership.user_id, pk=pk, status=RSVP.Status.GOING,
                                   event__status=Event.Status.PUBLISHED)
            .select_related("event", "community").first())
    if item is None:
        raise Http404
    response = HttpResponse(selectors.ticket_qr_png(item), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _act(request, community, membership, pk, service, *, done, said):
    """Run one of the member's RSVP services; a second tap (already done) reads as success."""
    item = _load_rsvp(community, membership, pk)
    try:
        item = service(membership=membership, rsvp=item)
    except DomainError as error:
        item.refresh_from_db(fields=["status"])
        if item.status not in done:
            messages.error(request, error.message)
            return redirect(item.event.get_absolute_url())
    messages.success(request, said(item) if callable(said) else said)
    return redirect(item.event.get_absolute_url())


@require_POST
@community_page(Perm.VIEW)
def rsvp_cancel(request, community, membership, pk):
    return _act(request, community, membership, pk, services.rsvp_cancel, done=(RSVP.Status.CANCELLED,),
                said=_("Your RSVP was cancelled."))


@require_POST
@community_page(Perm.VIEW)
def rsvp_accept(request, community, membership, pk):
    def said(item):
        if item.status == RSVP.Status.PENDING_PAYMENT:
            return _("The seat is yours: pay to confirm it.")
        return _("The seat is yours! Your ticket is ready.")
    return _act(request, community, membership, pk, services.rsvp_accept_offer,
                done=(RSVP.Status.GOING, RSVP.Status.PENDING_PAYMENT), said=said)


@require_POST
@community_page(Perm.VIEW)
def rsvp_decline(request, community, membership, pk):
    return _act(request, community, membership, pk, services.rsvp_decline_offer, done=(RSVP.Status.DECLINED,),
                said=_("You declined the seat; it goes to the next person waiting."))


@require_POST
@community_page(Perm.VIEW)
def rsvp_pay(request, community, membership, pk):
    item = _load_rsvp(community, membership, pk)
    if request.POST.get("method") == "wallet":
        return _act(request, community, membership, pk, services.rsvp_pay_with_wallet, done=(RSVP.Status.GOING,),
                    said=_("Paid from your wallet. Your ticket is ready."))
    form = TransferForm(request.POST)
    if not form.is_valid():
        event = _load_event(community, membership, item.event_id)
        return _event_page(request, community, membership, event, rsvp=item, transfer_form=form, status=400)
    try:
        services.rsvp_report_transfer(membership=membership, rsvp=item, reference=form.cleaned_data["reference"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you! An admin will confirm your transfer; your seat stays held."))
    return redirect(item.event.get_absolute_url())
