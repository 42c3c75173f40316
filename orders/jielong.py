"""The 接龙 list: who ordered what in a round, numbered in the order they ordered ("1. 张* +2 金煌芒").

Only live orders count (not cancelled, expired or refunded): a cancelled order leaves the list and
the numbers close up. Names are masked here, on the server, as the community chose (full, masked,
hidden): a page or an API never receives more than what it shows, and never a phone number or an
e-mail address (only the display name is read). One query per list: the numbers come from a
window function (and the count from another over the same rows), and the lines are aggregated
beside each order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Count, F, OuterRef, Subquery, Window
from django.db.models.functions import JSONObject, RowNumber
from django.utils.translation import gettext as _

from communities.models import Community
from orders.models import GroupBuy, Order, OrderLine
from orders.services import LIVE_STATUSES

RECENT = 10  # shown on the round page, newest first
PAGE = 50  # a page of the full list, first to order first

# What in a display name could be a phone number or an e-mail address: never shown in full.
_CONTACT = re.compile(r"\d{5,}|@")


@dataclass(frozen=True)
class Entry:
    number: int
    name: str
    lines: tuple[tuple[str, int], ...]  # (product name, quantity)
    mine: bool


@dataclass(frozen=True)
class JielongPage:
    entries: list[Entry]
    total: int  # live orders in the round
    page: int  # 0 for the newest-first list, else the page of the full list (from 1)
    has_next: bool


def buyer_name(display_name: str, mode: str) -> str:
    """The name the list shows for a buyer, as the community chose."""
    name = " ".join((display_name or "").split())
    if mode == Community.BuyerNames.HIDDEN or not name:
        return _("A buyer")
    if mode == Community.BuyerNames.FULL and not _CONTACT.search(name):
        return name
    return name[0] + "*"


def _numbered(group_buy: GroupBuy):
    lines = (OrderLine.objects.filter(order_id=OuterRef("pk")).order_by().values("order_id")
             .annotate(items=JSONBAgg(JSONObject(name=F("name"), quantity=F("quantity")), order_by="id"))
             .values("items"))
    return (Order.objects.filter(community_id=group_buy.community_id, group_buy_id=group_buy.pk,
                                 status__in=LIVE_STATUSES)
            .annotate(number=Window(RowNumber(), order_by=[F("created_at").asc(), F("id").asc()]),
                      orders_in_round=Window(Count("id")), items=Subquery(lines))
            .values("number", "orders_in_round", "member_id", "member__display_name", "items"))


def _entries(rows, mode: str, user_id) -> list[Entry]:
    return [Entry(number=row["number"], name=buyer_name(row["member__display_name"], mode),
                  lines=tuple((line["name"], line["quantity"]) for line in row["items"] or ()),
                  mine=row["member_id"] == user_id) for row in rows]


def recent(group_buy: GroupBuy, *, mode: str, user_id=None, limit: int = RECENT) -> JielongPage:
    """The newest orders first, with their numbers; the first number is the count."""
    rows = list(_numbered(group_buy).order_by("-number")[:limit])
    total = rows[0]["orders_in_round"] if rows else 0
    return JielongPage(entries=_entries(rows, mode, user_id), total=total, page=0, has_next=total > len(rows))


def full_page(group_buy: GroupBuy, *, mode: str, page: int, user_id=None) -> JielongPage:
    """Page ``page`` (from 1) of the whole list in the order of ordering."""
    start = (page - 1) * PAGE
    rows = list(_numbered(group_buy).filter(number__gt=start, number__lte=start + PAGE).order_by("number"))
    total = rows[0]["orders_in_round"] if rows else 0
    return JielongPage(entries=_entries(rows[:PAGE], mode, user_id), total=total, page=page,
                       has_next=start + PAGE < total)
