"""Who may do what in a community: the one place pages and API ask.

A request is resolved to the community and the user's membership once
(``resolve_community``); a non-member is told the community does not exist (404), a member
without the right gets 403.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from django.db import connection
from django.utils.translation import gettext as _

from communities.models import ROLE_RANK, Community, Membership, Role
from core.exceptions import Forbidden, NotFound


class Perm(StrEnum):
    VIEW = "view"  # community home, member pages
    INVITE = "invite"  # create invites and posters
    VIEW_CONSOLE = "view_console"  # the admin console, read-only parts
    MANAGE_MEMBERS = "manage_members"  # roles, branches, bans
    DECIDE_REQUESTS = "decide_requests"
    MANAGE_INVITES = "manage_invites"  # revoke anyone's invites
    MANAGE_BRANCHES = "manage_branches"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"
    MANAGE_CATALOG = "manage_catalog"  # products, categories, suppliers, images
    MANAGE_GROUP_BUYS = "manage_group_buys"  # publish rounds, pickup points, mark goods arrived
    CONFIRM_PICKUP = "confirm_pickup"  # scan or type a member's pickup code
    MANAGE_ORDERS = "manage_orders"  # mark payments received, refund, ship
    MANAGE_WALLETS = "manage_wallets"  # record top-ups
    VIEW_COMMISSIONS = "view_commissions"  # one's own statement
    EXPORT_COMMISSIONS = "export_commissions"  # everyone's statements
    VIEW_SWEEP_FAILURES = "view_sweep_failures"  # periodic jobs that keep failing on the community's rows


MIN_ROLE: dict[Perm, Role] = {
    Perm.VIEW: Role.MEMBER,
    Perm.INVITE: Role.LEADER,
    Perm.VIEW_CONSOLE: Role.LEADER,
    Perm.MANAGE_MEMBERS: Role.ADMIN,
    Perm.DECIDE_REQUESTS: Role.ADMIN,
    Perm.MANAGE_INVITES: Role.ADMIN,
    Perm.MANAGE_BRANCHES: Role.ADMIN,
    Perm.MANAGE_SETTINGS: Role.ADMIN,
    Perm.VIEW_AUDIT: Role.ADMIN,
    Perm.MANAGE_CATALOG: Role.LEADER,
    Perm.MANAGE_GROUP_BUYS: Role.LEADER,
    Perm.CONFIRM_PICKUP: Role.LEADER,
    Perm.MANAGE_ORDERS: Role.ADMIN,
    Perm.MANAGE_WALLETS: Role.ADMIN,
    Perm.VIEW_COMMISSIONS: Role.LEADER,
    Perm.EXPORT_COMMISSIONS: Role.ADMIN,
    Perm.VIEW_SWEEP_FAILURES: Role.ADMIN,
}


def has_perm(membership: Membership | None, perm: Perm) -> bool:
    return membership is not None and membership.rank >= ROLE_RANK[MIN_ROLE[perm]]


def check_perm(membership: Membership | None, perm: Perm) -> None:
    if membership is None or not membership.is_active:
        raise NotFound(_("Community not found."), code="community_not_found")
    if not has_perm(membership, perm):
        raise Forbidden()


def membership_of(user, community: Community) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(community=community, user=user).first()


def resolve_community(user, slug: str, perm: Perm = Perm.VIEW) -> tuple[Community, Membership]:
    """The community at ``slug`` and the user's active membership, or NotFound / Forbidden."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound(_("Community not found."), code="community_not_found")
    membership = _active_membership(user.pk, slug)
    check_perm(membership, perm)
    membership.user = user
    return membership.community, membership


@lru_cache(maxsize=1)
def _membership_sql() -> tuple[str, list[str], list[str]]:
    m, c = Membership._meta, Community._meta
    m_fields = [f.attname for f in m.concrete_fields]
    c_fields = [f.attname for f in c.concrete_fields]
    columns = [f'm."{m.get_field(n).column}"' for n in m_fields] + [f'c."{c.get_field(n).column}"' for n in c_fields] \
        + [f'b."{c.get_field(n).column}"' for n in c_fields]
    sql = (f'SELECT {", ".join(columns)} FROM "{m.db_table}" m '
           f'JOIN "{c.db_table}" c ON c."id" = m."community_id" '
           f'LEFT JOIN "{c.db_table}" b ON b."id" = m."branch_id" '
           'WHERE c."slug" = %s AND c."parent_id" IS NULL AND m."user_id" = %s AND m."status" = %s')
    return sql, m_fields, c_fields


def _active_membership(user_id: int, slug: str) -> Membership | None:
    """One hand-written query (every page and API call starts here; the ORM's query building cost
    more than PostgreSQL's answer): the membership with its community and branch."""
    sql, m_fields, c_fields = _membership_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, user_id, Membership.Status.ACTIVE])
        row = cursor.fetchone()
    if row is None:
        return None
    alias, nm, nc = connection.alias, len(m_fields), len(c_fields)
    membership = Membership.from_db(alias, m_fields, row[:nm])
    membership.community = Community.from_db(alias, c_fields, row[nm:nm + nc])
    branch_row = row[nm + nc:]
    membership.branch = Community.from_db(alias, c_fields, branch_row) if branch_row[0] is not None else None
    return membership


def check_can_manage(actor: Membership, target: Membership) -> None:
    """Admins act on members below them; the owner acts on everyone else; nobody on themselves."""
    check_perm(actor, Perm.MANAGE_MEMBERS)
    if actor.pk == target.pk:
        raise Forbidden(_("You cannot change your own membership here."), code="self_change")
    if actor.role != Role.OWNER and ROLE_RANK[target.role] >= ROLE_RANK[actor.role]:
        raise Forbidden(_("Only the owner can change an admin."), code="rank")


def check_can_assign_role(actor: Membership, target: Membership, role: Role) -> None:
    check_perm(actor, Perm.MANAGE_MEMBERS)
    if target.role == Role.OWNER:
        raise Forbidden(
            _("The owner cannot be demoted. Transfer ownership to another member first."), code="last_owner"
        )
    check_can_manage(actor, target)
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden(_("Only the owner can transfer ownership."), code="rank")
    if role == Role.ADMIN and actor.role != Role.OWNER:
        raise Forbidden(_("Only the owner can appoint admins."), code="rank")
