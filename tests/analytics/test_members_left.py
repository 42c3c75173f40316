"""Members who left: a membership records when it ended (left, removed or banned) and forgets it when
the person comes back; the rollups count the ends on the community's local days, by branch too, and
the dashboard shows them against the period before."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse

from analytics import rollups, selectors
from communities import services
from communities.models import Community, Membership, Role
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def shop():
    with time_machine.travel(at(2026, 11, 1), tick=False):
        community = CommunityFactory(timezone="Asia/Shanghai", join_policy="open")
        owner = MembershipFactory(community=community, role=Role.OWNER)
        branch = Community.objects.create(name="East gate", slug=f"{community.slug}-east", parent=community,
                                          timezone="Asia/Shanghai")
    return {"community": community, "owner": owner, "branch": branch}


def _leave(community, membership, when):
    with time_machine.travel(when, tick=False):
        services.membership_leave(user=membership.user, community=community)


def test_leaving_and_bans_count_on_local_days_and_a_return_takes_it_back(shop):
    community, owner, branch = shop["community"], shop["owner"], shop["branch"]
    members = [MembershipFactory(community=community, branch=branch if n < 2 else None) for n in range(4)]
    _leave(community, members[0], at(2026, 11, 10, 23, 30))   # local 10th (15:30 UTC)
    _leave(community, members[1], at(2026, 11, 11, 0, 10))    # local 11th (10th, 16:10 UTC)
    with time_machine.travel(at(2026, 11, 11, 9), tick=False):
        services.membership_ban(actor=owner, membership=members[2], reason="spam")
    _leave(community, members[3], at(2026, 11, 11, 10))
    with time_machine.travel(at(2026, 11, 12), tick=False):    # ...and came back: no longer counted as gone
        services.membership_join(user=members[3].user, community=community)
    members[3].refresh_from_db()
    assert members[3].status == "active" and members[3].left_at is None

    with time_machine.travel(at(2026, 11, 20), tick=False):
        rollups.refresh(community)
        period = selectors.Period(date(2026, 11, 10), date(2026, 11, 12))
        everyone = selectors.overview(community, period)
        in_branch = selectors.overview(community, period, branch=branch)
        by_branch = {row["name"]: row for row in selectors.by_branch(community, period)}
    days = {row["day"]: row["members_left"] for row in everyone["series"]}
    assert days == {date(2026, 11, 10): 1, date(2026, 11, 11): 2, date(2026, 11, 12): 0}
    assert everyone["totals"]["members_left"] == 3
    assert in_branch["totals"]["members_left"] == 2 and by_branch["East gate"]["left"] == 2


def test_an_ended_membership_always_says_when(shop):
    member = MembershipFactory(community=shop["community"])
    with pytest.raises(IntegrityError):
        Membership.objects.filter(pk=member.pk).update(status=Membership.Status.LEFT)


def test_the_dashboard_shows_members_left_as_bad_news(client, shop):
    community = shop["community"]
    with time_machine.travel(at(2026, 11, 5), tick=False):
        gone = MembershipFactory(community=community, user=UserFactory())
    _leave(community, gone, at(2026, 11, 19, 8))
    with time_machine.travel(at(2026, 11, 20), tick=False):
        rollups.refresh(community)
        client.force_login(shop["owner"].user)
        response = client.get(reverse("analytics_console:dashboard", args=[community.slug]),
                              {"period": "7d"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    card = next(c for c in response.context["figures"]["cards"] if c["name"] == "members_left")
    assert card["value"] == 1 and card["before"] == 0 and card["label"] == "Members left"
    assert b'data-card="members_left"' in response.content
