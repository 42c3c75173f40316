"""Console pages for events (admins and leaders, desktop; the door check-in works on a phone too):
the list, the event form with its cover, publishing and cancelling (with a confirm step), an
event's attendance, attendees, transfers to confirm and waitlist history, the attendees' CSV, and
the door where tickets are typed or scanned.

Views stay thin: every query starts from what the actor may manage
(event_selectors.events_in_console: a leader's are their branch's and their own), every change
goes through engagement.events, and a DomainError becomes a form error, a message or the door's
answer.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from communities.permissions import Perm, has_perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.inputs import parse_id
from engagement import event_selectors as selectors
from engagement import events as services
from engagement.event_console_forms import CODE_MAX, CancelForm, EventForm, no_nul
from engagement.models import RSVP, Event
from communities.pages import console_context as _ctx
from communities.pages import console_page
from orders.console import _back
from orders.exports import csv_response
from payments.models import Payment

SECTION = "events"
PAGE_SIZE = 100
BULK_MAX = 500  # RSVPs one "mark received" may name
DOOR_AHEAD = timedelta(days=7)  # the door offers the events on now and those of the coming week

# The list's filters: (value, label, which events).
FILTERS = ("upcoming", "past", "drafts", "cancelled")


def _filter_q(name: str, now) -> Q:
    return {
        "upcoming": Q(status=Event.Status.PUBLISHED, ends_at__gte=now),
        "past": Q(status=Event.Status.PUBLISHED, ends_at__lt=now),
        "drafts": Q(status=Event.Status.DRAFT),
        "cancelled": Q(status=Event.Status.CANCELLED),
    }[name]


def _events(membership, community):
    """Events the actor sees (a leader: the whole community's, their branch's and their own)."""
    return selectors.events_in_console(membership).filter(community=community)


def _mine(membership, community):
    """Events the actor may change (a leader: their own)."""
    return services.events_in_scope(membership, community.events.all())


def _detail_url(community, event_id) -> str:
    return reverse("engagement_console:event", kwargs={"slug": community.slug, "pk": event_id})


# The list ----------------------------------------------------------------------------------------

@require_safe
@console_page(Perm.MANAGE_EVENTS)
def events(request, community, membership):
    now = timezone.now()
    show = request.GET.get("show", "")
    if show not in FILTERS:
        show = "upcoming"
    visible = _events(membership, community)
    counts = visible.aggregate(**{name: Count("id", filter=_filter_q(name, now)) for name in FILTERS})
    labels = {"upcoming": _("Upcoming"), "past": _("Past"), "drafts": _("Drafts"), "cancelled": _("Cancelled")}
    tabs = [(name, labels[name], counts[name]) for name in FILTERS]
    qs = (visible.filter(_filter_q(show, now)).select_related("branch", "pickup_point")
          .annotate(waitlisted=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.WAITLISTED)),
                    offered=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.OFFERED))))
    qs = qs.order_by("-starts_at", "-id") if show in ("past", "cancelled") else qs.order_by("starts_at", "id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "engagement/events/console/events.html", _ctx(
        community, membership, SECTION, page=page, tabs=tabs, show=show, filters={"show": show}, now=now))


# The form ----------------------------------------------------------------------------------------

def _event_form_page(request, community, membership, *, event=None):
    editing = event is not None
    initial = EventForm.initial_of(event) if editing else {}
    data = request.POST if request.method == "POST" else None
    form = EventForm(data, request.FILES or None,
                     community=community, membership=membership, event=event, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cover = form.cleaned_data.get("cover")
            with transaction.atomic():
                if editing:
                    result = services.event_update(actor=membership, event=event, **form.values())
                else:
                    result = services.event_create(actor=membership, **form.values())
                if cover:  # checked and re-encoded by the service; refused, the whole save is undone
                    result = services.event_set_cover(actor=membership, event=result, upload=cover)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if editing:
                messages.success(request, _("“%(title)s” was saved.") % {"title": result.title})
            else:
                messages.success(request, _("“%(title)s” was saved as a draft: check it, then publish it.") % {
                    "title": result.title})
            return redirect(_detail_url(community, result.pk))
    return render(request, "engagement/events/console/event_form.html", _ctx(
        community, membership, SECTION, form=form, event=event),
        status=400 if request.method == "POST" else 200)


@console_page(Perm.MANAGE_EVENTS)
def event_new(request, community, membership):
    return _event_form_page(request, community, membership)


@console_page(Perm.MANAGE_EVENTS)
def event_edit(request, community, membership, pk):
    item = get_object_or_404(_mine(membership, community).select_related("branch", "pickup_point"), pk=pk)
    if item.status == Event.Status.CANCELLED:
        messages.error(request, _("This event was cancelled: it can no longer change."))
        return redirect(_detail_url(community, item.pk))
    return _event_form_page(request, community, membership, event=item)


# The event ---------------------------------------------------------------------------------------

HISTORY_WORDS = {
    "rsvp.waitlisted": gettext_lazy("joined the waitlist"),
    "rsvp.offered": gettext_lazy("was offered a seat"),
    "rsvp.accepted": gettext_lazy("accepted the offer"),
    "rsvp.declined": gettext_lazy("declined the offer"),
    "rsvp.offer_expired": gettext_lazy("let the offer expire"),
    "rsvp.going": gettext_lazy("is going"),
    "rsvp.paid": gettext_lazy("paid for the seat"),
    "rsvp.cancelled": gettext_lazy("cancelled"),
    "rsvp.checked_in": gettext_lazy("was checked in"),
}
WAITLIST_ACTIONS = ("rsvp.waitlisted", "rsvp.offered", "rsvp.accepted", "rsvp.declined", "rsvp.offer_expired")


def _history(event) -> list[dict]:
    """The waitlist's story in order: who joined, got an offer, accepted, declined or let it expire
    (the other RSVP changes of those members are kept in between, so each line reads in context)."""
    entries = list(selectors.waitlist_history(event))
    waited = {e.target_user_id for e in entries if e.action in WAITLIST_ACTIONS}
    entries = [e for e in entries if e.target_user_id in waited]
    rows = []
    for entry in entries:
        member, actor = entry.target_user, entry.actor  # read with the entries
        rows.append({"at": entry.created_at, "action": entry.action, "member": member.display_name if member else "—",
                     "words": HISTORY_WORDS.get(entry.action, entry.action),
                     "by": actor.display_name if actor and entry.actor_id != entry.target_user_id else "",
                     "automatic": not entry.actor_id})
    return rows


def _payment_state(rsvp) -> tuple[str, str]:
    """(value, label) of an RSVP's payment: free, paid, awaiting."""
    if rsvp.charge_id is None:
        return "free", _("Free")
    if rsvp.charge.status == "paid":
        return "paid", _("Paid")
    return "pending", _("Awaiting payment")


@require_safe
@console_page(Perm.MANAGE_EVENTS)
def event(request, community, membership, pk):
    item = get_object_or_404(_events(membership, community).select_related("branch", "pickup_point", "created_by"),
                             pk=pk)
    now = timezone.now()
    counts = selectors.attendance(item)
    going = selectors.attendees(item).order_by("member__display_name", "pk")
    page = Paginator(going, PAGE_SIZE).get_page(request.GET.get("page"))
    for rsvp in page.object_list:
        rsvp.payment_state, rsvp.payment_label = _payment_state(rsvp)
        rsvp.no_show = item.starts_at <= now and not rsvp.checked_in_at
    unpaid = list(item.rsvps.filter(status=RSVP.Status.PENDING_PAYMENT)
                  .select_related("member", "charge")
                  .prefetch_related(Prefetch("charge__payments",
                                             queryset=Payment.objects.order_by("-created_at", "-id")))
                  .annotate(waiting=Exists(Payment.objects.filter(charge_id=OuterRef("charge_id"),
                                                                  status=Payment.Status.PENDING)))
                  .order_by("-waiting", "created_at", "pk")[:BULK_MAX])
    for rsvp in unpaid:
        found = list(rsvp.charge.payments.all()) if rsvp.charge_id else []
        rsvp.reported = next((p for p in found if p.method == Payment.Method.MANUAL
                              and p.status == Payment.Status.PENDING), None)
    queue = list(item.rsvps.filter(status__in=(RSVP.Status.OFFERED, RSVP.Status.WAITLISTED))
                 .select_related("member").order_by("-status", "waitlisted_at", "pk")[:200])
    is_draft, is_published = item.status == Event.Status.DRAFT, item.status == Event.Status.PUBLISHED
    mine = _mine(membership, community).filter(pk=item.pk).exists()
    return render(request, "engagement/events/console/event.html", _ctx(
        community, membership, SECTION, event=item, counts=counts, page=page, unpaid=unpaid, queue=queue,
        history=_history(item), started=item.starts_at <= now, filters={}, mine=mine,
        can_edit=mine and item.status != Event.Status.CANCELLED and item.ends_at > now,
        can_publish=mine and is_draft,
        can_cancel=mine and (is_draft or (is_published and item.ends_at > now)),
        can_check_in=is_published and has_perm(membership, Perm.CHECK_IN),
        can_money=has_perm(membership, Perm.MANAGE_ORDERS)))


def _event_action(request, community, membership, pk, act, success):
    item = get_object_or_404(_mine(membership, community), pk=pk)
    try:
        act(item)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(_detail_url(community, item.pk))


@require_POST
@console_page(Perm.MANAGE_EVENTS)
def event_publish(request, community, membership, pk):
    return _event_action(request, community, membership, pk,
                         lambda e: services.event_publish(actor=membership, event=e),
                         _("Published: members can answer now."))


@console_page(Perm.MANAGE_EVENTS)
def event_cancel(request, community, membership, pk):
    """GET: the confirm step (what cancelling does, and the reason); POST: cancel."""
    item = get_object_or_404(_mine(membership, community), pk=pk)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_cancel(actor=membership, event=item, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The event was cancelled: every RSVP was cancelled, paid seats were "
                                        "refunded to the wallet, and the members were told."))
        return redirect(_detail_url(community, item.pk))
    if request.method not in ("GET", "HEAD", "POST"):
        return redirect(_detail_url(community, item.pk))
    if item.status == Event.Status.CANCELLED:
        messages.info(request, _("This event is already cancelled."))
        return redirect(_detail_url(community, item.pk))
    counts = selectors.attendance(item)
    return render(request, "engagement/events/console/event_cancel.html", _ctx(
        community, membership, SECTION, event=item, form=form, counts=counts),
        status=400 if request.method == "POST" else 200)


# Attendees CSV -----------------------------------------------------------------------------------

def masked_phone(phone: str | None) -> str:
    """Enough of a phone number to tell two members apart on a sheet that may be forwarded, never
    enough to call them: 138····5678."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) >= 8:
        return f"{phone[:3]}····{phone[-4:]}"
    return f"····{phone[-2:]}"


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@require_safe
@console_page(Perm.MANAGE_EVENTS)
def attendees_csv(request, community, membership, pk):
    item = get_object_or_404(_events(membership, community), pk=pk)
    started = item.starts_at <= timezone.now()
    rows = []
    for rsvp in selectors.attendees(item).order_by("member__display_name", "pk").iterator(chunk_size=500):
        if rsvp.checked_in_at:
            status = _("Checked in")
        elif started:
            status = _("No-show")
        else:
            status = _("Going")
        rows.append([rsvp.member.display_name, masked_phone(rsvp.member.phone), rsvp.guests, rsvp.seats,
                     _payment_state(rsvp)[1], status, _local(rsvp.checked_in_at),
                     rsvp.checked_in_by.display_name if rsvp.checked_in_by_id and rsvp.checked_in_by else ""])
    return csv_response(f"event-attendees-{item.pk}.csv",
                        [_("Member"), _("Phone"), _("Guests"), _("Seats"), _("Payment"), _("Status"),
                         _("Checked in at"), _("Checked in by")], rows)


# Payments by transfer ----------------------------------------------------------------------------

@require_POST
@console_page(Perm.MANAGE_ORDERS)  # money: admins (the service checks MANAGE_EVENTS too)
def rsvps_mark_received(request, community, membership, pk):
    item = get_object_or_404(_events(membership, community), pk=pk)
    back = _back(request, _detail_url(community, item.pk) + "#transfers")
    raw = [request.POST["only"]] if request.POST.get("only") else request.POST.getlist("rsvp")
    ids = {parse_id(value) or -1 for value in raw[:BULK_MAX]}
    if not ids:
        messages.error(request, _("Tick the RSVPs whose payment you received."))
        return redirect(back)
    chosen = list(item.rsvps.filter(pk__in=ids).select_related("member"))
    if len(chosen) != len(ids):
        raise Http404
    try:
        marked = services.rsvps_mark_received(actor=membership, rsvps=chosen)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    if marked:
        messages.success(request, ngettext("%(n)s seat marked as paid; the member was told.",
                                           "%(n)s seats marked as paid; the members were told.",
                                           len(marked)) % {"n": len(marked)})
    skipped = len(chosen) - len(marked)
    if skipped:
        messages.warning(request, ngettext("%(n)s RSVP was not awaiting payment and was left as it is.",
                                           "%(n)s RSVPs were not awaiting payment and were left as they are.",
                                           skipped) % {"n": skipped})
    return redirect(back)


@require_POST
@console_page(Perm.MANAGE_ORDERS)
def rsvp_transfer_decline(request, community, membership, pk):
    rsvp = get_object_or_404(RSVP.objects.select_related("member"), community=community, pk=pk)
    if not _events(membership, community).filter(pk=rsvp.event_id).exists():
        raise Http404
    note = no_nul(request.POST.get("note", "")).strip()[:200]
    try:
        services.rsvp_transfer_decline(actor=membership, rsvp=rsvp, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The transfer reported by %(name)s was marked not received; they were told.") % {
            "name": rsvp.member.display_name})
    return redirect(_back(request, _detail_url(community, rsvp.event_id) + "#transfers"))


# The door ----------------------------------------------------------------------------------------

def _door_events(membership, community, now) -> list[Event]:
    """Published events on today or soon (check-in opens some hours before the start): today's first."""
    return list(_events(membership, community)
                .filter(status=Event.Status.PUBLISHED, ends_at__gte=now - services.CHECK_IN_CLOSES,
                        starts_at__lte=now + DOOR_AHEAD)
                .order_by("starts_at", "id")[:30])


def _chosen_event(value, choices: list[Event], now):
    """The event picked (?event=<id>, "all" for any), else the first one whose door is open, else the next."""
    if value == "all":
        return None
    pk = parse_id(value)
    if pk:
        for item in choices:
            if item.pk == pk:
                return item
    for item in choices:
        if item.starts_at - services.CHECK_IN_OPENS <= now <= item.ends_at + services.CHECK_IN_CLOSES:
            return item
    return choices[0] if choices else None


def _check_in_outcome(result) -> dict:
    rsvp = result.rsvp
    name = rsvp.member.display_name
    if result.first_time:
        return {"kind": "ok", "code": "checked_in", "name": name, "guests": rsvp.guests, "seats": rsvp.seats,
                "event": rsvp.event.title, "heading": name}
    when = timezone.localtime(result.checked_in_at).strftime("%H:%M")
    day = timezone.localtime(result.checked_in_at).date()
    if day != timezone.localdate():
        when = timezone.localtime(result.checked_in_at).strftime("%m-%d %H:%M")
    by = result.checked_in_by.display_name if result.checked_in_by else _("someone")
    return {"kind": "done", "code": "already_used", "name": name, "guests": rsvp.guests, "seats": rsvp.seats,
            "event": rsvp.event.title,
            "heading": _("Already used at %(time)s by %(name)s") % {"time": when, "name": by}}


def _error_outcome(error: DomainError) -> dict:
    if error.code == "wrong_event":
        return {"kind": "wrong", "code": error.code, "heading": _("Wrong event"), "message": error.message}
    if error.code in ("ticket_not_valid", "event_cancelled"):
        return {"kind": "waiting", "code": error.code, "heading": _("Not valid"), "message": error.message}
    if error.code == "check_in_closed":
        return {"kind": "waiting", "code": error.code, "heading": _("Not now"), "message": error.message}
    return {"kind": "wrong", "code": error.code if error.status == 404 else "ticket_not_found",
            "heading": _("Not found"),
            "message": error.message if error.status == 404 else _("No ticket has this code.")}


@console_page(Perm.CHECK_IN)
def check_in(request, community, membership):
    """Type the code on the member's ticket, or scan its QR with this device's camera: the answer in
    large type (✓ name and guests, already used when and by whom, not found, not valid, wrong event)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return redirect(reverse("engagement_console:check_in", kwargs={"slug": community.slug}))
    now = timezone.now()
    choices = _door_events(membership, community, now)
    source = request.POST if request.method == "POST" else request.GET
    chosen = _chosen_event(source.get("event", ""), choices, now)
    outcome, code = None, ""
    if request.method == "POST":
        typed = no_nul(request.POST.get("code", "")).strip()[:CODE_MAX]
        code = services.normalise_code(typed) or ""
        if not typed:
            outcome = {"kind": "wrong", "code": "empty", "heading": _("No code"),
                       "message": _("Type the code on the member's ticket, or scan its QR code.")}
        else:
            try:
                result = services.ticket_check_in(actor=membership, code=typed, event=chosen)
            except DomainError as error:
                outcome = _error_outcome(error)
            else:
                outcome = _check_in_outcome(result)
        outcome["typed"] = code or typed[:20]
    else:
        # A link with the code (a phone's own camera reading a QR) fills the box: one tap checks it in.
        code = services.normalise_code(request.GET.get("code", "")) or ""
    counts = selectors.attendance(chosen) if chosen else None
    recent = []
    if chosen is not None:
        recent = list(chosen.rsvps.filter(checked_in_at__isnull=False).select_related("member", "checked_in_by")
                      .order_by("-checked_in_at", "-pk")[:8])
    return render(request, "engagement/events/console/check_in.html", _ctx(
        community, membership, "check_in", choices=choices, chosen=chosen, outcome=outcome,
        prefill=code if request.method != "POST" else "", counts=counts, recent=recent, code_max=CODE_MAX))
