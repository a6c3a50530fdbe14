"""Human-readable agreement numbers, unique under concurrency (one counter row per day, bumped atomically)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backoffice.common.models import AgreementCounter


def next_agreement_no(session: Session, day: date) -> str:
    """``HT20261130-0001``: the day's next number; an upsert row lock serialises concurrent callers."""
    table = AgreementCounter.__table__
    ins = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = ins(table).values(day=day, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"last": table.c.last + 1}).returning(table.c.last)
    n = session.execute(stmt).scalar_one()
    return f"HT{day:%Y%m%d}-{n:04d}"
