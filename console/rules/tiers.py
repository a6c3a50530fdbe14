"""Tiering rules (分层): edit, preview who would move, re-tier now. The form validates through the groups
service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.customers import service as customer_service
from scrm.customers.labels import STAGE_NAMES
from scrm.groups import schemas as group_schemas
from scrm.groups import service as group_service
from scrm.groups.labels import TIER_NAMES
from scrm.org.models import Employee
from scrm.tagging.labels import INTENT_NAMES

router = core.console_router()

LIST_CONDITIONS = ("tags_all", "tags_any", "tags_none")
NUMBER_CONDITIONS = ("amount_min_yuan", "amount_max_yuan", "contacted_within_days", "not_contacted_days")


def _tier_context(session: Session) -> dict[str, Any]:
    return {"tiers": list(TIER_NAMES.items()), "tier_names": TIER_NAMES, "intents": list(INTENT_NAMES.items()),
            "stages": [(s.value, n) for s, n in STAGE_NAMES.items()]}


def _tier_values_of(rule) -> dict[str, Any]:
    c = group_service.public_conditions(rule.conditions or {})
    values: dict[str, Any] = {"name": rule.name, "tier": rule.tier, "position": rule.position,
                              "active": "on" if rule.active else "", "intent_in": c.get("intent_in", []),
                              "stages_in": c.get("stages_in", [])}
    for k in LIST_CONDITIONS:
        values[k] = "，".join(c.get(k, []))
    for k in NUMBER_CONDITIONS:
        values[k] = c.get(k, "")
    return values


def _tier_rule_in(form) -> tuple[group_schemas.TierRuleIn, dict[str, Any]]:
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in
                              ("name", "tier", "position", "active", *LIST_CONDITIONS, *NUMBER_CONDITIONS)}
    values["intent_in"] = [str(v) for v in form.getlist("intent_in")]
    values["stages_in"] = [str(v) for v in form.getlist("stages_in")]
    conditions: dict[str, Any] = {}
    for k in ("intent_in", "stages_in"):
        if values[k]:
            conditions[k] = values[k]
    for k in LIST_CONDITIONS:
        if forms.split(values[k]):
            conditions[k] = forms.split(values[k])
    for k in NUMBER_CONDITIONS:
        if values[k]:
            conditions[k] = values[k]
    try:
        data = group_schemas.TierRuleIn.model_validate({
            "name": values["name"], "tier": values["tier"], "position": values["position"] or "100",
            "conditions": conditions, "active": values["active"] == "on"})
    except pydantic.ValidationError as exc:
        raise forms.pydantic_errors(exc) from None
    return data, values


def _rule_set_with(session: Session, draft: group_schemas.TierRuleIn, rule_id: int | None) -> list:
    """The current rules with the draft in place of the one edited (or added)."""
    out = []
    for rule in group_service.list_rules(session):
        if rule.id == rule_id:
            continue
        out.append(group_schemas.TierRuleIn(name=rule.name, tier=rule.tier, position=rule.position, active=rule.active,
                                            conditions=group_service.public_conditions(rule.conditions)))
    return out + [draft]


@router.get("/rules/tiers")
def tier_rules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    counts = group_service.tier_counts(session)
    ctx = _tier_context(session)
    ctx.update(rules=[(r, group_service.public_conditions(r.conditions)) for r in group_service.list_rules(session)],
               counts=[(t, counts.get(t, 0)) for t in TIER_NAMES], may_edit=forms.may_edit(staff))
    return core.render(request, "rules/tiers.html", ctx, staff=staff)


@router.get("/rules/tiers/new")
def new_tier_rule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _tier_context(session)
    ctx.update(rule_id=None, values={"tier": "B", "position": 100, "active": "on"})
    return core.render(request, "rules/tier_form.html", ctx, staff=staff)


@router.get("/rules/tiers/{rule_id}")
def edit_tier_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                   session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _tier_context(session)
    ctx.update(rule_id=rule_id, values=_tier_values_of(group_service.get_rule(session, rule_id)))
    return core.render(request, "rules/tier_form.html", ctx, staff=staff)


@router.post("/rules/tiers")
async def create_tier_rule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    return await _save_tier_rule(request, staff, session, None)


@router.post("/rules/tiers/{rule_id}")
async def update_tier_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                           session: SessionDep) -> Response:
    group_service.get_rule(session, rule_id)
    return await _save_tier_rule(request, staff, session, rule_id)


async def _save_tier_rule(request: Request, staff: Employee, session: Session, rule_id: int | None) -> Response:
    def preview(data, values) -> dict:
        moves = group_service.preview(session, _rule_set_with(session, data, rule_id), sample_size=5)
        names = customer_service.names_by_id(session, {i for m in moves for i in m["sample_customer_ids"]})
        return {"moves": moves, "customer_names": names, "total_moving": sum(m["count"] for m in moves)}

    def save(data, values) -> None:
        if rule_id is None:
            group_service.create_rule(session, data)
        else:
            group_service.update_rule(session, rule_id, group_schemas.TierRulePatch(**data.model_dump()))

    return await core.preview_or_save(
        request, staff, session, template="rules/tier_form.html",
        context={**_tier_context(session), "rule_id": rule_id},
        parse=_tier_rule_in, preview=preview, save=save, done=core.redirect("/rules/tiers", msg="tier_rule_saved"),
        errors=forms.form_errors)


@router.post("/rules/tiers/{rule_id}/delete")
def delete_tier_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                     session: SessionDep) -> Response:
    core.remember(request, staff)
    group_service.delete_rule(session, rule_id)
    return core.redirect("/rules/tiers", msg="tier_rule_deleted")


@router.post("/rules/tiers-retier")
def retier_now(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    run = group_service.retier(session)
    return core.redirect("/rules/tiers", msg="retiered", changed=run.changed)
