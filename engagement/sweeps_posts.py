"""Periodic work of the posts area (core.sweeps), imported by engagement/sweeps.py."""
