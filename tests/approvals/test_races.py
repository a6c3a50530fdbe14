"""Approvers pressing at the same moment, through the served app on PostgreSQL and on the embedded default: exactly one
decision applies; the others get a 409 and nothing is recorded twice."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from scrm.approvals import service as approval_service
from scrm.approvals.models import ApprovalDecision, ApprovalInstance
from scrm.approvals.schemas import SubmitIn
from tests.approvals.conftest import applicant, make_team
from tests.conftest import race
from tests.factories.org import auth


def test_four_presses_on_one_step_apply_one_decision(committed_any, served_any):
    db = committed_any
    team = make_team(db)
    customer = applicant(db, team)
    instance = approval_service.submit_application(db, team.sales, SubmitIn(customer_id=customer.id))
    db.commit()
    url = f"{served_any.url}/api/approvals/instances/{instance.id}/act"
    who = [team.supervisor, team.manager, team.supervisor, team.manager]

    answers = race(4, lambda i: httpx.post(url, headers=auth(who[i]), timeout=60,
                                           json={"action": "approve" if i % 2 else "reject", "step": 1,
                                                 "comment": f"第{i}个"}))

    codes = sorted(getattr(a, "status_code", a) for a in answers)
    assert codes == [200, 409, 409, 409], [getattr(a, "text", a) for a in answers]
    db.expire_all()
    decided = db.scalars(select(ApprovalDecision).where(ApprovalDecision.instance_id == instance.id,
                                                        ApprovalDecision.step.is_not(None))).all()
    assert len(decided) == 1
    winner = next(a for a in answers if a.status_code == 200).json()
    assert db.get(ApprovalInstance, instance.id).status.value == winner["status"]
    assert winner["decisions"][-1]["comment"] == decided[0].comment
    assert db.scalar(select(func.count()).select_from(ApprovalInstance)
                     .where(ApprovalInstance.customer_id == customer.id)) == 1
