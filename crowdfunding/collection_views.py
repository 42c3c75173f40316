"""Member pages (mobile web) for split-bill collections (AA收款): my collections, a new one, one
collection with who has paid, and its buttons (pay my share, pay for someone, confirm or decline
a transfer, remind, close early).

Views stay thin: rows come from crowdfunding.collection_selectors (a collection the member neither
organizes nor takes part in is a 404), every change goes through crowdfunding.collections, and a
DomainError becomes a form error or a message.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from communities.pages import community_page
from communities.permissions import Perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.inputs import parse_id
from crowdfunding import collection_selectors as selectors
from crowdfunding import collections as services
from crowdfunding.models import Collection, CollectionShare
from payments.models import Wallet


class CollectionForm(forms.Form):
    """The amount is text: services.parse_amount reads it (ASCII digits only) and says what is wrong."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=services.KEY_MAX)
    title = forms.CharField(label=_lazy("What is it for?"), max_length=services.TITLE_MAX)
    description = forms.CharField(label=_lazy("Details"), max_length=services.DESCRIPTION_MAX, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    split = forms.ChoiceField(label=_lazy("How to split"), choices=Collection.Split.choices,
                              initial=Collection.Split.EVEN, widget=forms.RadioSelect)
    amount = forms.CharField(label=_lazy("Amount"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))


# Service fields → this form's fields.
_FIELDS = {"total": "amount", "per_head": "amount", "participant_ids": "participants", "idempotency_key": "token"}


def _show_error(form, error: DomainError, extra: dict) -> None:
    fields = {}
    for name, msgs in (error.fields or {}).items():
        target = _FIELDS.get(name, name)
        if target == "participants":
            extra.setdefault("participants", []).extend(msgs)
        else:
            fields.setdefault(target, []).extend(msgs)
    error.fields = fields
    if fields or not extra.get("participants"):
        add_domain_error(form, error)


def _chosen_ids(request) -> tuple[list[int], list[str]]:
    values = request.POST.getlist("participant")[:services.MAX_PARTICIPANTS + 1]
    ids = [parse_id(v) for v in values]
    if any(i is None for i in ids):
        return [], [_("Choose participants from the list.")]
    return ids, []


@community_page(Perm.VIEW)
def collections(request, community, membership):
    rows = list(selectors.collections_for_member(membership)[:100])
    return render(request, "crowdfunding/collections.html", {
        "community": community, "membership": membership,
        "organized": [c for c in rows if c.organizer_id == membership.user_id],
        "taking_part": [c for c in rows if c.organizer_id != membership.user_id],
    })


@community_page(Perm.VIEW)
def collection_new(request, community, membership):
    query = (request.GET.get("q") or "")[:50]
    form = CollectionForm(request.POST or None, initial={"token": uuid.uuid4().hex, "split": "even"})
    extra: dict = {}
    chosen: set[int] = set()
    if request.method == "POST":
        ids, problems = _chosen_ids(request)
        chosen = set(ids)
        if problems:
            extra["participants"] = problems
        if form.is_valid() and not problems:
            data = form.cleaned_data
            amount = {"total": data["amount"]} if data["split"] == Collection.Split.EVEN else {"per_head": data["amount"]}
            try:
                collection = services.collection_create(
                    organizer=membership, title=data["title"], description=data["description"], split=data["split"],
                    participant_ids=ids, idempotency_key=data["token"], **amount)
            except DomainError as error:
                _show_error(form, error, extra)
            else:
                messages.success(request, _("Collection started: the participants were told."))
                return redirect(collection.get_absolute_url())
    members = list(selectors.members_to_pick(membership, query))
    shown = {m.user_id for m in members}
    # Members chosen before a search narrowed the list stay chosen (as hidden fields).
    kept = sorted(chosen - shown)
    return render(request, "crowdfunding/collection_new.html", {
        "community": community, "membership": membership, "form": form, "members": members, "query": query,
        "chosen": chosen, "kept": kept, "participant_errors": extra.get("participants", []),
        "limit": selectors.PICK_LIMIT, "max_participants": services.MAX_PARTICIPANTS,
    }, status=400 if request.method == "POST" else 200)


def _balance(membership) -> Decimal:
    wallet = Wallet.objects.filter(community_id=membership.community_id, member_id=membership.user_id).first()
    return wallet.balance if wallet else Decimal("0")


@community_page(Perm.VIEW)
def collection(request, community, membership, pk):
    collection = selectors.collection_for_member(membership, pk)
    shares = list(collection.shares.all())
    is_organizer = collection.organizer_id == membership.user_id
    rows = []
    for share in shares:
        pending = selectors.pending_transfer(share)
        rows.append({"share": share, "mine": share.participant_id == membership.user_id, "pending": pending,
                     "reported_by_me": pending is not None and share.charge.member_id == membership.user_id})
    mine = next((r for r in rows if r["mine"]), None)
    is_open = collection.status == Collection.Status.OPEN
    return render(request, "crowdfunding/collection.html", {
        "community": community, "membership": membership, "collection": collection, "rows": rows, "mine": mine,
        "is_organizer": is_organizer, "is_open": is_open, "balance": _balance(membership),
        "unpaid_count": sum(1 for s in shares if s.status == CollectionShare.Status.UNPAID),
        "ratio": (collection.collected / collection.total) if collection.total else 0,
        "outcomes": Collection.Outcome.choices,
    })


def _act(request, collection, action, success: str):
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(collection.get_absolute_url())


def _share(membership, pk, share_pk):
    collection = selectors.collection_for_member(membership, pk)
    return collection, selectors.share_of(collection, share_pk)


@require_POST
@community_page(Perm.VIEW)
def collection_pay(request, community, membership, pk, share_pk):
    collection, share = _share(membership, pk, share_pk)
    if request.POST.get("method") == "transfer":
        reference = request.POST.get("reference", "")
        return _act(request, collection,
                    lambda: services.share_report_transfer(payer=membership, share=share, reference=reference),
                    _("Thank you! The organizer will confirm your transfer."))
    return _act(request, collection, lambda: services.share_pay_with_wallet(payer=membership, share=share),
                _("Paid from your wallet. Thank you!"))


@require_POST
@community_page(Perm.VIEW)
def collection_confirm(request, community, membership, pk, share_pk):
    collection, share = _share(membership, pk, share_pk)
    return _act(request, collection, lambda: services.share_confirm_transfer(organizer=membership, share=share),
                _("Transfer confirmed."))


@require_POST
@community_page(Perm.VIEW)
def collection_decline(request, community, membership, pk, share_pk):
    collection, share = _share(membership, pk, share_pk)
    return _act(request, collection, lambda: services.share_decline_transfer(organizer=membership, share=share),
                _("Marked as not received; the payer was told."))


@require_POST
@community_page(Perm.VIEW)
def collection_remind(request, community, membership, pk):
    collection = selectors.collection_for_member(membership, pk)
    return _act(request, collection, lambda: services.collection_remind(actor=membership, collection=collection),
                _("Those who have not paid yet were reminded."))


@require_POST
@community_page(Perm.VIEW)
def collection_close(request, community, membership, pk):
    collection = selectors.collection_for_member(membership, pk)
    outcome = request.POST.get("outcome", "")
    return _act(request, collection,
                lambda: services.collection_close(actor=membership, collection=collection, outcome=outcome),
                _("The collection is closed."))
