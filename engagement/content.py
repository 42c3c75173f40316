"""Posts' text: Markdown as written, rendered to HTML and sanitised to a small allow-list.

Two layers, so neither alone decides what reaches a page: markdown-it renders with raw HTML off
(a ``<script>`` typed in the Markdown comes out as text), then nh3 (ammonia) keeps only the tags
and attributes below. Links keep http, https and mailto only and get rel="nofollow noopener";
images only from our own media URL (uploads went through core.images, nothing else is embedded).
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from django.conf import settings
from markdown_it import MarkdownIt

TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "h2", "h3", "h4", "a", "img"}
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
URL_SCHEMES = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h1>")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # commonmark without raw HTML; tables, code and images of other sites are not offered.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _own_path(url: str) -> bool:
    """A path on this site: "/…", never "//host" (another site) nor a backslash (read as "/" by browsers)."""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url \
        and ":" not in url.split("?", 1)[0] and not any(ord(c) < 33 for c in url)


def _own_media(url: str) -> bool:
    return _own_path(url) and url.startswith(settings.MEDIA_URL) and ".." not in url


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _own_media(value) else None
    if tag == "a" and attribute == "href":
        # A full address, mail, or a path on this site (a round's page); nothing else.
        lowered = value.strip().lower()
        if lowered.startswith(("http://", "https://", "mailto:")):
            return value
        return value if _own_path(value) else None
    return value


def sanitise(html: str) -> str:
    """HTML reduced to the allow-list (whatever produced it)."""
    cleaned = nh3.clean(_HEADING.sub(r"<\1h2>", html), tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                        attribute_filter=_filter, link_rel="nofollow noopener",
                        clean_content_tags={"script", "style"}, strip_comments=True)
    # An image whose address was refused is left without one: drop it entirely.
    return re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned)


def render_markdown(text: str) -> str:
    """The post's body as safe HTML (the service stores it in Post.body_html on each save)."""
    text = (text or "").replace("\x00", "")
    return sanitise(_markdown().render(text))


_TAG = re.compile(r"<[^>]+>")


def first_paragraph(html: str, limit: int = 200) -> str:
    """Plain text of the first paragraph of rendered HTML (a stranger's preview, Open Graph)."""
    match = re.search(r"<p>(.*?)</p>", html or "", re.S)
    text = _TAG.sub("", match.group(1) if match else "")
    from html import unescape

    text = " ".join(unescape(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
