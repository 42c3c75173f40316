"""The engagement sweeps, by area (core.sweeps autodiscovers this module)."""

from engagement import (  # noqa: F401
    sweeps_events, sweeps_polls, sweeps_posts, sweeps_referrals, sweeps_repurchase,
)
