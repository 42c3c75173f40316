"""What the events area adds to the rest of the site: audit-log sentences and the community home's
upcoming events."""

from engagement.audit_sentences_events import SENTENCES


def upcoming_events_section(membership) -> dict:
    """The community home lists up to three upcoming events the member can see."""
    from engagement.event_selectors import upcoming_for_member

    return {"upcoming_events": list(upcoming_for_member(membership)[:3])}


HOME_SECTIONS = [upcoming_events_section]

__all__ = ["SENTENCES", "HOME_SECTIONS"]
