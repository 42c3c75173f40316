"""Recording that a member saw a round (the top of the 接龙 funnel in analytics): one row per member
and round, the first time they open it. The one writer of ``orders.models.RoundView``."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from communities.models import Membership
from orders.models import GroupBuy, RoundView


def round_seen(*, membership: Membership | None, group_buy: GroupBuy, now: datetime | None = None) -> bool:
    """Count ``membership``'s member as having seen ``group_buy`` (once: a second view, or two at the
    same instant, store nothing more). Only an active member of the round's community counts (a
    leader or an admin viewing counts too). One INSERT, no read first; True when this view was the first."""
    if membership is None or not membership.is_active or membership.community_id != group_buy.community_id:
        return False
    table = RoundView._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (community_id, group_buy_id, member_id, first_seen_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (group_buy_id, member_id) DO NOTHING",
            [group_buy.community_id, group_buy.pk, membership.user_id, now or timezone.now()])
        return cursor.rowcount == 1
