"""Lead-assignment rules: edit with the assignment service's validation and a preview on the latest
customers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from console.rules import read as rules_read
from scrm.assignment import service as assignment_service
from scrm.assignment.models import Strategy
from scrm.assignment.schemas import RuleCreate, RuleUpdate
from scrm.auth import SessionDep, SupervisorStaff
from scrm.channels import service as channel_service
from scrm.core import commands
from scrm.customers import service as customer_service
from scrm.customers.models import CustomerSource
from scrm.org import service as org_service
from scrm.org.models import Employee

router = core.console_router()


STRATEGY_NAMES = {Strategy.round_robin: "轮流分配", Strategy.least_loaded: "负载最少优先", Strategy.fixed: "按顺序（首位有空者）"}
SOURCE_NAMES = {CustomerSource.wecom: "企业微信", CustomerSource.miniprogram: "小程序", CustomerSource.manual: "手工录入",
                CustomerSource.import_: "导入"}
# the assignment service names fields by their API path; the form's inputs are named plainly
FIELD_NAMES = {"conditions.regions": "regions", "conditions.cities": "cities", "conditions.product_codes":
               "product_codes", "conditions.channel_ids": "channel_ids", "conditions.sources": "sources"}


@router.get("/rules")
def rules_index(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return core.render(request, "rules/index.html", {
        "rules": rules_read.rules_with_team_names(session), "strategy_names": STRATEGY_NAMES,
        "may_edit": forms.may_edit(staff),
    }, staff=staff)


def _form_context(session: Session, staff: Employee) -> dict[str, Any]:
    products = [(p.code, p.name) for p in customer_service.list_products(session)]
    return {
        "strategies": [(s.value, n) for s, n in STRATEGY_NAMES.items()],
        "sources": [(s.value, n) for s, n in SOURCE_NAMES.items()],
        "source_names": {s.value: n for s, n in SOURCE_NAMES.items()},
        "products": products, "product_names": dict(products),
        "channels": [(c.id, c.name) for c in channel_service.list_channels(session, active=True)],
        "team_choices": org_service.active_staff_choices(session, staff),
    }


def _values_of(rule) -> dict[str, Any]:
    c = rule.conditions or {}
    return {"name": rule.name, "priority": rule.priority, "strategy": rule.strategy.value,
            "max_open_leads": rule.max_open_leads or "", "active": "on" if rule.active else "",
            "team_employee_ids": rule.team_employee_ids, "regions": "，".join(c.get("regions", [])),
            "cities": "，".join(c.get("cities", [])), "product_codes": c.get("product_codes", []),
            "channel_ids": c.get("channel_ids", []), "sources": c.get("sources", [])}


def _rule_data(form) -> tuple[RuleCreate, dict[str, Any]]:
    """The form as the assignment service's command, and as values to show again."""
    values = {k: str(form.get(k, "")) for k in ("name", "priority", "strategy", "max_open_leads", "regions",
                                                 "cities", "active")}
    for k in ("team_employee_ids", "product_codes", "channel_ids", "sources"):
        values[k] = [str(v) for v in form.getlist(k)]
    data = commands.build(RuleCreate, {
        "name": values["name"], "priority": values["priority"].strip() or "100", "strategy": values["strategy"],
        "team_employee_ids": values["team_employee_ids"], "max_open_leads": values["max_open_leads"].strip() or None,
        "active": values["active"] == "on",
        "conditions": {"regions": forms.split(values["regions"]), "cities": forms.split(values["cities"]),
                       "product_codes": values["product_codes"], "channel_ids": values["channel_ids"],
                       "sources": values["sources"]}})
    return data, values


def _preview_rule(session: Session, staff: Employee, rule, data: RuleCreate, values) -> dict:
    return {"preview": rules_read.preview_assignment_rule(session, staff, rule.id if rule else None, data)}


def _save_rule(session: Session, staff: Employee, rule, data: RuleCreate, values) -> None:
    if rule is None:
        assignment_service.create_rule(session, staff, data)
    else:
        assignment_service.update_rule(session, staff, rule.id, RuleUpdate(**data.model_dump()))


forms.add_editor(router, forms.Editor(
    path="/rules/assignment", template="rules/assignment_form.html", context=_form_context,
    blank={"priority": 100, "strategy": "round_robin", "active": "on"}, load=assignment_service.get_rule,
    values_of=_values_of, parse=lambda form, rule: _rule_data(form), preview=_preview_rule, save=_save_rule,
    done=lambda: core.redirect("/rules", msg="rule_saved"), errors=lambda exc: core.field_errors(exc, FIELD_NAMES),
    delete=assignment_service.delete_rule, deleted=lambda: core.redirect("/rules", msg="rule_deleted")))
