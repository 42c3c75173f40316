"""Periodic work of the repurchase area: the daily prompts (定时复购提醒) (core.sweeps), imported by engagement/sweeps.py."""
