"""The events tiering emits."""

from __future__ import annotations

from scrm.core.events import Event


class TiersChanged(Event):
    """A re-tiering run finished; ``customer_ids`` names the customers it was asked about (None: everyone)."""
    name = "tiers.changed"
    run_id: int
    changed: int
    customer_ids: list[int] | None = None
