"""Money that is owed is never lost (issue 7, part 2): each test failed before its fix."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict
from core.models import Notification
from orders import services
from orders.models import MemberAllowance, Order
from payments.models import Charge, Payment, Refund, Wallet, WalletEntry
from tests.api import assert_error, url
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy

pytestmark = pytest.mark.django_db


def _report(member, order, reference="wx 1"):
    return services.order_report_transfer(member=member, order=order, reference=reference)


# A reported transfer keeps the order --------------------------------------------------------------

def test_a_reported_transfer_keeps_the_order_from_expiring_until_an_admin_decides(owner, admin_member, member,
                                                                                   place):
    group_buy = make_group_buy(owner, price="12.00")
    order = place(member, group_buy)
    _report(member, order)

    with time_machine.travel(timezone.now() + timedelta(minutes=25)):
        assert services.remind_unpaid() == 0  # no "pay now or lose it" for a reported transfer
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert services.order_expire_due() == 0
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING_PAYMENT
        # The admins are reminded once that it waits for them.
        assert services.remind_transfers() == 1
        assert services.remind_transfers() == 0
        assert Notification.objects.filter(kind="transfer_waiting", recipient=admin_member.user).count() == 1

        marked = services.payments_mark_received(actor=admin_member, orders=[order])

    order.refresh_from_db()
    assert marked == [order] and order.status == Order.Status.PAID
    assert Payment.objects.get(charge=order.charge, status="succeeded").reference == "wx 1"


def test_a_declined_report_tells_the_member_and_gives_the_window_again(owner, admin_member, member, place):
    group_buy = make_group_buy(owner, price="12.00")
    order = place(member, group_buy)
    _report(member, order)
    later = timezone.now() + timedelta(hours=1)
    with time_machine.travel(later):
        services.order_transfer_decline(actor=admin_member, order=order, note="nothing arrived")
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING_PAYMENT and order.expires_at > later
        assert Payment.objects.get(charge=order.charge).status == Payment.Status.DECLINED
        assert Notification.objects.get(kind="transfer_declined", recipient=member.user).body.endswith(
            "nothing arrived")
        with pytest.raises(Conflict):
            services.order_transfer_decline(actor=admin_member, order=order)  # nothing waits any more
    with time_machine.travel(later + timedelta(hours=1)):
        assert services.order_expire_due() == 1  # now it may expire


def test_money_confirmed_for_an_order_cancelled_anyway_becomes_a_refund_owed(owner, admin_member, member, place):
    """The round closes while the report waits past its grace: the order is cancelled, but the admin's
    later "received" is recorded and owed back, never skipped silently."""
    group_buy = make_group_buy(owner, price="12.00")
    order = place(member, group_buy)
    _report(member, order)

    # At close the round waits for the report, up to the payment window after the close.
    with time_machine.travel(group_buy.closes_at + timedelta(minutes=5)):
        assert services.group_buy_close_due() == 0
    with time_machine.travel(group_buy.closes_at + timedelta(minutes=31)):
        assert services.group_buy_close_due() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED

    assert services.payments_mark_received(actor=admin_member, orders=[order], reference="wx late") == []
    refund = Refund.objects.get(charge=order.charge)
    assert (refund.amount, refund.status, refund.reason) == (Decimal("12.00"), "to_pay_back",
                                                              "cancelled_before_confirmed")
    charge = Charge.objects.get(pk=order.charge_id)
    assert charge.paid_amount == charge.refunded_amount == Decimal("12.00")
    assert Notification.objects.filter(kind="refund_owed", recipient=member.user).exists()
    # A second click records nothing more.
    services.payments_mark_received(actor=admin_member, orders=[order])
    assert Refund.objects.filter(charge=order.charge).count() == 1
    assert Payment.objects.filter(charge=order.charge, status="succeeded").count() == 1


def test_a_report_confirmed_within_the_grace_counts_for_the_round(owner, admin_member, member, place):
    group_buy = make_group_buy(owner, price="12.00")
    order = place(member, group_buy)
    _report(member, order)
    with time_machine.travel(group_buy.closes_at + timedelta(minutes=5)):
        assert services.group_buy_close_due() == 0
        services.payments_mark_received(actor=admin_member, orders=[order])
        assert services.group_buy_close_due() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


# Refunds owed: the console page and the API ------------------------------------------------------

def _refund_owed(owner, admin_member, member, place, price="10.00"):
    group_buy = make_group_buy(owner, price=price)
    order = place(member, group_buy)
    services.payments_mark_received(actor=admin_member, orders=[order])  # paid by transfer
    services.order_refund(actor=admin_member, order=order, reason="out of stock")
    return order, Refund.objects.get(charge=order.charge)


def test_admins_record_refunds_paid_back_and_the_member_is_told(owner, admin_member, member, place, login):
    order, refund = _refund_owed(owner, admin_member, member, place)
    assert refund.status == Refund.Status.TO_PAY_BACK and refund.note == "out of stock"
    client = login(admin_member)
    page = client.get(reverse("orders_console:refunds", kwargs={"slug": owner.community.slug}))
    assert page.status_code == 200 and f'data-refund="{refund.pk}"' in page.content.decode()

    client.post(reverse("orders_console:refunds", kwargs={"slug": owner.community.slug}),
                {"refund": [refund.pk], "reference": "wx back 7"})

    refund.refresh_from_db()
    assert refund.status == Refund.Status.DONE and refund.paid_back_reference == "wx back 7"
    assert refund.paid_back_by == admin_member.user
    assert Notification.objects.filter(kind="refund_paid_back", recipient=member.user).count() == 1
    # The member sees it on the order.
    mine = login(member).get(order.get_absolute_url()).content.decode()
    assert "paid back" in mine and "out of stock" in mine and "wx back 7" in mine


def test_refunds_owed_api_lists_filters_and_records_paid_back_once(api_as, owner, admin_member, member, leader,
                                                                    place):
    order, refund = _refund_owed(owner, admin_member, member, place)
    _other, other_refund = _refund_owed(owner, admin_member, leader, place, price="7.00")
    slug = owner.community.slug
    client = api_as(admin_member.user)

    listed = client.get(url(slug, "admin", "refunds"), {"member": member.user.pk})
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["results"]] == [refund.pk]
    assert listed.json()["results"][0]["order"] == order.pk

    done = client.post(url(slug, "admin", "refunds", "paid-back"), {"refunds": [refund.pk, other_refund.pk],
                                                                  "reference": "batch 1"}, format="json")
    again = client.post(url(slug, "admin", "refunds", "paid-back"), {"refunds": [refund.pk]}, format="json")
    assert done.json() == {"paid_back": sorted([refund.pk, other_refund.pk]), "skipped": []}
    assert again.json() == {"paid_back": [], "skipped": [refund.pk]}
    assert client.get(url(slug, "admin", "refunds")).json()["results"] == []
    assert len(client.get(url(slug, "admin", "refunds"), {"status": "done"}).json()["results"]) == 2
    # A member may not; another community's admin cannot see or touch them.
    assert_error(api_as(member.user).get(url(slug, "admin", "refunds")), 403)
    stranger = MembershipFactory(community=CommunityFactory(), role="owner")
    assert_error(api_as(stranger.user).post(url(stranger.community.slug, "admin", "refunds", "paid-back"),
                                            {"refunds": [refund.pk]}, format="json"), 404)


# Top-ups ---------------------------------------------------------------------------------------

def test_a_top_up_key_is_per_member_and_its_body_is_compared(api_as, owner, admin_member, member, leader):
    slug = owner.community.slug
    client = api_as(admin_member.user)
    a = client.post(url(slug, "admin", "wallets", "top-up"), {"member": member.user.pk, "amount": "30.00"},
                    format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    b = client.post(url(slug, "admin", "wallets", "top-up"), {"member": leader.user.pk, "amount": "20.00"},
                    format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = client.post(url(slug, "admin", "wallets", "top-up"), {"member": member.user.pk, "amount": "30.00"},
                         format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other_body = client.post(url(slug, "admin", "wallets", "top-up"), {"member": member.user.pk, "amount": "31.00"},
                             format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert a.status_code == 201 and b.status_code == 201
    assert b.json()["member"] == leader.user.pk and b.json()["amount"] == "20.00"
    assert replay.json() == a.json()
    assert_error(other_body, 422, "idempotency_key_reused")
    balances = dict(Wallet.objects.filter(community=owner.community).values_list("member_id", "balance"))
    assert balances == {member.user.pk: Decimal("30.00"), leader.user.pk: Decimal("20.00")}


def test_top_ups_beyond_what_a_wallet_holds_are_refused_not_a_500(api_as, owner, admin_member, member):
    slug = owner.community.slug
    client = api_as(admin_member.user)
    for i in range(10):
        assert client.post(url(slug, "admin", "wallets", "top-up"), {"member": member.user.pk, "amount": "999999.99"},
                           format="json", HTTP_IDEMPOTENCY_KEY=f"big-{i}").status_code == 201
    assert_error(client.post(url(slug, "admin", "wallets", "top-up"), {"member": member.user.pk,
                                                                     "amount": "999999.99"},
                             format="json", HTTP_IDEMPOTENCY_KEY="big-x"), 400, "balance_too_large")
    assert_error(client.post(url(slug, "admin", "wallets", "top-up"), {"member": member.user.pk,
                                                                     "amount": "1000000.01"},
                             format="json", HTTP_IDEMPOTENCY_KEY="big-y"), 400)
    assert Wallet.objects.get(member=member.user).balance == Decimal("9999999.90")
    assert WalletEntry.objects.filter(wallet__member=member.user).count() == 10


# Free orders, commission --------------------------------------------------------------------------

def test_a_free_order_needs_no_payment_row(owner, member, place):
    group_buy = make_group_buy(owner, price="0.00")
    order = place(member, group_buy)
    services.order_pay_with_wallet(member=member, order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert not Payment.objects.filter(charge=order.charge).exists()
    assert not WalletEntry.objects.exists()


# Orders' lines and locks -------------------------------------------------------------------------

def test_a_huge_body_of_lines_is_refused_before_it_is_merged(api_as, owner, member):
    group_buy = make_group_buy(owner)
    item = group_buy.items.get().pk
    lines = [{"item": item, "quantity": 1 if i % 2 else -1} for i in range(20000)] + [{"item": item, "quantity": 1}]
    with CaptureQueriesContext(connection) as queries:
        response = api_as(member.user).post(url(owner.community.slug, "orders"),
                                            {"group_buy": group_buy.pk, "lines": lines,
                                             "pickup_point": group_buy.pickup_points.get().pk},
                                            format="json", HTTP_IDEMPOTENCY_KEY="huge")
    assert response.status_code == 400, response.content
    assert not Order.objects.exists() and len(queries) < 10
    with pytest.raises(Exception) as error:
        services.order_place(member=member, group_buy=group_buy, lines=[(item, 1)] * 51, idempotency_key="k")
    assert error.value.code == "invalid"


def test_giving_units_back_takes_the_allowance_before_the_item_as_placing_does(owner, member, place):
    """Placing takes the member's allowance, then the item; cancelling must too, or a re-order racing
    the cancellation of the same member's other order deadlocks."""
    group_buy = make_group_buy(owner, limit=3)
    order = place(member, group_buy)
    with CaptureQueriesContext(connection) as placing:
        place(member, group_buy)
    with CaptureQueriesContext(connection) as cancelling:
        services.order_cancel(member=member, order=order)

    def order_of_tables(queries):
        seen = []
        for q in queries:
            sql = q["sql"]
            for table in (MemberAllowance._meta.db_table, "orders_groupbuyitem"):
                if table in sql and ("UPDATE" in sql or "INSERT" in sql) and table not in seen:
                    seen.append(table)
        return seen

    assert order_of_tables(placing.captured_queries) == ["orders_memberallowance", "orders_groupbuyitem"]
    assert order_of_tables(cancelling.captured_queries) == ["orders_memberallowance", "orders_groupbuyitem"]
