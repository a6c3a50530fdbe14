"""Beijing time: the calendar that money, reports, budgets and WeChat Pay's bills count days and months in.
China keeps one zone all year, so a fixed offset is exact and needs no zone database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


def beijing_date(at: datetime) -> date:
    return at.astimezone(BEIJING).date()


def beijing_day_start(day: date, plus_days: int = 0) -> datetime:
    """The instant a Beijing calendar day starts; ``plus_days=1`` gives the end of ``day`` as an open bound."""
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING) + timedelta(days=plus_days)


def beijing_month_start(at: datetime) -> datetime:
    local = at.astimezone(BEIJING)
    return datetime(local.year, local.month, 1, tzinfo=BEIJING)
