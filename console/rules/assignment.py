"""Lead-assignment rules: edit with the assignment service's validation and a preview on the latest
customers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from console.rules import read as rules_read
from scrm.assignment import service as assignment_service
from scrm.assignment.models import Strategy
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.channels import service as channel_service
from scrm.core.errors import ValidationFailed
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


@router.get("/rules/assignment/new")
def new_rule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _form_context(session, staff)
    ctx.update(rule_id=None, values={"priority": 100, "strategy": "round_robin", "active": "on"})
    return core.render(request, "rules/assignment_form.html", ctx, staff=staff)


@router.get("/rules/assignment/{rule_id}")
def edit_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
              session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _form_context(session, staff)
    ctx.update(rule_id=rule_id, values=_values_of(assignment_service.get_rule(session, rule_id)))
    return core.render(request, "rules/assignment_form.html", ctx, staff=staff)


def _rule_data(form) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form as the assignment service's arguments, and as values to show again."""
    values = {k: str(form.get(k, "")) for k in ("name", "priority", "strategy", "max_open_leads", "regions",
                                                 "cities", "active")}
    for k in ("team_employee_ids", "product_codes", "channel_ids", "sources"):
        values[k] = [str(v) for v in form.getlist(k)]
    priority = values["priority"].strip() or "100"
    cap = values["max_open_leads"].strip()
    if not priority.lstrip("-").isdigit():
        raise ValidationFailed("优先级请填整数，数字小的先匹配", field="priority")
    if cap and not cap.isdigit():
        raise ValidationFailed("每人上限请填正整数，或留空表示不限", field="max_open_leads")
    data = {
        "name": values["name"], "priority": int(priority), "strategy": values["strategy"],
        "team_employee_ids": [int(v) for v in values["team_employee_ids"] if v.isdigit()],
        "max_open_leads": int(cap) if cap else None, "active": values["active"] == "on",
        "conditions": {"regions": forms.split(values["regions"]), "cities": forms.split(values["cities"]),
                       "product_codes": values["product_codes"],
                       "channel_ids": [int(v) for v in values["channel_ids"] if v.isdigit()],
                       "sources": values["sources"]},
    }
    return data, values


@router.post("/rules/assignment")
async def create_rule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    return await _save_rule(request, staff, session, None)


@router.post("/rules/assignment/{rule_id}")
async def update_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                      session: SessionDep) -> Response:
    assignment_service.get_rule(session, rule_id)
    return await _save_rule(request, staff, session, rule_id)


async def _save_rule(request: Request, staff: Employee, session: Session, rule_id: int | None) -> Response:
    def save(data: dict, values: dict) -> None:
        if rule_id is None:
            assignment_service.create_rule(session, staff, **data)
        else:
            assignment_service.update_rule(session, staff, rule_id, data)

    return await core.preview_or_save(
        request, staff, session, template="rules/assignment_form.html",
        context={**_form_context(session, staff), "rule_id": rule_id}, parse=_rule_data,
        preview=lambda data, values: {"preview": rules_read.preview_assignment_rule(session, staff, rule_id, data)},
        save=save, done=core.redirect("/rules", msg="rule_saved"),
        errors=lambda exc: core.field_errors(exc, FIELD_NAMES))


@router.post("/rules/assignment/{rule_id}/delete")
def delete_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                session: SessionDep) -> Response:
    core.remember(request, staff)
    assignment_service.delete_rule(session, rule_id)
    return core.redirect("/rules", msg="rule_deleted")
