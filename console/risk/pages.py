"""Risk control (风控) pages: the rules with a structured editor and the preview over today's customers, the
scorecard (资质评分) with the distribution a draft would make, and a customer's facts, decisions and firings with the
evidence behind each. Everything goes through ``scrm.risk``'s service, as the API does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from scrm.auth import CurrentStaff, ManagerStaff, SessionDep, SupervisorStaff
from scrm.core import commands
from scrm.core.errors import AppError, ValidationFailed
from scrm.core.money import NotAnAmount, from_fen, to_fen, yuan_amount
from scrm.customers import service as customer_service
from scrm.org import service as org_service
from scrm.org.labels import ROLE_NAMES
from scrm.org.models import Employee, Role
from scrm.risk import labels, schemas
from scrm.risk import service as risk_service
from scrm.risk.service.conditions import NUMBER_FACTS

router = core.console_router()

ROWS = 4  # condition rows of the rule form
ACTIONS = tuple(labels.ACTION_NAMES)
BLANK_BANDS = 3  # empty rows under a scorecard's bands
CHOICE_NAMES = {**labels.OVERDUE_NAMES, **labels.MATERIAL_NAMES}


def _context(session: Session, staff: Employee) -> dict[str, Any]:
    return {"facts": [("", "（不用）")] + list(labels.FACT_NAMES.items()), "ops": list(labels.OP_NAMES.items()),
            "fact_names": labels.FACT_NAMES, "op_names": labels.OP_NAMES, "action_names": labels.ACTION_NAMES,
            "materials": labels.MATERIAL_NAMES, "overdue": labels.OVERDUE_NAMES, "rows": range(ROWS),
            "roles": [("", "（不指定）")] + [(r.value, ROLE_NAMES[r]) for r in Role],
            "may_edit": forms.may_edit(staff)}


# ---------------------------------------------------------------------------------------------
# conditions as form rows: fact, operator, value (a number, or choices by code or Chinese name)


def _value_in(fact: str, op: str, text: str, field: str) -> Any:
    if op in ("present", "absent"):
        return None
    if fact in NUMBER_FACTS:
        if not text:
            raise ValidationFailed("请填写比较的数值", field=field)
        if fact == "debt_ratio":
            return text.rstrip("%")
        try:
            return int(text)
        except ValueError:
            raise ValidationFailed("请填写整数（金额以分为单位）", field=field) from None
    by_name = {name.split("（")[0]: code for code, name in CHOICE_NAMES.items()}
    return [by_name.get(v, v) for v in forms.split(text)]


def _value_shown(leaf: dict) -> str:
    value = leaf.get("value")
    if isinstance(value, list):
        return "，".join(CHOICE_NAMES.get(v, v).split("（")[0] for v in value)
    return "" if value is None else str(value)


def _leaf_of(form, prefix: str) -> dict | None:
    fact = str(form.get(f"{prefix}fact", "")).strip()
    if not fact:
        return None
    op = str(form.get(f"{prefix}op", "")).strip()
    leaf: dict[str, Any] = {"fact": fact, "op": op}
    value = _value_in(fact, op, str(form.get(f"{prefix}value", "")).strip(), f"{prefix}value")
    if value is not None:
        leaf["value"] = value
    return leaf


def _leaf_values(leaf: dict, prefix: str) -> dict[str, str]:
    return {f"{prefix}fact": leaf["fact"], f"{prefix}op": leaf["op"], f"{prefix}value": _value_shown(leaf)}


def _condition_values(cond: dict) -> dict[str, str]:
    key = "all" if "all" in cond else "any" if "any" in cond else None
    items = cond[key] if key else [cond]
    values = {"match": key or "all"}
    for i, leaf in enumerate(items[:ROWS]):
        if "fact" in leaf:
            values.update(_leaf_values(leaf, f"c{i}_"))
    return values


# ---------------------------------------------------------------------------------------------
# rules


@router.get("/risk")
def risk_home(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    card = risk_service.current_scorecard(session)
    rules = [(r, risk_service.describe(r.condition)) for r in risk_service.list_rules(session)]
    return core.render(request, "risk/index.html", {**_context(session, staff), "rules": rules, "card": card,
                                                    "card_conditions": [risk_service.describe(b["when"])
                                                                        for b in card.bands]}, staff=staff)


def _rule_values(rule) -> dict[str, Any]:
    values: dict[str, Any] = {"name": rule.name, "position": rule.position, "active": "on" if rule.active else "",
                              **_condition_values(rule.condition)}
    for action in rule.actions:
        kind = action["type"]
        values[f"do_{kind}"] = "on"
        if kind == "add_tag":
            values["tag"] = action["tag"]
        elif kind == "alert":
            values["alert_text"], values["alert_role"] = action.get("text", ""), action.get("role", "")
        elif kind == "route_approval":
            values["approval_role"] = action.get("role", "")
            values["approval_employee_id"] = action.get("employee_id", "")
            values["approval_title"] = action.get("title", "")
        elif kind == "return":
            values["return_materials"] = _value_shown({"value": action.get("materials", [])})
        elif kind == "reject_pool":
            values["reason"] = action.get("reason", "")
    return values


def _actions_of(form) -> list[dict]:
    actions: list[dict] = []
    text = {k: str(form.get(k, "")).strip() for k in ("tag", "alert_text", "alert_role", "approval_role",
                                                       "approval_employee_id", "approval_title", "return_materials",
                                                       "reason")}
    on = {kind for kind in ACTIONS if form.get(f"do_{kind}") == "on"}
    if "add_tag" in on:
        actions.append({"type": "add_tag", "tag": text["tag"] or None})
    if "alert" in on:
        actions.append({"type": "alert", **({"text": text["alert_text"]} if text["alert_text"] else {}),
                        **({"role": text["alert_role"]} if text["alert_role"] else {})})
    if "route_approval" in on:
        action: dict[str, Any] = {"type": "route_approval"}
        if text["approval_employee_id"]:
            action["employee_id"] = int(text["approval_employee_id"]) if text["approval_employee_id"].isdigit() \
                else text["approval_employee_id"]
        elif text["approval_role"]:
            action["role"] = text["approval_role"]
        if text["approval_title"]:
            action["title"] = text["approval_title"]
        actions.append(action)
    if "return" in on:
        materials = _value_in("materials", "has_all", text["return_materials"], "return_materials")
        actions.append({"type": "return", **({"materials": materials} if materials else {})})
    if "reject_pool" in on:
        actions.append({"type": "reject_pool", **({"reason": text["reason"]} if text["reason"] else {})})
    return actions


def _rule_in(form) -> tuple[schemas.RuleIn, dict[str, Any]]:
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in form if k != "csrf_token"}
    leaves = [leaf for i in range(ROWS) if (leaf := _leaf_of(form, f"c{i}_")) is not None]
    if not leaves:
        raise ValidationFailed("至少写一个条件", field="c0_fact")
    match = "any" if values.get("match") == "any" else "all"
    condition = leaves[0] if len(leaves) == 1 else {match: leaves}
    data = commands.build(schemas.RuleIn, {"name": values.get("name", ""), "condition": condition,
                                           "actions": _actions_of(form), "position": values.get("position") or "100",
                                           "active": values.get("active") == "on"})
    return data, values


def _errors(exc: AppError) -> dict[str, str]:
    """The service names fields by the rule's JSON (condition.all[1].value, actions[0].tag): put them on the rows."""
    out: dict[str, str] = {}
    for name, message in core.field_errors(exc).items():
        shown = name
        if name.startswith("condition"):
            rest = name[len("condition"):].lstrip(".")
            index = 0
            if rest.startswith(("all[", "any[")):
                index = int(rest[4:rest.index("]")])
                rest = rest[rest.index("]") + 1:].lstrip(".")
            shown = f"c{index}_{rest.split('.')[0] or 'fact'}"
        elif name.startswith("actions"):
            shown = "actions"
        out.setdefault(shown, message)
    return out


def _preview_rule(session: Session, staff: Employee, rule, data: schemas.RuleIn, values) -> dict:
    condition, _ = risk_service.check_rule(session, data.condition, data.actions)
    result = risk_service.preview_condition(session, condition, sample_size=20)
    return {"preview": result, "description": risk_service.describe(condition)}


def _save_rule(session: Session, staff: Employee, rule, data: schemas.RuleIn, values) -> None:
    if rule is None:
        risk_service.create_rule(session, staff, data)
    else:
        risk_service.update_rule(session, staff, rule.id, schemas.RulePatch(**data.model_dump()))


forms.add_editor(router, forms.Editor(
    path="/risk/rules", template="risk/rule_form.html", context=_context,
    blank={"position": 100, "active": "on", "match": "all"}, load=risk_service.get_rule, values_of=_rule_values,
    parse=lambda form, rule: _rule_in(form), preview=_preview_rule, save=_save_rule,
    done=lambda: core.redirect("/risk", msg="risk_rule_saved"), errors=_errors))


# ---------------------------------------------------------------------------------------------
# the scorecard


def _band_values(card) -> dict[str, Any]:
    values: dict[str, Any] = {"base": card.base}
    for i, band in enumerate(card.bands):
        values[f"b{i}_label"], values[f"b{i}_points"] = band["label"], band["points"]
        leaves = band["when"].get("all") or [band["when"]]
        for j, leaf in enumerate(leaves[:2]):
            values.update(_leaf_values(leaf, f"b{i}_{j}"))
    return values


def _scorecard_in(form) -> tuple[schemas.ScorecardIn, dict[str, Any]]:
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in form if k != "csrf_token"}
    rows = int(values.get("rows") or 0)
    bands = []
    for i in range(min(rows, 60)):
        leaves = [leaf for j in range(2) if (leaf := _leaf_of(form, f"b{i}_{j}")) is not None]
        label = values.get(f"b{i}_label", "")
        if not leaves and not label:
            continue
        if not leaves:
            raise ValidationFailed("请选择这一项的条件", field=f"b{i}_0fact")
        points = values.get(f"b{i}_points", "")
        try:
            points_value: Any = int(points)
        except ValueError:
            raise ValidationFailed("分值是整数，例如 15 或 -20", field=f"b{i}_points") from None
        bands.append({"label": label, "when": leaves[0] if len(leaves) == 1 else {"all": leaves},
                      "points": points_value, "_row": i})
    try:
        base: Any = int(values.get("base", ""))
    except ValueError:
        raise ValidationFailed("基础分是 0 到 100 之间的整数", field="base") from None
    values["_rows"] = [b.pop("_row") for b in bands]
    return commands.build(schemas.ScorecardIn, {"base": base, "bands": bands}), values


def _card_errors(values: dict[str, Any]):
    rows = values.get("_rows", [])

    def rename(exc: AppError) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, message in core.field_errors(exc).items():
            shown = name
            if name.startswith("bands["):
                index = int(name[6:name.index("]")])
                row = rows[index] if index < len(rows) else index
                rest = name[name.index("]") + 1:].lstrip(".")
                shown = f"b{row}_{rest}" if rest in ("label", "points") else f"b{row}_0fact"
            out.setdefault(shown, message)
        return out
    return rename


def _scorecard_page(request: Request, staff: Employee, session: Session, values: dict[str, Any],
                    extra: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    rows = max(int(values.get("rows") or 0), len(risk_service.current_scorecard(session).bands) + BLANK_BANDS)
    return core.render(request, "risk/scorecard.html", {**_context(session, staff), "values": values,
                                                        "band_rows": range(rows), **(extra or {})},
                       staff=staff, status_code=status_code)


@router.get("/risk/scorecard")
def scorecard(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    card = risk_service.current_scorecard(session)
    values = _band_values(card)
    values["rows"] = len(card.bands) + BLANK_BANDS
    return _scorecard_page(request, staff, session, values, {"builtin": card.id is None})


@router.post("/risk/scorecard")
async def scorecard_save(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in form if k != "csrf_token"}
    try:
        data, values = _scorecard_in(form)
        if str(form.get("action", "preview")) == "preview":
            preview = risk_service.preview_scorecard(session, data.base, data.bands, sample_size=10)
            names = customer_service.names_by_id(session, [s["customer_id"] for s in preview["sample"]])
            return _scorecard_page(request, staff, session, values, {"preview": preview, "customer_names": names})
        risk_service.save_scorecard(session, staff, data)
    except AppError as exc:
        session.rollback()
        return _scorecard_page(request, staff, session, values, {"errors": _card_errors(values)(exc)}, 422)
    return core.redirect("/risk/scorecard", msg="scorecard_saved")


# ---------------------------------------------------------------------------------------------
# a customer's risk


FACT_FIELDS = ("inquiries_1m", "inquiries_3m", "inquiries_6m", "overdue_count", "online_loans",
               "social_security_months")
MONEY_FIELDS = ("total_debt_fen", "monthly_income_fen")


def _customer_page(request: Request, staff: Employee, session: Session, customer_id: int,
                   values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                   status_code: int = 200) -> Response:
    risk = risk_service.customer_risk(session, staff, customer_id)
    customer = customer_service.get_visible(session, staff, customer_id)
    facts = risk["facts"] or {}
    if values is None:
        values = {k: "" if facts.get(k) is None else facts[k] for k in (*FACT_FIELDS, "worst_overdue")}
        for k in MONEY_FIELDS:
            values[k] = "" if facts.get(k) is None else str(from_fen(facts[k]))
        values["materials"] = facts.get("materials", [])
    ids = {d.get("employee_id") for f in risk["firings"] for d in f["done"]} | {facts.get("updated_by")}
    return core.render(request, "risk/customer.html", {
        **_context(session, staff), "c": customer, "risk": risk, "values": values, "errors": errors or {},
        "fact_fields": FACT_FIELDS, "money_fields": MONEY_FIELDS,
        "overdue_options": [("", "未填写")] + [(k, v) for k, v in labels.OVERDUE_NAMES.items()],
        "names": org_service.employee_names(session, {i for i in ids if i}),
        "may_clear": forms.may_edit(staff)}, staff=staff, status_code=status_code)


@router.get("/customers/{customer_id}/risk")
def customer_risk(request: Request, customer_id: Annotated[int, Path(ge=1)], staff: CurrentStaff,
                  session: SessionDep) -> Response:
    core.remember(request, staff)
    return _customer_page(request, staff, session, customer_id)


@router.post("/customers/{customer_id}/risk/facts")
async def customer_facts(request: Request, customer_id: Annotated[int, Path(ge=1)], staff: CurrentStaff,
                         session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in (*FACT_FIELDS, *MONEY_FIELDS, "worst_overdue")}
    values["materials"] = [str(m) for m in form.getlist("materials")]
    try:
        body: dict[str, Any] = {k: values[k] or None for k in (*FACT_FIELDS, "worst_overdue")}
        for k in MONEY_FIELDS:
            body[k] = _fen(values[k], k)
        body["materials"] = values["materials"]
        risk_service.set_facts(session, staff, customer_id, commands.build(schemas.FactsIn, body))
    except AppError as exc:
        session.rollback()
        return _customer_page(request, staff, session, customer_id, values, core.field_errors(exc), 422)
    return core.redirect(f"/customers/{customer_id}/risk", msg="risk_facts_saved")


def _fen(text: str, field: str) -> int | None:
    """An amount typed in yuan, in fen exactly."""
    if not text:
        return None
    try:
        return to_fen(yuan_amount(text))
    except NotAnAmount:
        raise ValidationFailed("金额以元为单位，最多两位小数，例如 25000 或 3500.50", field=field) from None


@router.post("/customers/{customer_id}/risk/clear")
async def customer_clear(request: Request, customer_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                         session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    risk_service.clear_decision(session, staff, customer_id,
                                commands.build(schemas.ClearIn, {"what": str(form.get("what", ""))}))
    return core.redirect(f"/customers/{customer_id}/risk", msg="risk_cleared")
