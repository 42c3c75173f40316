"""Orders' periodic jobs, run by core.sweeps from Celery beat (see CELERY_BEAT_SCHEDULE).

Each claims its row in the lock order of orders.services (round → team → order), settles it in
its own transaction, and a row that fails is recorded and retried later while the others go on.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.sweeps import Sweep, register
from orders import services
from orders.models import GroupBuy, Order, Team
from payments.models import Payment


class _RoundSweep(Sweep):
    def console_url(self, group_buy):
        return reverse("orders_console:group_buy", kwargs={"slug": group_buy.community.slug, "pk": group_buy.pk})

    def claim(self, pk, now):
        # NO KEY UPDATE: orders committing meanwhile check their foreign key to the round (FOR KEY
        # SHARE, deferred to their commit) after taking their item's row; FOR UPDATE would deadlock.
        return (self.due(now).filter(pk=pk).select_related("community")
                .select_for_update(skip_locked=True, of=("self",), no_key=True).first())


@register
class OpenRounds(_RoundSweep):
    name = "orders.open_group_buys"
    label = _("Opening scheduled group-buys")

    def due(self, now):
        return GroupBuy.objects.filter(status=GroupBuy.Status.SCHEDULED, opens_at__lte=now).order_by("opens_at")

    def settle(self, group_buy, now):
        services.group_buy_open(group_buy)


@register
class CloseRounds(_RoundSweep):
    name = "orders.close_group_buys"
    label = _("Closing group-buys")
    batch = 20

    def due(self, now):
        return GroupBuy.objects.filter(services._due_to_close(now)).order_by("closes_at")

    def settle(self, group_buy, now):
        services.group_buy_settle(group_buy)


@register
class RemindClosing(_RoundSweep):
    name = "orders.remind_closing"
    label = _("Reminding members that a group-buy closes soon")

    def due(self, now):
        return GroupBuy.objects.filter(status=GroupBuy.Status.OPEN, closing_reminder_sent_at__isnull=True,
                                       closes_at__gt=now, closes_at__lte=now + services.CLOSING_SOON
                                       ).order_by("closes_at")

    def settle(self, group_buy, now):
        services.group_buy_remind_closing(group_buy, now)


class _OrderSweep(Sweep):
    def console_url(self, order):
        return reverse("orders_console:group_buy", kwargs={"slug": order.community.slug, "pk": order.group_buy_id})

    def describe(self, order):
        return _("Order #%(id)s") % {"id": order.pk}


@register
class ExpireUnpaid(_OrderSweep):
    name = "orders.expire_unpaid"
    label = _("Cancelling unpaid orders")
    batch = 200

    def due(self, now):
        # Orders of rounds past their close are the closing sweep's; reported transfers wait for an admin.
        return (Order.objects.filter(status=Order.Status.PENDING_PAYMENT, expires_at__lte=now,
                                     group_buy__closes_at__gt=now)
                .exclude(services._transfer_waiting()).order_by("expires_at", "pk"))

    def claim(self, pk, now):
        # Lock order: round (shared), team, then the order, as every change to one order.
        heads = Order.objects.filter(pk=pk).values_list("group_buy_id", "team_id").first()
        if heads is None:
            return None
        services._lock_round(heads[0], share=True)
        services._lock_team(heads[1])
        return (self.due(now).filter(pk=pk).select_related("charge", "community")
                .select_for_update(skip_locked=True, of=("self",)).first())

    def settle(self, order, now):
        services.order_expire(order)


@register
class RemindUnpaid(_OrderSweep):
    name = "orders.remind_unpaid"
    label = _("Reminding members of unpaid orders")
    batch = 500

    def due(self, now):
        # An order whose transfer is reported does not expire: no "pay now or lose it" for it.
        return (Order.objects.filter(status=Order.Status.PENDING_PAYMENT, expiry_reminder_sent=False,
                                     expires_at__gt=now, expires_at__lte=now + services.EXPIRY_SOON)
                .exclude(services._transfer_waiting()).order_by("expires_at", "pk"))

    def claim(self, pk, now):
        return (self.due(now).filter(pk=pk).select_related("member", "group_buy", "community")
                .select_for_update(skip_locked=True, of=("self",)).first())

    def settle(self, order, now):
        services.order_remind_unpaid(order)


@register
class SettleTeams(Sweep):
    name = "orders.settle_teams"
    label = _("Settling team purchases whose window ended")

    def due(self, now):
        return Team.objects.filter(status=Team.Status.FORMING, expires_at__lte=now).order_by("expires_at")

    def claim(self, pk, now):
        # Lock order: the round (exclusive: the whole team's orders change), then the team.
        group_buy_id = Team.objects.filter(pk=pk).values_list("group_buy_id", flat=True).first()
        if group_buy_id is None:
            return None
        services._lock_round(group_buy_id, share=False)
        return self.due(now).filter(pk=pk).select_related("community").select_for_update(
            skip_locked=True, of=("self",)).first()

    def settle(self, team, now):
        services.team_fail(team, now)

    def console_url(self, team):
        return reverse("orders_console:group_buy", kwargs={"slug": team.community.slug, "pk": team.group_buy_id})


@register
class RemindTransfers(Sweep):
    name = "orders.remind_transfers"
    label = _("Reminding admins of transfers waiting for confirmation")

    def due(self, now):
        return Payment.objects.filter(status=Payment.Status.PENDING, reminded_at__isnull=True,
                                      charge__purpose="order",
                                      created_at__lte=now - services.TRANSFER_WAITING_REMINDER).order_by("created_at")

    def settle(self, payment, now):
        services.transfer_remind_admins(payment, now)

