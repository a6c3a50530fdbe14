"""Referral-commission rules (佣金规则): edit, preview what a sample fee pays per level. The form validates
through the referral service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.common.money import parse_yuan
from console import core
from console.rules import forms
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.core import commands
from scrm.core.errors import ValidationFailed
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.org.models import Employee
from scrm.referral import service as referral_service
from scrm.referral.schemas import RuleIn, RuleUpdate

router = core.console_router()

KIND_NAMES = {"percent": "按实收服务费比例", "fixed": "固定金额"}
DEFAULT_SAMPLE_FEE = "10000"


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


RULE_FIELDS = ("name", "level", "product_code", "funder_type", "kind", "rate_percent", "fixed_amount", "cap_amount")


def _commission_data(form) -> tuple[RuleIn, dict[str, Any]]:
    values = {k: str(form.get(k, "")).strip() for k in (*RULE_FIELDS, "active", "sample_fee")}
    if values["level"] not in ("1", "2"):
        raise ValidationFailed("层级只能是 1 或 2", field="level")
    return commands.build(RuleIn, {k: values[k] for k in RULE_FIELDS if values[k] or k == "name"}), values


@router.get("/rules/commission")
def commission_rules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _commission_context(session)
    ctx.update(rules=referral_service.list_rules(session, include_inactive=True), may_edit=forms.may_edit(staff))
    return core.render(request, "rules/commission.html", ctx, staff=staff)


def _preview_commission(session: Session, staff: Employee, rule, data: RuleIn, values) -> dict:
    fee_fen = parse_yuan(values["sample_fee"], "sample_fee", label="示例服务费")
    return {"preview": referral_service.preview_rule(session, data, fee_fen, rule_id=rule.id if rule else None),
            "sample_fee_fen": fee_fen}


def _save_commission(session: Session, staff: Employee, rule, data: RuleIn, values) -> None:
    if rule is None:
        referral_service.create_rule(session, staff, data)
    else:
        referral_service.update_rule(session, rule.id, RuleUpdate(**data.model_dump(), active=values["active"] == "on"))


forms.add_editor(router, forms.Editor(
    path="/rules/commission", template="rules/commission_form.html",
    context=lambda session, staff: _commission_context(session),
    blank={"level": 1, "kind": "percent", "active": "on", "sample_fee": DEFAULT_SAMPLE_FEE},
    load=referral_service.get_rule, values_of=_commission_values_of, parse=lambda form, rule: _commission_data(form),
    preview=_preview_commission, save=_save_commission,
    done=lambda: core.redirect("/rules/commission", msg="commission_rule_saved")))


@router.post("/rules/commission/{rule_id}/deactivate")
def deactivate_commission_rule(request: Request, rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                               session: SessionDep) -> Response:
    core.remember(request, staff)
    referral_service.update_rule(session, rule_id, RuleUpdate(active=False))
    return core.redirect("/rules/commission", msg="commission_rule_deactivated")
