"""Domain errors: a stable code, a message a person can read, optional per-field messages.

Services raise them; the DRF exception handler (core.api) turns them into JSON with the error's
HTTP status, and pages turn them into form errors or messages (core.forms).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    default_code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.code = code or self.default_code
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    status = 400
    default_code = "invalid"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    status = 404
    default_code = "not_found"
    default_message = _("Not found.")


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class Unprocessable(DomainError):
    status = 422
    default_code = "unprocessable"


class TooManyAttempts(DomainError):
    """Refused for now; `retry_after` (seconds) becomes the Retry-After header."""

    status = 429
    default_code = "too_many_attempts"
    default_message = _("Too many attempts. Try again later.")

    def __init__(self, message=None, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
