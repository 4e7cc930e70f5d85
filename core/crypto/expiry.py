"""When certificates expire: import-light, so the wizard's first page can warn without the network stack."""

from __future__ import annotations

import datetime as dt

from core.crypto.days import whole_days
from core.defaults import EXPIRY_WARN_DAYS
from core.storage.settings import ConnectorRecord, Settings

__all__ = ["days_until", "expiring_records"]


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


def expiring_records(settings: Settings, *, now: dt.datetime | None = None) -> list[tuple[ConnectorRecord, int]]:
    """Connectors recorded here whose certificate expires within the warning window (or has expired)."""
    soon = []
    for record in settings.connectors:
        days = days_until(record.not_after, now=now)
        if days is not None and days <= EXPIRY_WARN_DAYS:
            soon.append((record, days))
    return soon
