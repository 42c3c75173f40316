"""How a round reaches people: share posters, the public preview of a shared link, the 接龙 list.

A round's or a team's link opens the member page for active members; anyone else (not logged in,
or not a member) gets the preview: the round as it is (photos, prices, progress, the 接龙 list,
closing time) with one way in through the community's own sign-up and join flow, which brings
them back to the round (``next``). A community may keep previews to members: then strangers see
only the way to join. Another community's round, a draft, or an unknown id is 404 as ever.
"""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from communities.models import Community, JoinRequest, Membership
from communities.pages import community_page
from communities.permissions import Perm, has_perm, membership_of, rounds_in_view
from core.exceptions import DomainError, Forbidden, NotFound
from core.inputs import parse_id, parse_int
from core.pages import error_page
from core.posters import poster_response
from orders import jielong, posters, selectors, services
from orders.models import GroupBuy, Team


# Who sees which round -----------------------------------------------------------------------

def visible_round(community: Community, membership: Membership, pk: int) -> GroupBuy:
    """The round ``pk`` as this member may see it (drafts only for those who run rounds; a round
    aimed at other branches only for those who run it), or NotFound."""
    try:
        round_ = selectors.group_buy_detail(community, pk)
    except GroupBuy.DoesNotExist:
        raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
    manages = has_perm(membership, Perm.MANAGE_GROUP_BUYS)
    if round_.status == GroupBuy.Status.DRAFT and not manages:
        raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
    if not selectors.group_buys_for_member(membership).filter(pk=round_.pk).exists() \
            and not (manages and rounds_in_view(membership, community.group_buys).filter(pk=round_.pk).exists()):
        raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
    return round_


def _stranger_community(request, slug: str) -> tuple[Community, Membership | None]:
    """The community a stranger's link points into (top-level only); a banned person is refused."""
    community = Community.objects.filter(slug=slug, parent__isnull=True).first()
    if community is None:
        raise NotFound(_("Community not found."), code="community_not_found")
    membership = membership_of(request.user, community)
    if membership is not None and membership.status == Membership.Status.BANNED:
        raise Forbidden(_("You cannot join this community."), code="banned")
    timezone.activate(zoneinfo.ZoneInfo(community.timezone))
    return community, membership


def _previewed_round(community: Community, pk) -> GroupBuy:
    """A round a stranger may preview: any published one (drafts do not exist for them)."""
    pk = parse_id(pk)
    try:
        round_ = selectors.group_buy_detail(community, pk or 0)
    except GroupBuy.DoesNotExist:
        round_ = None
    if round_ is None or round_.status not in selectors.MEMBER_VISIBLE:
        raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
    return round_


def _previewed_team(community: Community, code: str) -> Team:
    team = community.teams.filter(code=code[:12]).select_related("group_buy__community", "leader").first()
    if team is None or team.group_buy.status not in selectors.MEMBER_VISIBLE:
        raise NotFound(_("This team does not exist."), code="team_not_found")
    return team


def stranger_page(view):
    """A preview view: the community and the stranger's membership (left, or none) resolved,
    domain errors shown as the error page."""
    def wrapper(request, slug, *args, **kwargs):
        try:
            community, membership = _stranger_community(request, slug)
            return view(request, community, membership, *args, **kwargs)
        except DomainError as error:
            return error_page(request, error)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def preview_page(view):
    """A stranger's page of a round or a team: where previews are for members, the way in instead."""
    @stranger_page
    def wrapper(request, community, membership, *args, **kwargs):
        if community.previews_members_only:
            return _locked(request, community, request.get_full_path())
        return view(request, community, membership, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


# What the pages share -----------------------------------------------------------------------

def _names_mode(community: Community) -> str:
    return community.jielong_names


def join_prompt(request, community: Community, back: str) -> dict:
    """The one way in for a stranger: sign up (or log in), then join by the community's own rule,
    then back to ``back``."""
    join_url = f"{reverse('communities:join', kwargs={'slug': community.slug})}?{urlencode({'next': back})}"
    pending = request.user.is_authenticated and JoinRequest.objects.filter(
        community=community, user=request.user, status=JoinRequest.Status.PENDING).exists()
    policy = community.join_policy
    after_login = join_url if policy != Community.JoinPolicy.INVITE else back
    return {
        "policy": policy, "join_url": join_url, "pending": pending,
        "signup_url": f"{reverse('accounts:signup')}?{urlencode({'next': after_login})}",
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': after_login})}",
    }


def round_share_context(request, community: Community, round_: GroupBuy, *, user_id=None,
                        progress=None) -> dict:
    """The share bar, the 接龙 list and the link card of a round page (members and preview alike)."""
    progress = progress or services.group_buy_progress(round_)
    poster = request.build_absolute_uri(reverse("orders:group_buy_poster",
                                                kwargs={"slug": community.slug, "pk": round_.pk}))
    price, _list_price = posters.headline_price(round_)
    description = " · ".join(part for part in (price, posters.progress_words(round_, progress),
                                               posters.when_words(round_)) if part)
    return {
        "share": {"url": request.build_absolute_uri(round_.get_absolute_url()), "poster_url": poster,
                  "title": round_.title},
        "jielong": jielong.recent(round_, mode=_names_mode(community), user_id=user_id),
        "progress_words": posters.progress_words(round_, progress),
        "og": {"title": round_.title, "description": description, "image": poster,
               "url": request.build_absolute_uri(round_.get_absolute_url())},
    }


def team_share_context(request, community: Community, team: Team) -> dict:
    poster = request.build_absolute_uri(reverse("orders:team_poster",
                                                kwargs={"slug": community.slug, "code": team.code}))
    url = request.build_absolute_uri(team.get_absolute_url())
    words = posters.team_progress_words(team)
    price, _list_price = posters.headline_price(team.group_buy)
    return {
        "share": {"url": url, "poster_url": poster, "title": team.group_buy.title},
        "progress_words": words,
        "og": {"title": team.group_buy.title, "description": " · ".join(p for p in (price, words) if p),
               "image": poster, "url": url},
    }


def team_members(team: Team, community: Community) -> list:
    """The team's live orders, each with the name the community lets the page show."""
    members = list(team.orders.filter(status__in=services.LIVE_STATUSES).select_related("member")
                   .order_by("created_at"))
    for order in members:
        order.shown_name = jielong.buyer_name(order.member.display_name, _names_mode(community))
    return members


def _locked(request, community: Community, back: str):
    """Previews are for members: the stranger sees the community and the way in, not the round."""
    og = {"title": community.name, "description": _("A group-buy for members of %(name)s.") % {"name": community.name},
          "image": request.build_absolute_uri(community.cover.url) if community.cover else "",
          "url": request.build_absolute_uri(back)}
    return render(request, "orders/preview_locked.html", {
        "community": community, "join": join_prompt(request, community, back), "og": og})


# Preview pages (strangers) --------------------------------------------------------------------

def _preview_rows(round_: GroupBuy) -> list[dict]:
    """The round's items as the preview shows them: photo, today's price, tiers, what is left."""
    sold = selectors.sold_by_item(round_)
    return [{"item": item, "price_now": services.current_tier_price(item, sold.get(item.pk, 0)),
             "tiers": list(item.tiers.all()), "sold": sold.get(item.pk, 0), "remaining": item.remaining}
            for item in round_.items.all()]


@preview_page
def group_buy_preview(request, community, membership, pk):
    back = request.get_full_path()
    round_ = _previewed_round(community, pk)
    progress = services.group_buy_progress(round_)
    now = timezone.now()
    return render(request, "orders/group_buy.html", {
        "community": community, "group_buy": round_, "progress": progress, "preview": True,
        "rows": _preview_rows(round_), "shortfall": selectors.shortfall_text(round_, progress),
        "is_open": round_.status == GroupBuy.Status.OPEN and round_.opens_at <= now < round_.closes_at,
        "join": join_prompt(request, community, back),
        **round_share_context(request, community, round_, progress=progress),
    })


@preview_page
def team_preview(request, community, membership, code):
    back = request.get_full_path()
    team = _previewed_team(community, code)
    round_ = selectors.group_buy_detail(community, team.group_buy_id)
    return render(request, "orders/team.html", {
        "community": community, "team": team, "members": team_members(team, community), "mine": False,
        "rows": _preview_rows(round_),
        "preview": True, "join": join_prompt(request, community, back),
        **team_share_context(request, community, team),
    })


# Posters --------------------------------------------------------------------------------------

def _member_team(community, membership, code) -> Team:
    team = community.teams.filter(code=code[:12]).select_related("group_buy__community", "leader").first()
    if team is None:
        raise NotFound(_("This team does not exist."), code="team_not_found")
    return team


def _poster_view(*, for_stranger, for_member, draw, round_of):
    """A poster's view: members get it for what they may see; strangers where previews are open.
    Shared caches may keep it only when strangers could fetch it too."""
    @stranger_page
    def stranger(request, community, membership, **kwargs):
        if community.previews_members_only:
            raise NotFound()
        return poster_response(request, draw(request, for_stranger(community, **kwargs)), public=True)

    @require_safe
    @community_page(Perm.VIEW, stranger=stranger)
    def view(request, community, membership, **kwargs):
        shown = for_member(community, membership, **kwargs)
        public = not community.previews_members_only and round_of(shown).status in selectors.MEMBER_VISIBLE
        return poster_response(request, draw(request, shown), public=public)

    return view


group_buy_poster = _poster_view(for_stranger=lambda community, pk: _previewed_round(community, pk),
                                for_member=visible_round, draw=posters.group_buy_poster,
                                round_of=lambda round_: round_)
team_poster = _poster_view(for_stranger=lambda community, code: _previewed_team(community, code),
                           for_member=_member_team, draw=posters.team_poster, round_of=lambda team: team.group_buy)


# The full 接龙 list ---------------------------------------------------------------------------

def _jielong_page(request, community, round_, user_id=None):
    page = parse_int(request.GET.get("page"), minimum=1, maximum=100_000) or 1
    listing = jielong.full_page(round_, mode=_names_mode(community), page=page, user_id=user_id)
    return render(request, "orders/jielong.html", {
        "community": community, "group_buy": round_, "listing": listing,
        "previous_page": page - 1 if page > 1 else None, "next_page": page + 1 if listing.has_next else None})


@preview_page
def _jielong_public(request, community, membership, pk):
    return _jielong_page(request, community, _previewed_round(community, pk))


@require_safe
@community_page(Perm.VIEW, stranger=_jielong_public)
def jielong_list(request, community, membership, pk):
    return _jielong_page(request, community, visible_round(community, membership, pk), user_id=request.user.pk)
