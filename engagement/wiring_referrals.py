"""Referrals (邀请有礼): audit sentences, community-home sections and the domain events it reacts to
(engagement/referrals.py: a join by an invite, the invitee's first completed order, its refund)."""

from django.utils.translation import pgettext_lazy

SENTENCES: dict = {
    "referral.held": pgettext_lazy("audit log", "%(actor)s held referral #%(id)s for review"),
    "referral.approved": pgettext_lazy("audit log", "%(actor)s approved held referral #%(id)s"),
    "referral.rejected": pgettext_lazy("audit log", "%(actor)s refused referral #%(id)s (%(outcome)s)"),
    "referral.rewarded": pgettext_lazy("audit log", "%(actor)s paid referral #%(id)s: %(points)s points"),
}
HOME_SECTIONS: list = []


def _handlers() -> dict:
    from engagement.referrals import HANDLERS as referral_handlers  # imported at ready(): it reads models

    return referral_handlers


HANDLERS: dict = _handlers()
