"""Risk jobs: evaluating every customer with facts against the rules."""

from __future__ import annotations

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.risk import service as risk_service


@jobs.job("risk.evaluate_all")
def evaluate_all() -> dict[str, int]:
    """Evaluate every active rule for every customer with facts, set-based; safe to run any number of times (a rule
    fires once per match). Returns how many firings began and how many matches ended."""
    with session_scope() as session:
        outcome = risk_service.evaluate(session)
        return {"fired": len(outcome.fired), "ended": outcome.ended}
