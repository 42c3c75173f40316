"""Share posters: one PNG, 750 px wide, that a member saves from a chat app and anyone scans.

The layout knows nothing of rounds or communities: the apps say what a poster shows (a
``Poster``) and this module draws it, caches the bytes under a hash of what it shows, and serves
them with that hash as the ETag. A poster is drawn again only when something on it changes.

Chinese text needs a CJK font, found on the machine, never downloaded: settings.POSTER_FONT and
POSTER_FONT_BOLD (Debian's fonts-noto-cjk by default, which scripts/ensure-cjk-font.sh and
the Dockerfile install), then the other usual CJK fonts, then DejaVu Sans (which draws no Chinese:
the system check below says so at start-up).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import qrcode
from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from PIL import Image, ImageDraw, ImageFont, ImageOps

logger = logging.getLogger(__name__)

WIDTH = 750
PAD = 40
# Bump when the layout changes: every cached poster is then drawn anew.
LAYOUT_VERSION = 2
CACHE_SECONDS = 7 * 24 * 3600
RED, INK, GREY, LIGHT = (232, 85, 62), (34, 34, 34), (128, 128, 128), (246, 242, 238)

FALLBACK_FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]
LATIN_ONLY = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK_PROBE = "团购成"


@dataclass(frozen=True)
class Poster:
    """What a poster shows. Every field is part of the cache key, so a change redraws it."""

    title: str
    url: str  # the share link the QR code carries
    footer: str  # who shares it (the community's name)
    hint: str  # under the footer, e.g. "long-press to scan"
    photo: str = ""  # a path under MEDIA_ROOT (an ImageField's name), or ""
    price: str = ""  # the group price, formatted
    list_price: str = ""  # struck through beside it
    progress: str = ""  # "还差 8 件成团", "已成团"
    ratio: float | None = None  # a progress bar when given (0..1)
    lines: tuple[str, ...] = field(default_factory=tuple)  # closing time, status

    def digest(self) -> str:
        payload = json.dumps({"v": LAYOUT_VERSION, **asdict(self)}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


# Fonts -----------------------------------------------------------------------------------------

def _face_index(path: str) -> int:
    """In a collection (.ttc), the Simplified Chinese face (Noto Sans CJK SC is the third)."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(12):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0]
        except OSError:
            break
        if family.endswith(" SC"):
            return index
    return 0


def _covers_cjk(path: str) -> bool:
    try:
        font = ImageFont.truetype(path, 24, index=_face_index(path))
    except OSError:
        return False
    # A font without the glyphs draws each as the same empty box (or nothing).
    masks = {bytes(font.getmask(char)) for char in CJK_PROBE}
    return len(masks) == len(CJK_PROBE)


@lru_cache(maxsize=4)
def font_path(bold: bool = False) -> tuple[str, int]:
    """The font file (and face) posters are drawn with: the first that draws Chinese."""
    wanted = getattr(settings, "POSTER_FONT_BOLD" if bold else "POSTER_FONT", "")
    for path in [wanted, getattr(settings, "POSTER_FONT", ""), *FALLBACK_FONTS]:
        if path and Path(path).is_file() and _covers_cjk(path):
            return path, _face_index(path)
    logger.warning("No CJK font found for share posters: install fonts-noto-cjk or set POSTER_FONT.")
    return LATIN_ONLY, 0


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path, index = font_path(bold)
    try:
        return ImageFont.truetype(path, size, index=index)
    except OSError:
        return ImageFont.load_default(size)


@checks.register()
def check_poster_font(app_configs=None, **kwargs):
    if font_path(False)[0] == LATIN_ONLY:
        return [checks.Warning(
            "Share posters have no font that draws Chinese.",
            hint="Install Debian's fonts-noto-cjk (scripts/ensure-cjk-font.sh does) or set POSTER_FONT "
                 "to a CJK font file.", id="core.W101")]
    return []


# Drawing ---------------------------------------------------------------------------------------

# A Latin word (with what sticks to it) stays whole; each CJK character may start a line.
_TOKENS = re.compile(r"[0-9A-Za-z\u00c0-\u024f'’.,:;!?%¥$€()\-]+ ?|\S ?| ")


def _wrap(text: str, face, width: int, max_lines: int) -> list[str]:
    """Lines of ``text`` that fit ``width`` (Chinese breaks between characters, English between
    words), the last one cut with an ellipsis when the text runs over."""
    tokens = []
    for token in _TOKENS.findall(" ".join(text.split())):
        # A word wider than the line is broken anywhere.
        tokens.extend(token if face.getlength(token) > width else [token])
    lines, current = [], ""
    for token in tokens:
        if face.getlength((current + token).rstrip()) <= width:
            current += token
            continue
        lines.append(current.rstrip())
        current = token.lstrip()
        if len(lines) == max_lines:
            break
    else:
        if current.strip():
            lines.append(current.rstrip())
        return lines
    last = lines[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return lines


def _photo(name: str) -> Image.Image | None:
    """The photo under ``name`` in the site's storage, cropped to the poster's 4:3 top."""
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as file, Image.open(file) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            return ImageOps.fit(image, (WIDTH, WIDTH * 3 // 4), method=Image.Resampling.LANCZOS)
    except (OSError, ValueError):
        logger.warning("Poster photo %s could not be read", name)
        return None


def _qr(url: str, size: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=1)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB").resize(
        (size, size), Image.Resampling.NEAREST)


def render(poster: Poster) -> bytes:
    """The poster as PNG bytes, 750 px wide, as tall as what it shows."""
    inner = WIDTH - 2 * PAD
    title_face, price_face, list_face = font(44, True), font(60, True), font(30)
    body_face, progress_face, small_face = font(30), font(36, True), font(26)
    title_lines = _wrap(poster.title, title_face, inner, 2)
    photo = _photo(poster.photo)

    # Heights first, then one canvas of the right size.
    top = photo.height if photo else 160
    height = top + PAD + len(title_lines) * 60
    height += 90 if poster.price else 0
    height += (24 if poster.ratio is not None else 0) + (56 if poster.progress else 0)
    height += len(poster.lines) * 44
    qr_size = 240
    height += 30 + qr_size + PAD + 20

    canvas = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(canvas)
    if photo:
        canvas.paste(photo, (0, 0))
    else:
        # No photo: a band with the first character of the title as an avatar.
        draw.rectangle((0, 0, WIDTH, top), fill=RED)
        radius = 52
        draw.ellipse((PAD, top // 2 - radius, PAD + 2 * radius, top // 2 + radius), fill="white")
        draw.text((PAD + radius, top // 2), poster.title.strip()[:1], font=font(56, True), fill=RED, anchor="mm")

    y = top + PAD
    for line in title_lines:
        draw.text((PAD, y), line, font=title_face, fill=INK)
        y += 60
    if poster.price:
        draw.text((PAD, y), poster.price, font=price_face, fill=RED)
        if poster.list_price:
            x = PAD + int(price_face.getlength(poster.price)) + 20
            box = draw.textbbox((x, y + 22), poster.list_price, font=list_face)
            draw.text((x, y + 22), poster.list_price, font=list_face, fill=GREY)
            middle = (box[1] + box[3]) // 2
            draw.line((box[0], middle, box[2], middle), fill=GREY, width=2)
        y += 90
    if poster.ratio is not None:
        ratio = max(0.0, min(1.0, poster.ratio))
        draw.rounded_rectangle((PAD, y, WIDTH - PAD, y + 14), radius=7, fill=LIGHT)
        if ratio > 0:
            draw.rounded_rectangle((PAD, y, PAD + max(14, int(inner * ratio)), y + 14), radius=7, fill=RED)
        y += 24
    if poster.progress:
        draw.text((PAD, y), poster.progress, font=progress_face, fill=RED)
        y += 56
    for line in poster.lines:
        draw.text((PAD, y), line, font=body_face, fill=GREY)
        y += 44

    y += 30
    draw.line((PAD, y - 15, WIDTH - PAD, y - 15), fill=LIGHT, width=2)
    canvas.paste(_qr(poster.url, qr_size), (WIDTH - PAD - qr_size, y))
    text_width = inner - qr_size - 24
    footer_lines = _wrap(poster.footer, font(34, True), text_width, 2)
    ty = y + 40
    for line in footer_lines:
        draw.text((PAD, ty), line, font=font(34, True), fill=INK)
        ty += 48
    for line in _wrap(poster.hint, small_face, text_width, 2):
        draw.text((PAD, ty + 10), line, font=small_face, fill=GREY)
        ty += 36

    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# Serving ---------------------------------------------------------------------------------------

def poster_png(poster: Poster) -> bytes:
    """The poster's bytes: from the cache when what it shows has not changed, else drawn now."""
    key = f"poster:{poster.digest()}"
    data = cache.get(key)
    if data is None:
        data = render(poster)
        cache.set(key, data, CACHE_SECONDS)
    return data


def poster_response(request, poster: Poster, *, public: bool) -> HttpResponse:
    """The PNG, or 304 when the phone holds this very poster already (the ETag is its digest)."""
    etag = f'"{poster.digest()}"'
    # A proxy that compresses may have weakened the tag (W/"…"): the poster is the same.
    held = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in held or "*" in held:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(poster_png(poster), content_type="image/png")
    response["ETag"] = etag
    # A short max-age, then a cheap revalidation: progress moves, and the ETag says when.
    patch_cache_control(response, max_age=60, **({"public": True} if public else {"private": True}))
    return response
