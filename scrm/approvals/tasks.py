"""Approval jobs: sending a step's WeCom cards, and showing a pressed card's outcome."""

from __future__ import annotations

from scrm.approvals import service as approval_service
from scrm.core import jobs
from scrm.core.db import session_scope


@jobs.job("approvals.send_cards")
def send_cards(instance_id: int, round_: int, step_index: int) -> int:
    """Send the waiting step's card to its approvers (each once, however often this runs)."""
    with session_scope() as session:
        return approval_service.send_cards(session, instance_id, round_, step_index)


@jobs.job("approvals.update_card")
def update_card(card_id: int) -> bool:
    """Replace a pressed card's buttons with the outcome."""
    with session_scope() as session:
        return approval_service.update_card(session, card_id)
