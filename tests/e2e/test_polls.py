"""Polls on a phone: a member votes on an always-visible poll and sees the results; on a poll that
shows results only after closing they see no count; an admin reads both in the console.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from engagement import polls as services
from engagement.models import Ballot, Poll
from tests.branches import fresh
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name):
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"e2e-{name}.png"), full_page=True)


def fits(page, width) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def make_poll(owner, question, **kwargs):
    poll = services.poll_create(actor=owner, question=question, options=["Saturday", "Sunday", "Either"],
                                closes_at=timezone.now() + timedelta(days=2), **kwargs)
    return services.poll_open(actor=owner, poll=poll)


def test_a_member_votes_and_sees_results_or_none_until_closing(english):
    community = CommunityFactory(name="Sunny Garden")
    owner = fresh(MembershipFactory(community=community, role="owner",
                                    user=UserFactory(display_name="Owner Li", language="en")))
    member = MembershipFactory(community=community, user=UserFactory(display_name="Member Zhang", language="en"))
    visible = make_poll(owner, "Which day for the tasting?", anonymous=False)
    hidden = make_poll(owner, "Who should lead the next round?", results=Poll.Results.AFTER_CLOSE)
    for i in range(3):  # others voted already: counts a leak would show
        other = fresh(MembershipFactory(community=community, user=UserFactory(display_name=f"Neighbour {i}")))
        services.poll_vote(member=other, poll=hidden, option_ids=[hidden.options.first().pk])
        services.poll_vote(member=other, poll=visible, option_ids=[visible.options.last().pk])

    phone = english(PHONE)
    log_in(phone, member.user.phone, PASSWORD)
    phone.goto(reverse("communities:home", kwargs={"slug": community.slug}))
    expect(phone.locator(".open-polls")).to_contain_text("Which day for the tasting?")
    shot(phone, "polls-home")
    phone.goto(reverse("engagement:polls", kwargs={"slug": community.slug}))
    expect(phone.locator("[data-open-polls]")).to_contain_text("Who should lead the next round?")
    shot(phone, "polls-list")
    assert fits(phone, PHONE["width"])

    # The always-visible poll: vote, see the bars with the counts.
    phone.click("text=Which day for the tasting?")
    shot(phone, "poll-vote")
    phone.click("label.vote-option:has-text('Sunday')")
    phone.click("button:has-text('Vote')")
    expect(phone.locator("[data-results]")).to_be_visible()
    expect(phone.locator(f"[data-option='{visible.options.get(text='Sunday').pk}'] [data-count]")).to_have_text(
        "1 · 25%")
    expect(phone.locator("[data-voters]")).to_contain_text("4 voters")
    expect(phone.locator("[data-results]")).to_contain_text("Member Zhang")  # a named poll
    shot(phone, "poll-results")
    assert fits(phone, PHONE["width"])

    # Change the vote.
    phone.click("label.vote-option:has-text('Saturday')")
    phone.click("button:has-text('Change my vote')")
    expect(phone.locator(f"[data-option='{visible.options.get(text='Saturday').pk}'] [data-count]")).to_have_text(
        "1 · 25%")

    # The hidden-results poll: vote, and see no count anywhere.
    phone.goto(hidden.get_absolute_url())
    phone.click("label.vote-option:has-text('Either')")
    phone.click("button:has-text('Vote')")
    expect(phone.locator("[data-results-hidden]")).to_contain_text("Results are shown after the poll closes")
    expect(phone.locator("[data-results]")).to_have_count(0)
    html = phone.content()
    assert "data-count" not in html and "voters" not in html and "%" not in phone.inner_text("main")
    shot(phone, "poll-hidden")
    assert Ballot.objects.filter(member=member.user).count() == 2

    # The admin's console, at desktop size: the hidden poll shows only its turnout.
    desk = english(DESKTOP)
    log_in(desk, owner.user.phone, PASSWORD)
    desk.goto(reverse("engagement_console:polls", kwargs={"slug": community.slug}))
    shot(desk, "console-polls")
    desk.goto(reverse("engagement_console:poll", kwargs={"slug": community.slug, "pk": hidden.pk}))
    expect(desk.locator("[data-turnout]")).to_contain_text("4 members voted")
    expect(desk.locator("[data-results-hidden]")).to_be_visible()
    shot(desk, "console-poll-hidden")
    desk.goto(reverse("engagement_console:poll", kwargs={"slug": community.slug, "pk": visible.pk}))
    shot(desk, "console-poll")
    desk.goto(reverse("engagement_console:poll_new", kwargs={"slug": community.slug}))
    desk.click("[data-option-add]")
    expect(desk.locator("[data-option-row]")).to_have_count(5)
    shot(desk, "console-poll-new")
    assert fits(desk, DESKTOP["width"])
