"""Repurchase prompts (定时复购提醒): tell a member, once, that something they buy regularly is
probably running out, and open the round that sells it with it in the basket.

What counts as a purchase: a **completed** order (picked up or delivered). A household starts
using what it bought when it has it, so the cycle runs from ``completed_at``; an order still on its
way (paid, ready, shipped) is a purchase in flight and holds the prompt back instead; a cancelled
or refunded one is no purchase at all. For each member and product, the latest completed order
with it is "the last purchase"::

    due = completed_at + quantity × consumption cycle × (1 − lead)

and a prompt goes out, once the community's local time is past ``SEND_FROM`` on the day ``due``
falls on (or later, within ``STALE_AFTER``), only when all of these hold:

- prompts are switched on for the community, and the product has a consumption cycle;
- the member has not bought it since (no live order with it placed after the last purchase) and
  has no live order with it in a round that is open;
- the product is in an open round the member can see (a round aimed at branches only reaches
  theirs; owners and admins see every round), with units left;
- the member is still an active member (and their account is active), has not opted out of
  ``repurchase_prompt`` on every channel (an e-mail-only opt-out still gets the inbox one);
- no repurchase prompt reached them in this community in the last ``repurchase_cap_days`` days,
  and this purchase was not prompted before (the unique key).

At most one prompt per member per run: the most overdue. The due set is found in one SQL
statement over the items on sale (few) and the order lines of their products, never a loop over
every member's orders. ``repurchase_prompt_send`` writes the prompt (INSERT … ON CONFLICT DO
NOTHING on the unique key) and only when the row was inserted writes the notice, in one
transaction under the member's membership row lock, so a rerun, a retried task or two workers at
once send each message once and the frequency cap holds.

The holdout (对照组): with ``repurchase_holdout_percent`` above 0, that share of the members due
is held out: the prompt is recorded (``held_out``, ``sent_at`` = when it would have gone out) but
no notice is sent, and the member never sees it. Who is held out is a stable hash of the purchase
(``is_held_out``), so a rerun, a retried task or two workers decide alike. A held-out row counts for
the frequency cap and the unique key like a sent one, and converts by the same rule, so analytics
compares the two groups measured alike.

Conversion: an order of the product placed by the member within ``CONVERSION_WINDOW`` after the
prompt was sent, counted once it completes (the ``order.completed`` event: a placed order that is
then cancelled or expires unpaid sold nothing), and uncounted if that order is later refunded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from django.conf import settings as django_settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Product
from communities.models import Community, Membership
from core.models import NotificationOptOut
from core.notifications import in_language_of, notify
from engagement.models import EngagementSettings, RepurchasePrompt
from orders.models import GroupBuy, GroupBuyItem, Order, OrderLine

KIND = "repurchase_prompt"
SEND_FROM = time(10, 0)  # community's local time from which the day's prompts go out
STALE_AFTER = timedelta(days=30)  # a purchase whose prompt fell due longer ago is left alone
CONVERSION_WINDOW = timedelta(days=7)
DEFAULT_LEAD = EngagementSettings._meta.get_field("repurchase_lead").default
DEFAULT_CAP_DAYS = EngagementSettings._meta.get_field("repurchase_cap_days").default
LIVE = ("pending_payment", "paid", "confirmed", "ready", "shipped", "completed")


def due_at(*, bought_at: datetime, quantity: int, cycle_days: int, lead) -> datetime:
    """When a purchase is due for a prompt (the rule the SQL below applies, for tests and pages)."""
    return bought_at + timedelta(days=quantity * cycle_days * (1 - float(lead)))


# The selector -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    """One member due for a prompt: the product, the purchase it follows, where to buy it again."""

    membership_id: int
    community_id: int
    member_id: int
    product_id: int
    last_order_id: int
    quantity: int
    due_at: datetime
    due_on: date
    group_buy_id: int
    item_id: int


_NAMED = re.compile(r"%\((\w+)\)s")


def _positional(sql: str, params: dict) -> tuple[str, list]:
    """Named placeholders as positional ones (RawSQL subqueries take a list)."""
    values: list = []

    def repl(match):
        values.append(params[match.group(1)])
        return "%s"

    return _NAMED.sub(repl, sql), values


@lru_cache(maxsize=4)
def _due_sql(*, one_member: bool, one_community: bool) -> str:
    t = {
        "community": Community._meta.db_table, "settings": EngagementSettings._meta.db_table,
        "round": GroupBuy._meta.db_table, "item": GroupBuyItem._meta.db_table, "product": Product._meta.db_table,
        "order": Order._meta.db_table, "line": OrderLine._meta.db_table, "membership": Membership._meta.db_table,
        "user": User._meta.db_table, "opt_out": NotificationOptOut._meta.db_table,
        "prompt": RepurchasePrompt._meta.db_table, "branches": GroupBuy.branches.through._meta.db_table,
    }
    branches = GroupBuy.branches.through._meta
    b_round, b_branch = branches.get_field("groupbuy").column, branches.get_field("community").column
    community_filter = 'AND c."id" = %(community)s' if one_community else ""
    # One member: their orders by the (community, member, created_at) index.
    member_filter = 'AND o."community_id" = %(community)s AND o."member_id" = %(member)s' if one_member else ""
    return f"""
WITH rules AS (
    SELECT c."id" AS community_id, c."timezone" AS tz,
           COALESCE(s."repurchase_lead", %(lead)s)::float8 AS lead,
           COALESCE(s."repurchase_cap_days", %(cap_days)s) AS cap_days,
           (%(now)s::timestamptz AT TIME ZONE c."timezone")::date AS today
    FROM "{t['community']}" c
    LEFT JOIN "{t['settings']}" s ON s."community_id" = c."id"
    WHERE c."parent_id" IS NULL AND COALESCE(s."repurchase_enabled", TRUE)
      AND (%(now)s::timestamptz AT TIME ZONE c."timezone")::time >= %(send_from)s::time
      {community_filter}
),
on_sale AS (
    SELECT i."id" AS item_id, i."group_buy_id", i."product_id", g."community_id", g."closes_at"
    FROM "{t['item']}" i
    JOIN "{t['round']}" g ON g."id" = i."group_buy_id" AND g."community_id" = i."community_id"
    JOIN "{t['product']}" p ON p."id" = i."product_id"
    JOIN rules r ON r.community_id = g."community_id"
    WHERE g."status" = 'open' AND g."opens_at" <= %(now)s AND g."closes_at" > %(now)s
      AND i."is_open" AND i."quantity_sold" < i."quantity_on_offer"
      AND p."consumption_cycle_days" IS NOT NULL
),
last_buys AS (
    SELECT DISTINCT ON (o."member_id", l."product_id")
           o."community_id", o."member_id", l."product_id", o."id" AS order_id, o."created_at" AS ordered_at,
           o."completed_at", l."quantity"
    FROM "{t['line']}" l
    JOIN "{t['order']}" o ON o."id" = l."order_id"
    WHERE l."product_id" IN (SELECT DISTINCT product_id FROM on_sale)
      AND o."status" = 'completed' AND o."completed_at" IS NOT NULL
      {member_filter}
    ORDER BY o."member_id", l."product_id", o."completed_at" DESC, o."id" DESC
),
due AS (
    SELECT b.*, r.tz, r.today, r.cap_days,
           b."completed_at" + (b."quantity" * p."consumption_cycle_days" * (1 - r.lead)) * interval '1 day' AS due_at
    FROM last_buys b
    JOIN rules r ON r.community_id = b."community_id"
    JOIN "{t['product']}" p ON p."id" = b."product_id"
)
SELECT DISTINCT ON (d."community_id", d."member_id")
       m."id" AS membership_id, d."community_id", d."member_id", d."product_id", d.order_id, d."quantity",
       d.due_at, (d.due_at AT TIME ZONE d.tz)::date AS due_on, target.group_buy_id, target.item_id
FROM due d
JOIN "{t['membership']}" m ON m."community_id" = d."community_id" AND m."user_id" = d."member_id"
     AND m."status" = 'active'
JOIN "{t['user']}" u ON u."id" = d."member_id" AND u."is_active"
JOIN LATERAL (
    SELECT s.group_buy_id, s.item_id FROM on_sale s
    WHERE s.product_id = d."product_id" AND s.community_id = d."community_id"
      AND (m."role" IN ('owner', 'admin')
           OR NOT EXISTS (SELECT 1 FROM "{t['branches']}" x WHERE x."{b_round}" = s.group_buy_id)
           OR EXISTS (SELECT 1 FROM "{t['branches']}" x WHERE x."{b_round}" = s.group_buy_id
                      AND x."{b_branch}" = m."branch_id"))
    ORDER BY s.closes_at, s.group_buy_id
    LIMIT 1
) target ON TRUE
WHERE (d.due_at AT TIME ZONE d.tz)::date <= d.today
  AND d.due_at > %(now)s::timestamptz - %(stale_after)s::interval
  AND NOT EXISTS (SELECT 1 FROM "{t['opt_out']}" x
                  WHERE x."user_id" = d."member_id" AND x."kind" = %(kind)s AND x."channel" = 'all')
  AND NOT EXISTS (SELECT 1 FROM "{t['prompt']}" x
                  WHERE x."community_id" = d."community_id" AND x."member_id" = d."member_id"
                    AND x."sent_at" > %(now)s::timestamptz - d.cap_days * interval '1 day')
  AND NOT EXISTS (SELECT 1 FROM "{t['prompt']}" x
                  WHERE x."community_id" = d."community_id" AND x."member_id" = d."member_id"
                    AND x."product_id" = d."product_id" AND x."last_order_id" = d.order_id)
  AND NOT EXISTS (SELECT 1 FROM "{t['order']}" o2
                  JOIN "{t['line']}" l2 ON l2."order_id" = o2."id"
                  JOIN "{t['round']}" g2 ON g2."id" = o2."group_buy_id"
                  WHERE o2."community_id" = d."community_id" AND o2."member_id" = d."member_id"
                    AND l2."product_id" = d."product_id" AND o2."status" = ANY(%(live)s)
                    AND ((o2."id" <> d.order_id AND o2."created_at" > d.ordered_at) OR g2."status" = 'open'))
ORDER BY d."community_id", d."member_id", d.due_at, d."product_id"
"""


def _params(now: datetime, **extra) -> dict:
    return {"now": now, "lead": DEFAULT_LEAD, "cap_days": DEFAULT_CAP_DAYS, "send_from": SEND_FROM,
            "stale_after": STALE_AFTER, "kind": KIND, "live": list(LIVE), **extra}


def due_prompts(now: datetime, *, community_id: int | None = None, member_id: int | None = None) -> list[Due]:
    """Members due for a prompt at ``now`` (one each, the most overdue), in one statement."""
    if member_id is not None and community_id is None:
        raise ValueError("A member is due in a community: give community_id too.")
    sql = _due_sql(one_member=member_id is not None, one_community=community_id is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(now, community=community_id, member=member_id))
        return [Due(*row) for row in cursor.fetchall()]


def due_memberships_sql(now: datetime) -> tuple[str, list]:
    """The ids of the memberships due at ``now``, as SQL for a subquery (the sweep's due rows)."""
    sql = _due_sql(one_member=False, one_community=False)
    return _positional(f"SELECT due.membership_id FROM ({sql}) due", _params(now))


def is_held_out(due: Due, percent: int) -> bool:
    """Whether this due purchase falls in the holdout: sha256 of (community, member, product, last
    order) modulo 100 below ``percent``. Deterministic (no random, no clock), so every run, retry
    and worker decides the same; keyed on the purchase, so one member is not held out for ever."""
    if percent <= 0:
        return False
    key = f"{due.community_id}:{due.member_id}:{due.product_id}:{due.last_order_id}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 100 < percent


# The service ------------------------------------------------------------------------------------

class _NotSent(Exception):
    """Rolls back a prompt whose notice did not go out (the member opted out meanwhile)."""


def repurchase_prompt_send(*, due: Due, now: datetime | None = None) -> RepurchasePrompt | None:
    """Record the prompt and tell the member, once: None when this purchase was prompted already,
    a prompt reached the member within the cap, or they opted out. A member in the holdout
    (``is_held_out``) gets the row (``held_out``) and no notice.

    One transaction: the member's membership row is locked first (FOR NO KEY UPDATE: two workers
    prompting the same member queue up here), the cap, the opt-out and the round's item are checked
    again under it, then the prompt is inserted ON CONFLICT DO NOTHING on its unique key and only an inserted row
    is notified (the notice's dedupe key is the prompt's)."""
    now = now or timezone.now()
    with transaction.atomic():
        membership = (Membership.objects.select_for_update(no_key=True).select_related("community", "user")
                      .filter(pk=due.membership_id, community_id=due.community_id, user_id=due.member_id,
                              status=Membership.Status.ACTIVE).first())
        if membership is None:
            return None
        rules = EngagementSettings.objects.filter(community_id=due.community_id).first()
        cap_days = rules.repurchase_cap_days if rules else DEFAULT_CAP_DAYS
        if rules is not None and not rules.repurchase_enabled:
            return None
        if RepurchasePrompt.objects.filter(community_id=due.community_id, member_id=due.member_id,
                                           sent_at__gt=now - timedelta(days=cap_days)).exists():
            return None
        if NotificationOptOut.objects.filter(user_id=due.member_id, kind=KIND,
                                             channel=NotificationOptOut.Channel.ALL).exists():
            return None
        if not GroupBuyItem.objects.filter(pk=due.item_id, product_id=due.product_id, group_buy_id=due.group_buy_id,
                                           community_id=due.community_id, is_open=True,
                                           group_buy__status=GroupBuy.Status.OPEN).exists():
            return None  # the round closed or the item went since the due rows were read
        # The holdout row is written like a sent one, on purpose: the cap above and the unique key
        # then hold a held-out member back exactly as a prompted one (no prompt on the next run,
        # none for another product within the cap). Otherwise the next run would prompt them after
        # all, and the two groups would differ in more than the notice.
        held_out = is_held_out(due, rules.repurchase_holdout_percent if rules else 0)
        try:
            with transaction.atomic():
                prompt_id = _insert(due, now, held_out=held_out)
                if prompt_id is None:
                    return None
                if held_out:
                    return RepurchasePrompt.objects.get(pk=prompt_id)
                prompt = RepurchasePrompt.objects.select_related("product", "group_buy", "item").get(pk=prompt_id)
                if _notify(prompt, membership, due.quantity) is None:
                    raise _NotSent
        except _NotSent:
            return None
    return prompt


def _insert(due: Due, now: datetime, *, held_out: bool = False) -> int | None:
    table = RepurchasePrompt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO "{table}" (community_id, member_id, product_id, last_order_id, group_buy_id, item_id,
                                       due_on, sent_at, held_out)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (community_id, member_id, product_id, last_order_id) DO NOTHING RETURNING id""",
            [due.community_id, due.member_id, due.product_id, due.last_order_id, due.group_buy_id, due.item_id,
             due.due_on, now, held_out])
        row = cursor.fetchone()
    return row[0] if row else None


def open_url(prompt: RepurchasePrompt, community: Community) -> str:
    return reverse("engagement:repurchase_open", kwargs={"slug": community.slug, "prompt_id": prompt.pk})


def stop_url(prompt: RepurchasePrompt, community: Community) -> str:
    return reverse("engagement:repurchase_stop", kwargs={"slug": community.slug, "prompt_id": prompt.pk})


def _notify(prompt: RepurchasePrompt, membership: Membership, quantity: int):
    community, member, product = membership.community, membership.user, prompt.product
    with in_language_of(member):
        title = _("Running low on %(product)s?") % {"product": product.name}
        body = "\n\n".join([
            _("The %(product)s you bought last time (%(quantity)s %(unit)s) should be running out about now. "
              "It is on sale in “%(round)s”: one tap puts it in your basket.") % {
                "quantity": quantity, "unit": product.unit, "product": product.name,
                "round": prompt.group_buy.title},
            _("Stop these reminders: %(url)s") % {"url": django_settings.SITE_URL + stop_url(prompt, community)},
        ])
        return notify(recipient=member, community=community, kind=KIND, title=title, body=body,
                      url=open_url(prompt, community), dedupe_key=f"repurchase:{prompt.pk}")


# Member side ------------------------------------------------------------------------------------

def prompt_for_member(membership: Membership, prompt_id: int) -> RepurchasePrompt | None:
    """The member's own prompt in this community (None for anyone else's, and for a held-out one,
    which was never sent: pages answer 404)."""
    return (RepurchasePrompt.objects.select_related("product", "group_buy", "item", "last_order")
            .filter(pk=prompt_id, community_id=membership.community_id, member_id=membership.user_id,
                    held_out=False).first())


def repurchase_prompt_open(*, membership: Membership, prompt: RepurchasePrompt, now: datetime | None = None) -> bool:
    """Mark the prompt opened (the first time only); True when this call marked it."""
    if (prompt.member_id != membership.user_id or prompt.community_id != membership.community_id
            or prompt.held_out):
        return False
    now = now or timezone.now()
    marked = RepurchasePrompt.objects.filter(pk=prompt.pk, opened_at__isnull=True).update(opened_at=now)
    if marked:
        prompt.opened_at = now
    return bool(marked)


def basket_for(membership: Membership, prompt: RepurchasePrompt) -> tuple[GroupBuy, GroupBuyItem, int] | None:
    """Where to buy the prompt's product again now and how many: the prompt's round while it is open
    and visible to the member with units left, else another such round with it (closing first);
    the quantity last bought, capped by the item's per-member limit and what is left. None when it
    is on sale nowhere the member can see."""
    from orders.selectors import group_buys_for_member

    now = timezone.now()
    visible = group_buys_for_member(membership).filter(status=GroupBuy.Status.OPEN, opens_at__lte=now,
                                                       closes_at__gt=now).values("pk")
    items = (GroupBuyItem.objects.select_related("group_buy")
             .filter(community_id=membership.community_id, product_id=prompt.product_id, is_open=True,
                     group_buy_id__in=visible, quantity_sold__lt=F("quantity_on_offer"))
             .order_by("group_buy__closes_at", "group_buy_id"))
    chosen = next((i for i in items if i.pk == prompt.item_id), None) or items.first()
    if chosen is None:
        return None
    last = (OrderLine.objects.filter(order_id=prompt.last_order_id, product_id=prompt.product_id)
            .values_list("quantity", flat=True).first()) or 1
    quantity = min(last, chosen.remaining)
    if chosen.per_member_limit is not None:
        quantity = min(quantity, chosen.per_member_limit)
    return chosen.group_buy, chosen, max(quantity, 1)


def repurchase_opt_out(*, user) -> bool:
    """Stop repurchase prompts on every channel (one opt-out row, written once: the user's other
    opt-outs stay as they are). True when it was added now."""
    table = NotificationOptOut._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO "{table}" (user_id, kind, channel) VALUES (%s, %s, %s)
                ON CONFLICT (user_id, kind, channel) DO NOTHING RETURNING id""",
            [user.pk, KIND, NotificationOptOut.Channel.ALL])
        return cursor.fetchone() is not None


def is_opted_out(user) -> bool:
    return NotificationOptOut.objects.filter(user_id=user.pk, kind=KIND,
                                             channel=NotificationOptOut.Channel.ALL).exists()


def my_prompts(membership: Membership):
    """The prompts the member received (never a held-out one: it was not sent)."""
    return (RepurchasePrompt.objects.filter(community_id=membership.community_id, member_id=membership.user_id,
                                            held_out=False)
            .select_related("product", "group_buy").order_by("-sent_at", "-id"))


# Console ----------------------------------------------------------------------------------------

def prompts_for_console(community: Community):
    """The community's prompts, newest first, with what the list shows (a fixed number of queries)."""
    return (RepurchasePrompt.objects.filter(community_id=community.pk)
            .select_related("member", "product", "group_buy", "converted_order").order_by("-sent_at", "-id"))


SUMMARY_DAYS = 30


def summary(community: Community, *, now: datetime | None = None, days: int = SUMMARY_DAYS) -> dict:
    """The last ``days`` days (the community's calendar days, today included): prompts sent, opened
    and followed by an order within 7 days, in all and per day (held-out rows were not sent: they
    are compared on the analytics page). Two aggregate queries over the (community, sent_at) index."""
    import zoneinfo

    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(community.timezone)
    today = timezone.localtime(now, tz).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(0), tzinfo=tz)
    rows = RepurchasePrompt.objects.filter(community_id=community.pk, sent_at__gte=since, sent_at__lte=now,
                                           held_out=False)
    counts = Count("id"), Count("id", filter=Q(opened_at__isnull=False)), \
        Count("id", filter=Q(converted_order__isnull=False))
    totals = rows.aggregate(sent=counts[0], opened=counts[1], converted=counts[2])
    by_day = {r["day"]: r for r in rows.annotate(day=TruncDate("sent_at", tzinfo=tz)).values("day")
              .annotate(sent=counts[0], opened=counts[1], converted=counts[2]).order_by("day")}
    per_day = []
    for n in range(days):
        day = today - timedelta(days=n)
        row = by_day.get(day, {})
        per_day.append({"day": day, "sent": row.get("sent", 0), "opened": row.get("opened", 0),
                        "converted": row.get("converted", 0)})
    sent = totals["sent"] or 0
    return {"days": days, "since": first, "sent": sent, "opened": totals["opened"] or 0,
            "converted": totals["converted"] or 0,
            "open_rate": round(100 * (totals["opened"] or 0) / sent) if sent else 0,
            "conversion_rate": round(100 * (totals["converted"] or 0) / sent) if sent else 0,
            "per_day": per_day}


# Conversion (domain events) ---------------------------------------------------------------------

def on_order_completed(event) -> None:
    """An order completed: the member's prompts for its products sent in the 7 days before it was
    placed count it as their conversion (once: only prompts not converted yet)."""
    order = (Order.objects.filter(pk=event.payload["order_id"], status=Order.Status.COMPLETED)
             .values("pk", "community_id", "member_id", "created_at").first())
    if order is None:
        return  # refunded meanwhile: no sale to count
    products = OrderLine.objects.filter(order_id=order["pk"]).values("product_id")
    (RepurchasePrompt.objects
     .filter(community_id=order["community_id"], member_id=order["member_id"], product_id__in=products,
             sent_at__lte=order["created_at"], sent_at__gt=order["created_at"] - CONVERSION_WINDOW,
             converted_order__isnull=True)
     .update(converted_order_id=order["pk"]))


def on_order_refunded(event) -> None:
    """A converting order was refunded: it sold nothing, so its prompts count another completed
    order in their window, if any, or none."""
    order_id = event.payload["order_id"]
    if Order.objects.filter(pk=order_id, status=Order.Status.COMPLETED).exists():
        return
    for prompt in RepurchasePrompt.objects.filter(converted_order_id=order_id):
        other = (Order.objects.filter(community_id=prompt.community_id, member_id=prompt.member_id,
                                      status=Order.Status.COMPLETED, lines__product_id=prompt.product_id,
                                      created_at__gte=prompt.sent_at,
                                      created_at__lt=prompt.sent_at + CONVERSION_WINDOW)
                 .order_by("created_at", "pk").values_list("pk", flat=True).first())
        RepurchasePrompt.objects.filter(pk=prompt.pk, converted_order_id=order_id).update(converted_order_id=other)


HANDLERS = {"order.completed": on_order_completed, "order.refunded": on_order_refunded}
