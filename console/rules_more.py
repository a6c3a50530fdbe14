"""Rules pages: tiering rules (edit, preview who would move, re-tier now), commission rules (edit, preview
what a sample fee pays per level) and SOP follow-up schedules (edit, preview today's tasks). Each form
validates through the owning service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import pydantic
from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.common.money import parse_yuan
from console import core
from console import service as web_service
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.customers import service as customer_service
from scrm.customers.labels import STAGE_NAMES
from scrm.core.errors import AppError, NotFound, ValidationFailed
from scrm.groups import schemas as group_schemas
from scrm.groups import service as group_service
from scrm.groups.labels import TIER_NAMES
from scrm.core.money import from_fen
from scrm.org.models import Employee
from scrm.referral import service as referral_service
from scrm.sop import schemas as sop_schemas
from scrm.sop import service as sop_service
from scrm.tagging.labels import INTENT_NAMES

router = core.console_router()

KIND_NAMES = {"percent": "按实收服务费比例", "fixed": "固定金额"}
LIST_CONDITIONS = ("tags_all", "tags_any", "tags_none")
NUMBER_CONDITIONS = ("amount_min_yuan", "amount_max_yuan", "contacted_within_days", "not_contacted_days")
DEFAULT_SAMPLE_FEE = "10000"


def _may_edit(staff: Employee) -> bool:
    return staff.role.value in ("manager", "admin")


def _split(text: str) -> list[str]:
    for sep in "，、;；\n":
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",") if p.strip()]


def _pydantic_errors(exc: pydantic.ValidationError) -> ValidationFailed:
    """A schema's errors as form errors, by input name (the last part of each error's location)."""
    errors = []
    for err in exc.errors():
        name = str(err["loc"][-1]) if err["loc"] else "__all__"
        if err["type"].startswith(("int_", "decimal_")) and "parsing" in err["type"]:
            message = "请填数字"
        elif err["type"] in ("greater_than_equal", "less_than_equal"):
            message = f"超出允许范围（{err['ctx'].get('ge', err['ctx'].get('le'))}）"
        elif err["type"] in ("string_too_short", "missing"):
            message = "必填"
        elif err["type"] == "string_too_long":
            message = "太长了"
        elif err["type"] == "literal_error":
            message = "请从列表中选择"
        else:
            message = "格式不正确"
        errors.append({"field": name, "message": message})
    return ValidationFailed(errors[0]["message"], field=errors[0]["field"], errors=errors)


def _rename_service_field(field: str) -> str:
    # the groups service names fields by API path (conditions.tags_none, rules[0].conditions.x)
    return field.rsplit(".", 1)[-1]


def _form_errors(exc: AppError) -> dict[str, str]:
    out = core.field_errors(exc)
    return {_rename_service_field(k): v for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# tiering rules


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
        if _split(values[k]):
            conditions[k] = _split(values[k])
    for k in NUMBER_CONDITIONS:
        if values[k]:
            conditions[k] = values[k]
    try:
        data = group_schemas.TierRuleIn.model_validate({
            "name": values["name"], "tier": values["tier"], "position": values["position"] or "100",
            "conditions": conditions, "active": values["active"] == "on"})
    except pydantic.ValidationError as exc:
        raise _pydantic_errors(exc) from None
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
               counts=[(t, counts.get(t, 0)) for t in TIER_NAMES], may_edit=_may_edit(staff))
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
        names = web_service.customer_names(session, {i for m in moves for i in m["sample_customer_ids"]})
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
        errors=_form_errors)


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


# ---------------------------------------------------------------------------------------------
# commission rules


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
    ctx.update(rules=referral_service.list_rules(session, include_inactive=True), may_edit=_may_edit(staff))
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


# ---------------------------------------------------------------------------------------------
# SOP follow-up schedules


def _sop_context() -> dict[str, Any]:
    return {"tiers": list(TIER_NAMES.items()), "tier_names": TIER_NAMES}


def _schedule_values_of(schedule) -> dict[str, Any]:
    return {"name": schedule.name, "tier": schedule.tier, "every_days": schedule.every_days, "hour": schedule.hour,
            "title": schedule.title, "active": "on" if schedule.active else ""}


def _schedule_data(form, schedule) -> tuple[dict[str, Any], dict[str, Any]]:
    values = {k: str(form.get(k, "")).strip() for k in ("name", "tier", "every_days", "hour", "title", "active")}
    if schedule is not None:  # a schedule's name and tier are fixed once made
        values.update(name=schedule.name, tier=schedule.tier)
    try:
        data = sop_schemas.ScheduleIn.model_validate({k: values[k] for k in ("name", "tier", "every_days", "hour",
                                                                             "title")})
    except pydantic.ValidationError as exc:
        raise _pydantic_errors(exc) from None
    return data.model_dump(), values


def _get_schedule(session: Session, schedule_id: int):
    for schedule in sop_service.list_schedules(session):
        if schedule.id == schedule_id:
            return schedule
    raise NotFound(f"没有编号为 {schedule_id} 的跟进计划")


@router.get("/rules/sop")
def sop_schedules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _sop_context()
    ctx.update(schedules=sop_service.list_schedules(session), may_edit=_may_edit(staff))
    return core.render(request, "rules/sop.html", ctx, staff=staff)


@router.get("/rules/sop/new")
def new_schedule(request: Request, staff: ManagerStaff) -> Response:
    core.remember(request, staff)
    ctx = _sop_context()
    ctx.update(schedule=None, values={"tier": "A", "every_days": 2, "hour": 9, "active": "on"})
    return core.render(request, "rules/sop_form.html", ctx, staff=staff)


@router.get("/rules/sop/{schedule_id}")
def edit_schedule(request: Request, schedule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                  session: SessionDep) -> Response:
    core.remember(request, staff)
    schedule = _get_schedule(session, schedule_id)
    ctx = _sop_context()
    ctx.update(schedule=schedule, values=_schedule_values_of(schedule))
    return core.render(request, "rules/sop_form.html", ctx, staff=staff)


@router.post("/rules/sop")
async def create_schedule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    return await _save_schedule(request, staff, session, None)


@router.post("/rules/sop/{schedule_id}")
async def update_schedule(request: Request, schedule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                          session: SessionDep) -> Response:
    return await _save_schedule(request, staff, session, _get_schedule(session, schedule_id))


async def _save_schedule(request: Request, staff: Employee, session: Session, schedule) -> Response:
    def preview(data, values) -> dict:
        return {"preview": sop_service.preview_schedule(
            session, tier=data["tier"], every_days=data["every_days"], hour=data["hour"], title=data["title"],
            schedule_id=schedule.id if schedule else None)}

    def save(data, values) -> None:
        if schedule is None:
            sop_service.create_schedule(session, **data)
        else:
            sop_service.update_schedule(session, schedule.id, {
                "every_days": data["every_days"], "hour": data["hour"], "title": data["title"],
                "active": values["active"] == "on"})

    return await core.preview_or_save(
        request, staff, session, template="rules/sop_form.html", context={**_sop_context(), "schedule": schedule},
        parse=lambda form: _schedule_data(form, schedule), preview=preview, save=save,
        done=core.redirect("/rules/sop", msg="schedule_saved"))
