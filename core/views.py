from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import notifications
from core.models import Notification
from core.pages import form_expired_page, keep_posted_form, kept_form


@never_cache
@require_GET
def healthz(request):
    """200 only when PostgreSQL and Redis both answer."""
    from django.conf import settings
    import redis

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["postgres"] = "ok"
    except Exception as exc:  # any failure means "not healthy", whatever the driver raised
        checks["postgres"] = f"error: {exc.__class__.__name__}"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def home(request):
    if request.user.is_authenticated:
        return redirect("communities:mine")
    return render(request, "core/landing.html")


@login_required
def inbox(request):
    items = list(Notification.objects.filter(recipient=request.user).select_related("community")[:100])
    unread_ids = [n.pk for n in items if n.read_at is None]
    response = render(request, "core/inbox.html", {"items": items, "unread_ids": set(unread_ids)})
    if unread_ids:
        notifications.mark_read(user=request.user, notification_ids=unread_ids)
    return response


@login_required
@require_POST
def inbox_mark_all_read(request):
    notifications.mark_read(user=request.user)
    return redirect("inbox")


# Error pages: under /api/ they answer JSON in the API's error shape ({"code", "message",
# "fields"}), e.g. for a URL that matches no route; elsewhere Django's own pages.

def _api_error(request, status: int, code: str, message) -> JsonResponse | None:
    if not request.path_info.startswith("/api/"):
        return None
    return JsonResponse({"code": code, "message": str(message), "fields": {}}, status=status)


def bad_request(request, exception):
    return (_api_error(request, 400, "bad_request", _("The request could not be understood."))
            or defaults.bad_request(request, exception))


def permission_denied(request, exception):
    return (_api_error(request, 403, "permission_denied", _("You do not have permission to do this."))
            or defaults.permission_denied(request, exception))


def page_not_found(request, exception):
    return _api_error(request, 404, "not_found", _("Not found.")) or defaults.page_not_found(request, exception)


def server_error(request):
    return (_api_error(request, 500, "server_error", _("Something went wrong on our side. Try again later."))
            or defaults.server_error(request))


def csrf_failure(request, reason=""):
    """An expired or missing CSRF token (settings.CSRF_FAILURE_VIEW): never Django's raw 403 page.
    What the member entered is kept, to send again in one tap (after logging in, if needed)."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "csrf_failed", "message": str(_(
            "This form expired. Reload the page and try again.")), "fields": {}}, status=403)
    return form_expired_page(request, kept=keep_posted_form(request), reason="expired")


@login_required
def resume_form(request):
    """After logging in again: the form kept from before, ready to send (with a fresh token)."""
    kept = kept_form(request)
    if kept is None:
        return redirect("home")
    return form_expired_page(request, kept=kept, reason="resume", status=200)
