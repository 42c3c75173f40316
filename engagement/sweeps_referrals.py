"""Periodic work of the referrals area: rewards falling due once the refund window has passed (core.sweeps), imported by engagement/sweeps.py."""
