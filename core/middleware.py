"""Requests carrying a NUL character are answered 400 before any view runs.

PostgreSQL cannot store or compare text containing NUL (psycopg raises DataError), so an invite
code, a search box or a header with "%00" in it would otherwise end as a 500 wherever it first
reaches a query. No legitimate path, query string, form field, header or cookie contains one.
JSON bodies are checked by DRF's own character fields (they refuse NUL).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from core.exceptions import ValidationFailed

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(value) -> bool:
    return NUL in value if isinstance(value, str) else False


def nul_fields(request) -> dict[str, list[str]] | None:
    """Where the request carries a NUL: {field: [message]} (empty for the path), or None if nowhere."""
    message = _("Contains a NUL character, which is never valid.")
    if _has_nul(request.path_info) or _has_nul(request.path):
        return {}
    if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return {key: [message] for key, values in request.GET.lists()
                if _has_nul(key) or any(_has_nul(v) for v in values)}
    for key, value in request.META.items():
        if key.startswith("HTTP_") and _has_nul(value):
            return {key[5:].replace("_", "-").title(): [message]}
    for key, value in request.COOKIES.items():
        if _has_nul(key) or _has_nul(value):
            return {}
    if request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            form, files = request.POST, request.FILES
        except (MultiPartParserError, SuspiciousOperation, UnreadablePostError):
            return None  # the view reads the body again and answers its own 400
        bad = {key: [message] for key, values in form.lists() if _has_nul(key) or any(_has_nul(v) for v in values)}
        bad.update({key: [message] for key, uploads in files.lists()
                    if any(_has_nul(upload.name or "") for upload in uploads)})
        if bad:
            return bad
    return None


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = nul_fields(request)
        if fields is None:
            return self.get_response(request)
        error = ValidationFailed(
            _("The request contains a NUL character (\\0), which is never valid. Remove it and try again."),
            code="nul_character", fields=fields)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"code": error.code, "message": str(error.message), "fields": error.fields},
                                status=error.status)
        from core.pages import error_page

        return error_page(request, error)
