"""One-click e-mail unsubscribe (RFC 8058): /me/unsubscribe/<token>/ for one (user, kind).

GET shows what will be stopped and a button; POST stops e-mails of that kind for that user
(an e-mail opt-out: the inbox keeps them), without a login. Mail clients send that POST themselves
when the reader presses their "unsubscribe" button (the List-Unsubscribe-Post header), with no
CSRF token and no cookies: the view is exempt from CSRF, which is safe because the signed token
is the authority (it names the one user and kind it may change, and nothing else), and stopping
e-mails is idempotent. A GET changes nothing, so a mail scanner opening links stops nothing.
A token that was tampered with, or names a user or kind that no longer exists, is a 400 page.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core import notifications


def _masked(address: str) -> str:
    """"a***@example.com": enough for its owner to recognise, little for anyone else."""
    name, _at, domain = (address or "").partition("@")
    if not domain:
        return ""
    return f"{name[:1]}***@{domain}"


def _bad_link(request):
    return render(request, "core/unsubscribe.html", {"bad": True}, status=400)


@never_cache
@csrf_exempt  # the one-click POST of RFC 8058 carries no CSRF token: the signed token is the authority
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    read = notifications.unsubscribe_read(token)
    if read is None:
        return _bad_link(request)
    user_id, kind = read
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return _bad_link(request)
    done = False
    if request.method == "POST":
        notifications.email_opt_out(user=user, kind=kind)
        done = True
    response = render(request, "core/unsubscribe.html", {
        "kind_label": notifications.KINDS[kind], "address": _masked(user.email), "done": done,
        "preferences_url": reverse("profile") + "#notifications",
        "title": _("E-mails stopped") if done else _("Stop these e-mails?"),
    })
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
