"""The engagement page's figures in the analytics API: events, posts, check-ins, points, coupons and
referrals for a period against the period before (JSON), and each table as CSV (?format=csv or
Accept: text/csv). Owners and admins read the community or one branch (?branch=); a leader reads
their own branch whatever they ask. Meaning and scope of each figure: analytics/selectors_engagement.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy
from rest_framework.response import Response

from analytics import selectors_engagement as sel
from analytics.api import serializers_engagement as s
from analytics.api.figures import TabularAPIView, _schema
from analytics.replica import reading_replica


class _FigureView(TabularAPIView):
    selector = None
    serializer = None
    name = ""
    table = ""  # the key of the rows in the selector's answer
    header: tuple = ()

    def rows(self, data):
        return ([row[name] for name in self.header] for row in data[self.table])

    def answer(self):
        period = self.period()
        data = type(self).selector(self.community, period, branch=self.branch())
        if self.wants_csv():
            return self.csv(f"{self.name}-{period.start}-{period.end}", list(self.header), self.rows(data))
        return Response(self.serializer(data).data)


class EventsView(_FigureView):
    """Published events that started in the period: seats taken, attended, no-shows, attendance rate."""

    selector, serializer, name, table = sel.events, s.AnalyticsEventsSerializer, "events", "events"
    header = ("event_id", "title", "starts_at", "ended", "seats_taken", "attended", "no_shows", "attendance_rate")

    @_schema(s.AnalyticsEventsSerializer, _lazy("Analytics: events"), csv=True,
             description=_lazy("CSV: the period's 20 latest events."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        return self.answer()


class PostsView(_FigureView):
    """Posts published in the period: reach, likes, comments, the orders they led to."""

    selector, serializer, name, table = sel.posts, s.AnalyticsPostsSerializer, "posts", "posts"
    header = ("post_id", "title", "published_at", "reach", "likes", "comments", "orders", "gmv")

    @_schema(s.AnalyticsPostsSerializer, _lazy("Analytics: posts"), csv=True,
             description=_lazy("Reach counts from the day recording began. CSV: the 20 posts reaching most members."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        return self.answer()


class CheckInsView(_FigureView):
    """Daily check-ins by day, the members who checked in, the longest streak."""

    selector, serializer, name, table = sel.check_ins, s.AnalyticsCheckInsSerializer, "check-ins", "series"
    header = ("day", "check_ins")

    @_schema(s.AnalyticsCheckInsSerializer, _lazy("Analytics: check-ins"), csv=True,
             description=_lazy("CSV: check-ins on each day of the period."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        return self.answer()


class PointsView(_FigureView):
    """Points issued and spent in the period, by reason."""

    selector, serializer, name, table = sel.points, s.AnalyticsPointsSerializer, "points", "reasons"
    header = ("reason", "label", "issued", "spent", "entries")

    @_schema(s.AnalyticsPointsSerializer, _lazy("Analytics: points"), csv=True,
             description=_lazy("CSV: points issued and spent by reason."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        return self.answer()


class CouponsView(_FigureView):
    """Coupon uses in the period, the discount they took and those orders' GMV."""

    selector, serializer, name, table = sel.coupons, s.AnalyticsCouponsSerializer, "coupons", "coupons"
    header = ("coupon_id", "code", "name", "uses", "discount", "gmv")

    @_schema(s.AnalyticsCouponsSerializer, _lazy("Analytics: coupons"), csv=True,
             description=_lazy("CSV: the 10 coupons used most in the period."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        return self.answer()


class ReferralsView(_FigureView):
    """Invitees who joined in the period, who ordered, rewards given; the top referrers."""

    selector, serializer, name, table = sel.referrals, s.AnalyticsReferralsSerializer, "referrals", "referrers"
    header = ("referrer_id", "name", "joined", "ordered", "rewarded", "points", "coupons")

    @_schema(s.AnalyticsReferralsSerializer, _lazy("Analytics: referrals"), csv=True,
             description=_lazy("CSV: the 10 referrers with most invitees."))
    @reading_replica()  # figures read the replica when one is configured
    def get(self, request, slug):
        return self.answer()
