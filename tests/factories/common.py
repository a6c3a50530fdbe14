"""Times, the shared name counter, and reading the outbox."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from scrm.core.events import OutboxEvent

seq = itertools.count(1)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def events_named(db, name: str) -> list[dict]:
    db.flush()
    return [e.payload for e in db.scalars(select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id))]
