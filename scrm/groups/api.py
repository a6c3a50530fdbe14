"""Tiering rules for managers: list, create, change, delete, preview a change, re-tier now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.errors import ERROR_RESPONSES
from scrm.groups import schemas
from scrm.groups import service as group_service

router = APIRouter(prefix="/api/tiers", tags=["tiers"], responses=ERROR_RESPONSES)

RuleId = Annotated[int, Path(ge=1)]


def _out(rule) -> schemas.TierRuleOut:
    return schemas.TierRuleOut(id=rule.id, name=rule.name, tier=rule.tier, position=rule.position,
                               conditions=rule.conditions, active=rule.active, updated_at=rule.updated_at)


@router.get("/rules", response_model=list[schemas.TierRuleOut])
def list_rules(staff: SupervisorStaff, session: SessionDep) -> list[schemas.TierRuleOut]:
    """The rules in the order they are evaluated: blocked-pool rules first, then by position; the first match decides."""
    return [_out(r) for r in group_service.list_rules(session)]


@router.post("/rules", response_model=schemas.TierRuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: schemas.TierRuleIn, staff: ManagerStaff, session: SessionDep) -> schemas.TierRuleOut:
    """Add a rule. It takes effect at the next re-tiering (`POST /api/tiers/retier`, or the hourly batch)."""
    return _out(group_service.create_rule(session, body))


@router.patch("/rules/{rule_id}", response_model=schemas.TierRuleOut)
def update_rule(rule_id: RuleId, body: schemas.TierRulePatch, staff: ManagerStaff,
                session: SessionDep) -> schemas.TierRuleOut:
    """Change a rule; `conditions`, when given, replaces all of them."""
    return _out(group_service.update_rule(session, rule_id, body))


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: RuleId, staff: ManagerStaff, session: SessionDep) -> None:
    group_service.delete_rule(session, rule_id)


@router.post("/preview", response_model=schemas.PreviewOut)
def preview(body: schemas.PreviewIn, staff: ManagerStaff, session: SessionDep) -> schemas.PreviewOut:
    """What would move if `rules` replaced the current rule list: per from→to tier a count and a sample of
    customer ids. Nothing is changed."""
    moves = group_service.preview(session, body.rules, sample_size=body.sample_size)
    return schemas.PreviewOut(total_moving=sum(m["count"] for m in moves),
                              moves=[schemas.MoveOut(**m) for m in moves])


@router.post("/retier", response_model=schemas.RetierOut)
def retier(staff: ManagerStaff, session: SessionDep) -> schemas.RetierOut:
    """Re-tier every customer now with the current rules."""
    run = group_service.retier(session)
    return schemas.RetierOut(run_id=run.id, changed=run.changed)


@router.get("/counts", response_model=list[schemas.TierCountOut])
def counts(staff: SupervisorStaff, session: SessionDep) -> list[schemas.TierCountOut]:
    """How many customers are in each tier."""
    return [schemas.TierCountOut(tier=t, customers=n) for t, n in sorted(group_service.tier_counts(session).items())]
