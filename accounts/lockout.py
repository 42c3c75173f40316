"""Failed-login limits, per account and per client address, with django-axes.

Axes records each failed login (page, API or admin) in its AccessAttempt table under two keys:
the account (``username``: see ``account_key``) and the client address (``core.net.client_ip``).
A key that collected too many failures within the cool-off window is refused until its failures
are older than the window, even with the right password. The limits are
``LOGIN_FAILURES_PER_ACCOUNT`` and ``LOGIN_FAILURES_PER_ADDRESS`` within ``AXES_COOLOFF_TIME``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import User, normalize_phone


def user_key(user) -> str:
    return f"user:{user.pk}"


def account_key(login: str | None) -> str | None:
    """One key per account, whichever of its logins was typed and however it was spelled.

    An existing account is keyed by its id, so its phone number and its e-mail address (in any
    case, with or without spaces) share one count; a login that matches no account is keyed by
    its normalised spelling, so guessing at a made-up login is limited the same way.
    """
    login = (login or "").strip()
    if not login:
        return None
    user = User.objects.filter(**_login_lookup(login)).only("pk").first()
    if user is not None:
        return user_key(user)
    return login.lower() if "@" in login else normalize_phone(login)


def _login_lookup(login: str) -> dict:
    return {"email": login.lower()} if "@" in login else {"phone": normalize_phone(login)}


def username_from_credentials(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE. The page authenticates with `username`, the API with `login`;
    memoised per request because axes asks several times per attempt."""
    credentials = credentials or {}
    login = credentials.get("login") or credentials.get("username")
    if not isinstance(login, str):
        return None
    cache = getattr(request, "_shequn_account_keys", None)
    if cache is None:
        cache = {}
        if request is not None:
            request._shequn_account_keys = cache
    if login not in cache:
        cache[login] = account_key(login)
    return cache[login]


def _limits() -> dict[str, int]:
    return {"username": settings.LOGIN_FAILURES_PER_ACCOUNT, "ip_address": settings.LOGIN_FAILURES_PER_ADDRESS}


def failure_limit(request=None, credentials=None) -> int:
    """AXES_FAILURE_LIMIT: the largest of the limits (see LoginLimitsHandler.get_failures)."""
    return max(_limits().values())


class LoginLimitsHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own for each lockout parameter.

    Axes compares one failure count with one limit. ``get_failures`` reports, for the parameter
    closest to its own limit, its count raised by how much lower that limit is than the largest:
    ``count + (largest - own) >= largest`` exactly when ``count >= own``.
    """

    def _counts(self, request, credentials) -> list[tuple[int, int, list]]:
        """(failures, own limit, attempts newest first) for each lockout parameter."""
        username = get_client_username(request, credentials)
        kwargs_list = get_client_parameters(username, request.axes_ip_address, request.axes_user_agent,
                                            request, credentials)
        threshold = (request.axes_attempt_time or timezone.now()) - get_cool_off(request)
        limits = _limits()
        counts = []
        for filter_kwargs in kwargs_list:
            if any(value is None for value in filter_kwargs.values()):
                continue  # no login given: nothing to count under the account key
            attempts = list(AccessAttempt.objects.filter(attempt_time__gte=threshold, **filter_kwargs)
                            .order_by("-attempt_time").values_list("attempt_time", "failures_since_start"))
            limit = min(limits.get(name, failure_limit()) for name in filter_kwargs)
            counts.append((sum(failures for _, failures in attempts), limit, attempts))
        return counts

    def get_failures(self, request, credentials=None) -> int:
        top = failure_limit()
        return max((count + top - limit for count, limit, _ in self._counts(request, credentials)), default=0)

    def retry_after(self, request, credentials=None) -> timedelta:
        """How long until every limit this request hits has room again."""
        now = timezone.now()
        cool_off = get_cool_off(request)
        free_at = now
        for count, limit, attempts in self._counts(request, credentials):
            if count < limit:
                continue
            # Failures leave the window oldest first; the limit has room again once the newest
            # ones that still reach it have left: the attempt at which the running sum reaches it.
            running = 0
            for attempt_time, failures in attempts:
                running += failures
                if running >= limit:
                    free_at = max(free_at, attempt_time + cool_off)
                    break
        return max(free_at - now, timedelta(0))

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        # Whoever knows the password starts again. Only the failures at this account are cleared
        # (axes' own reset would clear the whole address): guesses at other accounts from the
        # same address still count, however often the guesser logs in to an account of their own.
        AccessAttempt.objects.filter(username=user_key(user)).delete()


@dataclass(frozen=True)
class Lockout:
    retry_after: timedelta

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds() / 60))

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds()))

    @property
    def message(self) -> str:
        return ngettext(
            "Too many failed attempts. Try again in %(minutes)d minute.",
            "Too many failed attempts. Try again in %(minutes)d minutes.",
            self.minutes,
        ) % {"minutes": self.minutes}


def lockout_of(request) -> Lockout | None:
    """The lockout that refused this request's login attempt, if axes refused it."""
    if not getattr(request, "axes_locked_out", False):
        return None
    from axes.handlers.proxy import AxesProxyHandler

    handler = AxesProxyHandler.get_implementation()
    credentials = getattr(request, "axes_credentials", None)
    if isinstance(handler, LoginLimitsHandler):
        return Lockout(retry_after=handler.retry_after(request, credentials))
    return Lockout(retry_after=get_cool_off(request) or timedelta(0))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: what axes' middleware answers a locked-out login with.

    Our login page and token endpoint answer lockouts themselves (a form error or the JSON error,
    both 429); this covers the other logins, such as the admin's.
    """
    if original_response is not None and original_response.status_code == 429:
        return original_response
    lockout = lockout_of(request) or Lockout(retry_after=get_cool_off(request) or timedelta(0))
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "too_many_attempts", "message": lockout.message, "fields": {}}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"lockout": lockout}, status=429)
    response["Retry-After"] = str(lockout.seconds)
    return response
