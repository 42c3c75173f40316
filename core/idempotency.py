"""Idempotency-Key for API writes that create rows a retry would double (a round, a community...).

``idempotent(request, scope, run)`` runs ``run`` (which returns the DRF Response) once per
(user, scope, key): the key row is inserted first, in the same transaction as the write, so

- a retry after the write committed gets the stored answer again (header ``Idempotent-Replayed``);
- two requests racing with one key: the second waits on the unique index until the first commits,
  then replays its answer (or runs, if the first rolled back);
- a write that failed (a 4xx, an exception) rolled the key back with it: the retry runs afresh;
- the same key with a different body is a 422 (``idempotency_key_reused``), never a silent replay.

Without the header the write simply runs. Keys are kept for KEEP_FOR (the sweep below forgets
older ones). Orders keep their own key on the order row (orders.services.order_place).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from core.exceptions import Unprocessable, ValidationFailed
from core.models import IdempotentRequest
from core.sweeps import Sweep, register

KEEP_FOR = timedelta(days=7)
HEADER = "Idempotency-Key"
# The OpenAPI parameter of the operations that take it.
KEY_PARAMETER = OpenApiParameter(
    HEADER, {"type": "string", "minLength": 1, "maxLength": 100}, OpenApiParameter.HEADER, required=False,
    description=gettext_lazy("Makes a retry harmless: the same key with the same body gets the first answer "
                             "again (with the header Idempotent-Replayed: true) and creates nothing; the same "
                             "key with another body answers 422. Keys are kept for 7 days."))


def idempotency_key(request, *, required: bool = True) -> str | None:
    """The request's key: 1 to 100 printable characters (a 400 otherwise); None when absent and optional."""
    key = request.headers.get(HEADER, "").strip()
    if not key and not required:
        return None
    if not key or len(key) > 100 or not key.isprintable():
        raise ValidationFailed(_("Send an Idempotency-Key header of 1 to 100 characters, unique per order."),
                               code="idempotency_key_required",
                               fields={HEADER: [_("Required, 1 to 100 characters.")]})
    return key


def _canonical(value):
    """The request body as plain data: form data as lists per key, an uploaded file as its content's hash."""
    if hasattr(value, "lists"):  # a QueryDict (form or multipart body)
        return {key: [_canonical(item) for item in items] for key, items in value.lists()}
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{digest.hexdigest()}"
    return value


def fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(_canonical(payload), sort_keys=True, default=str).encode()).hexdigest()


def idempotent(request, scope: str, run: Callable[[], Response]) -> Response:
    key = idempotency_key(request, required=False)
    if key is None:
        return run()
    print_ = fingerprint(request.data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(user=request.user, scope=scope, key=key,
                                                          fingerprint=print_)
        except IntegrityError:
            record = IdempotentRequest.objects.get(user=request.user, scope=scope, key=key)
            if record.fingerprint != print_:
                raise Unprocessable(_("This Idempotency-Key was used for a different request; use a new key."),
                                    code="idempotency_key_reused", fields={HEADER: [_("Already used.")]})
            return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        response = run()
        if response.status_code >= 400:
            transaction.set_rollback(True)  # nothing was done: the key is free for the retry
            return response
        record.status_code, record.response = response.status_code, response.data
        record.save(update_fields=["status_code", "response"])
    return response


@register
class ForgetIdempotencyKeys(Sweep):
    """Keys older than KEEP_FOR: a client retries within minutes, not weeks."""

    name = "core.forget_idempotency_keys"
    label = gettext_lazy("Forgetting old Idempotency-Keys")
    batch = 500

    def due(self, now):
        return IdempotentRequest.objects.filter(created_at__lte=now - KEEP_FOR).order_by("created_at")

    def settle(self, record, now):
        record.delete()
