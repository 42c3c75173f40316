"""Levels, coupons handed out by segment, points spent: audit sentences, community-home sections and the domain events it reacts to."""

SENTENCES: dict = {}
HOME_SECTIONS: list = []
HANDLERS: dict = {}
