"""Counting days to an expiry: one rule for every screen and command."""

from __future__ import annotations


def whole_days(seconds: float) -> int:
    """Whole days in ``seconds`` until an expiry, to the nearest day.

    A certificate made for 365 days a few seconds ago has 365 days left (the Key page and Manage
    agree, not 365 and 364); one that ended an hour ago is -1, expired, never 0.
    """
    days = round(seconds / 86400)
    return min(days, -1) if seconds < 0 else days
