"""Tiering rules (分层): edit, preview who would move, re-tier now. The form validates through the groups
service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.core import commands
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


@router.get("/rules/tiers")
def tier_rules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    counts = group_service.tier_counts(session)
    ctx = _tier_context(session)
    ctx.update(rules=[(r, group_service.public_conditions(r.conditions)) for r in group_service.list_rules(session)],
               counts=[(t, counts.get(t, 0)) for t in TIER_NAMES], may_edit=forms.may_edit(staff))
    return core.render(request, "rules/tiers.html", ctx, staff=staff)


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
