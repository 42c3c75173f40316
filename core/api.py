"""API plumbing shared by every app: one error shape, {"code", "message", "fields"}."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError
from core.inputs import MAX_ID, parse_int


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {"field": [messages]}; nested ones under dotted keys ("lines.0.quantity")."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" and prefix else f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                fields.setdefault(field, []).extend(messages)
        return fields
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        fields = {}
        for index, value in enumerate(detail):
            if value:
                for field, messages in _flatten(value, f"{prefix}.{index}" if prefix else str(index)).items():
                    fields.setdefault(field, []).extend(messages)
        return fields
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [force_str(message) for message in messages]}


def error_response(*, code: str, message, fields=None, status_code: int) -> Response:
    return Response(
        {"code": code, "message": force_str(message), "fields": fields or {}},
        status=status_code,
    )


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        response = error_response(code=exc.code, message=exc.message, fields=exc.fields, status_code=exc.status)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return error_response(code="invalid", message=message, fields=fields, status_code=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        non_field = fields.pop("non_field_errors", None)
        message = non_field[0] if non_field else _("Some fields are not valid.")
        return error_response(code="invalid", message=message, fields=fields, status_code=400)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    detail = getattr(exc, "detail", "")
    message = detail if isinstance(detail, str) else force_str(detail)
    response.data = {"code": code, "message": force_str(message), "fields": {}}
    return response


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """Every 4xx answer: a stable code, a readable message, per-field messages."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


ERROR_DESCRIPTIONS = {
    400: gettext_lazy("Invalid input"), 401: gettext_lazy("Not logged in, or the token is invalid or expired"),
    403: gettext_lazy("Not allowed"), 404: gettext_lazy("Not found"),
    409: gettext_lazy("Conflicts with the current state"), 410: gettext_lazy("No longer usable"),
    406: gettext_lazy("Not given in the format asked for"), 415: gettext_lazy("Unsupported media type"), 422: gettext_lazy("Same key, different request"),
    429: gettext_lazy("Too many attempts: try again after the Retry-After header's number of seconds"),
}


def error_responses(*codes: int) -> dict:
    """Documented error answers for extend_schema(responses=...): all share the Error shape."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


# Id fields -------------------------------------------------------------------------------------

class IdField(serializers.IntegerField):
    """A primary key: ASCII digits only ("٣" and "²" are not ids), 1 to the bigint maximum."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and parse_int(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class InstantField(serializers.DateTimeField):
    """An ISO 8601 instant typed in ASCII digits, read in UTC, from the year 2000 on. Django's parser
    falls back to a regular expression whose ``\\d`` reads "٢٠٢٦" as the year 2026, and Python
    accepts offsets that PostgreSQL refuses; both are invalid input here. Every instant a client
    sets (a round's, an event's, a coupon's times) is in this century: an older one is a typo, and
    shown back in a community's zone it would carry a local mean time offset (+08:05:43) that is
    no ISO 8601 date-time."""

    EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    default_error_messages = {"too_early": gettext_lazy("Pick a time from the year 2000 on.")}

    def to_internal_value(self, value):
        if isinstance(value, str) and (not value.isascii() or "\x00" in value):
            self.fail("invalid", format="ISO 8601")
        result = super().to_internal_value(value)
        try:
            result = result.astimezone(datetime.timezone.utc)
        except OverflowError:
            self.fail("invalid", format="ISO 8601")
        if result < self.EARLIEST:
            self.fail("too_early")
        return result
