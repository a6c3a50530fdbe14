"""Tiering rules for managers: list, create, change, delete, preview a change, re-tier now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from scrm.auth import CurrentStaff, ManagerStaff, SessionDep, SupervisorStaff
from scrm.core.errors import ERROR_RESPONSES, Conflict
from scrm.groups import schemas
from scrm.groups import service as group_service
from scrm.wecom.client import get_client

router = APIRouter(prefix="/api/tiers", tags=["tiers"], responses=ERROR_RESPONSES)

RuleId = Annotated[int, Path(ge=1)]
TierKey = Annotated[str, Path(min_length=1, max_length=10)]


def _tier_out(tier, usage: dict, default: str) -> schemas.TierOut:
    used = usage.get(tier.key, {})
    return schemas.TierOut(key=tier.key, name=tier.name, position=tier.position, colour=tier.colour,
                           reserved=tier.reserved, default=tier.key == default, customers=used.get("customers", 0),
                           rules=used.get("rules", 0), groups=used.get("groups", 0))


@router.get("/definitions", response_model=list[schemas.TierOut])
def list_tiers(staff: CurrentStaff, session: SessionDep) -> list[schemas.TierOut]:
    """The tiers, best first, the reserved blocked pool (拦截池) last, each with the customers in it and the rules and
    WeCom groups naming it. A customer no rule matches goes to the last tier of the list (`default`)."""
    usage, default = group_service.tier_usage(session), group_service.default_tier(session)
    return [_tier_out(t, usage, default) for t in group_service.list_tiers(session)]


@router.post("/definitions", response_model=schemas.TierOut, status_code=status.HTTP_201_CREATED)
def create_tier(body: schemas.TierIn, staff: ManagerStaff, session: SessionDep) -> schemas.TierOut:
    """Add a tier (managers and admins). A key already used is a 409; a bad key or colour a 422 naming the field."""
    tier = group_service.create_tier(session, body)
    return _tier_out(tier, {}, group_service.default_tier(session))


@router.patch("/definitions/{key}", response_model=schemas.TierOut)
def update_tier(key: TierKey, body: schemas.TierPatch, staff: ManagerStaff, session: SessionDep) -> schemas.TierOut:
    """Rename, recolour or reorder a tier; the blocked pool takes a name and a colour only."""
    tier = group_service.update_tier(session, key, body)
    return _tier_out(tier, group_service.tier_usage(session), group_service.default_tier(session))


@router.delete("/definitions/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tier(key: TierKey, staff: ManagerStaff, session: SessionDep) -> None:
    """Delete a tier. A 409 names how many customers are still in it and how many rules and groups name it
    (`customers`, `rules`, `groups`); the blocked pool and the last tier are never deleted."""
    group_service.delete_tier(session, key)


def _out(rule) -> schemas.TierRuleOut:
    return schemas.TierRuleOut(id=rule.id, name=rule.name, tier=rule.tier, position=rule.position,
                               conditions=group_service.public_conditions(rule.conditions), active=rule.active, updated_at=rule.updated_at)


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


def _group_out(tier_group, group) -> schemas.TierGroupOut:
    return schemas.TierGroupOut(id=tier_group.id, tier=tier_group.tier, position=tier_group.position,
                                chat_id=tier_group.chat_id, name=group.name, member_count=group.member_count,
                                full=tier_group.full, join_way_config_id=tier_group.join_way_config_id,
                                join_way_qr_code=tier_group.join_way_qr_code)


@router.get("/groups", response_model=list[schemas.TierGroupOut])
def list_groups(staff: SupervisorStaff, session: SessionDep) -> list[schemas.TierGroupOut]:
    """Each tier's WeCom customer groups in the order new members are sent to them."""
    return [_group_out(t, g) for t, g in group_service.list_tier_groups(session)]


@router.post("/groups", response_model=schemas.TierGroupOut, status_code=status.HTTP_201_CREATED)
def add_group(body: schemas.TierGroupIn, staff: ManagerStaff, session: SessionDep) -> schemas.TierGroupOut:
    """Add a customer group to a tier's list (the group must exist in WeCom and be synced)."""
    tier_group = group_service.add_tier_group(session, body)
    return _group_out(tier_group, group_service.get_by_chat_id(session, tier_group.chat_id))


@router.post("/groups/{tier}/join-way", response_model=schemas.TierGroupOut)
def join_way(tier: Annotated[str, Path(min_length=1, max_length=10)], staff: ManagerStaff, session: SessionDep) -> schemas.TierGroupOut:
    """The tier's current group (the first with room) and its join-way QR code, created on first use.
    409 when every group of the tier is full."""

    tier_group = group_service.tier_join_way(session, get_client(), tier)
    if tier_group is None:
        raise Conflict(f"{tier} 类的客户群都已满员，请在企业微信新建群后加入该分层", field="tier")
    return _group_out(tier_group, group_service.get_by_chat_id(session, tier_group.chat_id))
