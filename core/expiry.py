"""When certificates expire: import-light, so the wizard's first page can warn without the network stack."""

from __future__ import annotations

import datetime as dt

from core.defaults import EXPIRY_WARN_DAYS
from core.settings import ConnectorRecord, Settings

__all__ = ["days_until", "expiring_records", "whole_days"]


def days_until(iso: str | None, *, now: dt.datetime | None = None) -> int | None:
    if not iso:
        return None
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return whole_days((moment - (now or dt.datetime.now(dt.UTC))).total_seconds())


def whole_days(seconds: float) -> int:
    """Whole days in ``seconds`` until an expiry, to the nearest day: the one rule for every screen.

    A certificate made for 365 days a few seconds ago has 365 days left (the Key page and Manage
    agree, not 365 and 364); one that ended an hour ago is -1, expired, never 0.
    """
    days = round(seconds / 86400)
    return min(days, -1) if seconds < 0 else days


def expiring_records(settings: Settings, *, now: dt.datetime | None = None) -> list[tuple[ConnectorRecord, int]]:
    """Connectors recorded here whose certificate expires within the warning window (or has expired)."""
    soon = []
    for record in settings.connectors:
        days = days_until(record.not_after, now=now)
        if days is not None and days <= EXPIRY_WARN_DAYS:
            soon.append((record, days))
    return soon
