"""Parameter types shared by the APIs: instants with a time zone and days, both within 2000–2099, and row ids.

A date a person means is in that range; outside it the Beijing-midnight and UTC arithmetic behind every period
would overflow (year 1, year 9999), so such input is a 422 naming the parameter, never a 500. An id is what a
row's id column holds (a BIGINT on PostgreSQL, an INTEGER on SQLite): past 2^63 the database would refuse it
without saying which field it was."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime, Field

T = TypeVar("T", bound=date)


def in_this_century(day: date) -> bool:
    """Whether a date (or instant) is one the period arithmetic takes: 2000–2099."""
    return 2000 <= day.year <= 2099


def _this_century(value: T) -> T:
    if not in_this_century(value):
        raise ValueError("must fall between the years 2000 and 2099")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_this_century)]
Day = Annotated[date, AfterValidator(_this_century)]

BIGINT = range(-2**63, 2**63)  # what an id column holds: a BIGINT on PostgreSQL, an INTEGER on SQLite
RowId = Annotated[int, Field(ge=1, le=BIGINT.stop - 1)]
INTEGER_MIN, INTEGER_MAX = -2**31, 2**31 - 1  # what an INTEGER column holds on PostgreSQL
