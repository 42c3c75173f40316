"""The engagement sweeps, by area (core.sweeps autodiscovers this module)."""

from engagement import sweeps_events, sweeps_polls, sweeps_posts  # noqa: F401
