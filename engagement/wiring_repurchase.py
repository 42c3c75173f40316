"""Repurchase prompts (定时复购提醒): audit sentences, community-home sections and the domain events it reacts to."""

SENTENCES: dict = {}
HOME_SECTIONS: list = []
HANDLERS: dict = {}
