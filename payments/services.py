"""Writes for money: charges, payments by method, the wallet ledger and refunds.

The selling apps (orders; later pledges, shares, tickets) call these functions; this module never
imports them. What a payment changes in what was sold goes back to the caller as a return value.

Lock order, for the whole project (a change that needs several of these locks takes them in
this order, each kind by primary key): the selling app's rows (orders: round FOR SHARE/NO KEY
UPDATE → team → order → items; never FOR UPDATE on a row new rows point to, since their deferred
foreign-key checks take FOR KEY SHARE at commit) → charge → wallet. A function here that locks a charge expects the caller
to hold the lock of what the charge is for, if it holds any. Counters change by guarded
updates; ledgers (wallet entries, refunds) carry unique keys so a retry writes nothing twice.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.exceptions import Conflict, NotFound, Unprocessable, ValidationFailed
from core.money import CENT, money, parse_money
from payments.models import Charge, Payment, Refund, Wallet, WalletEntry

__all__ = ["CENT", "money", "parse_money"]


# Charges -------------------------------------------------------------------------------------

def charge_open(*, community_id: int, member_id: int, amount: Decimal, currency: str, purpose: str,
                description: str, url: str = "") -> Charge:
    """A new charge for something a member is about to pay for (one INSERT: it sits on the order path)."""
    return Charge.objects.create(community_id=community_id, member_id=member_id, amount=money(amount),
                                 currency=currency, purpose=purpose[:20], description=description[:200], url=url[:300])


def _lock_charge(charge_id: int) -> Charge:
    return Charge.objects.select_for_update().get(pk=charge_id)


def charge_reprice(*, charge_id: int, amount: Decimal) -> None:
    """What is owed changed (a round's tier price): the charge follows. Refunds are the caller's call."""
    Charge.objects.filter(pk=charge_id).update(amount=money(amount))


def charge_assign_payer(*, charge_id: int, member_id: int) -> None:
    """Someone else pays this charge (代付: a member pays a friend's share): from now on it is
    theirs to pay, from their wallet or by their transfer, and any refund goes back to them. Only
    while nothing was paid or reported on it (the caller holds the lock of what it is for)."""
    charge = _lock_charge(charge_id)
    if charge.member_id == member_id:
        return
    if charge.status != Charge.Status.OPEN or charge.paid_amount or has_pending_transfer(charge_id):
        raise Conflict(_("This is already paid or a transfer for it waits for confirmation."), code="not_payable")
    Charge.objects.filter(pk=charge_id).update(member_id=member_id)


def charges_reprice(*, amounts: dict[int, Decimal]) -> None:
    """``charge_reprice`` for many charges (a settlement's tier prices): one statement."""
    if amounts:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {Charge._meta.db_table} c SET amount = v.amount
                    FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::numeric[]) AS amount) v WHERE c.id = v.id""",
                [list(amounts), [money(a) for a in amounts.values()]])


def charge_cancel(*, charge_id: int) -> None:
    """Nothing more will be paid on this charge. A transfer the member reported stays waiting for an
    admin: money that did arrive must still be recorded (and is then owed back)."""
    Charge.objects.filter(pk=charge_id, status=Charge.Status.OPEN).update(status=Charge.Status.CANCELLED)


def _record_success(charge: Charge, payment: Payment) -> None:
    now = timezone.now()
    charge.paid_amount = payment.amount if payment.pk else charge.amount
    charge.paid_at = now
    if charge.status == Charge.Status.OPEN:
        charge.status = Charge.Status.PAID
    charge.save(update_fields=["paid_amount", "paid_at", "status"])


def has_pending_transfer(charge_id: int) -> bool:
    return Payment.objects.filter(charge_id=charge_id, status=Payment.Status.PENDING).exists()


def pay_with_wallet(*, charge: Charge, actor) -> Payment | None:
    """Debit the member's wallet for what the charge still owes; None when nothing was owed (free).

    Raises Conflict when the balance is short or a transfer is already reported for this charge.
    """
    charge = _lock_charge(charge.pk)
    if charge.status != Charge.Status.OPEN:
        raise Conflict(_("This is not waiting for payment."), code="not_payable")
    if has_pending_transfer(charge.pk):
        raise Conflict(_("You reported a transfer for this; an admin confirms it soon."), code="transfer_reported")
    amount = charge.amount - charge.paid_amount
    if amount <= 0:
        charge.status, charge.paid_at = Charge.Status.PAID, timezone.now()
        charge.save(update_fields=["status", "paid_at"])
        return None  # a free order needs no payment row
    balance = _wallet_move(community_id=charge.community_id, member_id=charge.member_id, amount=-amount,
                           kind=WalletEntry.Kind.PAYMENT, key=f"pay:charge:{charge.pk}", charge=charge, actor=actor)
    if balance is None:
        raise Conflict(_("Your balance is not enough for this. Top up with an admin or pay by transfer."),
                       code="insufficient_balance")
    payment = Payment.objects.create(community_id=charge.community_id, charge=charge, method=Payment.Method.WALLET,
                                     status=Payment.Status.SUCCEEDED, amount=amount, confirmed_at=timezone.now())
    _record_success(charge, payment)
    return payment


def transfer_report(*, charge: Charge, reference: str = "") -> Payment:
    """The member says they paid by transfer or cash; an admin confirms (or declines) it on receipt."""
    charge = _lock_charge(charge.pk)
    if charge.status != Charge.Status.OPEN:
        raise Conflict(_("This is not waiting for payment."), code="not_payable")
    amount = charge.amount - charge.paid_amount
    if amount <= 0:
        raise Conflict(_("There is nothing to pay: pay with the wallet button to confirm the order."),
                       code="nothing_to_pay")
    reference = (reference or "").replace("\x00", "").strip()[:100]
    payment = Payment.objects.filter(charge=charge, status=Payment.Status.PENDING).first()
    if payment is None:
        payment = Payment.objects.create(community_id=charge.community_id, charge=charge,
                                         method=Payment.Method.MANUAL, amount=amount, reference=reference)
    elif reference and reference != payment.reference:
        payment.reference = reference
        payment.save(update_fields=["reference"])
    return payment


def transfer_confirm(*, charge: Charge, actor, reference: str = "") -> Payment | None:
    """An admin received the member's money for this charge (reported or not).

    Returns the successful payment, or None when the charge was already paid (a double click). A
    charge that was cancelled meanwhile is still recorded as paid: the caller owes the money back.
    """
    charge = _lock_charge(charge.pk)
    if Payment.objects.filter(charge=charge, status=Payment.Status.SUCCEEDED).exists():
        return None
    payment = Payment.objects.filter(charge=charge, status=Payment.Status.PENDING).first()
    if payment is None:
        if charge.status != Charge.Status.OPEN:
            return None  # nothing reported and nothing owed: nothing to record
        amount = charge.amount - charge.paid_amount
        if amount <= 0:
            _record_success(charge, Payment(amount=Decimal("0")))
            return None
        payment = Payment(community_id=charge.community_id, charge=charge, method=Payment.Method.MANUAL,
                          amount=amount)
    payment.status, payment.confirmed_by, payment.confirmed_at = Payment.Status.SUCCEEDED, actor, timezone.now()
    payment.reference = payment.reference or (reference or "").replace("\x00", "").strip()[:100]
    payment.save()
    _record_success(charge, payment)
    return payment


def transfer_decline(*, charge: Charge, actor, note: str = "") -> Payment | None:
    """An admin did not receive the reported transfer: the report is closed, the charge stays as it was."""
    charge = _lock_charge(charge.pk)
    payment = Payment.objects.filter(charge=charge, status=Payment.Status.PENDING).first()
    if payment is None:
        return None
    payment.status, payment.confirmed_by, payment.confirmed_at = Payment.Status.DECLINED, actor, timezone.now()
    payment.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(community=charge.community, actor=actor, action="payment.declined", target_user=charge.member,
                 obj=payment, amount=str(payment.amount), note=(note or "")[:200])
    return payment


def payment_mark_reminded(*, payment: Payment, now) -> None:
    """The admins were told this reported transfer waits for them (the reminder sweep holds the row)."""
    Payment.objects.filter(pk=payment.pk).update(reminded_at=now)


# Refunds -------------------------------------------------------------------------------------

def refund(*, charge: Charge, amount: Decimal, reason: str, key: str, actor=None, note: str = "") -> Refund | None:
    """Give ``amount`` back once per key (capped at what is still refundable): to the wallet if the
    charge was paid from it, else recorded as owed, to pay back by hand. None if nothing was written."""
    charge = _lock_charge(charge.pk)
    amount = money(min(amount, charge.paid_amount - charge.refunded_amount))
    if amount <= 0:
        return None
    paid_by_wallet = Payment.objects.filter(charge=charge, method=Payment.Method.WALLET,
                                            status=Payment.Status.SUCCEEDED).exists()
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                community_id=charge.community_id, charge=charge, amount=amount, reason=reason[:40], key=key,
                note=(note or "").replace("\x00", "").strip()[:200],
                method=Payment.Method.WALLET if paid_by_wallet else Payment.Method.MANUAL,
                status=Refund.Status.DONE if paid_by_wallet else Refund.Status.TO_PAY_BACK, created_by=actor)
            if paid_by_wallet:
                _wallet_move(community_id=charge.community_id, member_id=charge.member_id, amount=amount,
                             kind=WalletEntry.Kind.REFUND, key=f"refund:{key}", charge=charge, actor=actor)
    except IntegrityError:
        return None  # this refund was written before
    charge.refunded_amount += amount
    Charge.objects.filter(pk=charge.pk).update(refunded_amount=F("refunded_amount") + amount)
    return refund


def refund_many(*, refunds: list[tuple[Charge, Decimal, str]], reason: str, actor=None) -> dict[int, Refund]:
    """``refund`` for many (charge, amount, key) at once, as a settlement of thousands of pledges
    needs: the same outcome (each key written once, capped at what is refundable, to the wallet if
    the charge was paid from it, else owed) in a fixed number of statements, whatever their number.

    The charges are locked here, by id (the caller holds the locks of what they are for). Every
    refund writer locks its charge first, so the keys found written under these locks are all
    there are. Returns the refunds written now, by charge id (a retry writes and returns nothing).
    """
    if not refunds:
        return {}
    ids = sorted({charge.pk for charge, _amount, _key in refunds})
    locked = {c.pk: c for c in Charge.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    by_wallet = set(Payment.objects.filter(charge_id__in=ids, method=Payment.Method.WALLET,
                                           status=Payment.Status.SUCCEEDED).values_list("charge_id", flat=True))
    written = set(Refund.objects.filter(community_id__in={c.community_id for c in locked.values()},
                                        key__in=[key for _c, _a, key in refunds]).values_list("community_id", "key"))
    room = {pk: c.paid_amount - c.refunded_amount for pk, c in locked.items()}
    rows = []
    for charge, amount, key in refunds:
        charge = locked[charge.pk]
        amount = money(min(amount, room[charge.pk]))
        if amount <= 0 or (charge.community_id, key) in written:
            continue
        room[charge.pk] -= amount
        written.add((charge.community_id, key))
        wallet = charge.pk in by_wallet
        rows.append(Refund(community_id=charge.community_id, charge=charge, amount=amount, reason=reason[:40], key=key,
                           method=Payment.Method.WALLET if wallet else Payment.Method.MANUAL,
                           status=Refund.Status.DONE if wallet else Refund.Status.TO_PAY_BACK, created_by=actor))
    if not rows:
        return {}
    Refund.objects.bulk_create(rows)
    _credit_wallets([r for r in rows if r.method == Payment.Method.WALLET], actor=actor)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {Charge._meta.db_table} c SET refunded_amount = c.refunded_amount + v.amount
                FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::numeric[]) AS amount) v WHERE c.id = v.id""",
            [[r.charge_id for r in rows], [r.amount for r in rows]])
    for refund in rows:
        refund.charge.refunded_amount += refund.amount
    return {r.charge_id: r for r in rows}


def _credit_wallets(refunds: list[Refund], *, actor) -> None:
    """Credit many refunds to their members' wallets: one UPDATE per community, one ledger insert.
    A member refunded several times gets one line each, their balances after in order."""
    by_community: dict[int, list[Refund]] = {}
    for refund in refunds:
        by_community.setdefault(refund.community_id, []).append(refund)
    entries = []
    for community_id, group in by_community.items():
        totals: dict[int, Decimal] = {}
        for refund in group:
            totals[refund.charge.member_id] = totals.get(refund.charge.member_id, Decimal("0")) + refund.amount
        table = Wallet._meta.db_table
        with connection.cursor() as cursor:
            # Locked in id order first: two settlements crediting the same members cannot deadlock.
            cursor.execute(f"SELECT id FROM {table} WHERE community_id = %s AND member_id = ANY(%s) ORDER BY id "
                           "FOR NO KEY UPDATE", [community_id, list(totals)])
            cursor.execute(
                f"""UPDATE {table} w SET balance = w.balance + v.amount
                    FROM (SELECT unnest(%s::bigint[]) AS member_id, unnest(%s::numeric[]) AS amount) v
                    WHERE w.community_id = %s AND w.member_id = v.member_id RETURNING w.id, w.member_id, w.balance""",
                [list(totals), list(totals.values()), community_id])
            wallets = {member_id: (wallet_id, balance) for wallet_id, member_id, balance in cursor.fetchall()}
        if len(wallets) != len(totals):  # a wallet that paid cannot be gone: refuse rather than lose a credit
            raise RuntimeError("refund_many: a wallet that paid a charge is missing")
        running = {member_id: balance - totals[member_id] for member_id, (_w, balance) in wallets.items()}
        for refund in group:
            member_id = refund.charge.member_id
            running[member_id] += refund.amount
            entries.append(WalletEntry(community_id=community_id, wallet_id=wallets[member_id][0],
                                       kind=WalletEntry.Kind.REFUND, amount=refund.amount,
                                       balance_after=running[member_id], key=f"refund:{refund.key}",
                                       charge=refund.charge, created_by=actor))
    WalletEntry.objects.bulk_create(entries)


def charges_cancel(*, charge_ids: list[int]) -> None:
    """``charge_cancel`` for many (a settlement releasing every unpaid pledge): one statement."""
    Charge.objects.filter(pk__in=charge_ids, status=Charge.Status.OPEN).update(status=Charge.Status.CANCELLED)


def refunds_mark_paid_back(*, actor: Membership, refunds: list[Refund], reference: str = "") -> list[Refund]:
    """An admin paid members back by hand (one refund or many): each is recorded once, with a reference.

    Returns the refunds that changed now (already paid-back ones are skipped), for the caller to tell
    the members.
    """
    check_perm(actor, Perm.MANAGE_ORDERS)
    ids = sorted({r.pk for r in refunds})
    if any(r.community_id != actor.community_id for r in refunds):
        raise NotFound()
    reference = (reference or "").replace("\x00", "").strip()
    if len(reference) > 100:
        raise ValidationFailed(_("Keep the reference under 100 characters."), fields={"reference": [_("Too long.")]})
    now = timezone.now()
    with transaction.atomic():
        changed = list(Refund.objects.select_for_update().select_related("charge", "charge__member")
                       .filter(pk__in=ids, status=Refund.Status.TO_PAY_BACK).order_by("pk"))
        Refund.objects.filter(pk__in=[r.pk for r in changed]).update(
            status=Refund.Status.DONE, paid_back_at=now, paid_back_by=actor.user, paid_back_reference=reference)
        for r in changed:
            r.status, r.paid_back_at, r.paid_back_by, r.paid_back_reference = (Refund.Status.DONE, now, actor.user,
                                                                              reference)
            audit_record(community=actor.community, actor=actor.user, action="refund.paid_back",
                         target_user=r.charge.member, obj=r, amount=str(r.amount), reference=reference)
    return changed


# Wallets -------------------------------------------------------------------------------------

def _wallet_move(*, community_id: int, member_id: int, amount: Decimal, kind: str, key: str, charge=None,
                 actor=None, note: str = "") -> Decimal | None:
    """Credit (amount > 0) or debit (amount < 0) a wallet with a ledger line; None if the balance is
    short (or a credit would not fit the column).

    The key is unique per community: writing the same movement twice raises IntegrityError, which
    callers treat as "already done"; the savepoint undoes the balance change with it.
    """
    table = Wallet._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if amount > 0:
            cursor.execute(
                f"""INSERT INTO {table} (community_id, member_id, balance, currency)
                    VALUES (%s, %s, %s, (SELECT currency FROM communities_community WHERE id = %s))
                    ON CONFLICT (community_id, member_id) DO UPDATE SET balance = {table}.balance + EXCLUDED.balance
                    WHERE {table}.balance + EXCLUDED.balance <= %s
                    RETURNING id, balance""",
                [community_id, member_id, amount, community_id, MAX_BALANCE])
        else:
            cursor.execute(
                f"""UPDATE {table} SET balance = balance + %s
                    WHERE community_id = %s AND member_id = %s AND balance + %s >= 0 RETURNING id, balance""",
                [amount, community_id, member_id, amount])
        row = cursor.fetchone()
        if row is None:
            return None
        wallet_id, balance = row
        WalletEntry.objects.create(community_id=community_id, wallet_id=wallet_id, kind=kind, amount=amount,
                                   balance_after=balance, key=key, charge=charge, created_by=actor,
                                   note=(note or "")[:200])
    return balance


# A wallet holds at most this much (well inside numeric(12, 2)): a typo of a few zeros is refused.
MAX_BALANCE = Decimal("10000000.00")


def _top_up_fingerprint(member_id: int, amount: Decimal, note: str) -> str:
    return hashlib.sha256(f"{member_id}|{amount}|{note}".encode()).hexdigest()[:16]


def wallet_top_up(*, actor: Membership, member_user, amount, note: str = "", key: str | None = None) -> WalletEntry:
    """An admin records money a member handed over.

    ``key`` (an Idempotency-Key, a form token) makes a retry harmless: it is kept per target member,
    so another member's top-up with the same key is recorded on its own; the same key for the same
    member with another amount or note is refused (422), as for orders.
    """
    check_perm(actor, Perm.MANAGE_WALLETS)
    amount = parse_money(amount, field="amount")
    if amount <= 0:
        raise ValidationFailed(_("The amount must be more than zero."), fields={"amount": [_("Must be positive.")]})
    note = (note or "").replace("\x00", "").strip()
    if len(note) > 200:
        raise ValidationFailed(_("Keep the note under 200 characters."), fields={"note": [_("Too long.")]})
    key = (key or "").strip()
    if len(key) > 100:
        raise ValidationFailed(_("A request key has at most 100 characters."), fields={"idempotency_key": [_("Too long.")]})
    if not actor.community.memberships.filter(user=member_user, status="active").exists():
        raise ValidationFailed(_("Top up active members only."), fields={"member": [_("Not an active member.")]})
    note = note or _("Top-up")
    if key:
        entry_key = f"topup:{member_user.pk}:{key}"
    else:
        entry_key = f"topup:{member_user.pk}:{timezone.now().timestamp()}:{_top_up_fingerprint(member_user.pk, amount, note)}"
    existing = _existing_top_up(actor.community_id, entry_key, member_user.pk, amount)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            balance = _wallet_move(community_id=actor.community_id, member_id=member_user.pk, amount=amount,
                                   kind=WalletEntry.Kind.TOP_UP, key=entry_key, actor=actor.user, note=note)
            if balance is None:
                raise ValidationFailed(
                    _("A wallet can hold at most %(max)s.") % {"max": MAX_BALANCE},
                    code="balance_too_large", fields={"amount": [_("Too large for this wallet.")]})
            audit_record(community=actor.community, actor=actor.user, action="wallet.top_up",
                         target_user=member_user, amount=str(amount))
    except IntegrityError:
        # The same top-up was recorded by a concurrent request: answer with that entry.
        existing = _existing_top_up(actor.community_id, entry_key, member_user.pk, amount)
        if existing is None:
            raise
        return existing
    return WalletEntry.objects.select_related("wallet").get(community_id=actor.community_id, key=entry_key)


def _existing_top_up(community_id: int, key: str, member_id: int, amount: Decimal) -> WalletEntry | None:
    entry = WalletEntry.objects.select_related("wallet").filter(community_id=community_id, key=key).first()
    if entry is not None and (entry.wallet.member_id != member_id or entry.amount != amount):
        raise Unprocessable(_("This request key was already used for a different top-up."),
                            code="idempotency_key_reused")
    return entry
