"""The loyalty rules on the engagement settings page and API: every new rule grouped (points
earned, spending points, referrals, repurchase prompts), bounded like the table's CHECK
constraints, the referral coupon one of this community's active coupons or none, and a refused
save changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Forbidden, ValidationFailed
from engagement import loyalty_rules
from engagement.common import engagement_settings
from engagement.models import EngagementSettings
from orders.models import Coupon
from tests.api import assert_error, url
from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db

GOOD_FORM = {
    "loyalty_rules": "1", "offer_window_hours": "12", "points_per_yuan": "1", "points_event_attended": "10", "points_check_in": "1",
    "streak_bonus_every": "7", "streak_bonus_points": "10", "points_featured_comment": "30",
    "points_per_yuan_off": "50", "points_max_percent_off": "25", "referral_points": "80", "referral_coupon": "",
    "referral_refund_window_days": "14", "referral_weekly_cap": "5", "repurchase_enabled": "",
    "repurchase_lead": "0.2", "repurchase_cap_days": "7", "repurchase_holdout_percent": "10",
}


def make_coupon(community, code="WELCOME", *, active=True, ends_in=timedelta(days=30)):
    now = timezone.now()
    return Coupon.objects.create(community=community, code=code, name=f"{code} coupon", kind="amount",
                                 amount_off=Decimal("5"), starts_at=now - timedelta(days=1), ends_at=now + ends_in,
                                 is_active=active)


def settings_page(slug):
    return reverse("engagement_console:engagement_settings", args=[slug])


def login(client, membership):
    client.force_login(membership.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_page_shows_every_rule_in_its_group(client, admin_member):
    page = login(client, admin_member).get(settings_page(admin_member.community.slug)).content.decode()
    for heading in ("Points earned", "Spending points", "Referrals", "Repurchase prompts"):
        assert f"<h2>{heading}</h2>" in page
    for name in ("points_featured_comment", "points_per_yuan_off", "points_max_percent_off", "referral_points",
                 "referral_coupon", "referral_refund_window_days", "referral_weekly_cap", "repurchase_enabled",
                 "repurchase_lead", "repurchase_cap_days", "repurchase_holdout_percent"):
        assert f'name="{name}"' in page, name
    assert "unpinning keeps them" in page  # the help text says what a featured comment earns


def test_an_admin_saves_every_rule_from_the_page(client, admin_member):
    community = admin_member.community
    coupon = make_coupon(community)
    response = login(client, admin_member).post(settings_page(community.slug),
                                                {**GOOD_FORM, "referral_coupon": str(coupon.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    rules = EngagementSettings.objects.get(community=community)
    assert (rules.points_featured_comment, rules.points_per_yuan_off, rules.points_max_percent_off,
            rules.referral_points, rules.referral_coupon_id, rules.referral_refund_window_days,
            rules.referral_weekly_cap, rules.repurchase_enabled, rules.repurchase_lead,
            rules.repurchase_cap_days, rules.repurchase_holdout_percent) == (
        30, 50, 25, 80, coupon.pk, 14, 5, False, Decimal("0.2"), 7, 10)
    # and the page shows them back
    page = client.get(settings_page(community.slug)).content.decode()
    assert f'<option value="{coupon.pk}" selected>' in page and 'value="0.20"' in page


@pytest.mark.parametrize("field,value", [
    ("points_featured_comment", "100001"), ("points_featured_comment", "-1"), ("points_per_yuan_off", "٣"),
    ("points_max_percent_off", "101"), ("referral_points", "1\x00"), ("referral_refund_window_days", "91"),
    ("referral_weekly_cap", "1001"), ("repurchase_lead", "0.91"), ("repurchase_lead", "0.155"),
    ("repurchase_lead", "1e-1"), ("repurchase_lead", "０.1"), ("repurchase_lead", "NaN"),
    ("repurchase_cap_days", "0"), ("repurchase_cap_days", "61"), ("repurchase_holdout_percent", "51"),
    ("repurchase_holdout_percent", "-1"), ("repurchase_holdout_percent", "５"), ("referral_coupon", "٣"),
    ("referral_coupon", "99999999"), ("points_featured_comment", ""),
])
def test_out_of_bounds_rules_are_refused_on_the_page_and_nothing_changes(client, admin_member, field, value):
    community = admin_member.community
    before = engagement_settings(community)
    response = login(client, admin_member).post(settings_page(community.slug), {**GOOD_FORM, field: value})
    assert response.status_code == 400
    after = EngagementSettings.objects.get(community=community)
    assert (after.points_per_yuan_off, after.referral_points, after.repurchase_cap_days) == (
        before.points_per_yuan_off, before.referral_points, before.repurchase_cap_days)


def test_the_referral_coupon_must_be_an_active_coupon_of_this_community(client, admin_member):
    community = admin_member.community
    foreign = make_coupon(CommunityFactory(), "OTHER")
    switched_off = make_coupon(community, "OFF", active=False)
    ended = make_coupon(community, "OLD", ends_in=timedelta(seconds=-1))
    c = login(client, admin_member)
    for coupon in (foreign, switched_off, ended):
        response = c.post(settings_page(community.slug), {**GOOD_FORM, "referral_coupon": str(coupon.pk)})
        assert response.status_code == 400
        assert f'<option value="{coupon.pk}"' not in response.content.decode()
    assert engagement_settings(community).referral_coupon_id is None
    for coupon in (foreign, switched_off, ended):
        with pytest.raises(ValidationFailed) as refused:
            loyalty_rules.loyalty_settings_update(actor=admin_member, referral_coupon_id=coupon.pk)
        assert "referral_coupon" in refused.value.fields


def test_a_coupon_that_ended_since_it_was_chosen_stays_until_changed_and_can_be_cleared(client, admin_member):
    community = admin_member.community
    coupon = make_coupon(community)
    loyalty_rules.loyalty_settings_update(actor=admin_member, referral_coupon_id=coupon.pk)
    Coupon.objects.filter(pk=coupon.pk).update(is_active=False)
    c = login(client, admin_member)
    # Saving another rule keeps the coupon (the admin did not choose it anew)...
    assert c.post(settings_page(community.slug), {**GOOD_FORM, "referral_coupon": str(coupon.pk),
                                                  "referral_points": "70"}).status_code == 302
    rules = engagement_settings(community)
    assert (rules.referral_points, rules.referral_coupon_id) == (70, coupon.pk)
    # ...and "No coupon" clears it.
    assert c.post(settings_page(community.slug), {**GOOD_FORM, "referral_coupon": ""}).status_code == 302
    assert engagement_settings(community).referral_coupon_id is None


def test_a_form_posted_without_the_loyalty_part_leaves_those_rules_alone(client, admin_member):
    community = admin_member.community
    coupon = make_coupon(community)
    loyalty_rules.loyalty_settings_update(actor=admin_member, referral_coupon_id=coupon.pk, referral_points=70)
    older = {name: value for name, value in GOOD_FORM.items()
             if name in ("offer_window_hours", "points_per_yuan", "points_event_attended", "points_check_in",
                         "streak_bonus_every", "streak_bonus_points")}
    response = login(client, admin_member).post(settings_page(community.slug), {**older, "points_check_in": "4"})
    assert response.status_code == 302
    rules = engagement_settings(community)
    assert (rules.points_check_in, rules.referral_points, rules.referral_coupon_id, rules.repurchase_enabled) == (
        4, 70, coupon.pk, True)


def test_leaders_and_members_cannot_change_the_loyalty_rules(client, leader, member):
    for who in (leader, member):
        with pytest.raises(Forbidden):
            loyalty_rules.loyalty_settings_update(actor=who, referral_points=1)
        response = login(client, who).post(settings_page(who.community.slug), GOOD_FORM)
        assert response.status_code == 403
    assert engagement_settings(leader.community).referral_points == 50


@pytest.mark.parametrize("value", [True, "3", 3.0, None])
def test_the_service_refuses_what_is_not_a_whole_number(admin_member, value):
    if value is None:
        assert loyalty_rules.loyalty_settings_update(actor=admin_member, referral_points=None).referral_points == 50
        return
    with pytest.raises(ValidationFailed):
        loyalty_rules.loyalty_settings_update(actor=admin_member, referral_points=value)


# API --------------------------------------------------------------------------------------------

def route(community):
    return url(community.slug, "admin", "engagement-settings")


def test_the_api_reads_and_changes_every_loyalty_rule(api_as, admin_member):
    community = admin_member.community
    coupon = make_coupon(community)
    client = api_as(admin_member.user)
    body = client.get(route(community)).json()
    assert (body["points_featured_comment"], body["points_per_yuan_off"], body["points_max_percent_off"],
            body["referral_points"], body["referral_coupon"], body["referral_refund_window_days"],
            body["referral_weekly_cap"], body["repurchase_enabled"], body["repurchase_lead"],
            body["repurchase_cap_days"], body["repurchase_holdout_percent"]) == (
        20, 100, 20, 50, None, 7, 10, True, "0.15", 3, 0)
    response = client.patch(route(community), {
        "points_featured_comment": 0, "points_per_yuan_off": 200, "points_max_percent_off": 100,
        "referral_points": 100000, "referral_coupon": coupon.pk, "referral_refund_window_days": 0,
        "referral_weekly_cap": 1000, "repurchase_enabled": False, "repurchase_lead": "0.9",
        "repurchase_cap_days": 60, "repurchase_holdout_percent": 50, "points_check_in": 2}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["repurchase_holdout_percent"] == 50
    assert response.json()["referral_coupon"] == coupon.pk and response.json()["repurchase_lead"] == "0.90"
    rules = EngagementSettings.objects.get(community=community)
    assert (rules.points_featured_comment, rules.points_per_yuan_off, rules.referral_coupon_id,
            rules.repurchase_enabled, rules.repurchase_lead, rules.points_check_in) == (
        0, 200, coupon.pk, False, Decimal("0.9"), 2)
    assert client.patch(route(community), {"referral_coupon": None}, format="json").json()["referral_coupon"] is None


@pytest.mark.parametrize("body", [
    {"points_featured_comment": 100001}, {"points_per_yuan_off": -1}, {"points_max_percent_off": 101},
    {"referral_points": "３"}, {"referral_refund_window_days": 91}, {"referral_weekly_cap": 10 ** 40},
    {"repurchase_lead": "0.91"}, {"repurchase_lead": "0.155"}, {"repurchase_lead": "1e-1"},
    {"repurchase_lead": "NaN"}, {"repurchase_lead": -0.1}, {"repurchase_cap_days": 0},
    {"repurchase_cap_days": True}, {"repurchase_holdout_percent": 51}, {"repurchase_holdout_percent": "1\x00"},
    {"repurchase_enabled": "maybe"}, {"referral_coupon": "٣"},
    {"referral_coupon": 0}, {"referral_coupon": 99999999}, {"referral_points": "1\x00"},
    # one bad loyalty rule: the good posts and loyalty values are not saved either
    {"points_check_in": 5, "referral_points": 9, "referral_coupon": 99999999},
])
def test_bad_loyalty_rules_are_400_and_nothing_is_saved(api_as, admin_member, body):
    community = admin_member.community
    before = engagement_settings(community)
    assert_error(api_as(admin_member.user).patch(route(community), body, format="json"), 400)
    after = EngagementSettings.objects.get(community=community)
    for name in ("points_check_in", "referral_points", "referral_coupon_id", "repurchase_lead",
                 "repurchase_cap_days", "points_featured_comment", "repurchase_enabled"):
        assert getattr(after, name) == getattr(before, name), name


def test_another_communitys_coupon_is_refused_by_the_api(api_as, admin_member):
    foreign = make_coupon(CommunityFactory(), "OTHER")
    body = assert_error(api_as(admin_member.user).patch(route(admin_member.community), {
        "referral_coupon": foreign.pk}, format="json"), 400, fields=["referral_coupon"])
    assert body["fields"]["referral_coupon"]
    assert engagement_settings(admin_member.community).referral_coupon_id is None


def test_leaders_members_and_other_communities_cannot_change_the_loyalty_rules(api_as, community, leader, member):
    for who in (leader, member):
        assert_error(api_as(who.user).patch(route(community), {"referral_points": 9}, format="json"), 403)
    other = CommunityFactory()
    from communities.models import Role
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(community=other, role=Role.OWNER)
    assert_error(api_as(stranger.user).patch(route(community), {"referral_points": 9}, format="json"), 404)
    assert engagement_settings(community).referral_points == 50
