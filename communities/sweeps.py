"""Communities' periodic jobs, run by core.sweeps (see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from django.db.models import DateTimeField, Exists, F, Func, IntegerField, OuterRef, Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from communities import services
from communities.models import Community, JoinRequest
from core.models import Notification
from core.sweeps import Sweep, register


class _LocalHour(Func):
    """The hour of ``now`` on the community's own clock: EXTRACT(HOUR FROM timezone(tz, now))."""

    template = "EXTRACT(HOUR FROM timezone(%(expressions)s))"
    output_field = IntegerField()


class _LocalDayStart(Func):
    """The instant the community's local day containing ``now`` began."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        tz_sql, tz_params = compiler.compile(self.source_expressions[0])
        now_sql, now_params = compiler.compile(self.source_expressions[1])
        return (f"timezone({tz_sql}, date_trunc('day', timezone({tz_sql}, {now_sql})))",
                [*tz_params, *tz_params, *now_params])


@register
class JoinRequestDigestSweep(Sweep):
    """Once per local day after 09:00, each community's admins hear how many join requests wait.

    Due: top-level communities with a pending request, past 09:00 on their own clock, whose
    digest has not gone out today (a digest notification since their local midnight). There is no
    due-time column (that would be a column on Community); the query is served by the join
    requests' (community, status, created_at) index and the notifications' community index, and
    walks communities in id order.
    """

    name = "communities.join_request_digest"
    label = _("Daily digest of join requests")
    # The community row is the one locked: FOR NO KEY UPDATE lets orders, memberships and the
    # like keep referencing it while the digest is written.
    lock_no_key = True

    def due(self, now):
        now_value = Value(now, output_field=DateTimeField())
        pending = JoinRequest.objects.filter(community=OuterRef("pk"), status=JoinRequest.Status.PENDING)
        sent_today = Notification.objects.filter(community=OuterRef("pk"), kind="join_request_digest",
                                                 created_at__gte=OuterRef("local_day_start"))
        return (Community.objects.filter(parent__isnull=True)
                .annotate(local_hour=_LocalHour(F("timezone"), now_value),
                          local_day_start=_LocalDayStart(F("timezone"), now_value))
                .filter(Exists(pending), local_hour__gte=services.DIGEST_LOCAL_HOUR)
                .exclude(Exists(sent_today))
                .order_by("pk"))

    def settle(self, community, now):
        services.join_request_digest_notify(community=community, now=now)

    def community_id(self, community):
        return community.pk

    def console_url(self, community):
        return reverse("console:requests", kwargs={"slug": community.slug})
