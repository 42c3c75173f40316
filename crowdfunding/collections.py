"""Writes for split-bill collections (AA收款): create, pay a share (from the wallet or by a transfer
the organizer confirms, for oneself or for someone else: 代付), remind, close.

Any active member may organize a collection among active members of the same community (the
organizer may take part). Each share is a payments Charge (purpose "share") owed by its
participant, or by whoever pays it for them (payments.services.charge_assign_payer), so that a
refund goes back to whoever paid.

Lock order (the project's is written down in payments/services.py): collection row FOR NO KEY
UPDATE → share rows (by id) → charge → wallet. Every change to a collection's shares takes the
collection's row first, so a payment and a close (or two payments of the last shares) never
interleave: the "all paid" check and the close see settled shares. NO KEY UPDATE, not UPDATE:
shares point to the collection by foreign key, and FOR UPDATE would block their key checks.
Notices go through core.notifications (their e-mail is sent on commit).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import Perm, acts_community_wide, check_perm
from core.audit import audit_record
from core.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from core.money import CENT, money, parse_money
from core.notifications import in_language_of, notify
from core.templatetags.money import money as format_money
from crowdfunding.models import Collection, CollectionShare
from payments import services as payments

MAX_PARTICIPANTS = 200
TITLE_MAX = Collection._meta.get_field("title").max_length
DESCRIPTION_MAX = Collection._meta.get_field("description").max_length
KEY_MAX = Collection._meta.get_field("idempotency_key").max_length
REFERENCE_MAX = 100
# The automatic reminder to those who have not paid yet, and how often the organizer may send one.
FIRST_REMINDER_AFTER = timedelta(hours=24)
REMIND_AT_MOST_EVERY = timedelta(hours=1)



# Reading input -------------------------------------------------------------------------------

def parse_amount(value, *, field: str) -> Decimal:
    """An amount a person typed (core.money.parse_money: digits 0-9, two decimals, at most
    MAX_AMOUNT), which must be more than zero."""
    if value is None or not str(value).strip():
        raise ValidationFailed(_("Enter an amount."), fields={field: [_("Required.")]})
    amount = parse_money(value, field=field)
    if amount <= 0:
        raise ValidationFailed(_("The amount must be more than zero."), fields={field: [_("Must be more than zero.")]})
    return amount


def _clean_text(value, *, field: str, limit: int, required: bool) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationFailed(_("The text contains a character that cannot be stored."),
                               fields={field: [_("Remove the invisible NUL character.")]})
    text = text.strip()
    if required and not text:
        raise ValidationFailed(_("Give the collection a title."), fields={field: [_("Required.")]})
    if len(text) > limit:
        message = _("At most %(n)s characters.") % {"n": limit}
        raise ValidationFailed(message, fields={field: [message]})
    return text


def split_evenly(total: Decimal, n: int) -> list[Decimal]:
    """``total`` over ``n`` shares that differ by at most one cent and add up exactly to it: the
    first shares carry the cents left over (¥100.00 over 3: 33.34, 33.33, 33.33)."""
    cents = int((total / CENT).to_integral_value())
    base, extra = divmod(cents, n)
    return [(Decimal(base + (1 if i < extra else 0)) * CENT).quantize(CENT) for i in range(n)]


def _participants(organizer: Membership, participant_ids) -> list:
    """The users taking part, in the order given: active members of the organizer's community."""
    if not isinstance(participant_ids, (list, tuple)) or not participant_ids:
        raise ValidationFailed(_("Choose at least one participant."), fields={"participant_ids": [_("Required.")]})
    if len(participant_ids) > MAX_PARTICIPANTS:
        message = _("At most %(n)s participants.") % {"n": MAX_PARTICIPANTS}
        raise ValidationFailed(message, fields={"participant_ids": [message]})
    ids = []
    for value in participant_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**63 - 1:
            raise ValidationFailed(_("Participants are given by their member ids."),
                                   fields={"participant_ids": [_("Not a member id.")]})
        ids.append(value)
    if len(set(ids)) != len(ids):
        raise ValidationFailed(_("Each participant can be chosen once."),
                               fields={"participant_ids": [_("A participant is chosen twice.")]})
    members = {m.user_id: m.user for m in organizer.community.memberships.filter(
        user_id__in=ids, status=Membership.Status.ACTIVE).select_related("user")}
    if len(members) != len(ids):
        raise ValidationFailed(_("Participants must be active members of this community."),
                               fields={"participant_ids": [_("Not an active member of this community.")]})
    return [members[i] for i in ids]


# Create --------------------------------------------------------------------------------------

def collection_create(*, organizer: Membership, title, description="", split, total=None, per_head=None,
                      participant_ids, idempotency_key: str) -> Collection:
    """A new collection with one share (and one charge) per participant.

    Even split: the total is spread over the shares to the cent (each share at least one cent).
    Per head: everyone owes ``per_head`` and the total is per_head × participants. The same key
    from the same organizer returns the collection it created (the same request) or is refused
    (422, another request).
    """
    check_perm(organizer, Perm.VIEW)
    key = _clean_text(idempotency_key, field="idempotency_key", limit=KEY_MAX, required=False)
    if not key:
        raise ValidationFailed(_("A request key is required."), code="idempotency_key_required",
                               fields={"idempotency_key": [_("Required.")]})
    title = _clean_text(title, field="title", limit=TITLE_MAX, required=True)
    description = _clean_text(description, field="description", limit=DESCRIPTION_MAX, required=False)
    if split not in Collection.Split.values:
        raise ValidationFailed(_("Choose how to split."), fields={"split": [_("Not a valid choice.")]})
    users = _participants(organizer, participant_ids)
    n = len(users)
    if split == Collection.Split.EVEN:
        total = parse_amount(total, field="total")
        if total < CENT * n:
            message = _("%(total)s cannot be split among %(n)s people: each share must be at least 0.01.") % {
                "total": total, "n": n}
            raise ValidationFailed(message, code="total_too_small", fields={"total": [message]})
        amounts, per_head = split_evenly(total, n), None
    else:
        per_head = parse_amount(per_head, field="per_head")
        amounts, total = [per_head] * n, money(per_head * n)

    existing = _for_key(organizer, key)
    if existing is not None:
        return _replay(existing, title=title, split=split, total=total, users=users)
    try:
        with transaction.atomic():
            collection = Collection.objects.create(
                community=organizer.community, organizer=organizer.user, title=title, description=description,
                split=split, total=total, per_head=per_head, currency=organizer.community.currency,
                idempotency_key=key, remind_at=timezone.now() + FIRST_REMINDER_AFTER)
            shares = []
            for position, (user, amount) in enumerate(zip(users, amounts)):
                charge = payments.charge_open(community_id=organizer.community_id, member_id=user.pk, amount=amount,
                                              currency=collection.currency, purpose="share", description=title)
                shares.append(CollectionShare(community=organizer.community, collection=collection,
                                              participant=user, amount=amount, charge=charge, position=position))
            CollectionShare.objects.bulk_create(shares)
            audit_record(community=organizer.community, actor=organizer.user, action="collection.created",
                         obj=collection, title=title, total=str(total), participants=n)
            for share in shares:
                if share.participant_id != organizer.user_id:
                    _notify_added(collection, share)
    except IntegrityError:
        # The same key from a concurrent request: answer with what it created.
        existing = _for_key(organizer, key)
        if existing is None:
            raise
        return _replay(existing, title=title, split=split, total=total, users=users)
    return collection


def _notify_added(collection: Collection, share: CollectionShare) -> None:
    with in_language_of(share.participant):
        notify(recipient=share.participant, community=collection.community, kind="collection_added",
               title=_("%(name)s asks you to pay %(amount)s for %(title)s") % {
                   "name": collection.organizer.display_name,
                   "amount": format_money(share.amount, collection.currency), "title": collection.title},
               body=_("Pay from your wallet or by transfer; everyone sees who has paid."),
               url=collection.get_absolute_url(), dedupe_key=f"collection_added:{share.pk}")


def _for_key(organizer: Membership, key: str) -> Collection | None:
    return Collection.objects.filter(community_id=organizer.community_id, organizer_id=organizer.user_id,
                                     idempotency_key=key).first()


def _replay(collection: Collection, *, title, split, total, users) -> Collection:
    same = (collection.title == title and collection.split == split and collection.total == total
            and list(collection.shares.order_by("position").values_list("participant_id", flat=True))
            == [u.pk for u in users])
    if not same:
        raise Unprocessable(_("This request key was already used for a different collection."),
                            code="idempotency_key_reused", fields={"idempotency_key": [_("Already used.")]})
    return collection


# Who may do what -----------------------------------------------------------------------------

def can_see(membership: Membership, collection: Collection, *, console: bool = False) -> bool:
    """Organizer and participants see a collection on member pages; owners and admins in the console."""
    if collection.community_id != membership.community_id or not membership.is_active:
        return False
    if console:
        return acts_community_wide(membership)
    return collection.organizer_id == membership.user_id or collection.shares.filter(
        participant_id=membership.user_id).exists()


def _check_manager(actor: Membership, collection: Collection) -> None:
    """The organizer, or an owner or admin of the community."""
    if collection.community_id != actor.community_id or not actor.is_active:
        raise NotFound()
    if collection.organizer_id == actor.user_id or acts_community_wide(actor):
        return
    if can_see(actor, collection):
        raise Forbidden(_("Only the organizer can do this."), code="not_organizer")
    raise NotFound()


def _check_share(actor: Membership, share: CollectionShare) -> None:
    if share.community_id != actor.community_id or not actor.is_active:
        raise NotFound()


def _lock(collection_id: int) -> Collection:
    """First lock of every change to a collection's shares (see the module's lock order)."""
    return (Collection.objects.select_for_update(no_key=True, of=("self",)).select_related("community", "organizer")
            .get(pk=collection_id))


def _lock_share(share_id: int) -> CollectionShare:
    return (CollectionShare.objects.select_for_update(of=("self",))
            .select_related("charge", "participant", "paid_by").get(pk=share_id))


def _check_payable(collection: Collection, share: CollectionShare) -> None:
    if collection.status != Collection.Status.OPEN:
        raise Conflict(_("This collection is closed: nothing more is collected."), code="collection_closed")
    if share.status != CollectionShare.Status.UNPAID:
        who = share.paid_by.display_name if share.paid_by_id else ""
        raise Conflict(_("This share is already paid (by %(name)s).") % {"name": who} if who
                       else _("This share is no longer due."), code="already_paid")


# Pay -----------------------------------------------------------------------------------------

def _lock_for_payer(payer: Membership, share: CollectionShare) -> tuple[Collection, CollectionShare]:
    """Check the payer may pay ``share``, lock collection → share, and make its charge the payer's
    (代付 when it is someone else's share). Inside the caller's transaction."""
    check_perm(payer, Perm.VIEW)
    _check_share(payer, share)
    if not can_see(payer, share.collection):
        raise NotFound()
    collection = _lock(share.collection_id)
    locked = _lock_share(share.pk)
    _check_payable(collection, locked)
    if locked.charge.member_id != payer.user_id:
        payments.charge_assign_payer(charge_id=locked.charge_id, member_id=payer.user_id)
        locked.charge.refresh_from_db()
    return collection, locked


def share_pay_with_wallet(*, payer: Membership, share: CollectionShare) -> CollectionShare:
    """Pay a share from the payer's wallet: their own, or someone else's (代付: the charge becomes
    the payer's first, so a refund goes back to them). A second tap, or a second payer a moment
    later, gets 409 already_paid and nothing is debited twice.

    Locks: collection (NO KEY UPDATE) → share → charge → wallet (payments.pay_with_wallet).
    """
    with transaction.atomic():
        collection, locked = _lock_for_payer(payer, share)
        payments.pay_with_wallet(charge=locked.charge, actor=payer.user)
        _mark_paid(collection, locked, paid_by=payer.user, actor=payer.user, method="wallet")
    return locked


def share_report_transfer(*, payer: Membership, share: CollectionShare, reference: str = "") -> CollectionShare:
    """The payer says they sent their share (or someone else's) by transfer or cash: the
    organizer confirms it on receipt. Same locks as share_pay_with_wallet."""
    with transaction.atomic():
        collection, locked = _lock_for_payer(payer, share)
        reference = _clean_text(reference, field="reference", limit=REFERENCE_MAX, required=False)
        payment = payments.transfer_report(charge=locked.charge, reference=reference)
        if collection.organizer_id != payer.user_id:
            with in_language_of(collection.organizer):
                notify(recipient=collection.organizer, community=collection.community, kind="collection_transfer",
                       title=_("%(name)s says they paid %(amount)s for %(title)s") % {
                           "name": payer.user.display_name, "amount": format_money(payment.amount, collection.currency),
                           "title": collection.title},
                       body=_("Confirm it when the money has arrived."), url=collection.get_absolute_url(),
                       dedupe_key=f"collection_transfer:{payment.pk}")
    return locked


def share_confirm_transfer(*, organizer: Membership, share: CollectionShare) -> CollectionShare:
    """The organizer (or an owner or admin) received the transfer reported for a share. Money that
    arrives after the collection was closed is recorded and owed back (reason arrived_too_late)."""
    _check_share(organizer, share)
    _check_manager(organizer, share.collection)
    with transaction.atomic():
        collection = _lock(share.collection_id)
        locked = _lock_share(share.pk)
        if not payments.has_pending_transfer(locked.charge_id):
            raise Conflict(_("There is no reported transfer waiting for this share."), code="no_report")
        payment = payments.transfer_confirm(charge=locked.charge, actor=organizer.user)
        payer = locked.charge.member
        if payment is None:
            raise Conflict(_("There is no reported transfer waiting for this share."), code="no_report")
        if collection.status == Collection.Status.OPEN and locked.status == CollectionShare.Status.UNPAID:
            _mark_paid(collection, locked, paid_by=payer, actor=organizer.user, method="transfer")
        else:
            # Closed meanwhile (the share was waived): the money is recorded, and owed back by hand.
            payments.refund(charge=locked.charge, amount=payment.amount, reason="arrived_too_late",
                            key=f"arrived_too_late:share:{locked.pk}", actor=organizer.user)
            CollectionShare.objects.filter(pk=locked.pk).update(status=CollectionShare.Status.REFUNDED,
                                                                paid_by=payer, paid_at=timezone.now())
            locked.refresh_from_db()
            with in_language_of(payer):
                notify(recipient=payer, community=collection.community, kind="refund_owed",
                       title=_("Your transfer for %(title)s arrived after it closed") % {"title": collection.title},
                       body=_("It was no longer due; the organizer pays it back to you."),
                       url=collection.get_absolute_url(), dedupe_key=f"collection_late:{locked.pk}")
    return locked


def share_decline_transfer(*, organizer: Membership, share: CollectionShare) -> CollectionShare:
    """The organizer (or an owner or admin) did not receive the reported transfer: the share stays
    unpaid and the payer is told."""
    _check_share(organizer, share)
    _check_manager(organizer, share.collection)
    with transaction.atomic():
        collection = _lock(share.collection_id)
        locked = _lock_share(share.pk)
        payment = payments.transfer_decline(charge=locked.charge, actor=organizer.user)
        if payment is None:
            raise Conflict(_("There is no reported transfer waiting for this share."), code="no_report")
        payer = locked.charge.member
        with in_language_of(payer):
            notify(recipient=payer, community=collection.community, kind="transfer_declined",
                   title=_("Your transfer for %(title)s was not received") % {"title": collection.title},
                   body=_("The organizer could not find your transfer of %(amount)s. Pay again or ask them.") % {
                       "amount": format_money(payment.amount, collection.currency)},
                   url=collection.get_absolute_url(), dedupe_key=f"declined:{payment.pk}")
    return locked


def _mark_paid(collection: Collection, share: CollectionShare, *, paid_by, actor, method: str) -> None:
    """A share was paid (collection and share locked by the caller); the last one completes it."""
    now = timezone.now()
    share.status, share.paid_by, share.paid_at = CollectionShare.Status.PAID, paid_by, now
    share.save(update_fields=["status", "paid_by", "paid_at"])
    audit_record(community=collection.community, actor=actor, action="collection.share_paid",
                 target_user=share.participant, obj=collection, amount=str(share.amount), method=method,
                 paid_by=paid_by.display_name, title=collection.title)
    amount = format_money(share.amount, collection.currency)
    for_other = paid_by.pk != share.participant_id
    with in_language_of(paid_by):
        notify(recipient=paid_by, community=collection.community, kind="collection_paid",
               title=(_("You paid %(amount)s for %(name)s: %(title)s") % {
                   "amount": amount, "name": share.participant.display_name, "title": collection.title}
                      if for_other else _("You paid your share of %(title)s: %(amount)s") % {
                   "amount": amount, "title": collection.title}),
               url=collection.get_absolute_url(), dedupe_key=f"collection_paid:{share.pk}:payer")
    if for_other:
        with in_language_of(share.participant):
            notify(recipient=share.participant, community=collection.community, kind="collection_paid",
                   title=_("%(name)s paid your share of %(title)s") % {
                       "name": paid_by.display_name, "title": collection.title},
                   body=_("%(amount)s, paid for you (代付).") % {"amount": amount},
                   url=collection.get_absolute_url(), dedupe_key=f"collection_paid:{share.pk}:participant")
    if not collection.shares.filter(status=CollectionShare.Status.UNPAID).exists():
        collection.status, collection.closed_at, collection.remind_at = Collection.Status.COMPLETED, now, None
        collection.save(update_fields=["status", "closed_at", "remind_at", "updated_at"])
        audit_record(community=collection.community, actor=None, action="collection.completed", obj=collection,
                     title=collection.title, total=str(collection.total))
        with in_language_of(collection.organizer):
            notify(recipient=collection.organizer, community=collection.community, kind="collection_completed",
                   title=_("Everyone has paid: %(title)s") % {"title": collection.title},
                   body=_("%(total)s collected.") % {"total": format_money(collection.total, collection.currency)},
                   url=collection.get_absolute_url(), dedupe_key=f"collection_completed:{collection.pk}")


# Close ---------------------------------------------------------------------------------------

def collection_close(*, actor: Membership, collection: Collection, outcome: str = "kept") -> Collection:
    """Close an open collection early (the organizer, or an owner or admin): unpaid shares are no
    longer due (their charges are cancelled); what was paid is kept, or refunded once per share to
    whoever paid it (to their wallet, or owed back by hand for a transfer).

    Locks: collection (NO KEY UPDATE) → shares by id → charge → wallet.
    """
    _check_manager(actor, collection)
    if outcome not in Collection.Outcome.values:
        raise ValidationFailed(_("Choose whether what was paid is kept or refunded."),
                               fields={"outcome": [_("Not a valid choice.")]})
    with transaction.atomic():
        locked = _lock(collection.pk)
        if locked.status != Collection.Status.OPEN:
            raise Conflict(_("This collection is already closed."), code="collection_closed")
        now = timezone.now()
        shares = list(CollectionShare.objects.select_for_update(of=("self",)).select_related("charge", "participant")
                      .filter(collection=locked).order_by("pk"))
        for share in shares:
            if share.status == CollectionShare.Status.UNPAID:
                payments.charge_cancel(charge_id=share.charge_id)
                share.status = CollectionShare.Status.WAIVED
                share.save(update_fields=["status"])
            elif share.status == CollectionShare.Status.PAID and outcome == Collection.Outcome.REFUNDED:
                refund = payments.refund(charge=share.charge, amount=share.charge.paid_amount,
                                         reason="collection_refunded", key=f"collection_refunded:share:{share.pk}",
                                         actor=actor.user)
                share.status = CollectionShare.Status.REFUNDED
                share.save(update_fields=["status"])
                if refund is not None:
                    _notify_refund(locked, share, refund)
        locked.status, locked.outcome, locked.closed_at, locked.remind_at = (
            Collection.Status.CLOSED, outcome, now, None)
        locked.save(update_fields=["status", "outcome", "closed_at", "remind_at", "updated_at"])
        audit_record(community=locked.community, actor=actor.user, action="collection.closed", obj=locked,
                     title=locked.title, outcome=outcome)
        for share in shares:
            if share.participant_id != actor.user_id:
                with in_language_of(share.participant):
                    notify(recipient=share.participant, community=locked.community, kind="collection_closed",
                           title=_("%(title)s was closed") % {"title": locked.title},
                           body=str(Collection.Outcome(outcome).label) if share.status != "waived"
                           else _("Your share is no longer due."),
                           url=locked.get_absolute_url(), dedupe_key=f"collection_closed:{share.pk}")
        if locked.organizer_id != actor.user_id:  # an owner or admin closed it: the organizer is told
            with in_language_of(locked.organizer):
                notify(recipient=locked.organizer, community=locked.community, kind="collection_closed",
                       title=_("%(title)s was closed") % {"title": locked.title},
                       body=_("%(name)s closed it early: %(outcome)s.") % {
                           "name": actor.user.display_name, "outcome": Collection.Outcome(outcome).label},
                       url=locked.get_absolute_url(), dedupe_key=f"collection_closed:{locked.pk}:organizer")
    return locked


def _notify_refund(collection: Collection, share: CollectionShare, refund) -> None:
    payer = share.charge.member
    amount = format_money(refund.amount, collection.currency)
    with in_language_of(payer):
        if refund.status == refund.Status.DONE:
            title = _("%(amount)s refunded to your wallet") % {"amount": amount}
        else:
            title = _("%(amount)s is owed back to you") % {"amount": amount}
        notify(recipient=payer, community=collection.community,
               kind="refund_paid" if refund.status == refund.Status.DONE else "refund_owed", title=title,
               body=_("%(title)s was closed and refunded by the organizer.") % {"title": collection.title},
               url=collection.get_absolute_url(), dedupe_key=f"collection_refund:{refund.pk}")


# Remind --------------------------------------------------------------------------------------

def collection_remind(*, actor: Membership, collection: Collection, now: datetime | None = None) -> int:
    """The organizer reminds those who have not paid yet (at most once an hour: 409 otherwise).
    Returns how many were reminded."""
    check_perm(actor, Perm.VIEW)
    if collection.community_id != actor.community_id:
        raise NotFound()
    if collection.organizer_id != actor.user_id:
        if can_see(actor, collection):
            raise Forbidden(_("Only the organizer can send reminders."), code="not_organizer")
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(collection.pk)
        if locked.status != Collection.Status.OPEN:
            raise Conflict(_("This collection is closed."), code="collection_closed")
        if locked.reminded_at and now - locked.reminded_at < REMIND_AT_MOST_EVERY:
            raise Conflict(_("Reminders were sent less than an hour ago; try again later."),
                           code="reminded_recently")
        count = _remind_unpaid(locked, now, tag=f"manual:{int(now.timestamp())}")
        Collection.objects.filter(pk=locked.pk).update(reminded_at=now)
    return count


def collection_remind_due(collection: Collection, now: datetime) -> int:
    """The automatic reminder (the sweep holds the collection's row): once, then remind_at is cleared."""
    count = _remind_unpaid(collection, now, tag="auto")
    Collection.objects.filter(pk=collection.pk).update(reminded_at=now, remind_at=None)
    return count


def _remind_unpaid(collection: Collection, now: datetime, *, tag: str) -> int:
    count = 0
    for share in collection.shares.filter(status=CollectionShare.Status.UNPAID).select_related("participant"):
        with in_language_of(share.participant):
            sent = notify(recipient=share.participant, community=collection.community, kind="collection_reminder",
                          title=_("Reminder: your share of %(title)s is %(amount)s") % {
                              "title": collection.title, "amount": format_money(share.amount, collection.currency)},
                          body=_("%(name)s is collecting it. Pay from your wallet or by transfer.") % {
                              "name": collection.organizer.display_name},
                          url=collection.get_absolute_url(), dedupe_key=f"collection_remind:{share.pk}:{tag}")
        count += sent is not None
    return count
