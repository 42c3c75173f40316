"""Console pages (desktop) for split-bill collections: owners and admins read every collection of
the community and may close one early. Leaders see none here (they use the member pages, as
anyone taking part does). Changes go through crowdfunding.collections."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.pages import community_page
from communities.permissions import Perm, acts_community_wide, has_perm
from core.exceptions import DomainError, Forbidden
from core.inputs import parse_int
from crowdfunding import collection_selectors as selectors
from crowdfunding import collections as services
from crowdfunding.models import Collection

PAGE_SIZE = 50


def console_page(view):
    """Owners and admins only (403 for leaders), in the community's timezone."""

    def wrapper(request, community, membership, *args, **kwargs):
        if not acts_community_wide(membership):
            raise Forbidden()
        with timezone.override(community.timezone):
            return view(request, community, membership, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return community_page(Perm.VIEW_CONSOLE)(wrapper)


def _ctx(community, membership, **extra):
    perms = {perm.value: has_perm(membership, perm) for perm in Perm}
    return {"community": community, "membership": membership, "console_perms": perms, "section": "collections",
            **extra}


@console_page
def collections(request, community, membership):
    status = request.GET.get("status", "")
    status = status if status in Collection.Status.values else ""
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:50]
    qs = selectors.collections_for_console(membership)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(title__icontains=query)
    page = Paginator(qs, PAGE_SIZE).get_page(parse_int(request.GET.get("page") or "1", minimum=1) or 1)
    return render(request, "crowdfunding/console/collections.html", _ctx(
        community, membership, page=page, filters={"status": status, "q": query},
        statuses=Collection.Status.choices))


@console_page
def collection(request, community, membership, pk):
    collection = selectors.collection_for_console(membership, pk)
    rows = [{"share": s, "pending": selectors.pending_transfer(s)} for s in collection.shares.all()]
    return render(request, "crowdfunding/console/collection.html", _ctx(
        community, membership, collection=collection, rows=rows, outcomes=Collection.Outcome.choices))


@require_POST
@console_page
def collection_close(request, community, membership, pk):
    collection = selectors.collection_for_console(membership, pk)
    try:
        services.collection_close(actor=membership, collection=collection, outcome=request.POST.get("outcome", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The collection is closed; the participants were told."))
    return redirect("crowdfunding_console:collection", slug=community.slug, pk=collection.pk)
