"""The events profiling emits."""

from __future__ import annotations

from typing import Any

from scrm.core.events import Event


class ProfileChanged(Event):
    """A customer's profile changed: ``changes`` maps each changed field to [old, new]; the rest is the new profile."""
    name = "profile.changed"
    customer_id: int
    changes: dict[str, list[Any]]
    product: str | None
    intent: str | None
    amount_fen: int | None
    term_months: int | None
    city: str | None
    tags: list[str]
    counts: dict[str, int] = {}
