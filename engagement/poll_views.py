"""Member pages (mobile web) for polls: the list (open first), one poll with its vote form, the
results where they may show, and the buttons to change or withdraw a vote.

Rows come from engagement.poll_selectors (a poll the member does not see is a 404); votes go
through engagement.polls; a DomainError becomes a form error or a message. Results come only from
``poll_selectors.results``, which has none to give while they are hidden.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.pages import community_page
from communities.permissions import Perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from engagement import poll_selectors as selectors
from engagement import polls as services
from engagement.poll_forms import VoteForm

LIST_LIMIT = 100


@community_page(Perm.VIEW)
def polls(request, community, membership):
    rows = list(selectors.polls_for_member(membership).select_related("community")[:LIST_LIMIT])
    return render(request, "engagement/polls/polls.html", {
        "community": community, "membership": membership,
        "open": [p for p in rows if p.open_now], "closed": [p for p in rows if not p.open_now],
    })


def _poll_page(request, community, membership, poll, form=None, *, status=200):
    options = list(poll.options.all())
    mine = selectors.my_choices(poll, membership)
    is_open = services.is_open(poll)
    if form is None and is_open and (not mine or poll.allow_change):
        form = VoteForm(poll=poll, options=options,
                        initial={"option": [str(i) for i in mine] if poll.multiple else (str(mine[0]) if mine else None)})
    return render(request, "engagement/polls/poll.html", {
        "community": community, "membership": membership, "poll": poll, "options": options, "mine": set(mine),
        "voted": bool(mine), "is_open": is_open, "form": form if is_open else None,
        "results": selectors.results(poll),
    }, status=status)


@community_page(Perm.VIEW)
def poll(request, community, membership, pk):
    return _poll_page(request, community, membership, selectors.poll_for_member(membership, pk))


@require_POST
@community_page(Perm.VIEW)
def poll_vote(request, community, membership, pk):
    poll = selectors.poll_for_member(membership, pk)
    form = VoteForm(request.POST, poll=poll, options=list(poll.options.all()))
    if form.is_valid():
        had_voted = poll.voted
        try:
            services.poll_vote(member=membership, poll=poll, option_ids=form.option_ids())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your vote was changed.") if had_voted else _("Thank you for voting!"))
            return redirect(poll.get_absolute_url())
    return _poll_page(request, community, membership, poll, form, status=400)


@require_POST
@community_page(Perm.VIEW)
def poll_withdraw(request, community, membership, pk):
    poll = selectors.poll_for_member(membership, pk)
    try:
        services.poll_vote_withdraw(member=membership, poll=poll)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your vote was withdrawn."))
    return redirect(poll.get_absolute_url())
