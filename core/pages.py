"""Page plumbing shared by every app's views (what needs a community is in communities/pages.py)."""

from __future__ import annotations

from django.shortcuts import render

from core.exceptions import DomainError


def error_page(request, error: DomainError):
    return render(request, "core/error.html", {"error": error}, status=error.status)
