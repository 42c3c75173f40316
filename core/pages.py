"""Page plumbing shared by every app's views (what needs a community is in communities/pages.py)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from core.exceptions import DomainError


def error_page(request, error: DomainError):
    return render(request, "core/error.html", {"error": error}, status=error.status)


# A form sent with an expired CSRF token or after the session ended is kept, so that the member can
# log in again and send it with one tap instead of typing it all again.
KEPT_FORM = "kept_form"
_NOT_KEPT = ("csrfmiddlewaretoken", "password")  # never echoed back into a page
_MAX_FIELDS, _MAX_VALUE, _MAX_TOTAL = 60, 5000, 30000
KEPT_FOR_SECONDS = 3600


def kept_form(request) -> dict | None:
    """The form kept in this session, if it is recent enough to send again."""
    kept = request.session.get(KEPT_FORM)
    if not kept or time.time() - kept.get("at", 0) > KEPT_FOR_SECONDS:
        return None
    return kept


def _same_origin(request) -> bool:
    """Sent from one of our own pages: a form another site posted (the attack CSRF protection
    stops) is never offered for sending again."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return bool(source) and urlsplit(source).netloc == request.get_host()


def _local_path(url: str) -> str | None:
    parts = urlsplit(url or "")
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def keep_posted_form(request) -> dict | None:
    """Remember what a refused POST carried (in the session, for after the log-in); None if it
    came from another site or holds nothing worth keeping."""
    if request.method != "POST" or not _same_origin(request) or request.path == resolve_url(settings.LOGIN_URL):
        return None  # a log-in form is simply shown again (a password is never kept)
    fields, total = [], 0
    for name, values in request.POST.lists():
        if any(word in name.lower() for word in _NOT_KEPT):
            continue
        for value in values:
            value = value[:_MAX_VALUE]
            total += len(name) + len(value)
            if len(fields) >= _MAX_FIELDS or total > _MAX_TOTAL:
                break
            fields.append([name, value])
    action = _local_path(request.get_full_path())
    if not fields or action is None:
        return None
    back = _local_path(request.headers.get("Referer", "")) or action
    kept = {"action": action, "back": back, "fields": fields, "files": bool(request.FILES), "at": time.time()}
    request.session[KEPT_FORM] = kept
    return kept


def form_expired_page(request, *, kept: dict | None, reason: str = "expired", status: int = 403):
    """The friendly answer to a form that could not be taken: what happened, what was kept, and one
    tap to send it again (after logging in again when the session is gone)."""
    login_url = resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": reverse("resume_form")})
    return render(request, "core/form_expired.html", {
        "kept": kept, "reason": reason, "logged_in": request.user.is_authenticated, "login_url": login_url,
    }, status=status)
