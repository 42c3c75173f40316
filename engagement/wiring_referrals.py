"""Referrals (邀请有礼): audit sentences, community-home sections and the domain events it reacts to."""

SENTENCES: dict = {}
HOME_SECTIONS: list = []
HANDLERS: dict = {}
