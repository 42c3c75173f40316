"""Periodic work of the polls area (core.sweeps), imported by engagement/sweeps.py."""
