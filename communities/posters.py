"""What a community's share poster shows (core.posters draws and caches it): its cover, name,
purpose and size, and a QR code of the way in (the join page; for an invite-only community, its
home, which only members open: newcomers there need an invite poster from the console)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communities.models import Community
from core.posters import Poster


def share_url(request, community: Community) -> str:
    """The link a community's share bar and poster carry."""
    if community.join_policy == Community.JoinPolicy.INVITE:
        return request.build_absolute_uri(community.get_absolute_url())
    return request.build_absolute_uri(reverse("communities:join", kwargs={"slug": community.slug}))


def poster_is_public(community: Community) -> bool:
    # The join page (name, purpose, rules) is public for open and approval communities: so is this.
    return community.join_policy != Community.JoinPolicy.INVITE


def community_poster(request, community: Community, *, member_count: int) -> Poster:
    lines = [community.purpose or community.get_kind_display(),
             ngettext("%(n)s member", "%(n)s members", member_count) % {"n": member_count}]
    hint = (_("Long-press the QR code to join") if poster_is_public(community)
            else _("Members: long-press the QR code to open"))
    return Poster(title=community.name, url=share_url(request, community), footer=_("Come and join us"), hint=hint,
                  photo=community.cover.name if community.cover else "", lines=tuple(lines))
