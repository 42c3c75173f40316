"""What the posts area adds to the rest of the site: audit-log sentences and community-home sections."""

from django.utils.translation import pgettext_lazy


def _resolution(entry) -> str:
    from core.audit import sentence_context

    context = sentence_context(entry)
    resolution = (entry.data or {}).get("resolution")
    sentence = {
        "hide": pgettext_lazy("audit log", "%(actor)s answered the reports of comment #%(id)s by hiding it"),
        "delete": pgettext_lazy("audit log", "%(actor)s answered the reports of comment #%(id)s by deleting it"),
    }.get(resolution, pgettext_lazy("audit log", "%(actor)s answered the reports of comment #%(id)s: kept"))
    return str(sentence) % context


SENTENCES: dict = {
    "post.created": pgettext_lazy("audit log", "%(actor)s wrote the post “%(title)s”"),
    "post.changed": pgettext_lazy("audit log", "%(actor)s changed the post “%(title)s”"),
    "post.published": pgettext_lazy("audit log", "%(actor)s published the post “%(title)s”"),
    "post.hidden": pgettext_lazy("audit log", "%(actor)s hid the post “%(title)s”"),
    "post.unhidden": pgettext_lazy("audit log", "%(actor)s showed the post “%(title)s” again"),
    "post.deleted": pgettext_lazy("audit log", "%(actor)s deleted the post “%(title)s”"),
    "post.pinned": pgettext_lazy("audit log", "%(actor)s pinned the post “%(title)s”"),
    "post.unpinned": pgettext_lazy("audit log", "%(actor)s unpinned the post “%(title)s”"),
    "comment.hidden": pgettext_lazy("audit log", "%(actor)s hid comment #%(id)s"),
    "comment.unhidden": pgettext_lazy("audit log", "%(actor)s showed comment #%(id)s again"),
    "comment.deleted": pgettext_lazy("audit log", "%(actor)s deleted comment #%(id)s"),
    "comment.pinned": pgettext_lazy("audit log", "%(actor)s pinned comment #%(id)s"),
    "comment.unpinned": pgettext_lazy("audit log", "%(actor)s unpinned comment #%(id)s"),
    "report.resolved": _resolution,
    "engagement.settings_changed": pgettext_lazy("audit log", "%(actor)s changed the events and posts settings"),
}


def recent_posts(membership) -> dict:
    """The community home: pinned posts first, then the latest three the member may see."""
    from engagement import post_selectors

    return {"recent_posts": post_selectors.home_posts(membership)}


HOME_SECTIONS: list = [recent_posts]  # functions membership → template context (communities.home)
