"""What the polls area adds to the rest of the site: audit-log sentences and community-home sections."""

from django.utils.translation import pgettext_lazy

SENTENCES: dict = {  # action → sentence (core.audit.register_audit_sentences)
    "poll.created": pgettext_lazy("audit log", "%(actor)s created the poll “%(question)s”"),
    "poll.changed": pgettext_lazy("audit log", "%(actor)s changed poll #%(id)s"),
    "poll.opened": pgettext_lazy("audit log", "%(actor)s opened the poll “%(question)s”"),
    "poll.closed": pgettext_lazy("audit log", "%(actor)s closed the poll “%(question)s”"),
    "poll.deleted": pgettext_lazy("audit log", "%(actor)s deleted the poll “%(question)s”"),
}


def open_polls(membership) -> dict:
    """Up to 3 open polls the member sees, those not voted on yet first
    (templates/engagement/polls/_poll_card.html, one ``poll`` each)."""
    from engagement.poll_selectors import open_polls_for_home

    return {"open_polls": open_polls_for_home(membership)}


HOME_SECTIONS: list = [open_polls]  # functions membership → template context (communities.home)
