"""Lead assignment: rules (data, edited by managers) decide which salesperson gets a new lead."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.assignment.events import CustomerAssigned
from scrm.assignment.models import AssignmentRule, Strategy
from scrm.assignment.schemas import RuleCreate, RuleUpdate
from scrm.channels.models import Channel
from scrm.core import events
from scrm.core.errors import Conflict, NotFound, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerSource, CustomerStatus, LoanProduct
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus

log = logging.getLogger(__name__)

CONDITION_KEYS = ("regions", "cities", "product_codes", "channel_ids", "sources")


# ---------------------------------------------------------------------------------------------
# rules


def _clean_conditions(session: Session, conditions: dict | None) -> dict:
    conditions = conditions or {}
    if not isinstance(conditions, dict):
        raise ValidationFailed("条件格式不正确", field="conditions")
    unknown = set(conditions) - set(CONDITION_KEYS)
    if unknown:
        raise ValidationFailed(f"不支持的条件 {', '.join(sorted(unknown))}；可用 {', '.join(CONDITION_KEYS)}",
                               field=f"conditions.{sorted(unknown)[0]}")
    out: dict[str, list] = {}
    for key in CONDITION_KEYS:
        values = conditions.get(key)
        if not values:
            continue
        if not isinstance(values, list):
            raise ValidationFailed(f"{key} 应为列表", field=f"conditions.{key}")
        if key in ("regions", "cities"):
            clean = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        elif key == "channel_ids":
            try:
                clean = list(dict.fromkeys(int(v) for v in values))
            except (TypeError, ValueError):
                raise ValidationFailed("channel_ids 应为渠道编号", field="conditions.channel_ids") from None
            found = set(session.scalars(select(Channel.id).where(Channel.id.in_(clean))))
            missing = [c for c in clean if c not in found]
            if missing:
                raise ValidationFailed(f"没有编号为 {missing[0]} 的渠道", field="conditions.channel_ids")
        elif key == "product_codes":
            clean = list(dict.fromkeys(str(v) for v in values))
            found = set(session.scalars(select(LoanProduct.code).where(LoanProduct.code.in_(clean))))
            missing = [c for c in clean if c not in found]
            if missing:
                raise ValidationFailed(f"没有贷款产品 {missing[0]}", field="conditions.product_codes")
        else:
            allowed = {s.value for s in CustomerSource}
            clean = list(dict.fromkeys(str(v) for v in values))
            bad = [v for v in clean if v not in allowed]
            if bad:
                raise ValidationFailed(f"来源只能是 {', '.join(sorted(allowed))}", field="conditions.sources")
        if clean:
            out[key] = clean
    return out


def _clean_team(session: Session, actor: Employee | None, team: list[int] | None) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in team or []))
    if not ids:
        raise ValidationFailed("规则至少需要一名成员", field="team_employee_ids")
    found = {e.id: e for e in session.scalars(select(Employee).where(Employee.id.in_(ids)))}
    for employee_id in ids:
        if employee_id not in found or (actor is not None and
                                        not org_service.can_see_employee(session, actor, employee_id)):
            raise ValidationFailed(f"没有编号为 {employee_id} 的员工", field="team_employee_ids")
    return ids


def _clean_cap(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1 or value > 100000:
        raise ValidationFailed("每人在跟线索上限应为 1 到 100000 的整数", field="max_open_leads")
    return value


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ValidationFailed("规则名称为 1 到 64 个字", field="name")
    return name


def _clean_strategy(strategy: Any) -> Strategy:
    try:
        return Strategy(strategy)
    except ValueError:
        raise ValidationFailed(f"分配方式只能是 {', '.join(s.value for s in Strategy)}", field="strategy") from None


def create_rule(session: Session, actor: Employee | None, command: RuleCreate) -> AssignmentRule:
    """A new assignment rule."""
    rule = AssignmentRule(name=_clean_name(command.name), priority=command.priority,
                          strategy=_clean_strategy(command.strategy),
                          conditions=_clean_conditions(session, command.conditions.model_dump()),
                          team_employee_ids=_clean_team(session, actor, command.team_employee_ids),
                          max_open_leads=_clean_cap(command.max_open_leads), active=command.active,
                          created_by=actor.id if actor else None)
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, actor: Employee | None, rule_id: int, command: RuleUpdate) -> AssignmentRule:
    """Change a rule; only the fields the command sets."""
    rule = get_rule(session, rule_id)
    changes = command.changes()
    if command.conditions is not None:
        changes["conditions"] = command.conditions.model_dump()
    if "name" in changes:
        rule.name = _clean_name(changes["name"])
    if changes.get("priority") is not None:
        rule.priority = int(changes["priority"])
    if "strategy" in changes:
        rule.strategy = _clean_strategy(changes["strategy"])
    if "conditions" in changes:
        rule.conditions = _clean_conditions(session, changes["conditions"])
    if "team_employee_ids" in changes:
        rule.team_employee_ids = _clean_team(session, actor, changes["team_employee_ids"])
    if "max_open_leads" in changes:
        rule.max_open_leads = _clean_cap(changes["max_open_leads"])
    if changes.get("active") is not None:
        rule.active = bool(changes["active"])
    session.flush()
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    session.delete(get_rule(session, rule_id))
    session.flush()


def get_rule(session: Session, rule_id: int) -> AssignmentRule:
    rule = session.get(AssignmentRule, rule_id)
    if rule is None:
        raise NotFound(f"没有编号为 {rule_id} 的分配规则")
    return rule


def list_rules(session: Session) -> list[AssignmentRule]:
    return list(session.scalars(select(AssignmentRule).order_by(AssignmentRule.priority, AssignmentRule.id)))


# ---------------------------------------------------------------------------------------------
# assigning


def matches(rule: AssignmentRule, customer: Customer, product_code: str | None) -> bool:
    """Every condition the rule lists must hold; within one condition any listed value will do."""
    c = rule.conditions or {}
    checks = (
        ("regions", customer.region), ("cities", customer.city), ("product_codes", product_code),
        ("channel_ids", customer.channel_id), ("sources", customer.source.value if customer.source else None),
    )
    return all(not c.get(key) or value in c[key] for key, value in checks)


def _cap(rule: AssignmentRule, employee: Employee) -> int | None:
    caps = [x for x in (rule.max_open_leads, employee.max_open_leads) if x is not None]
    return min(caps) if caps else None


def _candidates(session: Session, rule: AssignmentRule) -> list[Employee]:
    """The rule's team in the order the strategy tries them, departed members and members at cap left out."""
    team = [int(i) for i in rule.team_employee_ids or []]
    if not team:
        return []
    found = {e.id: e for e in session.scalars(select(Employee).where(Employee.id.in_(team)))}
    members = [found[i] for i in team if i in found and found[i].status == EmployeeStatus.active]
    counts = customer_service.open_lead_counts(session, [m.id for m in members])
    eligible = [m for m in members if _cap(rule, m) is None or counts[m.id] < _cap(rule, m)]
    if rule.strategy == Strategy.least_loaded:
        position = {e: i for i, e in enumerate(team)}
        return sorted(eligible, key=lambda m: (counts[m.id], position[m.id]))
    if rule.strategy == Strategy.round_robin and rule.last_employee_id in team:
        start = team.index(rule.last_employee_id) + 1
        turn = team[start:] + team[:start]
        by_id = {m.id: m for m in eligible}
        return [by_id[i] for i in turn if i in by_id]
    return eligible  # fixed, or round robin from the top


def _still_below_cap(session: Session, rule: AssignmentRule, employee: Employee) -> bool:
    """Re-check the cap with the employee's row locked, so concurrent assignments cannot overfill it."""
    cap = _cap(rule, employee)
    if cap is None:
        return True
    stmt = select(Employee.id).where(Employee.id == employee.id)
    session.execute(stmt.with_for_update())
    return customer_service.open_lead_counts(session, [employee.id])[employee.id] < cap


def assign(session: Session, customer: Customer) -> Employee | None:
    """Give an unowned lead to a salesperson by the first matching rule with room; None leaves it in the pool."""
    session.flush()
    stmt = select(Customer).where(Customer.id == customer.id).execution_options(populate_existing=True)
    stmt = stmt.with_for_update()
    customer = session.scalars(stmt).one()
    if customer.owner_id is not None:
        return session.get(Employee, customer.owner_id)
    if customer.status != CustomerStatus.active:
        return None
    product_code = (session.scalar(select(LoanProduct.code).where(LoanProduct.id == customer.product_id))
                    if customer.product_id else None)
    rules = session.scalars(select(AssignmentRule).where(AssignmentRule.active.is_(True))
                            .order_by(AssignmentRule.priority, AssignmentRule.id)).all()
    for rule in rules:
        if not matches(rule, customer, product_code):
            continue
        # the rule row is the round-robin pointer: lock it so concurrent leads take turns
        locked = select(AssignmentRule).where(AssignmentRule.id == rule.id).execution_options(populate_existing=True)
        locked = locked.with_for_update()
        rule = session.scalars(locked).one()
        for employee in _candidates(session, rule):
            if not _still_below_cap(session, rule, employee):
                continue
            if rule.strategy == Strategy.round_robin:
                rule.last_employee_id = employee.id
            customer_service.set_owner(
                session, customer, employee.id, kind="assigned",
                summary=f"按分配规则「{rule.name}」分配给 {employee.name}",
                data={"rule_id": rule.id, "strategy": rule.strategy.value})
            events.emit(session, CustomerAssigned(customer_id=customer.id, employee_id=employee.id, rule_id=rule.id))
            return employee
        log.info("rule %s matched customer %s but every member is at cap or departed", rule.id, customer.id)
    return None


def assign_to(session: Session, actor: Employee, customer: Customer, employee_id: int) -> Employee:
    """A supervisor hands a lead from the pool (or their scope) to a salesperson by hand."""
    employee = session.get(Employee, employee_id)
    if employee is None or not org_service.can_see_employee(session, actor, employee_id):
        raise ValidationFailed(f"没有编号为 {employee_id} 的员工", field="employee_id")
    if employee.status != EmployeeStatus.active:
        raise ValidationFailed(f"{employee.name} 已离职，不能接收客户", field="employee_id")
    if customer.status == CustomerStatus.merged:
        raise Conflict("该客户已合并到其他记录")
    if customer_service.set_owner(session, customer, employee.id, kind="assigned",
                                  summary=f"{actor.name} 将客户分配给 {employee.name}",
                                  data={"manual": True}, actor_employee_id=actor.id):
        events.emit(session, CustomerAssigned(customer_id=customer.id, employee_id=employee.id, rule_id=None))
    return employee


def assign_pool(session: Session, limit: int = 500) -> int:
    """Try the rules again on unowned active leads (oldest first), e.g. after a cap frees up; returns how many got one."""
    ids = session.scalars(select(Customer.id).where(Customer.owner_id.is_(None),
                                                    Customer.status == CustomerStatus.active)
                          .order_by(Customer.created_at, Customer.id).limit(limit)).all()
    done = 0
    for customer_id in ids:
        if assign(session, session.get(Customer, customer_id)) is not None:
            done += 1
    return done


def enter_customer(session: Session, actor: Employee, **fields: Any) -> Customer:
    """A customer entered by staff (``customer_service.create_customer``); one nobody owns is dealt by the
    assignment rules at once (or waits in the pool)."""
    customer = customer_service.create_customer(session, actor, **fields)
    if customer.owner_id is None:
        assign(session, customer)
    return customer
