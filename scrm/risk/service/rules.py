"""Risk rules: checked (a bad one is a 422 naming the field), stored, listed, changed by managers and admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.core import jobs
from scrm.core.db import utcnow
from scrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.risk.labels import ACTION_NAMES, MATERIAL_NAMES
from scrm.risk.models import RiskMatch, RiskRule
from scrm.risk.schemas import RuleIn, RulePatch
from scrm.risk.service import conditions

EDITORS = (Role.manager, Role.admin)
MAX_TEXT = 200


def require_editor(actor: Employee) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("只有经理或管理员可以编写风控规则和评分卡")


def _fail(field: str, message: str):
    raise ValidationFailed(message, field=field)


def _text(action: dict, key: str, field: str, limit: int = MAX_TEXT) -> str | None:
    value = action.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        _fail(f"{field}.{key}", f"请写 1 到 {limit} 个字")
    return value.strip()


def _role(role: Any, field: str) -> str:
    if not isinstance(role, str) or role not in {r.value for r in Role}:
        _fail(f"{field}.role", f"未知的角色 {str(role)[:20]!r}；可选：{'、'.join(r.value for r in Role)}")
    return role


def _check_action(session: Session, action: Any, condition: dict, field: str) -> dict:
    if not isinstance(action, dict):
        _fail(field, "动作写成 {\"type\": ...}")
    kind = action.get("type")
    if not isinstance(kind, str) or kind not in ACTION_NAMES:
        _fail(f"{field}.type", f"未知的动作 {str(kind)[:30]!r}；可选：{'、'.join(ACTION_NAMES)}")
    allowed = {"add_tag": {"tag"}, "alert": {"text", "role"}, "route_approval": {"role", "employee_id", "title"},
               "return": {"materials"}, "reject_pool": {"reason"}}[kind] | {"type"}
    extra = set(action) - allowed
    if extra:
        _fail(f"{field}.{sorted(extra)[0]}", f"「{ACTION_NAMES[kind]}」可写的项：{'、'.join(sorted(allowed))}")
    out: dict[str, Any] = {"type": kind}
    if kind == "add_tag":
        tag = _text(action, "tag", field, 30)
        if tag is None:
            _fail(f"{field}.tag", "请写要打的标签，例如 高风险")
        out["tag"] = tag
    elif kind in ("alert", "reject_pool"):
        key = "text" if kind == "alert" else "reason"
        if (text := _text(action, key, field)) is not None:
            out[key] = text
        if kind == "alert" and action.get("role") is not None:
            out["role"] = _role(action["role"], field)
    elif kind == "route_approval":
        role, employee_id = action.get("role"), action.get("employee_id")
        if (role is None) == (employee_id is None):
            _fail(field, "审批流转要写 role（角色）或 employee_id（指定人员）之一")
        if role is not None:
            out["role"] = _role(role, field)
        else:
            known = isinstance(employee_id, int) and not isinstance(employee_id, bool) and 0 < employee_id < 2**53
            employee = session.get(Employee, employee_id) if known else None
            if employee is None or employee.status != EmployeeStatus.active:
                _fail(f"{field}.employee_id", f"没有在职的员工 {str(employee_id)[:20]}")
            out["employee_id"] = employee.id
        if (title := _text(action, "title", field, 32)) is not None:
            out["title"] = title
    elif kind == "return":
        materials = action.get("materials")
        if materials is None:
            if not conditions.required_materials(condition):
                _fail(f"{field}.materials", "驳回要列出应补充的资料（或在条件里写明缺少哪些资料）")
        else:
            if (not isinstance(materials, list) or not materials
                    or any(not isinstance(m, str) or m not in MATERIAL_NAMES for m in materials)):
                _fail(f"{field}.materials", f"资料从这些里选：{'、'.join(MATERIAL_NAMES)}")
            out["materials"] = [m for m in MATERIAL_NAMES if m in materials]
    return out


def check_actions(session: Session, actions: Any, condition: dict) -> list[dict]:
    if not isinstance(actions, list) or not actions:
        _fail("actions", "至少要有一个动作")
    out = [_check_action(session, a, condition, f"actions[{i}]") for i, a in enumerate(actions)]
    kinds = [a["type"] for a in out]
    for i, kind in enumerate(kinds):
        if kind != "add_tag" and kinds.index(kind) != i:
            _fail(f"actions[{i}].type", f"「{ACTION_NAMES[kind]}」只能写一次")
    return out


def check_rule(session: Session, condition: Any, actions: Any) -> tuple[dict, list[dict]]:
    cond = conditions.check(condition)
    return cond, check_actions(session, actions, cond)


def _unique_name(session: Session, name: str, rule_id: int | None = None) -> None:
    other = session.scalars(select(RiskRule).where(RiskRule.name == name)).first()
    if other is not None and other.id != rule_id:
        raise Conflict(f"已有名为「{name}」的风控规则", field="name")


def list_rules(session: Session, *, active_only: bool = False) -> list[RiskRule]:
    session.flush()
    stmt = select(RiskRule).order_by(RiskRule.position, RiskRule.id)
    if active_only:
        stmt = stmt.where(RiskRule.active.is_(True))
    return list(session.scalars(stmt))


def get_rule(session: Session, rule_id: int) -> RiskRule:
    rule = session.get(RiskRule, rule_id)
    if rule is None:
        raise NotFound(f"没有编号为 {rule_id} 的风控规则")
    return rule


def create_rule(session: Session, actor: Employee, command: RuleIn) -> RiskRule:
    """Add a rule; every customer with facts is evaluated against it after commit (``risk.evaluate_all``)."""
    require_editor(actor)
    cond, acts = check_rule(session, command.condition, command.actions)
    name, position, active = command.name, command.position, command.active
    _unique_name(session, name)
    rule = RiskRule(name=name, condition=cond, actions=acts, position=position, active=active, version=1,
                    created_by=actor.id)
    try:
        with session.begin_nested():  # the same name created twice at once: the second is a 409, not a 500
            session.add(rule)
            session.flush()
    except IntegrityError:
        raise Conflict(f"已有名为「{name}」的风控规则", field="name") from None
    if active:
        jobs.enqueue(session, "risk.evaluate_all")
    return rule


def update_rule(session: Session, actor: Employee, rule_id: int, command: RulePatch) -> RiskRule:
    """Change a rule. A new condition or new actions make a new version: the customers it matched are forgotten,
    so it fires afresh (on the next evaluation, queued after commit) where the new version matches."""
    require_editor(actor)
    changes = command.changes()
    rule = get_rule(session, rule_id)
    cond = rule.condition
    if "condition" in changes:
        cond = conditions.check(changes["condition"])
    acts = check_actions(session, changes["actions"], cond) if "actions" in changes else rule.actions
    if "actions" not in changes and "condition" in changes:
        check_actions(session, rule.actions, cond)
    if changes.get("name") is not None:
        _unique_name(session, changes["name"], rule.id)
        rule.name = changes["name"]
    if cond != rule.condition or acts != rule.actions:
        rule.condition, rule.actions, rule.version = cond, acts, rule.version + 1
        session.execute(delete(RiskMatch).where(RiskMatch.rule_id == rule.id))
    for name in ("position", "active"):
        if changes.get(name) is not None:
            setattr(rule, name, changes[name])
    if not rule.active:
        session.execute(delete(RiskMatch).where(RiskMatch.rule_id == rule.id))
    rule.updated_at = utcnow()
    session.flush()
    if rule.active:
        jobs.enqueue(session, "risk.evaluate_all")
    return rule
