"""Output shapes of the engagement page's figures in the analytics API (money as strings, rates as
decimals from 0 to 1, percent changes with one decimal and null when there was nothing before)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.api.serializers import MONEY, AnalyticsPeriodSerializer, AnalyticsSpanSerializer

CHANGE = {"max_digits": 12, "decimal_places": 1, "allow_null": True}
RATE = {"max_digits": 6, "decimal_places": 3, "allow_null": True, "coerce_to_string": True}


def _figures(name: str, fields: dict) -> tuple[type, type]:
    """A totals serializer and its percent-change twin (one OpenAPI component each)."""
    totals = type(f"Analytics{name}TotalsSerializer", (serializers.Serializer,),
                  {key: field() for key, field in fields.items()})
    changes = type(f"Analytics{name}ChangesSerializer", (serializers.Serializer,),
                   {key: serializers.DecimalField(**CHANGE) for key in fields})
    return totals, changes


def _int():
    return serializers.IntegerField()


def _money():
    return serializers.DecimalField(**MONEY)


def _rate():
    return serializers.DecimalField(**RATE)


EventTotals, EventChanges = _figures("Event", {"events": _int, "seats_taken": _int, "attended": _int,
                                               "no_shows": _int, "attendance_rate": _rate})
PostTotals, PostChanges = _figures("Post", {"posts": _int, "reach": _int, "likes": _int, "comments": _int,
                                            "orders": _int, "gmv": _money})
CheckInTotals, CheckInChanges = _figures("CheckIn", {"check_ins": _int, "members": _int, "longest_streak": _int})
PointTotals, PointChanges = _figures("Point", {"issued": _int, "spent": _int})
CouponTotals, CouponChanges = _figures("Coupon", {"uses": _int, "discount": _money, "gmv": _money})
ReferralTotals, ReferralChanges = _figures("Referral", {"joined": _int, "ordered": _int, "rewarded": _int,
                                                        "points": _int, "coupons": _int})


class _Span(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    previous = AnalyticsSpanSerializer(help_text=_("The period before, of the same length"))


class AnalyticsEventRowSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ended = serializers.BooleanField()
    seats_taken = serializers.IntegerField(help_text=_("RSVPs going"))
    attended = serializers.IntegerField(help_text=_("RSVPs checked in"))
    no_shows = serializers.IntegerField(allow_null=True, help_text=_("Going, not checked in; null before the end"))
    attendance_rate = serializers.DecimalField(**RATE)


class AnalyticsEventsSerializer(_Span):
    totals = EventTotals()
    previous_totals = EventTotals()
    changes = EventChanges()
    events = AnalyticsEventRowSerializer(many=True, help_text=_("The period's 20 latest events"))


class AnalyticsPostRowSerializer(serializers.Serializer):
    post_id = serializers.IntegerField()
    title = serializers.CharField()
    published_at = serializers.DateTimeField()
    reach = serializers.IntegerField(help_text=_("Distinct members who opened it (since recording began)"))
    likes = serializers.IntegerField()
    comments = serializers.IntegerField()
    orders = serializers.IntegerField(help_text=_("Orders it led to"))
    gmv = serializers.DecimalField(**MONEY)


class AnalyticsPostsSerializer(_Span):
    totals = PostTotals()
    previous_totals = PostTotals()
    changes = PostChanges()
    led_to_days = serializers.IntegerField(help_text=_("Days after the first view an order counts as led to"))
    posts = AnalyticsPostRowSerializer(many=True, help_text=_("The period's 20 posts reaching most members"))


class AnalyticsCheckInDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    check_ins = serializers.IntegerField()


class AnalyticsCheckInsSerializer(_Span):
    totals = CheckInTotals()
    previous_totals = CheckInTotals()
    changes = CheckInChanges()
    series = AnalyticsCheckInDaySerializer(many=True)


class AnalyticsPointsReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()
    label = serializers.CharField()
    issued = serializers.IntegerField()
    spent = serializers.IntegerField()
    entries = serializers.IntegerField()


class AnalyticsPointsSerializer(_Span):
    totals = PointTotals()
    previous_totals = PointTotals()
    changes = PointChanges()
    reasons = AnalyticsPointsReasonSerializer(many=True)


class AnalyticsCouponRowSerializer(serializers.Serializer):
    coupon_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    uses = serializers.IntegerField()
    discount = serializers.DecimalField(**MONEY)
    gmv = serializers.DecimalField(**MONEY)


class AnalyticsCouponsSerializer(_Span):
    totals = CouponTotals()
    previous_totals = CouponTotals()
    changes = CouponChanges()
    coupons = AnalyticsCouponRowSerializer(many=True, help_text=_("The 10 coupons used most in the period"))


class AnalyticsReferrerSerializer(serializers.Serializer):
    referrer_id = serializers.IntegerField()
    name = serializers.CharField()
    joined = serializers.IntegerField()
    ordered = serializers.IntegerField()
    rewarded = serializers.IntegerField()
    points = serializers.IntegerField()
    coupons = serializers.IntegerField()


class AnalyticsReferralsSerializer(_Span):
    totals = ReferralTotals()
    previous_totals = ReferralTotals()
    changes = ReferralChanges()
    referrers = AnalyticsReferrerSerializer(many=True, help_text=_("The 10 referrers with most invitees"))
