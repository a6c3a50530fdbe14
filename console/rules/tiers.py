"""Tiering rules (分层): edit, preview who would move, re-tier now. The form validates through the groups
service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.core import commands
from scrm.core.errors import AppError
from scrm.customers import service as customer_service
from scrm.customers.labels import STAGE_NAMES
from scrm.groups import schemas as group_schemas
from scrm.groups import service as group_service
from scrm.org.models import Employee
from scrm.tagging.labels import INTENT_NAMES

router = core.console_router()

LIST_CONDITIONS = ("tags_all", "tags_any", "tags_none")
NUMBER_CONDITIONS = ("amount_min_yuan", "amount_max_yuan", "contacted_within_days", "not_contacted_days")


def _tier_context(session: Session) -> dict[str, Any]:
    names = group_service.tier_names(session)
    return {"tiers": list(names.items()), "tier_names": names, "intents": list(INTENT_NAMES.items()),
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
    data = commands.build(group_schemas.TierRuleIn, {
        "name": values["name"], "tier": values["tier"], "position": values["position"] or "100",
        "conditions": conditions, "active": values["active"] == "on"})
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


def _tiers_page(request: Request, staff: Employee, session: Session, *, errors: dict[str, str] | None = None,
                values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    counts = group_service.tier_counts(session)
    ctx = _tier_context(session)
    ctx.update(rules=[(r, group_service.public_conditions(r.conditions)) for r in group_service.list_rules(session)],
               counts=[(t, counts.get(t, 0)) for t in ctx["tier_names"]], may_edit=forms.may_edit(staff),
               tier_list=group_service.list_tiers(session), usage=group_service.tier_usage(session),
               default_tier=group_service.default_tier(session), errors=errors or {}, values=values or {})
    return core.render(request, "rules/tiers.html", ctx, staff=staff, status_code=status_code)


@router.get("/rules/tiers")
def tier_rules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return _tiers_page(request, staff, session)


async def _tier_form(request: Request, prefix: str = "") -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(prefix + k, "")).strip() for k in ("key", "name", "position", "colour")}


@router.post("/rules/tier-list")
async def add_tier(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    """Add a tier to the list (key, name, order, colour)."""
    core.remember(request, staff)
    values = await _tier_form(request, "new_")
    try:
        group_service.create_tier(session, commands.build(group_schemas.TierIn, {
            **values, "position": values["position"] or "100", "colour": values["colour"] or "#888888"}))
    except AppError as exc:
        session.rollback()
        return _tiers_page(request, staff, session, errors={f"new_{k}": v for k, v in core.field_errors(exc).items()},
                           values={f"new_{k}": v for k, v in values.items()}, status_code=422)
    return core.redirect("/rules/tiers", msg="tier_saved")


@router.post("/rules/tier-list/{key}")
async def edit_tier(request: Request, key: Annotated[str, Path(min_length=1, max_length=10)], staff: ManagerStaff,
                    session: SessionDep) -> Response:
    """Rename, recolour or reorder one tier."""
    core.remember(request, staff)
    values = await _tier_form(request)
    try:
        group_service.update_tier(session, key, commands.build(group_schemas.TierPatch, {
            k: values[k] or None for k in ("name", "position", "colour")}))
    except AppError as exc:
        session.rollback()
        return _tiers_page(request, staff, session, errors={f"{key}_{k}": v for k, v in core.field_errors(exc).items()},
                           values={f"{key}_{k}": v for k, v in values.items()}, status_code=exc.status_code)
    return core.redirect("/rules/tiers", msg="tier_saved")


@router.post("/rules/tier-list/{key}/delete")
def remove_tier(request: Request, key: Annotated[str, Path(min_length=1, max_length=10)], staff: ManagerStaff,
                session: SessionDep) -> Response:
    """Delete a tier; refused with how many customers, rules and groups still hold it."""
    core.remember(request, staff)
    try:
        group_service.delete_tier(session, key)
    except AppError as exc:
        session.rollback()
        return _tiers_page(request, staff, session, errors={"tier_list": exc.message}, status_code=exc.status_code)
    return core.redirect("/rules/tiers", msg="tier_deleted")


def _preview_tiers(session: Session, staff: Employee, rule, data: group_schemas.TierRuleIn, values) -> dict:
    moves = group_service.preview(session, _rule_set_with(session, data, rule.id if rule else None), sample_size=5)
    names = customer_service.names_by_id(session, {i for m in moves for i in m["sample_customer_ids"]})
    return {"moves": moves, "customer_names": names, "total_moving": sum(m["count"] for m in moves)}


def _save_tiers(session: Session, staff: Employee, rule, data: group_schemas.TierRuleIn, values) -> None:
    if rule is None:
        group_service.create_rule(session, data)
    else:
        group_service.update_rule(session, rule.id, group_schemas.TierRulePatch(**data.model_dump()))


forms.add_editor(router, forms.Editor(
    path="/rules/tiers", template="rules/tier_form.html", context=lambda session, staff: _tier_context(session),
    blank={"tier": "B", "position": 100, "active": "on"}, load=group_service.get_rule, values_of=_tier_values_of,
    parse=lambda form, rule: _tier_rule_in(form), preview=_preview_tiers, save=_save_tiers,
    done=lambda: core.redirect("/rules/tiers", msg="tier_rule_saved"), errors=forms.form_errors,
    delete=group_service.delete_rule, deleted=lambda: core.redirect("/rules/tiers", msg="tier_rule_deleted")))


@router.post("/rules/tiers-retier")
def retier_now(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    run = group_service.retier(session)
    return core.redirect("/rules/tiers", msg="retiered", changed=run.changed)
