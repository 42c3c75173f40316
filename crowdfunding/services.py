"""Writes for campaigns (众筹): launching, tiers, pledges, payments, settlement, updates, rewards.

Money goes through payments.services (a pledge is a charge, paid from the wallet or by a transfer an
admin confirms). Split-bill collections are in crowdfunding/collections.py.

Lock order (the project's is written down in payments/services.py): campaign row (FOR SHARE for
one pledge's change: placing, paying, cancelling, expiring; FOR NO KEY UPDATE for settlement and
campaign-wide actions: editing, cancelling, handing out) → pledge rows (by id) → tier rows (by id,
guarded updates) → charge → wallet. The two campaign locks conflict, so a pledge never lands in
the middle of a settlement, and a settlement sees every pledge that committed before it. NO KEY
UPDATE (never FOR UPDATE) leaves new pledges' deferred foreign-key checks (FOR KEY SHARE at commit)
free to pass. Ledgers (wallet entries, refunds) carry unique keys, so a retried settlement writes
nothing twice. Notices go through core.notifications (e-mail sent on commit).
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, Membership
from communities.permissions import (
    Perm, acts_community_wide, branch_in_scope, check_perm,
    published_in_scope, published_in_view,
)
from core.audit import audit_entry, audit_record, audit_record_many
from core.exceptions import Conflict, DomainError, NotFound, Unprocessable, ValidationFailed
from core.images import clean_image, image_size
from core.money import MAX_AMOUNT, money, parse_money
from core.notifications import Notice, in_language_of, notify, notify_many
from core.templatetags.money import money as format_money
from crowdfunding.models import Campaign, CampaignImage, CampaignUpdate, Pledge, RewardTier, TierPriceStep
from payments import services as payments
from payments.models import Payment, Refund

MAX_TIERS = 20
MAX_PRICE_STEPS = 10
MAX_QUANTITY = 99  # units of one tier in one pledge
MAX_TIER_LIMIT = 1_000_000
MAX_STORY = 20000
MAX_UPDATE_BODY = 5000
MAX_DAYS_AHEAD = 366
ENDING_SOON = timedelta(hours=48)
TRANSFER_WAITING_REMINDER = timedelta(hours=1)

LIVE_PLEDGE = (Pledge.Status.PENDING_PAYMENT, Pledge.Status.PAID)
PAID_PLEDGE = (Pledge.Status.PAID, Pledge.Status.COLLECTED, Pledge.Status.HANDED_OUT, Pledge.Status.SHIPPED)
BACKED = (Pledge.Status.PENDING_PAYMENT, *PAID_PLEDGE)

# Equity and debt crowdfunding are regulated and not offered: a campaign that promises a return on
# money is refused. Words, not a guarantee: admins are told why, and the form says so up front.
_PROMISES = re.compile(
    r"(利息|利率|年化|分红|股权|股份|股息|回购|还本|保本|本金|收益率|借款|债权|"
    r"\binterest\b|\bdividends?\b|\bequity\b|\bshares? in\b|\brepay(ment|s)?\b|\bloans?\b|\breturn on investment\b|"
    r"\bROI\b|\bannual yield\b)", re.IGNORECASE)


def _transition(obj, to: str, *, actor=None, **data) -> None:
    """Record a state change (who, when, from, to) in the audit log."""
    audit_record(community=obj.community, actor=actor, action=f"{obj._meta.model_name}.{to}",
                 target_user=getattr(obj, "member", None), obj=obj,
                 **{"from": data.pop("from_status", None), "to": to, **data})


def _tz(campaign: Campaign):
    return zoneinfo.ZoneInfo(campaign.community.timezone)


def _clean(value, *, field: str, limit: int, required: bool = False, label=None) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationFailed(_("Fill in %(field)s.") % {"field": label or field}, fields={field: [_("Required.")]})
    if len(text) > limit:
        raise ValidationFailed(_("Keep it under %(max)s characters.") % {"max": limit},
                               fields={field: [_("At most %(max)s characters.") % {"max": limit}]})
    return text


def deadline_instant(community: Community, day: date) -> datetime:
    """The end of ``day`` in the community's timezone (23:59:59.999999 local), as an instant."""
    zone = zoneinfo.ZoneInfo(community.timezone)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone) - timedelta(microseconds=1)


def deadline_day(campaign: Campaign) -> date:
    return timezone.localtime(campaign.deadline, _tz(campaign)).date()


def _parse_day(value, *, field: str = "deadline") -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValidationFailed(_("Enter a date such as 2026-12-31."), fields={field: [_("Not a date.")]})
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("Enter a date such as 2026-12-31."), fields={field: [_("Not a date.")]}) from None


def _parse_int(value, *, field: str, low: int, high: int, blank_ok: bool = False) -> int | None:
    if blank_ok and (value is None or str(value).strip() == ""):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or not low <= int(text) <= high:
        raise ValidationFailed(_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
                               fields={field: [_("From %(low)s to %(high)s.") % {"low": low, "high": high}]})
    return int(text)


# Campaigns ---------------------------------------------------------------------------------------

@dataclass
class TierSpec:
    """A reward tier as a form or the API describes it. ``id`` names an existing tier when editing."""

    title: str
    amount: Decimal | str
    description: str = ""
    quantity_limit: int | str | None = None
    estimated_delivery: date | str | None = None
    fulfilment: str = RewardTier.Fulfilment.PICKUP
    price_steps: list = field(default_factory=list)  # [(min_quantity, price), ...]
    id: int | None = None


CAMPAIGN_FIELDS = ("kind", "title", "story", "goal", "deadline", "funding_model", "branch")


def _campaign_values(community: Community, values: dict, *, now: datetime) -> dict:
    """Cleaned campaign fields, or ValidationFailed naming every bad one."""
    errors: dict[str, list] = {}
    cleaned: dict = {}

    def attempt(name, read):
        if name not in values:
            return
        try:
            cleaned[name] = read(values[name])
        except ValidationFailed as error:
            errors.update(error.fields or {name: [error.message]})

    attempt("kind", lambda v: v if v in Campaign.Kind.values else _bad("kind", _("Choose reward or donation.")))
    attempt("funding_model", lambda v: v if v in Campaign.FundingModel.values
            else _bad("funding_model", _("Choose all-or-nothing or keep-what-you-raise.")))
    attempt("title", lambda v: _clean(v, field="title", limit=120, required=True, label=_("the title")))
    attempt("story", lambda v: _clean(v, field="story", limit=MAX_STORY))
    attempt("goal", lambda v: _positive_money(v, field="goal"))
    attempt("deadline", lambda v: _deadline(community, v, now=now))
    if "branch" in values:
        cleaned["branch"] = values["branch"]
    for name in ("title", "story"):
        if name in cleaned and _PROMISES.search(cleaned[name]):
            errors.setdefault(name, []).append(_(
                "A campaign cannot promise interest, dividends, shares or repayment: equity and debt "
                "crowdfunding are not offered."))
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), fields=errors)
    return cleaned


def _bad(field_name: str, message: str):
    raise ValidationFailed(message, fields={field_name: [message]})


def _positive_money(value, *, field: str, maximum: Decimal = MAX_AMOUNT) -> Decimal:
    amount = parse_money(value, field=field, maximum=maximum)
    if amount <= 0:
        _bad(field, _("The amount must be more than zero."))
    return amount


def _deadline(community: Community, value, *, now: datetime) -> datetime:
    day = _parse_day(value)
    today = timezone.localtime(now, zoneinfo.ZoneInfo(community.timezone)).date()
    if day < today:
        _bad("deadline", _("The deadline cannot be in the past."))
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        _bad("deadline", _("The deadline can be at most a year away."))
    return deadline_instant(community, day)


def _tier_values(specs: list[TierSpec], *, kind: str) -> list[dict]:
    if kind == Campaign.Kind.DONATION and specs:
        _bad("tiers", _("A donation drive has no reward tiers."))
    if len(specs) > MAX_TIERS:
        _bad("tiers", _("A campaign has at most %(max)s tiers.") % {"max": MAX_TIERS})
    cleaned, errors = [], {}
    for index, spec in enumerate(specs):
        prefix = f"tiers.{index}"
        try:
            amount = _positive_money(spec.amount, field=f"{prefix}.amount")
            steps = []
            if len(spec.price_steps or []) > MAX_PRICE_STEPS:
                _bad(f"{prefix}.price_steps", _("At most %(max)s price steps.") % {"max": MAX_PRICE_STEPS})
            for number, (min_quantity, price) in enumerate(spec.price_steps or []):
                qty = _parse_int(min_quantity, field=f"{prefix}.price_steps.{number}.min_quantity", low=2,
                                 high=MAX_TIER_LIMIT)
                step_price = _positive_money(price, field=f"{prefix}.price_steps.{number}.price")
                if step_price >= amount:
                    _bad(f"{prefix}.price_steps.{number}.price", _("A step price is lower than the tier's amount."))
                steps.append((qty, step_price))
            steps.sort()
            if len({q for q, _p in steps}) != len(steps) or any(
                    b[1] >= a[1] for a, b in zip(steps, steps[1:])):
                _bad(f"{prefix}.price_steps", _("Each step starts at a larger quantity and costs less."))
            delivery = spec.estimated_delivery
            if delivery not in (None, ""):
                delivery = _parse_day(delivery, field=f"{prefix}.estimated_delivery")
            else:
                delivery = None
            if spec.fulfilment not in RewardTier.Fulfilment.values:
                _bad(f"{prefix}.fulfilment", _("Choose pickup or shipping."))
            cleaned.append({
                "id": spec.id,
                "title": _clean(spec.title, field=f"{prefix}.title", limit=80, required=True, label=_("the title")),
                "description": _clean(spec.description, field=f"{prefix}.description", limit=500),
                "amount": amount,
                "quantity_limit": _parse_int(spec.quantity_limit, field=f"{prefix}.quantity_limit", low=1,
                                             high=MAX_TIER_LIMIT, blank_ok=True),
                "estimated_delivery": delivery, "fulfilment": spec.fulfilment, "price_steps": steps,
            })
        except ValidationFailed as error:
            errors.update(error.fields or {})
    if errors:
        raise ValidationFailed(_("Check the reward tiers."), fields=errors)
    for text in (t["title"] + " " + t["description"] for t in cleaned):
        if _PROMISES.search(text):
            _bad("tiers", _("A reward cannot promise interest, dividends, shares or repayment."))
    return cleaned


def campaign_create(*, actor: Membership, title: str, goal, deadline, kind: str = Campaign.Kind.REWARD,
                    story: str = "", funding_model: str = Campaign.FundingModel.ALL_OR_NOTHING,
                    branch: Community | None = None, tiers: list[TierSpec] | None = None,
                    now: datetime | None = None) -> Campaign:
    """A draft campaign with its tiers. A leader's is for their own branch."""
    check_perm(actor, Perm.MANAGE_CAMPAIGNS)
    now = now or timezone.now()
    community = actor.community
    if branch is not None and branch.parent_id != community.pk:
        _bad("branch", _("Choose one of this community's branches."))
    values = _campaign_values(community, {"kind": kind, "title": title, "story": story, "goal": goal,
                                          "deadline": deadline, "funding_model": funding_model}, now=now)
    tier_values = _tier_values(list(tiers or []), kind=values["kind"])
    branch = branch_in_scope(actor, branch)
    with transaction.atomic():
        campaign = Campaign.objects.create(community=community, branch=branch, currency=community.currency,
                                           created_by=actor.user, **values)
        for position, tier in enumerate(tier_values):
            _tier_create(campaign, tier, position)
        audit_record(community=community, actor=actor.user, action="campaign.created", obj=campaign,
                     title=campaign.title)
    return campaign


def _tier_create(campaign: Campaign, values: dict, position: int) -> RewardTier:
    steps = values["price_steps"]
    tier = RewardTier.objects.create(
        community_id=campaign.community_id, campaign=campaign, position=position,
        **{k: v for k, v in values.items() if k not in ("id", "price_steps")})
    TierPriceStep.objects.bulk_create([TierPriceStep(community_id=campaign.community_id, tier=tier,
                                                     min_quantity=q, price=p) for q, p in steps])
    return tier


def campaigns_in_view(actor: Membership, campaigns):
    """Campaigns the actor sees in the console: a leader, those for the whole community, their
    branch's and their own."""
    return published_in_view(actor, campaigns)


def campaigns_in_scope(actor: Membership, campaigns):
    """Campaigns the actor may change: a leader, their own."""
    return published_in_scope(actor, campaigns)


def _check_campaign(actor: Membership, campaign: Campaign, *, change: bool = True) -> None:
    check_perm(actor, Perm.MANAGE_CAMPAIGNS)
    narrow = campaigns_in_scope if change else campaigns_in_view
    if campaign.community_id != actor.community_id or not narrow(
            actor, Campaign.objects.filter(pk=campaign.pk)).exists():
        raise NotFound()


def _lock_campaign(campaign_id: int, *, share: bool) -> Campaign:
    """First lock of every change to a campaign's pledges (see the module's lock order)."""
    qs = Campaign.objects.select_related("community").filter(pk=campaign_id)
    if share:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT 1 FROM "{Campaign._meta.db_table}" WHERE id = %s FOR SHARE', [campaign_id])
        return qs.get()
    return qs.select_for_update(of=("self",), no_key=True).get()


def _tier_has_backers(tier: RewardTier) -> bool:
    return tier.pledges.filter(status__in=BACKED).exists()


def campaign_update(*, actor: Membership, campaign: Campaign, values: dict | None = None,
                    tiers: list[TierSpec] | None = None, now: datetime | None = None) -> Campaign:
    """Change a campaign. A draft: anything. Live: goal, deadline, kind, funding model and branch are
    frozen, as is every tier with backers (its quantity may only rise); tiers without backers may
    change or go, new tiers may be added; title and story may always change. Settling or settled:
    title and story only. ``tiers`` (when given) is the whole list: tiers left out are removed."""
    _check_campaign(actor, campaign)
    now = now or timezone.now()
    values = {k: v for k, v in (values or {}).items() if k in CAMPAIGN_FIELDS}
    with transaction.atomic():
        locked = _lock_campaign(campaign.pk, share=False)
        if locked.status == Campaign.Status.CANCELLED:
            raise Conflict(_("This campaign was cancelled."), code="campaign_cancelled")
        if "deadline" in values and locked.status != Campaign.Status.DRAFT \
                and _parse_day(values["deadline"]) == deadline_day(locked):
            del values["deadline"]  # the same day again: nothing changes
        cleaned = _campaign_values(locked.community, {k: v for k, v in values.items() if k != "branch"}, now=now)
        if "branch" in values:
            branch = values["branch"]
            if branch is not None and branch.parent_id != locked.community_id:
                _bad("branch", _("Choose one of this community's branches."))
            cleaned["branch"] = branch_in_scope(actor, branch)
        changed = {name for name, value in cleaned.items() if value != _current(locked, name)}
        if locked.status != Campaign.Status.DRAFT:
            allowed = {"title", "story"}
            frozen = changed - allowed
            if locked.status != Campaign.Status.LIVE and tiers is not None:
                frozen.add("tiers")
            if frozen:
                raise Conflict(_("Backers pledged on these terms: they cannot change now."), code="frozen",
                               fields={name: [_("Frozen once the campaign is live.")] for name in sorted(frozen)})
        changes = {name: (_shown(_current(locked, name)), _shown(cleaned[name])) for name in changed}
        for name in changed:
            setattr(locked, name, cleaned[name])
        if tiers is not None:
            changes.update(_tiers_replace(locked, _tier_values(list(tiers), kind=locked.kind)))
        if changes:
            locked.save()
            audit_record(community=locked.community, actor=actor.user, action="campaign.changed", obj=locked,
                         changes=changes)
    campaign.refresh_from_db()
    return campaign


def _current(campaign: Campaign, name: str):
    if name == "branch":
        return campaign.branch
    if name == "deadline":
        return campaign.deadline
    return getattr(campaign, name)


def _shown(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Community):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _tiers_replace(campaign: Campaign, wanted: list[dict]) -> dict:
    """Apply the edited tier list under the campaign's lock; returns what changed for the audit."""
    existing = {t.pk: t for t in RewardTier.objects.select_for_update().filter(campaign=campaign).order_by("pk")}
    backed = set(Pledge.objects.filter(campaign=campaign, status__in=BACKED, tier__isnull=False)
                 .values_list("tier_id", flat=True))
    live = campaign.status == Campaign.Status.LIVE
    errors: dict[str, list] = {}
    kept = set()
    changes: dict = {}
    for position, values in enumerate(wanted):
        tier_id = values.get("id")
        if tier_id is not None and tier_id not in existing:
            errors[f"tiers.{position}.id"] = [_("Not a tier of this campaign.")]
            continue
        if tier_id is None:
            _tier_create(campaign, values, position)
            changes[f"tier:{values['title']}"] = (None, str(values["amount"]))
            continue
        kept.add(tier_id)
        tier = existing[tier_id]
        steps = list(tier.price_steps.values_list("min_quantity", "price"))
        if live and tier_id in backed:
            same = all(values[name] == getattr(tier, name) for name in (
                "title", "description", "amount", "estimated_delivery", "fulfilment")) and values["price_steps"] == steps
            old, new = tier.quantity_limit, values["quantity_limit"]
            if not same:
                errors[f"tiers.{position}"] = [_("This tier has backers: only its quantity may rise.")]
                continue
            if not (new == old or new is None or (old is not None and new > old)):
                errors[f"tiers.{position}.quantity_limit"] = [_("The quantity of a tier with backers may only rise.")]
                continue
        if values["quantity_limit"] is not None and values["quantity_limit"] < tier.quantity_taken:
            errors[f"tiers.{position}.quantity_limit"] = [_("%(n)s are already taken.") % {"n": tier.quantity_taken}]
            continue
        for name in ("title", "description", "amount", "quantity_limit", "estimated_delivery", "fulfilment"):
            if getattr(tier, name) != values[name]:
                changes[f"tier:{tier.pk}:{name}"] = (_shown(getattr(tier, name)), _shown(values[name]))
                setattr(tier, name, values[name])
        tier.position = position
        tier.save()
        if values["price_steps"] != steps:
            tier.price_steps.all().delete()
            TierPriceStep.objects.bulk_create([TierPriceStep(community_id=campaign.community_id, tier=tier,
                                                             min_quantity=q, price=p) for q, p in values["price_steps"]])
            changes[f"tier:{tier.pk}:price_steps"] = (str(steps), str(values["price_steps"]))
    for tier_id, tier in existing.items():
        if tier_id in kept:
            continue
        if tier_id in backed or tier.pledges.exists():
            errors["tiers"] = [_("“%(title)s” has backers and cannot be removed.") % {"title": tier.title}]
            continue
        changes[f"tier:{tier.pk}"] = (tier.title, None)
        tier.delete()
    if errors:
        if live:  # backers pledged on these tiers: a conflict with what stands, as for the campaign's terms
            raise Conflict(_("Backers pledged on these tiers: check the highlighted ones."), code="frozen", fields=errors)
        raise ValidationFailed(_("Check the reward tiers."), fields=errors)
    return changes


MAX_STORY_IMAGES = 9


def campaign_set_cover(*, actor: Membership, campaign: Campaign, upload) -> Campaign:
    """Set (or, with ``upload`` None, remove) the cover: checked and re-encoded without EXIF."""
    _check_campaign(actor, campaign)
    content = clean_image(upload, field="cover") if upload is not None else None
    old = campaign.cover.name
    if content is not None:
        campaign.cover.save(content.name, content, save=False)  # the file first: no I/O under the lock
    with transaction.atomic():
        locked = _lock_campaign(campaign.pk, share=False)
        if locked.status == Campaign.Status.CANCELLED:
            raise Conflict(_("This campaign was cancelled."), code="campaign_cancelled")
        Campaign.objects.filter(pk=locked.pk).update(cover=campaign.cover.name if content else "",
                                                     updated_at=timezone.now())
        audit_record(community=locked.community, actor=actor.user, action="campaign.changed", obj=locked,
                     changes={"cover": [old or None, campaign.cover.name if content else None]})
    campaign.refresh_from_db()
    return campaign


def campaign_image_add(*, actor: Membership, campaign: Campaign, upload) -> CampaignImage:
    """A photo for the story (at most nine), checked and re-encoded without EXIF."""
    _check_campaign(actor, campaign)
    content = clean_image(upload, field="image")
    width, height = image_size(content)
    image = CampaignImage(community_id=campaign.community_id, campaign=campaign, width=width, height=height)
    image.image.save(content.name, content, save=False)
    with transaction.atomic():
        _lock_campaign(campaign.pk, share=False)  # serialises uploads: the limit holds
        count = CampaignImage.objects.filter(campaign=campaign).count()
        if count >= MAX_STORY_IMAGES:
            image.image.delete(save=False)
            _bad("image", _("A campaign has at most %(max)s photos.") % {"max": MAX_STORY_IMAGES})
        image.position = count
        image.save()
    return image


def campaign_image_remove(*, actor: Membership, image: CampaignImage) -> None:
    _check_campaign(actor, image.campaign)
    with transaction.atomic():
        _lock_campaign(image.campaign_id, share=False)
        CampaignImage.objects.filter(pk=image.pk).delete()
    transaction.on_commit(lambda: image.image.delete(save=False))


def campaign_launch(*, actor: Membership, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """draft → live: members can back it until the deadline."""
    _check_campaign(actor, campaign)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_campaign(campaign.pk, share=False)
        if locked.status != Campaign.Status.DRAFT:
            raise Conflict(_("Only a draft can be launched."), code="not_draft")
        if locked.deadline <= now:
            raise Conflict(_("The deadline has passed: choose a later one first."), code="deadline_passed",
                           fields={"deadline": [_("In the past.")]})
        if locked.kind == Campaign.Kind.REWARD and not locked.tiers.exists():
            raise Conflict(_("Add at least one reward tier first."), code="no_tiers", fields={"tiers": [_("Required.")]})
        if locked.tiers.filter(fulfilment=RewardTier.Fulfilment.PICKUP).exists() and not _pickup_points(locked).exists():
            raise Conflict(_("A reward is picked up, but there is no pickup point for this campaign's members: add one "
                             "first."), code="no_pickup_point", fields={"tiers": [_("No pickup point.")]})
        locked.status, locked.launched_at = Campaign.Status.LIVE, now
        locked.save(update_fields=["status", "launched_at", "updated_at"])
        _transition(locked, Campaign.Status.LIVE, actor=actor.user, from_status=Campaign.Status.DRAFT)
    campaign.refresh_from_db()
    return campaign


def campaign_cancel(*, actor: Membership, campaign: Campaign, reason: str = "") -> Campaign:
    """draft or live → cancelled: every pledge is released and what was paid goes back."""
    _check_campaign(actor, campaign)
    reason = _clean(reason, field="reason", limit=200)
    with transaction.atomic():
        locked = _lock_campaign(campaign.pk, share=False)
        if locked.status not in (Campaign.Status.DRAFT, Campaign.Status.LIVE):
            raise Conflict(_("Only a draft or live campaign can be cancelled."), code="not_cancellable")
        previous = locked.status
        released = list(_pledges_to_settle(locked))
        _release_many(released, refund_reason="campaign_cancelled", actor=actor.user)
        locked.status, locked.cancelled_at = Campaign.Status.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "cancelled_at", "updated_at"])
        _transition(locked, Campaign.Status.CANCELLED, actor=actor.user, from_status=previous, note=reason)
        if previous == Campaign.Status.LIVE:
            _tell_backers_cancelled(locked, released, reason)
    campaign.refresh_from_db()
    return campaign


# Progress ----------------------------------------------------------------------------------------

@dataclass
class Totals:
    raised: Decimal
    backers: int
    pending: Decimal  # pledged, awaiting payment


def campaign_totals(campaign: Campaign) -> Totals:
    """What was raised (paid pledges) and by how many backers: the public figure. While a campaign
    settles, the figure of its deadline (transfers confirmed after it move it at settlement)."""
    if campaign.status == Campaign.Status.SETTLING and campaign.deadline_raised is not None:
        return Totals(campaign.deadline_raised, campaign.deadline_backers or 0, Decimal("0"))
    return campaign_totals_many([campaign])[campaign.pk]


def campaign_totals_many(campaigns) -> dict[int, Totals]:
    """Totals of several campaigns in one query (lists, the home page)."""
    ids = [c.pk for c in campaigns]
    rows = (Pledge.objects.filter(campaign_id__in=ids, status__in=BACKED).values("campaign_id")
            .annotate(raised=Sum("amount", filter=Q(status__in=PAID_PLEDGE)),
                      backers=Count("member_id", filter=Q(status__in=PAID_PLEDGE), distinct=True),
                      pending=Sum("amount", filter=Q(status=Pledge.Status.PENDING_PAYMENT))))
    found = {r["campaign_id"]: Totals(r["raised"] or Decimal("0"), r["backers"], r["pending"] or Decimal("0"))
             for r in rows}
    result = {}
    for c in campaigns:
        if c.status == Campaign.Status.SETTLING and c.deadline_raised is not None:
            result[c.pk] = Totals(c.deadline_raised, c.deadline_backers or 0, Decimal("0"))
        else:
            result[c.pk] = found.get(c.pk, Totals(Decimal("0"), 0, Decimal("0")))
    return result


def tier_price(tier: RewardTier, quantity: int, steps=None) -> Decimal:
    """The price of one unit of the tier once ``quantity`` units are backed (阶梯价)."""
    steps = list(tier.price_steps.all()) if steps is None else steps
    price = tier.amount
    for step in steps:
        if quantity >= step.min_quantity and step.price < price:
            price = step.price
    return price


# Pledges -----------------------------------------------------------------------------------------

def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def pledge_place(*, member: Membership, campaign: Campaign, idempotency_key: str, tier_id: int | None = None,
                 quantity=1, extra_support="0", amount=None, anonymous: bool = False, note: str = "",
                 pickup_point_id: int | None = None, shipping_address: str = "") -> tuple[Pledge, bool]:
    """Back a campaign; returns (pledge, created). A tier's limited quantity is never passed (a
    guarded update and a CHECK constraint), an unpaid pledge holds its units for the community's
    payment window, and a retry with the same key returns the first pledge (another request with
    that key is refused with 422). Without a tier, ``amount`` is the gift."""
    check_perm(member, Perm.VIEW)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ValidationFailed(_("A request key (Idempotency-Key) of 1 to 100 characters is required."),
                               code="idempotency_key_required", fields={"idempotency_key": [_("Required.")]})
    tier_id = _parse_int(tier_id, field="tier", low=1, high=2**31 - 1, blank_ok=True)
    quantity = _parse_int(quantity, field="quantity", low=1, high=MAX_QUANTITY)
    extra = parse_money(extra_support if extra_support not in (None, "") else "0", field="extra_support")
    gift = None if tier_id is not None else _positive_money(amount, field="amount")
    if tier_id is None and quantity != 1:
        _bad("quantity", _("A gift without a reward has no quantity."))
    note = _clean(note, field="note", limit=200)
    shipping_address = _clean(shipping_address, field="shipping_address", limit=300)
    fingerprint = _fingerprint({"campaign": campaign.pk, "tier": tier_id, "quantity": quantity, "extra": str(extra),
                                "amount": str(gift), "anonymous": bool(anonymous), "point": pickup_point_id,
                                "address": shipping_address})
    try:
        return _place(member, campaign, key, fingerprint, tier_id=tier_id, quantity=quantity, extra=extra,
                      gift=gift, anonymous=bool(anonymous), note=note, pickup_point_id=pickup_point_id,
                      shipping_address=shipping_address), True
    except IntegrityError:
        existing = _pledge_for_key(member, key, fingerprint)
        if existing is None:
            raise
        return existing, False
    except DomainError:
        existing = _pledge_for_key(member, key, fingerprint)
        if existing is None:
            raise
        return existing, False


def _pledge_for_key(member: Membership, key: str, fingerprint: str) -> Pledge | None:
    pledge = Pledge.objects.filter(community_id=member.community_id, member_id=member.user_id,
                                   idempotency_key=key).first()
    if pledge is not None and pledge.request_fingerprint != fingerprint:
        raise Unprocessable(_("This request key was already used for a different pledge."),
                            code="idempotency_key_reused")
    return pledge


def campaign_visible_to(member: Membership, campaign: Campaign) -> bool:
    """A member sees live and settled campaigns of their community aimed at everyone or their branch."""
    if campaign.community_id != member.community_id or campaign.status == Campaign.Status.DRAFT:
        return False
    return campaign.branch_id is None or campaign.branch_id == member.branch_id or acts_community_wide(member)


def _pickup_points(campaign: Campaign):
    """Where a campaign's rewards are picked up: the community's points in use (a branch's campaign:
    its branch's and the community-wide ones)."""
    from orders.models import PickupPoint

    points = PickupPoint.objects.filter(community_id=campaign.community_id, is_active=True)
    if campaign.branch_id:
        points = points.filter(Q(branch__isnull=True) | Q(branch_id=campaign.branch_id))
    return points.order_by("name")


def _pickup_point(campaign: Campaign, pickup_point_id):
    point_id = _parse_int(pickup_point_id, field="pickup_point", low=1, high=2**31 - 1, blank_ok=True)
    if point_id is None:
        _bad("pickup_point", _("Choose where you pick the reward up."))
    point = _pickup_points(campaign).filter(pk=point_id).first()
    if point is None:
        _bad("pickup_point", _("Choose one of the pickup points offered."))
    return point


def pickup_points_for(campaign: Campaign) -> list:
    """The pickup points a backer of ``campaign`` chooses from."""
    return list(_pickup_points(campaign))


def _place(member, campaign, key, fingerprint, *, tier_id, quantity, extra, gift, anonymous, note,
           pickup_point_id, shipping_address) -> Pledge:
    if not campaign_visible_to(member, campaign):
        raise NotFound()
    now = timezone.now()
    if campaign.status != Campaign.Status.LIVE or now >= campaign.deadline:
        raise Conflict(_("This campaign is not taking pledges."), code="campaign_closed")
    tier = None
    if tier_id is not None:
        if campaign.kind == Campaign.Kind.DONATION:
            _bad("tier", _("A donation drive has no reward tiers."))
        tier = RewardTier.objects.filter(campaign=campaign, pk=tier_id).prefetch_related("price_steps").first()
        if tier is None:
            _bad("tier", _("Choose one of this campaign's tiers."))
        if tier.remaining is not None and tier.remaining < quantity:
            raise _sold_out(tier)
    point, address = None, ""
    if tier is not None and tier.fulfilment == RewardTier.Fulfilment.PICKUP:
        point = _pickup_point(campaign, pickup_point_id)
    elif tier is not None:
        if not shipping_address:
            _bad("shipping_address", _("Enter the shipping address."))
        address = shipping_address
    unit = tier_price(tier, tier.quantity_taken + quantity, list(tier.price_steps.all())) if tier else Decimal("0")
    total = money(unit * quantity + (extra if tier else gift + extra))
    if total > MAX_AMOUNT:
        _bad("amount", _("A pledge can be at most %(max)s.") % {"max": MAX_AMOUNT})
    window = timedelta(minutes=member.community.payment_window_minutes)
    with transaction.atomic():
        _lock_campaign(campaign.pk, share=True)
        if not Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.LIVE, deadline__gt=now).exists():
            raise Conflict(_("This campaign is not taking pledges."), code="campaign_closed")
        charge = payments.charge_open(community_id=campaign.community_id, member_id=member.user_id, amount=total,
                                      currency=campaign.currency, purpose="pledge", description=campaign.title,
                                      url=campaign.get_absolute_url())
        pledge = Pledge.objects.create(
            community_id=campaign.community_id, campaign=campaign, tier=tier, member_id=member.user_id,
            branch_id=member.branch_id, charge=charge, quantity=quantity, unit_amount=unit,
            extra_support=extra if tier else gift + extra, amount=total, anonymous=anonymous, note=note,
            pickup_point=point, shipping_address=address, idempotency_key=key, request_fingerprint=fingerprint,
            expires_at=min(now + window, campaign.deadline))
        if tier is not None:
            _take_units(tier, quantity)
    return pledge


def _sold_out(tier: RewardTier) -> Conflict:
    return Conflict(_("“%(title)s” is sold out.") % {"title": tier.title}, code="sold_out",
                    fields={"tier": [_("Sold out.")]})


def _take_units(tier: RewardTier, quantity: int) -> None:
    """A guarded update: the tier's limit is never passed (the CHECK constraint says so too)."""
    taken = RewardTier.objects.filter(Q(quantity_limit__isnull=True) | Q(
        quantity_limit__gte=F("quantity_taken") + quantity), pk=tier.pk).update(
        quantity_taken=F("quantity_taken") + quantity)
    if not taken:
        raise _sold_out(tier)


def _lock_pledge(pledge_id: int) -> Pledge:
    return (Pledge.objects.select_for_update(of=("self",))
            .select_related("campaign__community", "charge", "member", "tier", "community").get(pk=pledge_id))


def _lock_for_payment(member: Membership, pledge: Pledge) -> Pledge:
    if pledge.member_id != member.user_id or pledge.community_id != member.community_id:
        raise NotFound()
    _lock_campaign(pledge.campaign_id, share=True)
    locked = _lock_pledge(pledge.pk)
    if locked.status != Pledge.Status.PENDING_PAYMENT:
        raise Conflict(_("This pledge is not waiting for payment."), code="not_payable")
    if locked.campaign.status != Campaign.Status.LIVE or timezone.now() >= locked.campaign.deadline:
        raise Conflict(_("The campaign has ended."), code="campaign_closed")
    return locked


def pledge_pay_with_wallet(*, member: Membership, pledge: Pledge) -> Pledge:
    """Pay an unpaid pledge from the member's wallet in one transaction (a double tap pays once)."""
    with transaction.atomic():
        locked = _lock_for_payment(member, pledge)
        payments.pay_with_wallet(charge=locked.charge, actor=member.user)
        _mark_paid(locked, actor=member.user)
    pledge.refresh_from_db()
    return pledge


def pledge_report_transfer(*, member: Membership, pledge: Pledge, reference: str = "") -> Payment:
    """The member says they paid by transfer; an admin confirms it. Until then the pledge keeps its
    units, and a campaign reaching its deadline waits (settling) for the admins' answer."""
    with transaction.atomic():
        locked = _lock_for_payment(member, pledge)
        payment = payments.transfer_report(charge=locked.charge, reference=reference)
        _transition(locked, "transfer_reported", actor=member.user, from_status=locked.status,
                    amount=str(payment.amount))
    return payment


def _mark_paid(pledge: Pledge, *, actor) -> None:
    pledge.status, pledge.paid_at, pledge.expires_at = Pledge.Status.PAID, timezone.now(), None
    pledge.save(update_fields=["status", "paid_at", "expires_at", "updated_at"])
    _transition(pledge, Pledge.Status.PAID, actor=actor, from_status=Pledge.Status.PENDING_PAYMENT)


def _lock_pledges_for_admin(actor: Membership, pledges: list[Pledge]) -> list[Pledge]:
    ids = sorted({p.pk for p in pledges if p.community_id == actor.community_id})
    if len(ids) != len({p.pk for p in pledges}):
        raise NotFound()
    for campaign_id in sorted(set(Pledge.objects.filter(pk__in=ids).values_list("campaign_id", flat=True))):
        _lock_campaign(campaign_id, share=True)
    return list(Pledge.objects.select_for_update(of=("self",))
                .select_related("campaign__community", "charge", "member", "community", "tier")
                .filter(pk__in=ids).order_by("pk"))


def pledges_mark_received(*, actor: Membership, pledges: list[Pledge], reference: str = "") -> list[Pledge]:
    """Admins confirm transfers or cash for pledges, one or many; paid ones are skipped. Money that
    arrives for a pledge no longer due (cancelled, expired, the campaign over) is recorded and owed back."""
    check_perm(actor, Perm.MANAGE_ORDERS)
    reference = _clean(reference, field="reference", limit=100)
    marked = []
    with transaction.atomic():
        for pledge in _lock_pledges_for_admin(actor, pledges):
            if pledge.status == Pledge.Status.PENDING_PAYMENT:
                payments.transfer_confirm(charge=pledge.charge, actor=actor.user, reference=reference)
                _mark_paid(pledge, actor=actor.user)
                _notify(pledge, kind="payment_received",
                        title=_("Payment received: %(amount)s") % {
                            "amount": format_money(pledge.amount, pledge.campaign.currency)},
                        body=_("An admin confirmed your pledge to %(title)s.") % {"title": pledge.campaign.title},
                        key=f"pledge_received:{pledge.pk}")
                marked.append(pledge)
            elif payments.has_pending_transfer(pledge.charge_id):
                payment = payments.transfer_confirm(charge=pledge.charge, actor=actor.user, reference=reference)
                if payment is not None:
                    payments.refund(charge=pledge.charge, amount=payment.amount, reason="arrived_too_late",
                                    key=f"late_transfer:pledge:{pledge.pk}", actor=actor.user)
                    _notify(pledge, kind="refund_owed",
                            title=_("Your transfer for %(title)s arrived late") % {"title": pledge.campaign.title},
                            body=_("Your pledge was no longer due when the transfer was confirmed; an admin pays "
                                   "it back to you."), key=f"refund_owed:pledge:{pledge.pk}")
    return marked


def pledge_transfer_decline(*, actor: Membership, pledge: Pledge, note: str = "") -> Pledge:
    """An admin did not receive the reported transfer: the member is told and, while the campaign is
    live, gets the payment window again to pay another way."""
    check_perm(actor, Perm.MANAGE_ORDERS)
    note = _clean(note, field="note", limit=200)
    with transaction.atomic():
        (locked,) = _lock_pledges_for_admin(actor, [pledge])
        payment = payments.transfer_decline(charge=locked.charge, actor=actor.user, note=note)
        if payment is None:
            raise Conflict(_("There is no reported transfer waiting for this pledge."), code="no_report")
        if locked.status == Pledge.Status.PENDING_PAYMENT:
            window = timedelta(minutes=locked.community.payment_window_minutes)
            Pledge.objects.filter(pk=locked.pk).update(
                expires_at=min(timezone.now() + window, locked.campaign.deadline), updated_at=timezone.now())
        _notify(locked, kind="transfer_declined",
                title=_("Your transfer for %(title)s was not received") % {"title": locked.campaign.title},
                body=_("An admin could not find your transfer of %(amount)s. Pay again or contact them.") % {
                    "amount": payment.amount} + (f"\n{note}" if note else ""),
                key=f"declined:{payment.pk}")
    pledge.refresh_from_db()
    return pledge


def _release_many(pledges: list[Pledge], *, refund_reason: str, actor=None) -> None:
    """Cancel live pledges (locked by the caller, with their charges loaded): their units go back and
    what was paid is refunded (to the wallet, or owed to pay back by hand), in a fixed number of
    statements however many there are. Each pledge gains ``was_paid`` and ``refund_method``."""
    if not pledges:
        return
    now = timezone.now()
    paid = [p for p in pledges if p.status in PAID_PLEDGE]
    unpaid = [p for p in pledges if p.status not in PAID_PLEDGE]
    refunds = payments.refund_many(refunds=[(p.charge, p.charge.paid_amount, f"{refund_reason}:pledge:{p.pk}")
                                            for p in paid], reason=refund_reason, actor=actor)
    payments.charges_cancel(charge_ids=[p.charge_id for p in unpaid])
    _give_back_units_many(pledges)
    entries = []
    for group, status in ((paid, Pledge.Status.REFUNDED), (unpaid, Pledge.Status.CANCELLED)):
        if not group:
            continue
        Pledge.objects.filter(pk__in=[p.pk for p in group]).update(status=status, cancelled_at=now, expires_at=None,
                                                                    updated_at=now)
        for pledge in group:
            entries.append(audit_entry(community=pledge.community, actor=actor, action=f"pledge.{status}",
                                       target_user=pledge.member, obj=pledge,
                                       **{"from": pledge.status, "to": status, "reason": refund_reason}))
            refund = refunds.get(pledge.charge_id)
            pledge.was_paid, pledge.refund_method = status == Pledge.Status.REFUNDED, refund.method if refund else ""
            pledge.status, pledge.cancelled_at, pledge.expires_at = status, now, None
    audit_record_many(entries)


def _give_back_units_many(pledges: list[Pledge]) -> None:
    """Units of released pledges back to their tiers, one guarded update per tier, tiers by id."""
    per_tier: dict[int, int] = {}
    for pledge in pledges:
        if pledge.tier_id:
            per_tier[pledge.tier_id] = per_tier.get(pledge.tier_id, 0) + pledge.quantity
    for tier_id in sorted(per_tier):
        RewardTier.objects.filter(pk=tier_id).update(quantity_taken=F("quantity_taken") - per_tier[tier_id])


def pledge_cancel(*, member: Membership, pledge: Pledge) -> Pledge:
    """A backer withdraws before the deadline; what they paid comes back (to the wallet, or owed)."""
    if pledge.member_id != member.user_id or pledge.community_id != member.community_id:
        raise NotFound()
    with transaction.atomic():
        _lock_campaign(pledge.campaign_id, share=True)
        locked = _lock_pledge(pledge.pk)
        if locked.status not in LIVE_PLEDGE:
            raise Conflict(_("This pledge can no longer be cancelled."), code="not_cancellable")
        if locked.campaign.status != Campaign.Status.LIVE or timezone.now() >= locked.campaign.deadline:
            raise Conflict(_("The campaign has ended: pledges can no longer be cancelled."), code="campaign_closed")
        _release_many([locked], refund_reason="cancelled", actor=member.user)
    pledge.refresh_from_db()
    return pledge


def pledge_expire(pledge: Pledge) -> None:
    """An unpaid pledge's window passed (campaign and pledge locked by the sweep)."""
    _release_many([pledge], refund_reason="expired")


def transfer_waiting() -> Exists:
    """Pledges whose member reported a transfer that no admin has answered yet."""
    return Exists(Payment.objects.filter(charge_id=OuterRef("charge_id"), status=Payment.Status.PENDING))


# Settlement --------------------------------------------------------------------------------------

def due_to_settle(now: datetime) -> Q:
    """Live campaigns past their deadline, and settling ones no longer waiting: every transfer reported
    before the deadline answered, or the community's payment window after the deadline over."""
    grace_end = ExpressionWrapper(
        F("deadline") + F("community__payment_window_minutes") * Value(timedelta(minutes=1)),
        output_field=DateTimeField())
    waiting = Exists(Payment.objects.filter(status=Payment.Status.PENDING, charge__pledge__campaign=OuterRef("pk"),
                                            charge__pledge__status=Pledge.Status.PENDING_PAYMENT,
                                            created_at__lt=OuterRef("deadline")))
    over = Campaign.objects.alias(grace_end=grace_end).filter(
        status=Campaign.Status.SETTLING, grace_end__lte=now).values("pk")
    return (Q(status=Campaign.Status.LIVE, deadline__lte=now)
            | (Q(status=Campaign.Status.SETTLING) & (~waiting | Q(pk__in=over))))


def _pledges_to_settle(campaign: Campaign):
    return (Pledge.objects.select_for_update(of=("self",)).select_related("charge", "member", "tier", "community")
            .filter(campaign=campaign, status__in=LIVE_PLEDGE).order_by("pk"))


def campaign_settle(campaign: Campaign, now: datetime) -> None:
    """The deadline passed (the sweep holds the campaign FOR NO KEY UPDATE). A live campaign with
    transfers reported before the deadline and not yet answered waits in ``settling`` (its public
    figure frozen at the deadline's) until they are answered or the payment window after the
    deadline ends; then unpaid pledges are released and the campaign succeeds or fails."""
    campaign.community = campaign.community
    if campaign.status == Campaign.Status.LIVE:
        totals = campaign_totals_many([campaign])[campaign.pk]
        campaign.deadline_raised, campaign.deadline_backers = totals.raised, totals.backers
        waiting = Pledge.objects.filter(campaign=campaign, status=Pledge.Status.PENDING_PAYMENT).filter(
            Exists(Payment.objects.filter(charge_id=OuterRef("charge_id"), status=Payment.Status.PENDING,
                                          created_at__lt=campaign.deadline))).exists()
        grace_end = campaign.deadline + timedelta(minutes=campaign.community.payment_window_minutes)
        campaign.status = Campaign.Status.SETTLING
        campaign.save(update_fields=["status", "deadline_raised", "deadline_backers", "updated_at"])
        _transition(campaign, Campaign.Status.SETTLING, from_status=Campaign.Status.LIVE,
                    raised=str(totals.raised), backers=totals.backers)
        if waiting and now < grace_end:
            return  # the admins answer the transfers first
    _finish(campaign, now)


def _finish(campaign: Campaign, now: datetime) -> None:
    pledges = list(_pledges_to_settle(campaign))
    _release_many([p for p in pledges if p.status == Pledge.Status.PENDING_PAYMENT], refund_reason="expired")
    paid = [p for p in pledges if p.status == Pledge.Status.PAID]
    finals = _final_prices(campaign, paid)
    kept = sum((finals.get(p.tier_id, p.unit_amount) * p.quantity + p.extra_support if p.tier_id else p.amount)
               for p in paid)
    if campaign.funding_model == Campaign.FundingModel.ALL_OR_NOTHING:
        succeeded = kept >= campaign.goal
    else:
        succeeded = kept > 0
    if succeeded:
        _collect_many(paid, finals, now)
        campaign.status = Campaign.Status.SUCCEEDED
    else:
        _release_many(paid, refund_reason="campaign_failed")
        campaign.status = Campaign.Status.FAILED
    campaign.settled_at = now
    campaign.save(update_fields=["status", "settled_at", "updated_at"])
    _transition(campaign, campaign.status, from_status=Campaign.Status.SETTLING, raised=str(money(kept)),
                backers=len({p.member_id for p in paid}))
    _tell_backers_settled(campaign, paid, money(kept))


def _final_prices(campaign: Campaign, paid: list[Pledge]) -> dict[int, Decimal]:
    """Each tier's price at the quantity its paid pledges add up to (阶梯价)."""
    quantities: dict[int, int] = {}
    for pledge in paid:
        if pledge.tier_id:
            quantities[pledge.tier_id] = quantities.get(pledge.tier_id, 0) + pledge.quantity
    tiers = RewardTier.objects.filter(pk__in=list(quantities)).prefetch_related("price_steps")
    return {t.pk: tier_price(t, quantities[t.pk], list(t.price_steps.all())) for t in tiers}


def _collect_many(paid: list[Pledge], finals: dict[int, Decimal], now: datetime) -> None:
    """The campaign succeeded: every paid pledge is collected, repriced at its tier's final price
    and refunded the difference (in a fixed number of statements, however many pledges)."""
    lowered = [p for p in paid if p.tier_id in finals and finals[p.tier_id] < p.unit_amount]
    payments.refund_many(refunds=[(p.charge, money((p.unit_amount - finals[p.tier_id]) * p.quantity),
                                   f"tier_price:pledge:{p.pk}") for p in lowered], reason="tier_price")
    for pledge in lowered:
        pledge.unit_amount = finals[pledge.tier_id]
        pledge.amount = money(pledge.unit_amount * pledge.quantity + pledge.extra_support)
    for tier_id in sorted({p.tier_id for p in lowered}):
        Pledge.objects.filter(pk__in=[p.pk for p in lowered if p.tier_id == tier_id]).update(
            unit_amount=finals[tier_id], amount=F("quantity") * finals[tier_id] + F("extra_support"))
    payments.charges_reprice(amounts={p.charge_id: p.amount for p in lowered})
    Pledge.objects.filter(pk__in=[p.pk for p in paid]).update(status=Pledge.Status.COLLECTED, updated_at=now)
    audit_record_many([audit_entry(community=p.community, actor=None, action=f"pledge.{Pledge.Status.COLLECTED}",
                                   target_user=p.member, obj=p, **{"from": p.status, "to": Pledge.Status.COLLECTED})
                       for p in paid])
    for pledge in paid:
        pledge.status = Pledge.Status.COLLECTED


def settle_due(*, now: datetime | None = None) -> int:
    """Settle every campaign whose deadline passed. Safe with two workers at once."""
    from core.sweeps import sweep_run

    return sweep_run("crowdfunding.settle_campaigns", now=now).settled


# Notices -----------------------------------------------------------------------------------------

def _notify(pledge: Pledge, *, kind: str, title: str, body: str, key: str) -> None:
    notify(recipient=pledge.member, community=pledge.community, kind=kind, title=title, body=body,
           url=pledge.get_absolute_url(), dedupe_key=key)


def _tell_backers_cancelled(campaign: Campaign, released: list[Pledge], reason: str) -> None:
    notices = []
    for pledge in released:
        with in_language_of(pledge.member):
            if not pledge.was_paid:
                body = _("Your pledge is released.")
            elif pledge.refund_method == "wallet":
                body = _("What you paid is refunded to your wallet.")
            else:
                body = _("What you paid by transfer is paid back to you by an admin.")
            notices.append(Notice(recipient=pledge.member, community=campaign.community, kind="campaign_cancelled",
                                  title=_("%(title)s was cancelled") % {"title": campaign.title},
                                  body=body + (f"\n{reason}" if reason else ""), url=pledge.get_absolute_url(),
                                  dedupe_key=f"campaign_cancelled:{pledge.pk}"))
    notify_many(notices)


def _tell_backers_settled(campaign: Campaign, paid: list[Pledge], kept: Decimal) -> None:
    notices = []
    raised = format_money(kept, campaign.currency)
    for pledge in paid:
        with in_language_of(pledge.member):
            if campaign.status == Campaign.Status.SUCCEEDED:
                kind, title = "campaign_succeeded", _("%(title)s succeeded") % {"title": campaign.title}
                if pledge.tier is None:
                    body = _("It raised %(raised)s. Thank you for your support.") % {"raised": raised}
                elif pledge.tier.fulfilment == RewardTier.Fulfilment.PICKUP:
                    body = _("It raised %(raised)s. Your reward “%(tier)s” is on its way: show your code %(code)s "
                             "when you pick it up.") % {"raised": raised, "tier": pledge.tier.title,
                                                         "code": pledge.pickup_code}
                else:
                    body = _("It raised %(raised)s. Your reward “%(tier)s” will be shipped to you.") % {
                        "raised": raised, "tier": pledge.tier.title}
            else:
                kind, title = "campaign_failed", _("%(title)s did not reach its goal") % {"title": campaign.title}
                body = (_("Your pledge of %(amount)s is refunded to your wallet.")
                        if pledge.refund_method == "wallet" else
                        _("Your pledge of %(amount)s was paid by transfer: an admin pays it back to you.")) % {
                    "amount": format_money(pledge.charge.paid_amount, campaign.currency)}
            notices.append(Notice(recipient=pledge.member, community=campaign.community, kind=kind, title=title,
                                  body=body, url=pledge.get_absolute_url(), dedupe_key=f"settled:{pledge.pk}"))
    notify_many(notices)


def campaign_remind_ending(campaign: Campaign, now: datetime) -> int:
    """Once per campaign (the sweep holds it): members who have not backed hear it ends in two days."""
    campaign.ending_reminder_sent_at = now
    campaign.save(update_fields=["ending_reminder_sent_at"])
    audience = (Membership.objects.filter(community_id=campaign.community_id, status="active")
                .exclude(user__pledges__campaign=campaign).select_related("user"))
    if campaign.branch_id:
        audience = audience.filter(Q(branch_id=campaign.branch_id) | Q(role__in=["owner", "admin"]))
    local = timezone.localtime(campaign.deadline, _tz(campaign)).strftime("%Y-%m-%d")
    sent = 0
    for membership in audience.iterator(chunk_size=500):
        with in_language_of(membership.user):
            sent += notify(recipient=membership.user, community=campaign.community, kind="campaign_ending",
                           title=_("%(title)s ends soon") % {"title": campaign.title},
                           body=_("Back it by the end of %(day)s if you want to join.") % {"day": local},
                           url=campaign.get_absolute_url(),
                           dedupe_key=f"ending:{campaign.pk}:{membership.user_id}") is not None
    return sent


def transfer_remind_admins(payment: Payment, now: datetime) -> None:
    """A transfer reported for a pledge has waited an hour: the community's admins hear once."""
    pledge = Pledge.objects.select_related("community", "campaign", "member").get(charge_id=payment.charge_id)
    payments.payment_mark_reminded(payment=payment, now=now)
    from django.urls import reverse

    url = reverse("crowdfunding_console:campaign", kwargs={"slug": pledge.community.slug, "pk": pledge.campaign_id})
    for admin in Membership.objects.filter(community_id=pledge.community_id, status="active",
                                           role__in=["owner", "admin"]).select_related("user"):
        with in_language_of(admin.user):
            notify(recipient=admin.user, community=pledge.community, kind="transfer_waiting",
                   title=_("A transfer waits for your confirmation"),
                   body=_("%(name)s reported paying %(amount)s for a pledge to %(title)s. Confirm it when it "
                          "arrives, or mark it not received.") % {
                       "name": pledge.member.display_name, "amount": payment.amount, "title": pledge.campaign.title},
                   url=url, dedupe_key=f"transfer_waiting:{payment.pk}:{admin.user_id}")


# Updates -----------------------------------------------------------------------------------------

def update_post(*, actor: Membership, campaign: Campaign, title: str, body: str) -> CampaignUpdate:
    """News from the creator: saved on the campaign's page and sent to every backer."""
    _check_campaign(actor, campaign)
    errors = {}
    try:
        title = _clean(title, field="title", limit=120, required=True, label=_("the title"))
    except ValidationFailed as error:
        errors.update(error.fields)
    try:
        body = _clean(body, field="body", limit=MAX_UPDATE_BODY, required=True, label=_("the text"))
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), fields=errors)
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.CANCELLED):
        raise Conflict(_("Updates are posted to live and finished campaigns."), code="not_live")
    with transaction.atomic():
        update = CampaignUpdate.objects.create(community_id=campaign.community_id, campaign=campaign,
                                               author=actor.user, title=title, body=body)
        audit_record(community=actor.community, actor=actor.user, action="campaignupdate.posted", obj=update,
                     campaign=campaign.title)
        members = (Pledge.objects.filter(campaign=campaign, status__in=BACKED).values_list("member_id", flat=True)
                   .distinct())
        from accounts.models import User

        for user in User.objects.filter(pk__in=list(members)):
            with in_language_of(user):
                notify(recipient=user, community=campaign.community, kind="campaign_update",
                       title=_("%(campaign)s: %(title)s") % {"campaign": campaign.title, "title": title},
                       body=body[:500], url=campaign.get_absolute_url(), dedupe_key=f"update:{update.pk}:{user.pk}")
    return update


# Rewards -----------------------------------------------------------------------------------------

def _wrong_code() -> NotFound:
    return NotFound(_("No reward waiting for pickup has this code."), code="pickup_not_found",
                    fields={"code": [_("No reward of this campaign has this code.")]})


def reward_find(*, actor: Membership, campaign: Campaign, code: str) -> Pledge:
    """The reward to hand over for a backer's 6-digit code (typed or read from their QR)."""
    check_perm(actor, Perm.CONFIRM_PICKUP)
    _check_campaign(actor, campaign, change=False)
    digits = "".join(ch for ch in str(code or "")[:120] if ch.isascii() and ch.isdigit())
    if len(digits) != 6:
        raise ValidationFailed(_("A pickup code has 6 digits."), fields={"code": [_("6 digits.")]})
    pledge = (Pledge.objects.filter(campaign=campaign, pickup_code=digits, status__in=BACKED + (
        Pledge.Status.HANDED_OUT,)).select_related("member", "tier", "pickup_point").order_by("-pk").first())
    if pledge is None:
        raise _wrong_code()
    if not acts_community_wide(actor) and pledge.pickup_point is not None and \
            pledge.pickup_point.branch_id not in (None, actor.branch_id):
        raise _wrong_code()
    return pledge


def reward_hand_out(*, actor: Membership, pledge: Pledge, code: str | None = None) -> Pledge:
    """Hand a collected reward over at the pickup point, checked against the backer's code."""
    check_perm(actor, Perm.CONFIRM_PICKUP)
    if pledge.community_id != actor.community_id:
        raise NotFound()
    _check_campaign(actor, pledge.campaign, change=False)
    with transaction.atomic():
        _lock_campaign(pledge.campaign_id, share=True)
        locked = _lock_pledge(pledge.pk)
        if code is not None and "".join(ch for ch in str(code)[:120] if ch.isascii() and ch.isdigit()) \
                != locked.pickup_code:
            raise ValidationFailed(_("The pickup code does not match this pledge."), code="wrong_code",
                                   fields={"code": [_("Wrong code.")]})
        if locked.status == Pledge.Status.HANDED_OUT:
            when = timezone.localtime(locked.handed_out_at, _tz(locked.campaign)).strftime("%Y-%m-%d %H:%M")
            raise Conflict(_("This reward was already handed out on %(when)s.") % {"when": when},
                           code="already_picked_up")
        if locked.status != Pledge.Status.COLLECTED:
            raise Conflict(_("This reward cannot be handed out: the campaign has not succeeded yet."),
                           code="not_collected")
        if locked.tier is None or locked.tier.fulfilment != RewardTier.Fulfilment.PICKUP:
            raise Conflict(_("This pledge has no reward to pick up."), code="not_pickup")
        locked.status, locked.handed_out_at = Pledge.Status.HANDED_OUT, timezone.now()
        locked.save(update_fields=["status", "handed_out_at", "updated_at"])
        _transition(locked, Pledge.Status.HANDED_OUT, actor=actor.user, from_status=Pledge.Status.COLLECTED)
    pledge.refresh_from_db()
    return pledge


def reward_ship(*, actor: Membership, pledge: Pledge, tracking: str = "") -> Pledge:
    """A shipped reward: the backer is told, with the tracking number."""
    check_perm(actor, Perm.MANAGE_CAMPAIGNS)
    if pledge.community_id != actor.community_id:
        raise NotFound()
    _check_campaign(actor, pledge.campaign)
    tracking = _clean(tracking, field="tracking", limit=100)
    with transaction.atomic():
        _lock_campaign(pledge.campaign_id, share=True)
        locked = _lock_pledge(pledge.pk)
        if locked.status == Pledge.Status.SHIPPED:
            return locked
        if locked.status != Pledge.Status.COLLECTED:
            raise Conflict(_("Only rewards of a succeeded campaign can be shipped."), code="not_collected")
        if locked.tier is None or locked.tier.fulfilment != RewardTier.Fulfilment.SHIPPING:
            raise Conflict(_("This reward is picked up, not shipped."), code="not_shipping")
        locked.status, locked.shipped_at, locked.tracking = Pledge.Status.SHIPPED, timezone.now(), tracking
        locked.save(update_fields=["status", "shipped_at", "tracking", "updated_at"])
        _transition(locked, Pledge.Status.SHIPPED, actor=actor.user, from_status=Pledge.Status.COLLECTED,
                    tracking=tracking)
        with in_language_of(locked.member):
            _notify(locked, kind="reward_shipped",
                    title=_("Your reward from %(title)s was shipped") % {"title": locked.campaign.title},
                    body=(_("Tracking number: %(tracking)s") % {"tracking": tracking}) if tracking else "",
                    key=f"shipped:{locked.pk}")
    pledge.refresh_from_db()
    return pledge
