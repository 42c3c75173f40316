"""Console pages (desktop) for polls: the list, a new poll, one poll with its results and its
buttons (open, close early, delete), and the edit form.

Leaders (MANAGE_POSTS) see the polls for everyone, for their branch and their own, and change
their own; admins (MODERATE) change anyone's. Results follow the members' rule: a poll showing
results after closing shows none here either until it closes; only the turnout (how many voted)
is shown to the console before. Anonymous polls never show who voted.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities import pages
from communities.permissions import Perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.inputs import parse_int
from engagement import poll_selectors as selectors
from engagement import polls as services
from engagement.models import Ballot, Poll
from engagement.poll_console_forms import MIN_ROWS, PollForm, option_rows

PAGE_SIZE = 50


console_page = pages.console_page(Perm.MANAGE_POSTS)  # leaders and up, in the community's timezone
_ctx = functools.partial(pages.console_context, section="polls")


def _rows(options: list[str], minimum: int = MIN_ROWS) -> list[str]:
    return options + [""] * max(minimum - len(options), 1)


@console_page
def polls(request, community, membership):
    status = request.GET.get("status", "")
    status = status if status in Poll.Status.values else ""
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:50]
    qs = selectors.polls_for_console(membership)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(question__icontains=query)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        parse_int(request.GET.get("page") or "1", minimum=1) or 1)
    now = timezone.now()
    for poll in page.object_list:
        poll.closed_now = services.is_closed(poll, now)
        poll.manageable = services.may_manage(membership, poll)
    return render(request, "engagement/polls/console/polls.html", _ctx(
        community, membership, page=page, filters={"status": status, "q": query}, statuses=Poll.Status.choices))


def _form_page(request, community, membership, poll=None):
    voted = poll is not None and Ballot.objects.filter(poll_id=poll.pk).exists()
    if request.method == "POST":
        form = PollForm(request.POST, membership=membership, poll=poll)
        if voted:  # the frozen fields are disabled on the page: they are not posted
            for name, field in form.fields.items():
                field.required = name == "closes_at"
        options = option_rows(request.POST)
        if form.is_valid():
            try:
                kwargs = form.service_kwargs(options)
                if poll is None:
                    poll = services.poll_create(actor=membership, **kwargs)
                    messages.success(request, _("Poll saved as a draft: open it when it is ready."))
                elif voted:
                    services.poll_update(actor=membership, poll=poll, closes_at=kwargs["closes_at"])
                    messages.success(request, _("The closing time was changed."))
                else:
                    services.poll_update(actor=membership, poll=poll, **kwargs)
                    messages.success(request, _("Poll saved."))
            except DomainError as error:
                add_domain_error(form, error)
                if "options" in (error.fields or {}):
                    form.option_errors = error.fields["options"]
            else:
                return redirect("engagement_console:poll", slug=community.slug, pk=poll.pk)
        status = 400
    else:
        initial = PollForm.initial_for(poll) if poll else {}
        form = PollForm(initial=initial or None, membership=membership, poll=poll)
        options = list(poll.options.values_list("text", flat=True)) if poll else []
        status = 200
    return render(request, "engagement/polls/console/poll_form.html", _ctx(
        community, membership, form=form, poll=poll, voted=voted, options=_rows(options),
        option_errors=getattr(form, "option_errors", []), max_options=services.MAX_OPTIONS), status=status)


@console_page
def poll_new(request, community, membership):
    return _form_page(request, community, membership)


@console_page
def poll_edit(request, community, membership, pk):
    poll = selectors.poll_for_console(membership, pk)
    if not services.may_manage(membership, poll):
        messages.error(request, _("Only its author or an admin can change this poll."))
        return redirect("engagement_console:poll", slug=community.slug, pk=poll.pk)
    return _form_page(request, community, membership, poll)


@console_page
def poll(request, community, membership, pk):
    poll = selectors.poll_for_console(membership, pk)
    now = timezone.now()
    return render(request, "engagement/polls/console/poll.html", _ctx(
        community, membership, poll=poll, options=list(poll.options.all()), results=selectors.results(poll, now=now),
        turnout=selectors.turnout(poll), is_closed=services.is_closed(poll, now), is_open=services.is_open(poll, now),
        manageable=services.may_manage(membership, poll)))


def _act(request, community, membership, pk, action, success, *, done=None):
    """Run ``action(poll)`` on a poll of the console; back to the poll (or ``done``) with a message."""
    poll = selectors.poll_for_console(membership, pk)
    try:
        action(poll)
    except DomainError as error:
        messages.error(request, error.message)
        done = None
    else:
        messages.success(request, success)
    return redirect(done or reverse("engagement_console:poll", kwargs={"slug": community.slug, "pk": poll.pk}))


@require_POST
@console_page
def poll_open(request, community, membership, pk):
    return _act(request, community, membership, pk, lambda p: services.poll_open(actor=membership, poll=p),
                _("The poll is open: members can vote."))


@require_POST
@console_page
def poll_close(request, community, membership, pk):
    return _act(request, community, membership, pk, lambda p: services.poll_close(actor=membership, poll=p),
                _("The poll is closed; its voters were told the results."))


@require_POST
@console_page
def poll_delete(request, community, membership, pk):
    return _act(request, community, membership, pk, lambda p: services.poll_delete(actor=membership, poll=p),
                _("The poll was deleted."), done=reverse("engagement_console:polls", kwargs={"slug": community.slug}))
