"""The loyalty rules of a community's engagement settings: points for a featured comment, spending
points at checkout, referral rewards and repurchase prompts.

``loyalty_settings_update`` is the one writer of these columns (the console's settings page and
the settings API call it next to ``engagement.posts.engagement_settings_update``, in the same
transaction). Every value is bounded like the table's CHECK constraints, so a bad value is a 400
with the field's name, never an IntegrityError; the referral coupon is one of this community's
active coupons (not ended) or none.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.exceptions import ValidationFailed
from engagement.common import engagement_settings
from engagement.models import EngagementSettings

POINTS_MAX = 100000  # eng_settings_points_bounded_2
PERCENT_MAX = 100  # eng_settings_points_off_range
REFUND_WINDOW_MAX = 90  # eng_settings_referral_range
WEEKLY_CAP_MAX = 1000
LEAD_MAX = Decimal("0.9")  # eng_settings_repurchase_range
CAP_DAYS = (1, 60)
HOLDOUT_MAX = 50  # eng_settings_holdout_range

# The integer rules: (field, lowest, highest).
INT_RULES = (
    ("points_featured_comment", 0, POINTS_MAX),
    ("points_per_yuan_off", 0, POINTS_MAX),
    ("points_max_percent_off", 0, PERCENT_MAX),
    ("referral_points", 0, POINTS_MAX),
    ("referral_refund_window_days", 0, REFUND_WINDOW_MAX),
    ("referral_weekly_cap", 0, WEEKLY_CAP_MAX),
    ("repurchase_cap_days", CAP_DAYS[0], CAP_DAYS[1]),
    ("repurchase_holdout_percent", 0, HOLDOUT_MAX),
)
FIELDS = tuple(name for name, _low, _high in INT_RULES) + ("repurchase_enabled", "repurchase_lead", "referral_coupon")


class _Unchanged:
    def __repr__(self):
        return "UNCHANGED"


UNCHANGED = _Unchanged()


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def referral_coupon_choices(community) -> QuerySet:
    """The coupons a referral may hand out: this community's active ones that have not ended."""
    from orders.models import Coupon

    return Coupon.objects.filter(community_id=community.pk, is_active=True,
                                 ends_at__gt=timezone.now()).order_by("-created_at", "-id")


def loyalty_settings_update(*, actor: Membership, points_featured_comment: int | None = None,
                            points_per_yuan_off: int | None = None, points_max_percent_off: int | None = None,
                            referral_points: int | None = None, referral_coupon_id=UNCHANGED,
                            referral_refund_window_days: int | None = None, referral_weekly_cap: int | None = None,
                            repurchase_enabled: bool | None = None, repurchase_lead: Decimal | None = None,
                            repurchase_cap_days: int | None = None,
                            repurchase_holdout_percent: int | None = None) -> EngagementSettings:
    """Change the loyalty rules; None (UNCHANGED for the coupon, where None clears it) leaves a
    rule as it is. Points 0 to 100000 (0: off); the share of an order points may pay 0 to 100 %;
    the referral refund window 0 to 90 days and its weekly cap 0 to 1000; the repurchase lead 0 to
    0.9 with two decimals, at most one prompt in 1 to 60 days, a holdout of 0 to 50 % of the members
    due. Locks the settings row."""
    check_perm(actor, Perm.MANAGE_SETTINGS)
    values = {"points_featured_comment": points_featured_comment, "points_per_yuan_off": points_per_yuan_off,
              "points_max_percent_off": points_max_percent_off, "referral_points": referral_points,
              "referral_refund_window_days": referral_refund_window_days,
              "referral_weekly_cap": referral_weekly_cap, "repurchase_cap_days": repurchase_cap_days,
              "repurchase_holdout_percent": repurchase_holdout_percent}
    for name, low, high in INT_RULES:
        value = values[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise _bad(name, _("A whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    if repurchase_enabled is not None and not isinstance(repurchase_enabled, bool):
        raise _bad("repurchase_enabled", _("Yes or no."))
    if repurchase_lead is not None and (
            not isinstance(repurchase_lead, Decimal) or not repurchase_lead.is_finite()
            or not 0 <= repurchase_lead <= LEAD_MAX
            or repurchase_lead != repurchase_lead.quantize(Decimal("0.01"))):
        raise _bad("repurchase_lead", _("From 0 to 0.9, with at most two decimals."))
    values.update(repurchase_enabled=repurchase_enabled, repurchase_lead=repurchase_lead)
    coupon = UNCHANGED
    if referral_coupon_id is not UNCHANGED:
        coupon = None
        if referral_coupon_id is not None:
            if isinstance(referral_coupon_id, bool) or not isinstance(referral_coupon_id, int):
                raise _bad("referral_coupon", _("Choose one of this community's active coupons, or none."))
            coupon = referral_coupon_choices(actor.community).filter(pk=referral_coupon_id).first()
            if coupon is None:
                raise _bad("referral_coupon", _("Choose one of this community's active coupons, or none."))
    engagement_settings(actor.community)
    with transaction.atomic():
        row = EngagementSettings.objects.select_for_update().get(community_id=actor.community_id)
        changes = {}
        for name, value in values.items():
            if value is not None and getattr(row, name) != value:
                old = getattr(row, name)
                changes[name] = [str(old), str(value)] if isinstance(value, Decimal) else [old, value]
                setattr(row, name, value)
        if coupon is not UNCHANGED and row.referral_coupon_id != (coupon.pk if coupon else None):
            changes["referral_coupon"] = [row.referral_coupon_id, coupon.pk if coupon else None]
            row.referral_coupon = coupon
        if changes:
            row.save()
            audit_record(community=actor.community, actor=actor.user, action="engagement.settings_changed",
                         obj=row, changes=changes)
    return row
