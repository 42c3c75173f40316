"""Pages under a community: the one decorator that resolves /<slug>/ for pages, as the API's
CommunityAPIView does for endpoints."""

from __future__ import annotations

import functools
import zoneinfo

from django.contrib.auth.views import redirect_to_login
from django.utils import timezone

from communities.permissions import resolve_community
from core.exceptions import DomainError, NotFound
from core.pages import error_page, form_expired_page, keep_posted_form


def community_page(perm, *, stranger=None):
    """Resolve /<slug>/ to (community, membership) with ``perm`` or show 404/403; login first.

    ``stranger``: the view (same arguments, without community and membership) that answers a
    GET from whoever is not an active member, logged in or not, instead of the login page or 404:
    the public preview of a shared round. Anything else they send is answered as before.
    """
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            previews = stranger is not None and request.method in ("GET", "HEAD")
            if not request.user.is_authenticated and not previews:
                if request.method == "POST":  # the session ended while the form was open: keep it
                    return form_expired_page(request, kept=keep_posted_form(request), reason="logged_out")
                return redirect_to_login(request.get_full_path())
            try:
                community, membership = resolve_community(request.user, slug, perm)
            except NotFound as error:
                if previews:
                    return stranger(request, slug, *args, **kwargs)
                return error_page(request, error)
            except DomainError as error:
                return error_page(request, error)
            request.community = community
            request.membership = membership
            # Times on the page read in the community's own timezone.
            timezone.activate(zoneinfo.ZoneInfo(community.timezone))
            try:
                return view(request, community, membership, *args, **kwargs)
            except DomainError as error:
                return error_page(request, error)

        return wrapper

    return decorator


def console_page(perm):
    """community_page(perm), with the community's timezone active: forms parse and pages show local time."""

    def decorator(view):
        @functools.wraps(view)
        def in_community_time(request, community, membership, *args, **kwargs):
            with timezone.override(community.timezone):
                return view(request, community, membership, *args, **kwargs)

        return community_page(perm)(in_community_time)

    return decorator


def console_context(community, membership, section: str, **extra) -> dict:
    """What every console page's template needs: the community, the caller, which menu entries
    they may see (console_perms) and the one they are in (section)."""
    from communities.permissions import Perm, has_perm

    perms = {perm.value: has_perm(membership, perm) for perm in Perm}
    return {"community": community, "membership": membership, "console_perms": perms, "section": section, **extra}
