"""Money moves to payments/: every order gets a charge, and payments, wallets, ledger lines and
refunds are copied over (same ids), nothing lost. The old tables go in the next migration."""

from django.db import migrations


def copy_money(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OldPayment, OldWallet = apps.get_model("orders", "Payment"), apps.get_model("orders", "Wallet")
    OldEntry, OldRefund = apps.get_model("orders", "WalletEntry"), apps.get_model("orders", "Refund")
    Charge, Payment = apps.get_model("payments", "Charge"), apps.get_model("payments", "Payment")
    Wallet, Entry = apps.get_model("payments", "Wallet"), apps.get_model("payments", "WalletEntry")
    Refund = apps.get_model("payments", "Refund")

    charge_of = {}
    for order in Order.objects.select_related("group_buy").order_by("pk").iterator(chunk_size=2000):
        if order.status in ("pending_payment",):
            status = "open"
        elif order.status == "cancelled":
            status = "cancelled"
        else:
            status = "paid" if order.paid_at or order.paid_amount else "cancelled"
        charge = Charge.objects.create(
            community_id=order.community_id, member_id=order.member_id, amount=order.total,
            currency=order.currency, purpose="order", description=order.group_buy.title[:200], status=status,
            paid_amount=order.paid_amount, refunded_amount=order.refunded_amount, paid_at=order.paid_at)
        Charge.objects.filter(pk=charge.pk).update(created_at=order.created_at)
        Order.objects.filter(pk=order.pk).update(charge=charge)
        charge_of[order.pk] = charge.pk

    Payment.objects.bulk_create([
        Payment(id=p.id, community_id=p.community_id, charge_id=charge_of[p.order_id], method=p.method,
                status=p.status, amount=p.amount, reference=p.reference, confirmed_by_id=p.confirmed_by_id,
                created_at=p.created_at, confirmed_at=p.confirmed_at)
        for p in OldPayment.objects.order_by("pk")], batch_size=2000)
    Wallet.objects.bulk_create([
        Wallet(id=w.id, community_id=w.community_id, member_id=w.member_id, balance=w.balance, currency=w.currency)
        for w in OldWallet.objects.order_by("pk")], batch_size=2000)
    Entry.objects.bulk_create([
        Entry(id=e.id, community_id=e.community_id, wallet_id=e.wallet_id, kind=e.kind, amount=e.amount,
              balance_after=e.balance_after, key=e.key, charge_id=charge_of.get(e.order_id), note=e.note,
              created_by_id=e.created_by_id, created_at=e.created_at)
        for e in OldEntry.objects.order_by("pk")], batch_size=2000)
    Refund.objects.bulk_create([
        Refund(id=r.id, community_id=r.community_id, charge_id=charge_of[r.order_id], amount=r.amount,
               method=r.method, status=r.status, reason=r.reason, key=r.key, created_by_id=r.created_by_id,
               created_at=r.created_at, paid_back_at=r.paid_back_at)
        for r in OldRefund.objects.order_by("pk")], batch_size=2000)
    # auto_now_add overwrote created_at on insert: put the real times back.
    for model, old in ((Payment, OldPayment), (Entry, OldEntry), (Refund, OldRefund)):
        for pk, created_at in old.objects.values_list("pk", "created_at"):
            model.objects.filter(pk=pk).update(created_at=created_at)
    # Explicit ids were inserted: move each sequence past them.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for model in (Payment, Wallet, Entry, Refund):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def copy_money_back(apps, schema_editor):
    """The way back (to run an older release): charges' amounts onto orders, rows into the old tables."""
    Order = apps.get_model("orders", "Order")
    OldPayment, OldWallet = apps.get_model("orders", "Payment"), apps.get_model("orders", "Wallet")
    OldEntry, OldRefund = apps.get_model("orders", "WalletEntry"), apps.get_model("orders", "Refund")
    Payment, Wallet = apps.get_model("payments", "Payment"), apps.get_model("payments", "Wallet")
    Entry, Refund = apps.get_model("payments", "WalletEntry"), apps.get_model("payments", "Refund")
    order_of = dict(Order.objects.filter(charge__isnull=False).values_list("charge_id", "pk"))
    for order in Order.objects.select_related("charge").filter(charge__isnull=False).iterator(chunk_size=2000):
        Order.objects.filter(pk=order.pk).update(paid_amount=order.charge.paid_amount,
                                                 refunded_amount=order.charge.refunded_amount)
    OldPayment.objects.bulk_create([
        OldPayment(id=p.id, community_id=p.community_id, order_id=order_of[p.charge_id], method=p.method,
                   status="cancelled" if p.status == "declined" else p.status, amount=p.amount,
                   reference=p.reference, confirmed_by_id=p.confirmed_by_id, confirmed_at=p.confirmed_at)
        for p in Payment.objects.filter(charge_id__in=list(order_of)).order_by("pk")], batch_size=2000)
    OldWallet.objects.bulk_create([
        OldWallet(id=w.id, community_id=w.community_id, member_id=w.member_id, balance=w.balance,
                  currency=w.currency) for w in Wallet.objects.order_by("pk")], batch_size=2000)
    OldEntry.objects.bulk_create([
        OldEntry(id=e.id, community_id=e.community_id, wallet_id=e.wallet_id, kind=e.kind, amount=e.amount,
                 balance_after=e.balance_after, key=e.key[:120], order_id=order_of.get(e.charge_id), note=e.note,
                 created_by_id=e.created_by_id) for e in Entry.objects.order_by("pk")], batch_size=2000)
    OldRefund.objects.bulk_create([
        OldRefund(id=r.id, community_id=r.community_id, order_id=order_of[r.charge_id], amount=r.amount,
                  method=r.method, status=r.status, reason=r.reason, key=r.key, created_by_id=r.created_by_id,
                  paid_back_at=r.paid_back_at)
        for r in Refund.objects.filter(charge_id__in=list(order_of)).order_by("pk")], batch_size=2000)
    for model, new in ((OldPayment, Payment), (OldEntry, Entry), (OldRefund, Refund)):
        for pk, created_at in new.objects.values_list("pk", "created_at"):
            model.objects.filter(pk=pk).update(created_at=created_at)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for model in (OldPayment, OldWallet, OldEntry, OldRefund):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    for model in (Entry, Refund, Payment, Wallet):
        model.objects.all().delete()
    Order.objects.update(charge=None)
    apps.get_model("payments", "Charge").objects.all().delete()


class Migration(migrations.Migration):
    # Data only, in its own transaction: PostgreSQL refuses to alter a table with pending trigger
    # events, so the schema changes on either side stay in their own migrations.

    dependencies = [
        ("orders", "0002_order_charge"),
    ]

    operations = [
        migrations.RunPython(copy_money, copy_money_back),
    ]
