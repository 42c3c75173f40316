"""Uploaded images: checked with Pillow, re-encoded without EXIF (location, camera), resized."""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.exceptions import ValidationFailed

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def clean_image(upload, *, field: str = "image", max_side: int = 1600) -> ContentFile:
    """Return a safe copy of ``upload`` or raise ValidationFailed with a message for ``field``."""

    def refuse(message):
        raise ValidationFailed(message, code="invalid_image", fields={field: [message]})

    size = getattr(upload, "size", None)
    if size is not None and size > settings.IMAGE_MAX_BYTES:
        refuse(_("The image is too large (%(size)s MB); the limit is %(limit)s MB.") % {
            "size": round(size / 1024 / 1024, 1), "limit": settings.IMAGE_MAX_BYTES // 1024 // 1024})
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            refuse(_("Upload a JPEG, PNG or WebP image."))
        if width * height > settings.IMAGE_MAX_PIXELS or min(width, height) < 16:
            refuse(_("The image dimensions (%(w)s×%(h)s) are not accepted.") % {"w": width, "h": height})
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if fmt == "JPEG":
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            else:
                image.save(out, fmt)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        refuse(_("This file is not an image we can read. Upload a JPEG, PNG or WebP image."))
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ALLOWED_FORMATS[fmt]}")


def make_thumbnail(content, max_side: int = 320) -> ContentFile:
    """A small copy of an image already passed through clean_image, same format, no metadata.

    ``content`` is trusted here (clean_image checked it), so a failure is a bug, not bad input.
    """
    content.seek(0)
    with Image.open(content) as image:
        fmt = image.format
        image.thumbnail((max_side, max_side))
        out = io.BytesIO()
        if fmt == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
        else:
            image.save(out, fmt)
    content.seek(0)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ALLOWED_FORMATS[fmt]}")


def image_size(content) -> tuple[int, int]:
    """(width, height) of an image file, leaving its position at the start."""
    content.seek(0)
    with Image.open(content) as image:
        size = image.size
    content.seek(0)
    return size
