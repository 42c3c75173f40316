import io
import os

import pytest
from django.utils import translation
from PIL import Image


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded photos go to a throwaway directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def image_bytes(fmt="JPEG", size=(800, 600), exif=False, noise=False, name=None):
    buffer = io.BytesIO()
    if noise:  # incompressible: the file is as large as its pixels
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (90, 160, 60))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPS position
        kwargs["exif"] = data.tobytes()
    image.save(buffer, fmt, **kwargs)
    buffer.seek(0)
    buffer.name = name or f"photo.{fmt.lower()}"
    return buffer


def pdf_named_jpg():
    buffer = io.BytesIO(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    buffer.name = "photo.jpg"
    return buffer
