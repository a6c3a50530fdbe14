"""SOP schedules."""

from __future__ import annotations

from sqlalchemy import select

from scrm.sop.models import SopSchedule


def ensure_a_schedule(db) -> SopSchedule:
    """Tier A's call reminder every 2 days, as the migration adds it (a committed test may have emptied the table)."""
    schedule = db.scalars(select(SopSchedule).where(SopSchedule.tier == "A", SopSchedule.every_days == 2)).first()
    if schedule is None:
        schedule = SopSchedule(name="A 类客户两天一回访", tier="A", every_days=2, hour=9,
                               title="A 类客户回访：今天打个电话", active=True)
        db.add(schedule)
        db.flush()
    return schedule
