"""A rule's ``route_approval`` as the approval flows read it and close it: who it was routed to and why, and the end
of the wait once the approval flow has decided."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scrm.core.db import utcnow
from scrm.customers import service as customer_service
from scrm.risk.models import RiskDecision, RiskFiring
from scrm.risk.service.evaluation import _evidence_text


def routed_approval(session: Session, customer_id: int) -> dict | None:
    """Who the customer's application awaits because a rule routed it (``employee_id`` or ``role``, ``title``), the
    firing and its evidence as text; None when no rule routed it."""
    session.flush()
    decision = session.get(RiskDecision, customer_id, populate_existing=True)
    if decision is None or not decision.awaiting_approval_title:
        return None
    firing = session.get(RiskFiring, decision.approval_firing_id) if decision.approval_firing_id else None
    evidence = f"命中「{firing.rule_name}」：{_evidence_text(firing.evidence)}" if firing is not None else None
    return {"employee_id": decision.awaiting_approval_employee_id, "role": decision.awaiting_approval_role,
            "title": decision.awaiting_approval_title, "firing_id": decision.approval_firing_id,
            "evidence": evidence}


def end_routed_approval(session: Session, customer_id: int, firing_id: int | None, outcome: str, *,
                        actor_id: int | None) -> bool:
    """The approval flow decided on the routed application (``outcome``: 审批通过, 审批驳回 …): it no longer awaits
    approval. Only the routing of ``firing_id`` is ended: a later rule's routing stays."""
    session.flush()
    decision = session.get(RiskDecision, customer_id, populate_existing=True)
    if decision is None or not decision.awaiting_approval_title or decision.approval_firing_id != firing_id:
        return False
    title = decision.awaiting_approval_title
    decision.awaiting_approval_role = decision.awaiting_approval_employee_id = None
    decision.awaiting_approval_title = decision.approval_firing_id = decision.approval_routed_at = None
    decision.updated_at = utcnow()
    customer_service.add_timeline(session, customer_id, "risk_decision_cleared", f"{title}{outcome}，结束待审批",
                                  {"what": "approval", "firing_id": firing_id}, actor_employee_id=actor_id)
    session.flush()
    return True
