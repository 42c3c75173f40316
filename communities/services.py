"""Writes to communities, memberships, invites, join requests and branches.

Each service checks first (permission, state) and raises a DomainError; then it changes state in
one short transaction. Side effects (e-mail) run on commit through core.notifications.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, Invite, JoinRequest, Membership, Role
from communities.permissions import Perm, branch_in_scope, check_can_assign_role, check_can_manage, check_perm
from core.audit import audit_record
from core.events import emit
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from core.images import clean_image
from core.net import parse_address
from core.notifications import in_language_of, notify

COMMUNITY_FIELDS = ("name", "description", "rules", "kind", "purpose", "join_policy", "timezone", "currency",
                    "payment_instructions", "payment_window_minutes", "commission_recipient", "jielong_names",
                    "previews_members_only")


def _new_slug() -> str:
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _full_clean(instance, exclude=None):
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields=exc.message_dict)


# Communities ---------------------------------------------------------------------------------

def community_create(*, owner, cover=None, **fields) -> Community:
    community = Community(slug=_new_slug(), **{k: v for k, v in fields.items()
                                                if k in COMMUNITY_FIELDS and v not in (None, "")})
    _full_clean(community, exclude=["slug", "cover", "payment_qr"])
    if cover:
        community.cover = clean_image(cover, field="cover")
    with transaction.atomic():
        community.save()
        membership = Membership.objects.create(community=community, user=owner, role=Role.OWNER)
        audit_record(community=community, actor=owner, action="community.created", target_user=owner, obj=membership)
    return community


def community_update(*, actor: Membership, cover=None, remove_cover: bool = False, payment_qr=None,
                     remove_payment_qr: bool = False, **fields) -> Community:
    check_perm(actor, Perm.MANAGE_SETTINGS)
    community = actor.community
    changed = {}
    for key, value in fields.items():
        if key in COMMUNITY_FIELDS and getattr(community, key) != value:
            changed[key] = [str(getattr(community, key)), str(value)]
            setattr(community, key, value)
    _full_clean(community, exclude=["slug", "cover", "payment_qr"])
    if not 5 <= community.payment_window_minutes <= 10080:
        raise ValidationFailed(_("The payment window must be between 5 minutes and 7 days."),
                               fields={"payment_window_minutes": [_("Between 5 and 10080 minutes.")]})
    for field, upload, remove in (("cover", cover, remove_cover), ("payment_qr", payment_qr, remove_payment_qr)):
        if upload:
            setattr(community, field, clean_image(upload, field=field, max_side=1200))
            changed[field] = ["", getattr(community, field).name]
        elif remove and getattr(community, field):
            setattr(community, field, "")
            changed[field] = ["removed", ""]
    with transaction.atomic():
        community.save()
        if changed:
            audit_record(community=community, actor=actor.user, action="community.updated",
                         changed=sorted(changed), changes=changed, obj=community)
    return community


# Branches ------------------------------------------------------------------------------------

def _leader_membership(community: Community, leader) -> Membership | None:
    if leader is None:
        return None
    membership = (
        Membership.objects.select_for_update()
        .filter(community=community, user=leader, status=Membership.Status.ACTIVE)
        .first()
    )
    if membership is None:
        raise ValidationFailed(_("The leader must be an active member of the community."),
                               fields={"leader": [_("Not an active member.")]})
    return membership


def _appoint_leader(*, actor: Membership, branch: Community, membership: Membership | None) -> None:
    """The branch's leader gets at least the leader role and belongs to the branch."""
    if membership is None:
        return
    if membership.role == Role.MEMBER:
        membership.role = Role.LEADER
        audit_record(community=actor.community, actor=actor.user, action="membership.role_changed",
                     target_user=membership.user, obj=membership, **{"from": Role.MEMBER, "to": Role.LEADER})
    membership.branch = branch
    membership.save(update_fields=["role", "branch"])


def _branch_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the branch a name."), fields={"name": [_("This field is required.")]})
    limit = Community._meta.get_field("name").max_length
    if len(name) > limit:
        message = _("Use at most %(max)s characters.") % {"max": limit}
        raise ValidationFailed(message, fields={"name": [message]})
    return name


def branch_create(*, actor: Membership, name: str, leader=None) -> Community:
    check_perm(actor, Perm.MANAGE_BRANCHES)
    parent = actor.community
    name = _branch_name(name)
    try:
        with transaction.atomic():
            leader_membership = _leader_membership(parent, leader)
            branch = Community.objects.create(
                parent=parent, name=name, slug=_new_slug(), leader=leader,
                kind=parent.kind, join_policy=parent.join_policy, timezone=parent.timezone, currency=parent.currency,
            )
            _appoint_leader(actor=actor, branch=branch, membership=leader_membership)
            audit_record(community=parent, actor=actor.user, action="branch.created", target_user=leader, obj=branch,
                         name=name)
    except IntegrityError:
        raise Conflict(_("A branch with this name already exists."), code="duplicate_branch",
                       fields={"name": [_("Already used.")]})
    return branch


def branch_update(*, actor: Membership, branch: Community, name: str, leader=None) -> Community:
    check_perm(actor, Perm.MANAGE_BRANCHES)
    if branch.parent_id != actor.community_id:
        raise NotFound()
    name = _branch_name(name)
    try:
        with transaction.atomic():
            leader_membership = _leader_membership(actor.community, leader)
            old_leader_id = branch.leader_id
            branch.name = name
            branch.leader = leader
            branch.save(update_fields=["name", "leader"])
            _appoint_leader(actor=actor, branch=branch, membership=leader_membership)
            audit_record(community=actor.community, actor=actor.user, action="branch.updated", target_user=leader,
                         obj=branch, name=name, previous_leader=old_leader_id)
    except IntegrityError:
        raise Conflict(_("A branch with this name already exists."), code="duplicate_branch",
                       fields={"name": [_("Already used.")]})
    return branch


# What the apps above do when a branch retires (orders: refuse while a published round is aimed at
# it, move its pickup points, take it out of drafts). ``check(branch)`` returns why it may not
# retire (or None); ``move(branch, move_to)`` moves their rows. Registered in their
# AppConfig.ready(): communities imports none of them.
_RETIRE_HOOKS: list[tuple] = []


def register_branch_retire_hook(*, check, move) -> None:
    if (check, move) not in _RETIRE_HOOKS:
        _RETIRE_HOOKS.append((check, move))


def branch_retire(*, actor: Membership, branch: Community, move_to: Community | None = None) -> Community:
    """Stop using a branch: its members, pickup points and invite links move to ``move_to`` (another
    branch in use) or to the community as a whole, and it leaves every draft's audience. Refused
    while a published round is aimed at it (the apps above say which, through their checks)."""
    check_perm(actor, Perm.MANAGE_BRANCHES)
    if branch.parent_id != actor.community_id:
        raise NotFound()
    if move_to is not None and (move_to.parent_id != actor.community_id or move_to.pk == branch.pk
                                or move_to.retired_at is not None):
        raise ValidationFailed(_("Move them to another branch in use."), code="bad_move_to",
                               fields={"move_to": [_("Choose another branch in use.")]})
    with transaction.atomic():
        locked = Community.objects.select_for_update().get(pk=branch.pk)
        if locked.retired_at is not None:
            raise Conflict(_("This branch is retired already."), code="retired")
        for check, _move in _RETIRE_HOOKS:
            reason = check(locked)
            if reason:
                raise Conflict(reason, code="branch_in_use")
        moved = Membership.objects.filter(community=actor.community, branch=locked).update(
            branch=move_to, updated_at=timezone.now())
        Invite.objects.filter(community=actor.community, branch=locked).update(branch=move_to)
        for _check, move in _RETIRE_HOOKS:
            move(locked, move_to)
        locked.leader, locked.retired_at = None, timezone.now()
        locked.save(update_fields=["leader", "retired_at"])
        audit_record(community=actor.community, actor=actor.user, action="branch.retired", obj=locked,
                     name=locked.name, moved_members=moved, move_to=move_to.pk if move_to else None)
    return locked


def branch_restore(*, actor: Membership, branch: Community) -> Community:
    check_perm(actor, Perm.MANAGE_BRANCHES)
    if branch.parent_id != actor.community_id:
        raise NotFound()
    with transaction.atomic():
        updated = Community.objects.filter(pk=branch.pk, retired_at__isnull=False).update(retired_at=None)
        if not updated:
            raise Conflict(_("This branch is in use."), code="not_retired")
        audit_record(community=actor.community, actor=actor.user, action="branch.restored", obj=branch,
                     name=branch.name)
    branch.refresh_from_db()
    return branch


def _step_down_as_branch_leader(community: Community, user) -> None:
    """Someone who no longer leads (demoted to member, banned, gone) leads no branch of ``community``:
    the branch keeps no lead, and no commission goes to them for its orders."""
    Community.objects.filter(parent=community, leader=user).update(leader=None)


def _check_branch(community: Community, branch: Community | None) -> None:
    if branch is not None and branch.parent_id != community.pk:
        raise ValidationFailed(_("Choose a branch of this community."), fields={"branch": [_("Unknown branch.")]})
    if branch is not None and branch.retired_at is not None:
        raise ValidationFailed(_("This branch is retired: choose one in use."), code="branch_retired",
                               fields={"branch": [_("Retired.")]})


# Invites -------------------------------------------------------------------------------------

INVITE_MAX_USES = 100_000

def invite_create(*, actor: Membership, label: str = "", expires_at: datetime | None = None,
                  max_uses: int | None = None, branch: Community | None = None) -> Invite:
    check_perm(actor, Perm.INVITE)
    _check_branch(actor.community, branch)
    branch = branch_in_scope(actor, branch)
    errors = {}
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("Choose a time in the future.")]
    if max_uses is not None and not 1 <= max_uses <= INVITE_MAX_USES:
        errors["max_uses"] = [_("The use limit must be between 1 and %(max)s.") % {"max": INVITE_MAX_USES}]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        invite = Invite.objects.create(
            community=actor.community, created_by=actor.user, label=(label or "").strip()[:80],
            expires_at=expires_at, max_uses=max_uses, branch=branch,
        )
        audit_record(community=actor.community, actor=actor.user, action="invite.created", obj=invite,
                     code=invite.code, max_uses=max_uses,
                     expires_at=expires_at.isoformat() if expires_at else None)
    return invite


def invite_revoke(*, actor: Membership, invite: Invite) -> Invite:
    if invite.community_id != actor.community_id:
        raise NotFound()
    if invite.created_by_id != actor.user_id:
        check_perm(actor, Perm.MANAGE_INVITES)
    else:
        check_perm(actor, Perm.INVITE)
    with transaction.atomic():
        revoked = Invite.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if revoked:
            audit_record(community=actor.community, actor=actor.user, action="invite.revoked", obj=invite,
                         code=invite.code)
    invite.refresh_from_db()
    return invite


INVITE_ERRORS = {
    "revoked": lambda: _("This invite link has been revoked. Ask the person who shared it for a new one."),
    "expired": lambda: _("This invite link has expired. Ask the person who shared it for a new one."),
    "used_up": lambda: _("This invite link has reached its use limit. Ask the person who shared it for a new one."),
}


class InviteUnavailable(Conflict):
    status = 410

    def __init__(self, reason: str):
        super().__init__(INVITE_ERRORS[reason](), code=f"invite_{reason}")
        self.reason = reason


def invite_get(code: str) -> Invite:
    """The invite with ``code`` (any state), or NotFound."""
    invite = Invite.objects.select_related("community", "created_by", "branch").filter(code=(code or "").strip().lower()).first()
    if invite is None or invite.community.parent_id is not None:
        raise NotFound(_("This invite link is not valid. Check that you copied all of it."), code="invite_not_found")
    return invite


def _consume_invite_use(invite: Invite) -> None:
    """Take one use of the invite with a guarded update: the limit holds under any concurrency."""
    now = timezone.now()
    taken = (
        Invite.objects.filter(pk=invite.pk, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(max_uses__isnull=True) | Q(uses_count__lt=F("max_uses")))
        .update(uses_count=F("uses_count") + 1)
    )
    if not taken:
        invite.refresh_from_db()
        raise InviteUnavailable(invite.state if invite.state != "valid" else "used_up")


# Joining -------------------------------------------------------------------------------------

BANNED_MESSAGE = lambda: _("You cannot join this community.")  # noqa: E731


def _joined_event(membership: Membership, *, address: str | None, rejoined: bool, invited: bool = True) -> None:
    """``membership.joined`` for the apps above (referral rewards): who joined, by whose invite
    (none when an admin approved a request), from which address, and whether they had been a member
    before. In the join's transaction: no join, no event."""
    emit("membership.joined", community_id=membership.community_id, user_id=membership.user_id,
         invited_by_id=membership.invited_by_id if invited else None,
         invite_id=membership.invite_id if invited else None, join_address=address, rejoined=rejoined)


def _address(value) -> str | None:
    address = parse_address(str(value)) if value else None
    return str(address) if address is not None else None


def membership_join(*, user, community: Community, invite: Invite | None = None,
                    address: str | None = None) -> tuple[Membership, bool]:
    """Join ``community`` now (open policy, or with a valid invite). Returns (membership, created).

    Joining twice returns the same membership and uses nothing. A banned user is refused
    whatever link they follow. ``address``: the client's address (core.net.client_ip), passed on
    in the ``membership.joined`` event.
    """
    if community.parent_id is not None:
        raise NotFound()
    if invite is not None and invite.community_id != community.pk:
        raise NotFound()
    if ((invite is None or not invite.admits) and community.join_policy != Community.JoinPolicy.OPEN
            and not Membership.objects.filter(community=community, user=user, status=Membership.Status.ACTIVE).exists()):
        if community.join_policy == Community.JoinPolicy.APPROVAL:
            raise Forbidden(_("This community reviews new members: send a join request."), code="approval_required")
        raise Forbidden(_("This community is invite only: you need an invite link."), code="invite_required")
    try:
        with transaction.atomic():
            # Lock order, here and in join_request_approve: the person's pending join request
            # first, then their membership row. An approval running now finishes before we look.
            pending = list(JoinRequest.objects.select_for_update().filter(
                community=community, user=user, status=JoinRequest.Status.PENDING))
            existing = Membership.objects.select_for_update().filter(community=community, user=user).first()
            if existing is not None and existing.status == Membership.Status.BANNED:
                raise Forbidden(BANNED_MESSAGE(), code="banned")
            if existing is not None and existing.is_active:
                return existing, False
            if invite is not None:
                _consume_invite_use(invite)
            values = dict(
                status=Membership.Status.ACTIVE, role=Role.MEMBER, joined_at=timezone.now(), left_at=None,
                invite=invite, invited_by=invite.created_by if invite else None,
                branch=invite.branch if invite else None,
            )
            if existing is None:
                membership = Membership.objects.create(community=community, user=user, **values)
            else:  # came back after leaving
                for key, value in values.items():
                    setattr(existing, key, value)
                existing.save()
                membership = existing
            JoinRequest.objects.filter(pk__in=[r.pk for r in pending]).update(
                status=JoinRequest.Status.WITHDRAWN, decided_at=timezone.now()
            )
            _joined_event(membership, address=_address(address), rejoined=existing is not None)
            audit_record(community=community, actor=user, action="membership.joined", target_user=user,
                         obj=membership, invite=invite.code if invite else None)
            return membership, True
    except IntegrityError:
        # The same person joined in a concurrent request: theirs stands, this one used nothing.
        membership = Membership.objects.get(community=community, user=user)
        if membership.status == Membership.Status.BANNED:
            raise Forbidden(BANNED_MESSAGE(), code="banned")
        return membership, False


def membership_join_by_code(*, user, code: str, address: str | None = None) -> tuple[Membership, bool]:
    invite = invite_get(code)
    existing = Membership.objects.filter(community=invite.community, user=user).first()
    if existing is not None and existing.status == Membership.Status.BANNED:
        raise Forbidden(BANNED_MESSAGE(), code="banned")
    if existing is None or not existing.is_active:
        if invite.state != "valid":
            raise InviteUnavailable(invite.state)
    return membership_join(user=user, community=invite.community, invite=invite, address=address)


def membership_leave(*, user, community: Community) -> Membership:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(
            community=community, user=user, status=Membership.Status.ACTIVE).first()
        if membership is None:
            raise NotFound()
        if membership.role == Role.OWNER:
            raise Forbidden(_("The owner cannot leave. Transfer ownership to another member first."),
                            code="last_owner")
        membership.status = Membership.Status.LEFT
        membership.role = Role.MEMBER
        membership.left_at = timezone.now()
        membership.save(update_fields=["status", "role", "left_at"])
        _step_down_as_branch_leader(community, user)
        audit_record(community=community, actor=user, action="membership.left", target_user=user, obj=membership)
    return membership


def community_path(community: Community, path: str) -> str:
    """``path`` when it is a plain page of ``community`` on this site (/c/<slug>/...), else ""."""
    path = (path or "").strip()
    prefix = f"/c/{community.slug}/"
    if (not path.startswith(prefix) or len(path) > 200 or not path.isprintable() or "//" in path
            or "\\" in path or ".." in path):
        return ""
    return path


def join_request_create(*, user, community: Community, message: str = "", came_from: str = "",
                        invite: Invite | None = None, address: str | None = None) -> JoinRequest:
    """Ask to join; ``came_from`` (a page of this community, e.g. a shared round) is where the
    approval notice will lead; ``invite``: the member's referral link the person came by (an
    approval then records who invited them)."""
    if invite is not None and (invite.community_id != community.pk or invite.state != "valid"):
        invite = None
    if community.parent_id is not None:
        raise NotFound()
    if community.join_policy != Community.JoinPolicy.APPROVAL:
        if community.join_policy == Community.JoinPolicy.OPEN:
            raise Conflict(_("This community is open: join it directly."), code="open_join")
        raise Forbidden(_("This community is invite only: you need an invite link."), code="invite_required")
    message = (message or "").strip()
    if len(message) > 500:
        raise ValidationFailed(_("Keep the message under 500 characters."), fields={"message": [_("Too long.")]})
    membership = Membership.objects.filter(community=community, user=user).first()
    if membership is not None and membership.status == Membership.Status.BANNED:
        raise Forbidden(BANNED_MESSAGE(), code="banned")
    if membership is not None and membership.is_active:
        raise Conflict(_("You are already a member of this community."), code="already_member")
    try:
        with transaction.atomic():
            return JoinRequest.objects.create(community=community, user=user, message=message, invite=invite,
                                              address=_address(address),
                                              came_from=community_path(community, came_from))
    except IntegrityError:
        # A pending request exists (a double tap): return it rather than a second one.
        return JoinRequest.objects.get(community=community, user=user, status=JoinRequest.Status.PENDING)


def _lock_pending_request(actor: Membership, join_request: JoinRequest) -> JoinRequest:
    check_perm(actor, Perm.DECIDE_REQUESTS)
    if join_request.community_id != actor.community_id:
        raise NotFound()
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if locked.status != JoinRequest.Status.PENDING:
        raise Conflict(_("This request has already been answered (%(status)s).") % {
            "status": locked.get_status_display()}, code="already_decided")
    return locked


def join_request_approve(*, actor: Membership, join_request: JoinRequest,
                         branch: Community | None = None) -> Membership:
    """Approve a pending request; ``branch`` (a branch of this community) puts the person in it.
    Without one, in a community with branches, the person is asked to choose."""
    community = actor.community
    _check_branch(community, branch)
    with transaction.atomic():
        request = _lock_pending_request(actor, join_request)
        existing = Membership.objects.select_for_update().filter(community=community, user=request.user).first()
        if existing is not None and existing.status == Membership.Status.BANNED:
            raise Conflict(_("This person is banned. Unban them before approving."), code="banned")
        # Asked through a member's referral link: the membership remembers who invited them.
        referral = request.invite if request.invite_id and request.invite.community_id == community.pk else None
        invited = {"invite": referral, "invited_by_id": referral.created_by_id} if referral else {}
        if existing is None:
            try:
                with transaction.atomic():  # savepoint: they may be joining by a link right now
                    membership = Membership.objects.create(community=community, user=request.user, **invited)
            except IntegrityError:
                existing = Membership.objects.select_for_update().get(community=community, user=request.user)
                if existing.status == Membership.Status.BANNED:
                    raise Conflict(_("This person is banned. Unban them before approving."), code="banned")
        if existing is not None:
            if not existing.is_active:
                existing.status = Membership.Status.ACTIVE
                existing.role = Role.MEMBER
                existing.joined_at = timezone.now()
                existing.left_at = None
                existing.save(update_fields=["status", "role", "joined_at", "left_at"])
                _joined_event(existing, address=None, rejoined=True, invited=False)
            membership = existing
        else:
            _joined_event(membership, address=request.address, rejoined=False, invited=referral is not None)
        if branch is not None and membership.branch_id != branch.pk:
            membership.branch = branch
            membership.save(update_fields=["branch"])
        request.status = JoinRequest.Status.APPROVED
        request.decided_by = actor.user
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(community=community, actor=actor.user, action="join_request.approved",
                     target_user=request.user, obj=request, branch=branch.name if branch else None)
        asks_branch = needs_branch(membership)
        back = community_path(community, request.came_from)
        if asks_branch:
            url = reverse("communities:choose_branch", kwargs={"slug": community.slug})
            url += f"?{urlencode({'next': back})}" if back else ""
        else:
            url = back or community.get_absolute_url()
        with in_language_of(request.user):
            notify(recipient=request.user, community=community, kind="join_request_decided",
                   title=_("Welcome to %(name)s") % {"name": community.name},
                   body=_("Your request to join %(name)s was approved.") % {"name": community.name}
                   + ("\n" + _("Choose your branch and pickup point.") if asks_branch else ""),
                   url=url)
    join_request.refresh_from_db()
    return membership


def join_request_decline(*, actor: Membership, join_request: JoinRequest, note: str = "") -> JoinRequest:
    community = actor.community
    with transaction.atomic():
        request = _lock_pending_request(actor, join_request)
        request.status = JoinRequest.Status.DECLINED
        request.decided_by = actor.user
        request.decided_at = timezone.now()
        request.decision_note = (note or "").strip()[:200]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(community=community, actor=actor.user, action="join_request.declined",
                     target_user=request.user, obj=request, note=request.decision_note)
        with in_language_of(request.user):
            notify(recipient=request.user, community=community, kind="join_request_decided",
                   title=_("Your request to join %(name)s") % {"name": community.name},
                   body=_("Your request to join %(name)s was declined.") % {"name": community.name}
                   + (f"\n{request.decision_note}" if request.decision_note else ""))
    return request


# Managing members ----------------------------------------------------------------------------

def _lock_target(actor: Membership, membership: Membership) -> Membership:
    if membership.community_id != actor.community_id:
        raise NotFound()
    return Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)


def membership_change_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationFailed(_("Choose a valid role."), fields={"role": [_("Unknown role.")]})
    role = Role(role)
    with transaction.atomic():
        # Lock both rows in primary-key order so two concurrent role changes cannot deadlock.
        ids = sorted({actor.pk, membership.pk})
        locked = {m.pk: m for m in Membership.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        actor_locked, target = locked[actor.pk], locked.get(membership.pk)
        if target is None or target.community_id != actor.community_id:
            raise NotFound()
        actor_locked.community = actor.community
        check_can_assign_role(actor_locked, target, role)
        if not target.is_active:
            raise Conflict(_("Only active members can be given a role."), code="not_active")
        if target.role == role:
            return target
        previous = target.role
        if role == Role.OWNER:
            # Transfer: the old owner becomes an admin in the same transaction (one owner, always).
            actor_locked.role = Role.ADMIN
            actor_locked.save(update_fields=["role"])
            audit_record(community=actor.community, actor=actor.user, action="membership.role_changed",
                         target_user=actor.user, obj=actor_locked, **{"from": Role.OWNER, "to": Role.ADMIN})
        target.role = role
        target.save(update_fields=["role"])
        if role == Role.MEMBER:  # a member does not lead a branch
            _step_down_as_branch_leader(actor.community, target.user)
        audit_record(community=actor.community, actor=actor.user, action="membership.role_changed",
                     target_user=target.user, obj=target, **{"from": previous, "to": role})
        with in_language_of(target.user):
            notify(recipient=target.user, community=actor.community, kind="membership_changed",
                   title=_("Your role in %(name)s changed") % {"name": actor.community.name},
                   body=_("You are now: %(role)s.") % {"role": role.label},
                   url=actor.community.get_absolute_url())
    actor.refresh_from_db()
    return target


def membership_move_branch(*, actor: Membership, membership: Membership, branch: Community | None) -> Membership:
    _check_branch(actor.community, branch)
    with transaction.atomic():
        target = _lock_target(actor, membership)
        if target.pk != actor.pk:
            check_can_manage(actor, target)
        else:
            check_perm(actor, Perm.MANAGE_MEMBERS)
        previous = target.branch
        if target.branch_id == (branch.pk if branch else None):
            return target
        target.branch = branch
        target.save(update_fields=["branch"])
        audit_record(community=actor.community, actor=actor.user, action="membership.branch_moved",
                     target_user=target.user, obj=target,
                     **{"from": previous.name if previous else None, "to": branch.name if branch else None})
    return target


def needs_branch(membership: Membership) -> bool:
    """A member of a community with branches who belongs to none yet is asked to choose one."""
    return (membership.branch_id is None and membership.role == Role.MEMBER
            and Community.objects.filter(parent_id=membership.community_id, retired_at__isnull=True).exists())


def membership_choose_branch(*, membership: Membership, branch: Community) -> Membership:
    """A member picks their own branch (分群), and so their pickup point; they may change it later.
    A leader's branch is the one they lead, set by the admins."""
    _check_branch(membership.community, branch)
    if branch is None:
        raise ValidationFailed(_("Choose a branch."), fields={"branch": [_("This field is required.")]})
    with transaction.atomic():
        target = Membership.objects.select_for_update().get(pk=membership.pk)
        if not target.is_active:
            raise NotFound()
        if Community.objects.filter(parent_id=target.community_id, leader_id=target.user_id).exists():
            raise Forbidden(_("You lead a branch: the admins change your branch."), code="leads_branch")
        if target.branch_id == branch.pk:
            return target
        previous = target.branch
        target.branch = branch
        target.save(update_fields=["branch"])
        audit_record(community=target.community, actor=target.user, action="membership.branch_chosen",
                     target_user=target.user, obj=target,
                     **{"from": previous.name if previous else None, "to": branch.name})
    return target


def membership_ban(*, actor: Membership, membership: Membership, reason: str = "") -> Membership:
    with transaction.atomic():
        # Same lock order as membership_join: pending join requests, then the membership.
        pending = list(JoinRequest.objects.select_for_update().filter(
            community=actor.community, user_id=membership.user_id, status=JoinRequest.Status.PENDING))
        target = _lock_target(actor, membership)
        if target.role == Role.OWNER:
            raise Forbidden(_("The owner cannot be banned or removed."), code="last_owner")
        check_can_manage(actor, target)
        if target.status == Membership.Status.BANNED:
            return target
        previous = target.status
        target.status = Membership.Status.BANNED
        target.role = Role.MEMBER
        target.banned_at = timezone.now()
        target.left_at = target.left_at or target.banned_at  # banning someone who had left: they left then
        target.ban_reason = (reason or "").strip()[:200]
        target.save(update_fields=["status", "role", "banned_at", "ban_reason", "left_at"])
        _step_down_as_branch_leader(actor.community, target.user)
        JoinRequest.objects.filter(pk__in=[r.pk for r in pending]).update(
            status=JoinRequest.Status.DECLINED, decided_by=actor.user, decided_at=timezone.now())
        audit_record(community=actor.community, actor=actor.user, action="membership.banned",
                     target_user=target.user, obj=target, reason=target.ban_reason, **{"from": previous})
    return target


def membership_unban(*, actor: Membership, membership: Membership) -> Membership:
    """Lift a ban. The person is not a member again until they rejoin (or are approved)."""
    with transaction.atomic():
        target = _lock_target(actor, membership)
        check_can_manage(actor, target)
        if target.status != Membership.Status.BANNED:
            raise Conflict(_("This person is not banned."), code="not_banned")
        target.status = Membership.Status.LEFT
        target.banned_at = None
        target.ban_reason = ""
        target.save(update_fields=["status", "banned_at", "ban_reason"])
        audit_record(community=actor.community, actor=actor.user, action="membership.unbanned",
                     target_user=target.user, obj=target)
    return target


def invite_url(invite: Invite) -> str:
    return reverse("communities:invite", kwargs={"code": invite.code})


# Digests -------------------------------------------------------------------------------------

DIGEST_LOCAL_HOUR = 9


def join_request_digest_send(*, now: datetime | None = None):
    """Run the digest sweep now (``communities.sweeps.JoinRequestDigestSweep``, hourly in beat)."""
    from core.sweeps import sweep_run

    return sweep_run("communities.join_request_digest", now=now)


def join_request_digest_notify(*, community: Community, now: datetime) -> int:
    """Tell a community's admins how many join requests wait; the number of notices sent.

    Called by the digest sweep once the community's local clock is past 09:00 and no digest went
    out today. The notification's dedupe key (community, local date, admin) makes reruns and two
    workers harmless even so.
    """
    import zoneinfo

    local_date = now.astimezone(zoneinfo.ZoneInfo(community.timezone)).date()
    pending = community.join_requests.filter(status=JoinRequest.Status.PENDING).count()
    if not pending:
        return 0
    admins = Membership.objects.filter(
        community=community, status=Membership.Status.ACTIVE, role__in=[Role.OWNER, Role.ADMIN]
    ).select_related("user").order_by("pk")
    url = reverse("console:requests", kwargs={"slug": community.slug})
    sent = 0
    for admin in admins:
        with in_language_of(admin.user):
            notice = notify(
                recipient=admin.user, community=community, kind="join_request_digest",
                title=_("%(count)s join requests are waiting in %(name)s") % {
                    "count": pending, "name": community.name},
                body=_("Open the console to approve or decline them."),
                url=url, dedupe_key=f"join-digest:{community.pk}:{local_date.isoformat()}:{admin.user_id}",
            )
        sent += notice is not None
    return sent


def join_request_withdraw(*, user, join_request: JoinRequest) -> JoinRequest:
    """The person who asked to join takes their pending request back (pending → withdrawn)."""
    if join_request.user_id != user.pk:
        raise NotFound()
    with transaction.atomic():
        updated = JoinRequest.objects.filter(pk=join_request.pk, status=JoinRequest.Status.PENDING).update(
            status=JoinRequest.Status.WITHDRAWN, decided_at=timezone.now())
        if not updated:
            raise Conflict(_("This request has already been answered."), code="already_decided")
        audit_record(community=join_request.community, actor=user, action="join_request.withdrawn",
                     target_user=user, obj=join_request, **{"from": JoinRequest.Status.PENDING,
                                                            "to": JoinRequest.Status.WITHDRAWN})
    join_request.refresh_from_db()
    return join_request
