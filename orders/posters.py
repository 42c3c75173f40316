"""What a round's and a team's share posters show (core.posters draws and caches them), and the
same words for link cards and the preview: price, progress ("还差 8 件成团"), closing time."""

from __future__ import annotations

import math
import zoneinfo
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.posters import Poster
from core.templatetags.money import money
from orders import jielong, selectors, services
from orders.models import GroupBuy, Team


def _local(community, instant) -> str:
    return timezone.localtime(instant, zoneinfo.ZoneInfo(community.timezone)).strftime("%m-%d %H:%M")


def progress_words(group_buy: GroupBuy, progress) -> str:
    """How far the round is from going ahead, in a few words ("还差 8 件成团", "已成团")."""
    rule = group_buy.success_rule
    if group_buy.status in (GroupBuy.Status.FAILED, GroupBuy.Status.CANCELLED):
        return ""
    if rule == GroupBuy.SuccessRule.NONE:
        if not progress.buyers:
            return ""
        return ngettext("%(n)s person has ordered", "%(n)s people have ordered", progress.buyers) % {
            "n": progress.buyers}
    if progress.reached:
        return _("Goal reached")
    missing = progress.target - {GroupBuy.SuccessRule.MIN_QUANTITY: Decimal(progress.quantity),
                                 GroupBuy.SuccessRule.MIN_BUYERS: Decimal(progress.buyers)}.get(rule, progress.amount)
    if rule == GroupBuy.SuccessRule.MIN_AMOUNT:
        return _("%(amount)s more to go ahead") % {"amount": money(missing, group_buy.community.currency)}
    n = math.ceil(missing)
    if rule == GroupBuy.SuccessRule.MIN_BUYERS:
        return ngettext("%(n)s more person to go ahead", "%(n)s more people to go ahead", n) % {"n": n}
    return ngettext("%(n)s more unit to go ahead", "%(n)s more units to go ahead", n) % {"n": n}


def team_progress_words(team: Team) -> str:
    if team.status == Team.Status.SUCCEEDED:
        return _("Goal reached")
    if team.status != Team.Status.FORMING:
        return team.get_status_display()
    n = max(0, team.size - team.paid_count)
    return ngettext("%(n)s more person to go ahead", "%(n)s more people to go ahead", n) % {"n": n}


def when_words(group_buy: GroupBuy) -> str:
    """Closing (or opening) time in the community's timezone, or the round's state once it is over."""
    community = group_buy.community
    if group_buy.status == GroupBuy.Status.OPEN and timezone.now() < group_buy.closes_at:
        return _("Closes %(time)s") % {"time": _local(community, group_buy.closes_at)}
    if group_buy.status == GroupBuy.Status.SCHEDULED:
        return _("Opens %(time)s") % {"time": _local(community, group_buy.opens_at)}
    if group_buy.status == GroupBuy.Status.OPEN:
        return _("Closed")
    return group_buy.get_status_display()


def headline_price(group_buy: GroupBuy) -> tuple[str, str]:
    """(group price, list price) of the round's cheapest item at today's tier, formatted; the list
    price only when it is higher. "from" before the price when items differ."""
    items = list(group_buy.items.all())
    if not items:
        return "", ""
    sold = selectors.sold_by_item(group_buy) if any(item.tiers.all() for item in items) else {}
    priced = [(services.current_tier_price(item, sold.get(item.pk, 0)), item) for item in items]
    price, item = min(priced, key=lambda pair: (pair[0], pair[1].position, pair[1].pk))
    currency = group_buy.community.currency
    shown = money(price, currency)
    if len({p for p, _item in priced}) > 1:
        shown = _("%(price)s up") % {"price": shown}
    list_price = item.product.list_price
    return shown, money(list_price, currency) if list_price and list_price > price else ""


def cover_photo(group_buy: GroupBuy):
    """The first product photo of the round (an ImageField file), or None."""
    for item in group_buy.items.all():
        image = item.product.main_image
        if image:
            return image
    return None


def group_buy_poster(request, group_buy: GroupBuy) -> Poster:
    progress = services.group_buy_progress(group_buy)
    price, list_price = headline_price(group_buy)
    photo = cover_photo(group_buy)
    show_bar = group_buy.success_rule != GroupBuy.SuccessRule.NONE and group_buy.status not in (
        GroupBuy.Status.FAILED, GroupBuy.Status.CANCELLED)
    return Poster(
        title=group_buy.title, url=request.build_absolute_uri(group_buy.get_absolute_url()),
        footer=group_buy.community.name, hint=_("Long-press the QR code to join in"),
        photo=photo.image.name if photo else "", price=price, list_price=list_price,
        progress=progress_words(group_buy, progress), ratio=progress.ratio if show_bar else None,
        lines=(when_words(group_buy),))


def team_poster(request, team: Team) -> Poster:
    group_buy = team.group_buy
    price, list_price = headline_price(group_buy)
    photo = cover_photo(group_buy)
    leader = jielong.buyer_name(team.leader.display_name, group_buy.community.jielong_names)
    lines = [_("%(name)s's team of %(n)s") % {"name": leader[:20], "n": team.size}]
    if team.status == Team.Status.FORMING:
        lines.append(_("Forming until %(time)s") % {"time": _local(group_buy.community, team.expires_at)})
    return Poster(
        title=group_buy.title, url=request.build_absolute_uri(team.get_absolute_url()),
        footer=group_buy.community.name, hint=_("Long-press the QR code to join the team"),
        photo=photo.image.name if photo else "", price=price, list_price=list_price,
        progress=team_progress_words(team), ratio=min(1.0, team.paid_count / team.size) if team.size else None,
        lines=tuple(lines))
