"""Refunds in bulk (a settlement's): the same outcome as one refund at a time, in a few statements."""

from decimal import Decimal

import pytest

from core.models import Notification, NotificationOptOut
from core.notifications import Notice, notify_many
from payments import services
from payments.models import Refund, Wallet, WalletEntry

pytestmark = pytest.mark.django_db


def paid_charge(owner, membership, amount, *, wallet=True):
    charge = services.charge_open(community_id=owner.community_id, member_id=membership.user_id, amount=amount,
                                  currency="CNY", purpose="pledge", description="Mooncakes")
    if wallet:
        services.pay_with_wallet(charge=charge, actor=membership.user)
    else:
        services.transfer_confirm(charge=charge, actor=owner.user)
    charge.refresh_from_db()
    return charge


def test_a_member_refunded_twice_in_one_batch_gets_two_ledger_lines_in_order_and_a_retry_writes_nothing(
        owner, member, admin_member, django_assert_max_num_queries):
    services.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("100.00"))
    first, second = paid_charge(owner, member, Decimal("30.00")), paid_charge(owner, member, Decimal("20.00"))
    by_hand = paid_charge(owner, admin_member, Decimal("15.00"), wallet=False)
    batch = [(first, Decimal("30.00"), "failed:1"), (second, Decimal("99.00"), "failed:2"),
             (by_hand, Decimal("15.00"), "failed:3")]
    with django_assert_max_num_queries(9):
        written = services.refund_many(refunds=batch, reason="campaign_failed")
    assert {c: r.amount for c, r in written.items()} == {first.pk: Decimal("30.00"), second.pk: Decimal("20.00"),
                                                         by_hand.pk: Decimal("15.00")}
    wallet = Wallet.objects.get(community=owner.community, member=member.user)
    assert wallet.balance == Decimal("100.00")
    lines = list(WalletEntry.objects.filter(wallet=wallet, kind="refund").order_by("pk")
                 .values_list("amount", "balance_after"))
    assert lines == [(Decimal("30.00"), Decimal("80.00")), (Decimal("20.00"), Decimal("100.00"))]
    assert Refund.objects.get(charge=by_hand).status == Refund.Status.TO_PAY_BACK
    assert services.refund_many(refunds=batch, reason="campaign_failed") == {}
    assert Wallet.objects.get(pk=wallet.pk).balance == Decimal("100.00")
    first.refresh_from_db()
    assert first.refunded_amount == first.paid_amount


def test_notices_in_bulk_respect_opt_outs_and_dedupe_and_leave_email_to_the_sweep(member, admin_member, leader):
    NotificationOptOut.objects.create(user=admin_member.user, kind="campaign_failed", channel="all")
    notices = [Notice(recipient=m.user, kind="campaign_failed", title="Not reached", dedupe_key=f"k:{m.pk}")
               for m in (member, admin_member, leader)]
    notify_many(notices)
    notify_many(notices)
    rows = Notification.objects.filter(kind="campaign_failed")
    assert set(rows.values_list("recipient_id", flat=True)) == {member.user_id, leader.user_id}
    assert rows.count() == 2
    assert all(row.email_due_at is not None for row in rows if row.recipient.email)
