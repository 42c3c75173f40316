"""Referral rewards (邀请有礼): who invited whom, and the reward the referrer earns once.

The flow, all driven by what the other apps tell (core.events), never by them importing this:

- ``membership.joined`` (communities) with an inviter → a Referral row, status *joined*. Nothing
  when the invitee had been a member before (``rejoined``) or invited themselves; rejected at once
  ("self_referral") when the two accounts share a phone number or an e-mail address (compared
  loosely: +86 or not, a "+tag" in the e-mail).
- ``order.completed`` for the invitee's FIRST completed order in the community → *due*, with
  ``due_at`` = completed_at + the community's refund window. Later orders do nothing.
- ``order.refunded`` of that order inside the window → *rejected* ("refunded").
- The ``engagement.referral_rewards`` sweep (sweeps_referrals.py) takes due rows past ``due_at``
  under their row lock and pays: points (one ledger line keyed on the referral) and the
  community's referral coupon if it has one, then tells the referrer. It re-checks first: the order
  still completed (not refunded), the referrer still a member, the referrer's rewards this week
  (the community's calendar week) under the cap ("weekly_cap" otherwise).
- Suspicious referrals are *held* for an admin (``referral_approve`` / ``referral_reject``); the
  admins are told once a day at most. The patterns and their thresholds are the constants below.

Locks, in this order wherever more than one is taken: the referral row(s) (in primary-key order),
then the referrer's membership row (FOR NO KEY UPDATE), which serialises the weekly cap's count
per referrer.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from communities.models import Community, Invite, Membership, Role
from communities.permissions import Perm, check_perm, has_perm
from core.audit import audit_record
from core.exceptions import Conflict, NotFound, ValidationFailed
from core.net import parse_address
from core.notifications import Notice, in_language_of, notify, notify_many
from engagement.common import engagement_settings
from engagement.models import PointsEntry, Referral
from engagement.points import local_day, points_award

# Suspicious patterns (held for an admin) --------------------------------------------------------

# Many invitees from one address in a short time: this many joins through one referrer's invites
# from one client address within the window hold all of them (the ones not yet paid or refused).
ADDRESS_BURST_JOINS = 5
ADDRESS_BURST_WINDOW = timedelta(hours=24)
# Invitees who never order: a referrer with at least IDLE_INVITEES_MIN earlier invitees, more than
# IDLE_INVITEES_SHARE of whom never completed an order, has their next reward held. Only invitees
# who joined at least IDLE_INVITEE_AGE ago count (a newcomer has not had the time to order).
IDLE_INVITEES_MIN = 5
IDLE_INVITEES_SHARE = 0.5
IDLE_INVITEE_AGE = timedelta(days=14)

HELD_REASONS = {
    "address_burst": lambda: ngettext(
        "%(n)s or more people joined through this member's invites from one address within %(hours)s hour",
        "%(n)s or more people joined through this member's invites from one address within %(hours)s hours",
        int(ADDRESS_BURST_WINDOW.total_seconds() // 3600)) % {
        "n": ADDRESS_BURST_JOINS, "hours": int(ADDRESS_BURST_WINDOW.total_seconds() // 3600)},
    "idle_invitees": lambda: _("Most of this member's earlier invitees (%(n)s or more) never ordered") % {
        "n": IDLE_INVITEES_MIN},
}

# Why a referral earned nothing (Referral.outcome holds the code; "coupon:<id>" on a reward that
# included a coupon).
OUTCOMES = {
    "self_referral": gettext_lazy("Same person: the two accounts share a phone number or an e-mail address"),
    "refunded": gettext_lazy("The first order was refunded"),
    "weekly_cap": gettext_lazy("Over the weekly limit of referral rewards"),
    "rejected": gettext_lazy("Not approved by an admin"),
    "referrer_gone": gettext_lazy("The inviter is no longer a member"),
}

NOTE_MAX = 200


# Who is the same person -------------------------------------------------------------------------

def _phone_key(phone: str | None) -> str:
    """The national number: "+86 138 0013 8000", "8613800138000" and "13800138000" are one phone."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits.lstrip("0")


def _email_key(email: str | None) -> str:
    """The mailbox: "Ann+shop@x.com" is ann@x.com; Gmail ignores dots in the name too."""
    email = (email or "").strip().lower()
    if "@" not in email:
        return ""
    name, _at, domain = email.rpartition("@")
    name = name.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        name, domain = name.replace(".", ""), "gmail.com"
    return f"{name}@{domain}" if name else ""


def same_person(one, other) -> bool:
    """Two accounts with one phone number or one mailbox are taken for one person."""
    phones = _phone_key(one.phone), _phone_key(other.phone)
    emails = _email_key(one.email), _email_key(other.email)
    return bool(phones[0] and phones[0] == phones[1]) or bool(emails[0] and emails[0] == emails[1])


# Reacting to the other apps (core.events handlers: each runs at least once, so each is idempotent)

def on_member_joined(event) -> None:
    """A join by someone's invite makes the invitee's one Referral row (unique per invitee)."""
    from accounts.models import User

    payload = event.payload or {}
    referrer_id, invitee_id = payload.get("invited_by_id"), payload.get("user_id")
    if not referrer_id or not invitee_id or referrer_id == invitee_id or payload.get("rejoined"):
        return
    community_id = event.community_id
    if Referral.objects.filter(community_id=community_id, invitee_id=invitee_id).exists():
        return
    users = {user.pk: user for user in User.objects.filter(pk__in=[referrer_id, invitee_id])
             .only("pk", "phone", "email")}
    if len(users) != 2:
        return  # an account deleted since
    address = parse_address(str(payload.get("join_address") or ""))
    referral = Referral(community_id=community_id, referrer_id=referrer_id, invitee_id=invitee_id,
                        joined_at=event.created_at, join_address=str(address) if address else None)
    if same_person(users[referrer_id], users[invitee_id]):
        referral.status, referral.outcome, referral.decided_at = Referral.Status.REJECTED, "self_referral", timezone.now()
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError:
        return  # made by a concurrent delivery of the same event
    if referral.status == Referral.Status.REJECTED:
        return
    _catch_up_first_order(referral)
    reasons = _join_suspicions(referral)
    if reasons:
        _hold(referral, reasons)


def _first_completed_order(community_id: int, member_id: int):
    from orders.models import Order

    return (Order.objects.filter(community_id=community_id, member_id=member_id, completed_at__isnull=False)
            .order_by("completed_at", "pk").first())


def _due_at(community_id: int, completed_at: datetime) -> datetime:
    rules = engagement_settings(Community(pk=community_id))
    return completed_at + timedelta(days=rules.referral_refund_window_days)


def _catch_up_first_order(referral: Referral) -> None:
    """The first order completed before the join event was handled (a delayed delivery)."""
    order = _first_completed_order(referral.community_id, referral.invitee_id)
    if order is None or order.completed_at < referral.joined_at:
        return
    referral.order, referral.due_at = order, _due_at(referral.community_id, order.completed_at)
    referral.status = Referral.Status.DUE
    referral.save(update_fields=["order", "due_at", "status", "updated_at"])


def on_order_completed(event) -> None:
    """The invitee's first completed order starts the refund window; any later order does nothing."""
    payload = event.payload or {}
    referral = (Referral.objects.select_for_update(of=("self",))
                .filter(community_id=event.community_id, invitee_id=payload.get("member_id")).first())
    if referral is None or referral.order_id or referral.status not in (Referral.Status.JOINED, Referral.Status.HELD):
        return
    first = _first_completed_order(event.community_id, referral.invitee_id)
    if first is None or first.pk != payload.get("order_id"):
        return  # not their first completed order: a later one earns nothing
    referral.order, referral.due_at = first, _due_at(event.community_id, first.completed_at)
    if referral.status == Referral.Status.JOINED:
        referral.status = Referral.Status.DUE
    referral.save(update_fields=["order", "due_at", "status", "updated_at"])


def on_order_refunded(event) -> None:
    """A refund of the first order inside its refund window: no reward, ever."""
    payload = event.payload or {}
    referral = (Referral.objects.select_for_update(of=("self",))
                .filter(community_id=event.community_id, order_id=payload.get("order_id"),
                        status__in=[Referral.Status.DUE, Referral.Status.HELD]).first())
    if referral is None or referral.due_at is None or event.created_at > referral.due_at:
        return
    _reject(referral, "refunded", now=timezone.now())


HANDLERS = {"membership.joined": on_member_joined, "order.completed": on_order_completed,
            "order.refunded": on_order_refunded}


# Suspicion -----------------------------------------------------------------------------------------

def _join_suspicions(referral: Referral) -> list[str]:
    reasons = []
    if referral.join_address:
        burst = Referral.objects.filter(
            community_id=referral.community_id, referrer_id=referral.referrer_id, join_address=referral.join_address,
            joined_at__gt=referral.joined_at - ADDRESS_BURST_WINDOW, joined_at__lte=referral.joined_at).count()
        if burst >= ADDRESS_BURST_JOINS:
            reasons.append("address_burst")
    if _idle_invitees(referral):
        reasons.append("idle_invitees")
    return reasons


def _idle_invitees(referral: Referral) -> bool:
    counts = (Referral.objects.filter(community_id=referral.community_id, referrer_id=referral.referrer_id,
                                      joined_at__lte=referral.joined_at - IDLE_INVITEE_AGE)
              .exclude(pk=referral.pk)
              .aggregate(total=Count("pk"), idle=Count("pk", filter=Q(order__isnull=True))))
    return counts["total"] >= IDLE_INVITEES_MIN and counts["idle"] > counts["total"] * IDLE_INVITEES_SHARE


def _hold(referral: Referral, reasons: list[str]) -> None:
    """Hold the referral (and, for an address burst, its siblings from that address not yet
    settled or reviewed), then tell the community's admins (once a day)."""
    ids = [referral.pk]
    if "address_burst" in reasons:
        ids += list(Referral.objects.filter(
            community_id=referral.community_id, referrer_id=referral.referrer_id, join_address=referral.join_address,
            joined_at__gt=referral.joined_at - ADDRESS_BURST_WINDOW, joined_at__lte=referral.joined_at,
            reviewed_by__isnull=True, status__in=[Referral.Status.JOINED, Referral.Status.DUE],
        ).exclude(pk=referral.pk).values_list("pk", flat=True))
    held = 0
    for row in (Referral.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")):
        if row.status not in (Referral.Status.JOINED, Referral.Status.DUE) or row.reviewed_by_id:
            continue
        codes = [code for code in row.held_reason.split(",") if code] if row.held_reason else []
        row.held_reason = ",".join(dict.fromkeys(codes + reasons))[:200]
        row.status = Referral.Status.HELD
        row.save(update_fields=["status", "held_reason", "updated_at"])
        audit_record(community=Community(pk=row.community_id), actor=None, action="referral.held", obj=row,
                     reasons=row.held_reason, referrer_id=row.referrer_id, invitee_id=row.invitee_id)
        held += 1
    if held:
        _tell_admins_held(referral.community_id)


def _tell_admins_held(community_id: int) -> None:
    community = Community.objects.get(pk=community_id)
    day = local_day(community, timezone.now())
    waiting = Referral.objects.filter(community_id=community_id, status=Referral.Status.HELD).count()
    url = reverse("engagement_console:referrals", kwargs={"slug": community.slug})
    notices = []
    for admin in (Membership.objects.filter(community_id=community_id, status=Membership.Status.ACTIVE,
                                            role__in=[Role.OWNER, Role.ADMIN]).select_related("user")):
        with in_language_of(admin.user):
            notices.append(Notice(
                recipient=admin.user, kind="referral_held", community=community, url=url,
                title=_("Referrals wait for your review"),
                body=ngettext("%(n)s referral is held as suspicious in %(name)s.",
                              "%(n)s referrals are held as suspicious in %(name)s.", waiting) % {
                    "n": waiting, "name": community.name},
                dedupe_key=f"referral_held:{community_id}:{admin.user_id}:{day.isoformat()}"))
    notify_many(notices)


def held_reasons(referral: Referral) -> list[str]:
    """The held reasons in words, in the active language."""
    return [HELD_REASONS[code]() for code in referral.held_reason.split(",") if code in HELD_REASONS]


def outcome_text(referral: Referral) -> str:
    return str(OUTCOMES.get(referral.outcome, "")) if referral.status == Referral.Status.REJECTED else ""


# Paying ---------------------------------------------------------------------------------------------

def week_start(community: Community, now: datetime) -> datetime:
    """Monday 00:00 of ``now``'s week in the community's timezone, as an instant."""
    day = local_day(community, now)
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time.min, tzinfo=zoneinfo.ZoneInfo(community.timezone))


def _reject(referral: Referral, outcome: str, *, now: datetime, actor=None, note: str = "") -> None:
    referral.status, referral.outcome, referral.decided_at = Referral.Status.REJECTED, outcome, now
    fields = ["status", "outcome", "decided_at", "updated_at"]
    if actor is not None:
        referral.reviewed_by = actor
        fields.append("reviewed_by")
    referral.save(update_fields=fields)
    audit_record(community=Community(pk=referral.community_id), actor=actor, action="referral.rejected", obj=referral,
                 outcome=outcome, note=note, referrer_id=referral.referrer_id, invitee_id=referral.invitee_id)


def _pay(referral: Referral, *, now: datetime, actor=None) -> None:
    """Settle a referral whose refund window has passed, under its row lock: rewarded, held
    (a pattern found since it joined) or rejected, with the reason. Exactly once: the status is the
    "done" marker, and the ledger line and the coupon are keyed on the referral."""
    from orders.coupons import coupon_hand_out
    from orders.models import Coupon, Order

    community = Community.objects.get(pk=referral.community_id)
    order = Order.objects.filter(pk=referral.order_id).only("status").first() if referral.order_id else None
    if order is None or order.status != Order.Status.COMPLETED:
        _reject(referral, "refunded", now=now, actor=actor)
        return
    referrer = (Membership.objects.select_for_update(no_key=True).filter(
        community_id=referral.community_id, user_id=referral.referrer_id).select_related("user").first())
    if referrer is None or not referrer.is_active:
        _reject(referral, "referrer_gone", now=now, actor=actor)
        return
    if actor is None and not referral.reviewed_by_id and _idle_invitees(referral):
        _hold(referral, ["idle_invitees"])
        return
    rules = engagement_settings(community)
    paid_this_week = Referral.objects.filter(community_id=community.pk, referrer_id=referral.referrer_id,
                                             status=Referral.Status.REWARDED,
                                             decided_at__gte=week_start(community, now)).count()
    if paid_this_week >= rules.referral_weekly_cap:
        _reject(referral, "weekly_cap", now=now, actor=actor)
        return
    invitee_name = referral.invitee.display_name
    points = rules.referral_points
    points_award(community_id=community.pk, member_id=referral.referrer_id, amount=points,
                 reason=PointsEntry.Reason.REFERRAL, key=f"referral:{referral.pk}", note=invitee_name)
    coupon = None
    if rules.referral_coupon_id:
        coupon = Coupon.objects.filter(pk=rules.referral_coupon_id, community_id=community.pk, is_active=True,
                                       ends_at__gt=now).first()
        if coupon is not None and not coupon_hand_out(coupon=coupon, member_id=referral.referrer_id,
                                                      key=f"referral:{referral.pk}", source="reward"):
            coupon = None
    referral.status, referral.points, referral.decided_at = Referral.Status.REWARDED, points, now
    referral.outcome = f"coupon:{coupon.pk}" if coupon else ""
    fields = ["status", "points", "decided_at", "outcome", "updated_at"]
    if actor is not None:
        referral.reviewed_by = actor
        fields.append("reviewed_by")
    referral.save(update_fields=fields)
    audit_record(community=community, actor=actor, action="referral.rewarded", obj=referral, points=points,
                 coupon=coupon.code if coupon else None, referrer_id=referral.referrer_id,
                 invitee_id=referral.invitee_id)
    if points or coupon:
        user = referrer.user
        with in_language_of(user):
            gift = ngettext("%(n)s point", "%(n)s points", points) % {"n": points}
            if coupon:
                gift = _("%(points)s and the coupon “%(coupon)s”") % {"points": gift, "coupon": coupon.name}
            notify(recipient=user, kind="referral_rewarded", community=community,
                   url=reverse("engagement:my_referrals", kwargs={"slug": community.slug}),
                   title=_("%(name)s ordered: thank you for inviting them!") % {"name": invitee_name},
                   body=_("You earned %(gift)s.") % {"gift": gift}, dedupe_key=f"referral_rewarded:{referral.pk}")


def referral_pay_due(*, referral: Referral, now: datetime | None = None) -> None:
    """The sweep's settle: ``referral`` is locked and due (status due, due_at passed)."""
    _pay(referral, now=now or timezone.now())


# Admins --------------------------------------------------------------------------------------------

def _locked_held(actor: Membership, referral: Referral) -> Referral:
    check_perm(actor, Perm.MANAGE_LOYALTY)
    if referral.community_id != actor.community_id:
        raise NotFound()
    locked = Referral.objects.select_for_update(of=("self",)).select_related("invitee").get(pk=referral.pk)
    if locked.status != Referral.Status.HELD:
        raise Conflict(_("This referral is not waiting for review any more (%(status)s).") % {
            "status": locked.get_status_display()}, code="not_held")
    return locked


def referral_approve(*, actor: Membership, referral: Referral, now: datetime | None = None) -> Referral:
    """Clear a held referral: paid now when its refund window has passed (re-checked as the sweep
    does: refund, membership, weekly cap), else back on its way (due, or waiting for a first order)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_held(actor, referral)
        locked.reviewed_by = actor.user
        audit_record(community=actor.community, actor=actor.user, action="referral.approved", obj=locked,
                     referrer_id=locked.referrer_id, invitee_id=locked.invitee_id)
        if locked.order_id is None:
            locked.status = Referral.Status.JOINED
            locked.save(update_fields=["status", "reviewed_by", "updated_at"])
        elif locked.due_at > now:
            locked.status = Referral.Status.DUE
            locked.save(update_fields=["status", "reviewed_by", "updated_at"])
        else:
            _pay(locked, now=now, actor=actor.user)
    referral.refresh_from_db()
    return referral


def referral_reject(*, actor: Membership, referral: Referral, note: str = "") -> Referral:
    """Refuse a held referral: no reward, ever (the note goes to the audit log)."""
    note = (note or "").replace("\x00", "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(_("Keep the note under %(n)s characters.") % {"n": NOTE_MAX},
                               fields={"note": [_("Too long.")]})
    with transaction.atomic():
        locked = _locked_held(actor, referral)
        _reject(locked, "rejected", now=timezone.now(), actor=actor.user, note=note)
    referral.refresh_from_db()
    return referral


# The member's invite link --------------------------------------------------------------------------

def my_invite(membership: Membership) -> Invite | None:
    """The member's own invite link for referrals: a valid link they made without an expiry or a
    use limit, else a new one. Members who may invite (leaders and up) get it through
    ``communities.services.invite_create`` (their branch scope applies); every other member gets a
    personal link too, since each member's link is how their referrals are recorded. A plain
    member's link never lets anyone past the community's door: where admins review newcomers it
    leads to a join request that remembers the referrer (``Invite.admits`` false); in an
    invite-only community plain members have none (None)."""
    from communities import services as communities

    check_perm(membership, Perm.VIEW)
    policy = membership.community.join_policy
    asks = not has_perm(membership, Perm.INVITE) and policy != Community.JoinPolicy.OPEN
    if asks and policy == Community.JoinPolicy.INVITE:
        return None
    mine = Invite.objects.filter(community_id=membership.community_id, created_by_id=membership.user_id,
                                 revoked_at__isnull=True, expires_at__isnull=True, max_uses__isnull=True,
                                 admits=not asks)
    invite = mine.order_by("-created_at", "-pk").first()
    if invite is not None:
        return invite
    with transaction.atomic():
        # One link per member even when two pages ask at once: their membership row serialises it.
        Membership.objects.select_for_update(no_key=True).filter(pk=membership.pk).first()
        invite = mine.order_by("-created_at", "-pk").first()
        if invite is not None:
            return invite
        label = _("Referral link")
        if has_perm(membership, Perm.INVITE):
            return communities.invite_create(actor=membership, label=label)
        invite = Invite.objects.create(community_id=membership.community_id, created_by_id=membership.user_id,
                                       label=label, admits=not asks)
        audit_record(community=membership.community, actor=membership.user, action="invite.created", obj=invite,
                     code=invite.code, max_uses=None, expires_at=None)
    return invite


# Reads ---------------------------------------------------------------------------------------------

def rules_of(community: Community, now: datetime | None = None) -> dict:
    """The referral rule as members read it: points, the coupon (when active), window, weekly cap."""
    from orders.models import Coupon

    rules = engagement_settings(community)
    coupon = None
    if rules.referral_coupon_id:
        coupon = Coupon.objects.filter(pk=rules.referral_coupon_id, community_id=community.pk, is_active=True,
                                       ends_at__gt=now or timezone.now()).first()
    return {"points": rules.referral_points, "coupon": coupon, "window_days": rules.referral_refund_window_days,
            "weekly_cap": rules.referral_weekly_cap}


def my_referrals(membership: Membership) -> QuerySet[Referral]:
    return (Referral.objects.filter(community_id=membership.community_id, referrer_id=membership.user_id)
            .select_related("invitee").order_by("-joined_at", "-pk"))


def coupons_named(referrals) -> dict[int, object]:
    """The coupons the rewards on a page included, by id (one query)."""
    from orders.models import Coupon

    ids = {int(r.outcome.split(":", 1)[1]) for r in referrals
           if r.outcome.startswith("coupon:") and r.outcome.split(":", 1)[1].isascii()
           and r.outcome.split(":", 1)[1].isdigit()}
    return {c.pk: c for c in Coupon.objects.filter(pk__in=ids)} if ids else {}


def reward_coupon(referral: Referral, coupons: dict):
    if not referral.outcome.startswith("coupon:"):
        return None
    value = referral.outcome.split(":", 1)[1]
    return coupons.get(int(value)) if value.isascii() and value.isdigit() else None


def my_summary(membership: Membership) -> dict:
    counts = my_referrals(membership).aggregate(
        invited=Count("pk"), rewarded=Count("pk", filter=Q(status=Referral.Status.REWARDED)),
        points=Sum("points", filter=Q(status=Referral.Status.REWARDED)))
    return {"invited": counts["invited"], "rewarded": counts["rewarded"], "points": counts["points"] or 0}


def referrals_for_console(community: Community) -> QuerySet[Referral]:
    return (Referral.objects.filter(community_id=community.pk)
            .select_related("referrer", "invitee", "reviewed_by", "order"))


def console_numbers(community: Community) -> dict:
    """Invited, ordered (first order completed), rewarded, points given: one query."""
    counts = Referral.objects.filter(community_id=community.pk).aggregate(
        invited=Count("pk"), ordered=Count("pk", filter=Q(order__isnull=False)),
        rewarded=Count("pk", filter=Q(status=Referral.Status.REWARDED)),
        held=Count("pk", filter=Q(status=Referral.Status.HELD)),
        points=Sum("points", filter=Q(status=Referral.Status.REWARDED)))
    counts["points"] = counts["points"] or 0
    return counts


TOP_REFERRERS = 10


def top_referrers(community: Community, limit: int = TOP_REFERRERS) -> list[dict]:
    """The referrers with the most rewarded referrals (then the most invitees): one query."""
    return list(
        Referral.objects.filter(community_id=community.pk)
        .values("referrer_id", "referrer__display_name")
        .annotate(invited=Count("pk"), ordered=Count("pk", filter=Q(order__isnull=False)),
                  rewarded=Count("pk", filter=Q(status=Referral.Status.REWARDED)),
                  points=Sum("points", filter=Q(status=Referral.Status.REWARDED)))
        .order_by("-rewarded", "-invited", "referrer_id")[:limit])
