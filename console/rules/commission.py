"""Referral-commission rules (佣金规则): edit, preview what a sample fee pays per level. The form validates
through the referral service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.common.money import parse_yuan
from console import core
from console.rules import forms
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.core.errors import ValidationFailed
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.org.models import Employee
from scrm.referral import service as referral_service

router = core.console_router()

KIND_NAMES = {"percent": "按实收服务费比例", "fixed": "固定金额"}
DEFAULT_SAMPLE_FEE = "10000"


def _decimal(values: dict, name: str) -> Decimal | None:
    text = values[name]
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed("请填数字", field=name) from None
    if not value.is_finite():
        raise ValidationFailed("请填数字", field=name)
    return value


def _commission_context(session: Session) -> dict[str, Any]:
    products = [(p.code, p.name) for p in customer_service.list_products(session)]
    return {"products": [("", "全部产品"), *products], "product_names": dict(products),
            "kinds": list(KIND_NAMES.items()), "kind_names": KIND_NAMES, "levels": [(1, "一级（直接推荐人）"), (2, "二级")]}


def _commission_values_of(rule) -> dict[str, Any]:
    return {"name": rule.name, "level": rule.level, "product_code": rule.product_code or "",
            "funder_type": rule.funder_type or "", "kind": rule.kind.value,
            "rate_percent": rule.rate_percent.normalize() if rule.rate_percent is not None else "",
            "fixed_amount": from_fen(rule.fixed_fen) if rule.fixed_fen is not None else "",
            "cap_amount": from_fen(rule.cap_fen) if rule.cap_fen is not None else "",
            "active": "on" if rule.active else "", "sample_fee": DEFAULT_SAMPLE_FEE}


def _commission_data(form) -> tuple[dict[str, Any], dict[str, Any]]:
    values = {k: str(form.get(k, "")).strip() for k in ("name", "level", "product_code", "funder_type", "kind",
                                                        "rate_percent", "fixed_amount", "cap_amount", "active",
                                                        "sample_fee")}
    if values["level"] not in ("1", "2"):
        raise ValidationFailed("层级只能是 1 或 2", field="level")
    data = {"name": values["name"], "level": int(values["level"]), "product_code": values["product_code"] or None,
            "funder_type": values["funder_type"] or None, "kind": values["kind"],
            "rate_percent": _decimal(values, "rate_percent"), "fixed_amount": _decimal(values, "fixed_amount"),
            "cap_amount": _decimal(values, "cap_amount")}
    return data, values


@router.get("/rules/commission")
def commission_rules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _commission_context(session)
    ctx.update(rules=referral_service.list_rules(session, include_inactive=True), may_edit=forms.may_edit(staff))
    return core.render(request, "rules/commission.html", ctx, staff=staff)


@router.get("/rules/commission/new")
def new_commission_rule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _commission_context(session)
    ctx.update(rule_id=None, values={"level": 1, "kind": "percent", "active": "on", "sample_fee": DEFAULT_SAMPLE_FEE})
    return core.render(request, "rules/commission_form.html", ctx, staff=staff)


@router.get("/rules/commission/{rule_id}")
def edit_commission_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                         session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _commission_context(session)
    ctx.update(rule_id=rule_id, values=_commission_values_of(referral_service.get_rule(session, rule_id)))
    return core.render(request, "rules/commission_form.html", ctx, staff=staff)


@router.post("/rules/commission")
async def create_commission_rule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    return await _save_commission_rule(request, staff, session, None)


@router.post("/rules/commission/{rule_id}")
async def update_commission_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                                 session: SessionDep) -> Response:
    referral_service.get_rule(session, rule_id)
    return await _save_commission_rule(request, staff, session, rule_id)


async def _save_commission_rule(request: Request, staff: Employee, session: Session, rule_id: int | None) -> Response:
    def preview(data, values) -> dict:
        fee_fen = parse_yuan(values["sample_fee"], "sample_fee", label="示例服务费")
        return {"preview": referral_service.preview_rule(session, data, fee_fen, rule_id=rule_id),
                "sample_fee_fen": fee_fen}

    def save(data, values) -> None:
        if rule_id is None:
            referral_service.create_rule(session, staff, data)
        else:
            referral_service.update_rule(session, rule_id, {**data, "active": values["active"] == "on"})

    return await core.preview_or_save(
        request, staff, session, template="rules/commission_form.html",
        context={**_commission_context(session), "rule_id": rule_id}, parse=_commission_data, preview=preview,
        save=save, done=core.redirect("/rules/commission", msg="commission_rule_saved"))


@router.post("/rules/commission/{rule_id}/deactivate")
def deactivate_commission_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                               session: SessionDep) -> Response:
    core.remember(request, staff)
    referral_service.update_rule(session, rule_id, {"active": False})
    return core.redirect("/rules/commission", msg="commission_rule_deactivated")
