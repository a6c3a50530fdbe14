"""Agreement numbers stay unique and gapless when many sessions take them at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from backoffice.common.numbers import next_agreement_no
from scrm.core.db import session_scope


def test_concurrent_sessions_get_distinct_consecutive_numbers(committed_db):
    day = date(2026, 11, 30)

    def take(_: int) -> str:
        with session_scope() as session:
            return next_agreement_no(session, day)

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(take, range(40)))
    assert sorted(numbers) == [f"HT20261130-{n:04d}" for n in range(1, 41)]
    with session_scope() as session:
        assert next_agreement_no(session, date(2026, 12, 1)) == "HT20261201-0001"
