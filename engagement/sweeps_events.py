"""Periodic work of the events area (core.sweeps), imported by engagement/sweeps.py."""
