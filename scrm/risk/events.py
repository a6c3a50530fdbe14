"""The events risk control emits."""

from __future__ import annotations

from scrm.core.events import Event


class RiskNotice(Event):
    """A firing tells people something: each of ``employee_ids`` (empty: the team group) gets ``text`` in their next
    bot digest, once per ``dedupe_key``."""
    name = "risk.notice"
    customer_id: int
    firing_id: int
    kind: str  # alert | approval | return | reject_pool
    employee_ids: list[int]
    to_team: bool
    text: str
    dedupe_key: str
