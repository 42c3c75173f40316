"""Console: the periodic jobs (core.sweeps) that keep failing on this community's rows."""

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.shortcuts import render

from communities.models import Community, Membership
from communities.permissions import Perm, has_perm
from core.models import SweepFailure
from communities.pages import community_page
from core.sweeps import job_label


def failures_of(community: Community) -> QuerySet[SweepFailure]:
    """Rows of the community and of its branches that a sweep keeps failing on, latest first."""
    return SweepFailure.objects.filter(Q(community=community) | Q(community__parent=community)) \
        .order_by("-last_failed_at", "-id")


def failing_count(community: Community, membership: Membership) -> int:
    """For the overview's warning: one COUNT for those who may see failures, no query otherwise."""
    if not has_perm(membership, Perm.VIEW_SWEEP_FAILURES):
        return 0
    return failures_of(community).count()


@community_page(Perm.VIEW_SWEEP_FAILURES)
def sweep_failures(request, community, membership):
    page = Paginator(failures_of(community), 50).get_page(request.GET.get("page"))
    for failure in page.object_list:
        failure.job_label = job_label(failure.job)
    return render(request, "console/sweep_failures.html", {
        "community": community, "membership": membership, "page": page, "section": "sweep_failures"})
