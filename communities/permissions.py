"""Who may do what in a community: the one place pages and API ask.

A request is resolved to the community and the user's membership once
(``resolve_community``); a non-member is told the community does not exist (404), a member
without the right gets 403. Within the community, a leader acts only within their branch (the
"Branch scope" helpers below); a row out of their scope does not exist for them (404).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from communities.models import ROLE_RANK, Community, Membership, Role
from core.exceptions import Forbidden, NotFound, ValidationFailed


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
    MANAGE_CAMPAIGNS = "manage_campaigns"  # launch campaigns (众筹), post updates, hand out rewards
    MANAGE_EVENTS = "manage_events"  # create and cancel events, see attendance, confirm ticket payments
    CHECK_IN = "check_in"  # scan or type a ticket at the door
    MANAGE_POSTS = "manage_posts"  # write posts (featuring products and rounds) and polls
    MODERATE = "moderate"  # pin, hide and delete anyone's posts and comments; answer reports
    MANAGE_LOYALTY = "manage_loyalty"  # coupons and their hand-outs, levels, referrals to review, prompts
    MANAGE_PARTNERS = "manage_partners"  # partner shops: connections, pushed products to review, webhook log
    VIEW_ANALYTICS = "view_analytics"  # the dashboard: a leader's of their branch, admins' of all


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
    Perm.MANAGE_CAMPAIGNS: Role.LEADER,
    Perm.MANAGE_EVENTS: Role.LEADER,
    Perm.CHECK_IN: Role.LEADER,
    Perm.MANAGE_POSTS: Role.LEADER,
    Perm.MODERATE: Role.ADMIN,
    Perm.MANAGE_LOYALTY: Role.ADMIN,
    Perm.MANAGE_PARTNERS: Role.ADMIN,
    Perm.VIEW_ANALYTICS: Role.LEADER,
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


# Branch scope ---------------------------------------------------------------------------------
#
# Owners and admins act on the whole community and its branches. A leader acts on the members,
# orders, pickups and pickup points of their own branch, and on the rounds they published; a
# leader without a branch acts on nothing branch-scoped except their own rounds. Pages and API
# read through these narrowings, and services check the one object they change again.
#
# A row out of scope is answered as if it did not exist (NotFound, 404), as another community's
# is: a leader learns nothing about the other branches from ids. An out-of-scope choice in a
# form or body (a branch, a pickup point) is a field error (400), as an unknown id there is.
#
# The helpers name the fields of the rows they narrow (strings) and import nothing from the
# apps above communities.

def acts_community_wide(actor: Membership) -> bool:
    """Owners and admins: every branch of the community is theirs to act on."""
    return actor.rank >= ROLE_RANK[Role.ADMIN]


def _none_unless_branch(actor: Membership, queryset: QuerySet, lookup: Q) -> QuerySet:
    return queryset.filter(lookup) if actor.branch_id else queryset.none()


def members_in_scope(actor: Membership, memberships: QuerySet) -> QuerySet:
    """Memberships the actor may see and act on: a leader's are those of their branch."""
    if acts_community_wide(actor):
        return memberships
    return _none_unless_branch(actor, memberships, Q(branch_id=actor.branch_id))


def pickup_points_in_scope(actor: Membership, pickup_points: QuerySet) -> QuerySet:
    """Pickup points the actor runs: a leader's are those of their branch."""
    if acts_community_wide(actor):
        return pickup_points
    return _none_unless_branch(actor, pickup_points, Q(branch_id=actor.branch_id))


def orders_in_scope(actor: Membership, orders: QuerySet) -> QuerySet:
    """Orders the actor may read and hand over: a leader's are those of their branch's members
    and those picked up at their branch's pickup points."""
    if acts_community_wide(actor):
        return orders
    return _none_unless_branch(actor, orders, Q(branch_id=actor.branch_id)
                               | Q(pickup_point__branch_id=actor.branch_id))


def rounds_in_view(actor: Membership, rounds: QuerySet) -> QuerySet:
    """Rounds the actor sees in the console (and may mark arrived at their pickup points): a
    leader sees those aimed at the whole community or at their branch, and their own."""
    if acts_community_wide(actor):
        return rounds
    # Subqueries, not a join on the branches: a join would multiply the rows (and the counts
    # annotated on them) by the number of branches a round is aimed at.
    field = rounds.model._meta.get_field("branches")
    aimed = field.remote_field.through.objects.filter(**{f"{field.m2m_field_name()}_id": OuterRef("pk")})
    visible = ~Exists(aimed) | Q(created_by_id=actor.user_id)
    if actor.branch_id:
        visible |= Exists(aimed.filter(**{f"{field.m2m_reverse_field_name()}_id": actor.branch_id}))
    return rounds.filter(visible)


def rounds_in_scope(actor: Membership, rounds: QuerySet) -> QuerySet:
    """Rounds the actor may change (edit, publish, cancel): a leader's own."""
    if acts_community_wide(actor):
        return rounds
    return rounds.filter(created_by_id=actor.user_id)


def invites_in_scope(actor: Membership, invites: QuerySet) -> QuerySet:
    """Invite links the actor may see and revoke: without MANAGE_INVITES, their own."""
    if has_perm(actor, Perm.MANAGE_INVITES):
        return invites
    return invites.filter(created_by_id=actor.user_id)


def check_in_scope(actor: Membership, obj, narrow: Callable[[Membership, QuerySet], QuerySet]) -> None:
    """NotFound unless ``obj`` is of the actor's community and ``narrow`` (one of the helpers
    above) keeps it. One query for a leader, none for owners and admins."""
    if obj is None or obj.community_id != actor.community_id:
        raise NotFound()
    if not acts_community_wide(actor) and not narrow(actor, type(obj)._default_manager.filter(pk=obj.pk)).exists():
        raise NotFound()


def branch_in_scope(actor: Membership, branch: Community | None, *, field: str = "branch") -> Community | None:
    """The branch a row the actor writes goes to (a pickup point, an invite, a round's target).

    Owners and admins: the one chosen (None: no branch). A leader: their own, chosen or by
    default; naming another branch is a field error.
    """
    if acts_community_wide(actor):
        return branch
    if branch is not None and branch.pk != actor.branch_id:
        raise ValidationFailed(_("Choose your own branch: a leader acts only within their branch."),
                               code="branch_out_of_scope", fields={field: [_("Not your branch.")]})
    return actor.branch if actor.branch_id else None


def published_in_view(actor: Membership, rows: QuerySet, *, author: str = "created_by") -> QuerySet:
    """What the actor sees in the console of what leaders publish (campaigns, events, posts, polls):
    owners and admins all; a leader those for the whole community, their branch's and their own."""
    if acts_community_wide(actor):
        return rows
    visible = Q(branch__isnull=True) | Q(**{f"{author}_id": actor.user_id})
    if actor.branch_id:
        visible |= Q(branch_id=actor.branch_id)
    return rows.filter(visible)


def published_in_scope(actor: Membership, rows: QuerySet, *, author: str = "created_by") -> QuerySet:
    """What the actor may change of what leaders publish: owners and admins all; a leader their own."""
    if acts_community_wide(actor):
        return rows
    return rows.filter(**{f"{author}_id": actor.user_id})
