"""Repurchase prompts (定时复购提醒): audit sentences, community-home sections and the domain events it reacts to.

The prompts' conversion is counted when an order completes (``order.completed``) and uncounted
when that order is refunded (``order.refunded``): see engagement.repurchase."""

SENTENCES: dict = {}
HOME_SECTIONS: list = []


def _handlers() -> dict:
    from engagement.repurchase import HANDLERS as repurchase_handlers  # imported at ready(): it reads models

    return repurchase_handlers


HANDLERS = _handlers()
