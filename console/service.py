"""The console's read models: what a page shows, gathered through the owning modules' service functions
and scope conditions in a few queries. No FastAPI here; nothing is written except inside a rolled-back
savepoint (the rule preview)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from scrm.assignment import service as assignment_service
from scrm.assignment.models import AssignmentRule
from scrm.core.db import is_postgres
from scrm.customers import service as customer_service
from scrm.customers.labels import STAGE_NAMES
from scrm.customers.models import Customer, CustomerStatus, FollowUp, Stage, TimelineEntry
from scrm.handover import service as handover_service
from scrm.org import service as org_service
from scrm.org.models import Department, Employee, EmployeeStatus, Role
from scrm.tagging.models import CustomerProfile, CustomerTag, Tag
from scrm.tagging.rules import shipped_rules

FUNNEL = [Stage.lead, Stage.contacted, Stage.appointment, Stage.signed, Stage.processing, Stage.disbursed,
          Stage.settled]
SAMPLE_SIZE = 200


# ---------------------------------------------------------------------------------------------
# home


def home_tiles(session: Session, viewer: Employee) -> list[dict[str, Any]]:
    """The few numbers on the home page, within the viewer's scope."""
    scope = [customer_service.visible_condition(session, viewer), customer_service.not_merged()]
    mine, open_leads = session.execute(select(
        func.count(), func.sum(case((Customer.stage.in_(customer_service.OPEN_STAGES), 1), else_=0)))
        .where(*scope)).one()
    tiles = [{"label": "我能看到的客户", "value": f"{mine or 0:,}", "path": "/customers"},
             {"label": "在跟线索（未签约）", "value": f"{open_leads or 0:,}", "path": "/customers?stage=lead"}]
    if viewer.role in (Role.manager, Role.admin):
        cases = handover_service.list_cases(session, viewer, open_only=True)
        tiles.append({"label": "进行中的交接", "value": str(len(cases)), "path": "/handover"})
    return tiles


# ---------------------------------------------------------------------------------------------
# customers


def tag_condition(session: Session, tag: str) -> ColumnElement[bool]:
    """Customers carrying ``tag``: in their profile (画像) or set by hand on WeCom."""
    if is_postgres(session):
        in_profile = type_coerce(CustomerProfile.tags, JSONB).contains([tag])
    else:
        in_profile = type_coerce(CustomerProfile.tags, String).like(f"%{json.dumps(tag)}%")
    by_hand = select(CustomerTag.customer_id).join(Tag, Tag.id == CustomerTag.tag_id).where(Tag.name == tag)
    return or_(Customer.id.in_(select(CustomerProfile.customer_id).where(in_profile)), Customer.id.in_(by_hand))


def tag_names(session: Session) -> list[str]:
    """Tags offered in the search: the pipeline's vocabulary and the WeCom catalogue."""
    names = list(shipped_rules().vocabulary_order)
    for name in session.scalars(select(Tag.name).where(Tag.deleted.is_(False)).order_by(Tag.name)):
        if name not in names:
            names.append(name)
    return names


def profile_tags(session: Session, customer_ids: list[int]) -> dict[int, list[str]]:
    if not customer_ids:
        return {}
    return dict(session.execute(select(CustomerProfile.customer_id, CustomerProfile.tags)
                                .where(CustomerProfile.customer_id.in_(customer_ids))).all())


def owner_choices(session: Session, viewer: Employee) -> list[tuple[int, str]]:
    """Employees whose customers the viewer may see (for the owner filter and pickers)."""
    condition = org_service.owner_filter(session, viewer, Employee.id)
    return [(i, n + ("（已离职）" if s != EmployeeStatus.active else "")) for i, n, s in session.execute(
        select(Employee.id, Employee.name, Employee.status).where(condition).order_by(Employee.status, Employee.name)
        .limit(500))]


def active_staff_choices(session: Session, viewer: Employee) -> list[tuple[int, str]]:
    condition = org_service.owner_filter(session, viewer, Employee.id)
    return list(session.execute(select(Employee.id, Employee.name).where(
        condition, Employee.status == EmployeeStatus.active).order_by(Employee.name).limit(500)).all())


@dataclass
class TagView:
    name: str
    source: str  # 画像 | 企微手动
    evidence: dict | None


def customer_tags(session: Session, customer_id: int, profile: CustomerProfile | None) -> list[TagView]:
    out = [TagView(t, "画像", (profile.evidence or {}).get(t)) for t in (profile.tags if profile else [])]
    seen = {t.name for t in out}
    for name, source in session.execute(select(Tag.name, CustomerTag.source).join(Tag, Tag.id == CustomerTag.tag_id)
                                        .where(CustomerTag.customer_id == customer_id).order_by(Tag.name)):
        if name not in seen:
            seen.add(name)
            out.append(TagView(name, "企微手动" if source == "wecom_manual" else source, None))
    return out


def count_follow_ups(session: Session, customer_id: int) -> int:

    return session.scalar(select(func.count()).where(FollowUp.customer_id == customer_id)) or 0


def count_timeline(session: Session, customer_id: int) -> int:

    return session.scalar(select(func.count()).where(TimelineEntry.customer_id == customer_id)) or 0


def employee_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(ids))).all())


# ---------------------------------------------------------------------------------------------
# assignment-rule preview


@dataclass
class RulePreview:
    sample: int
    matched: int
    taken: int
    shadowed_by: dict[str, int]
    rows: list[dict[str, Any]]
    team: list[str]


def preview_assignment_rule(session: Session, viewer: Employee, rule_id: int | None, data: dict[str, Any]
                            ) -> RulePreview:
    """Validate a rule edit with the assignment service and show which of the latest customers in scope it
    would match, and how many it would get before rules of higher priority; nothing is kept."""
    savepoint = session.begin_nested()
    try:
        if rule_id is None:
            rule = assignment_service.create_rule(session, viewer, **data)
        else:
            rule = assignment_service.update_rule(session, viewer, rule_id, data)
        rules = [r for r in assignment_service.list_rules(session) if r.active or r.id == rule.id]
        customers, _ = customer_service.search(session, viewer, status=CustomerStatus.active, page_size=SAMPLE_SIZE)
        refs = customer_service.refs(session, customers)
        matched, taken, shadowed, rows = 0, 0, {}, []
        for c in customers:
            code = refs.products.get(c.product_id) if c.product_id else None
            hits = [r for r in rules if assignment_service.matches(r, c, code)]
            if rule not in hits:
                continue
            matched += 1
            first = hits[0]
            if first is rule:
                taken += 1
            else:
                shadowed[first.name] = shadowed.get(first.name, 0) + 1
            if len(rows) < 20:
                rows.append({"id": c.id, "name": c.name, "city": c.city or "", "region": c.region or "",
                             "product": code or "", "source": c.source.value,
                             "owner": refs.owners.get(c.owner_id, "") if c.owner_id else "",
                             "by": "本规则" if first is rule else first.name})
        team = list(employee_names(session, set(rule.team_employee_ids)).values())
        return RulePreview(len(customers), matched, taken, shadowed, rows, team)
    finally:
        savepoint.rollback()


def rules_with_team_names(session: Session) -> list[tuple[AssignmentRule, list[str]]]:
    rules = assignment_service.list_rules(session)
    names = employee_names(session, {i for r in rules for i in r.team_employee_ids})
    return [(r, [names.get(i, f"#{i}") for i in r.team_employee_ids]) for r in rules]


# ---------------------------------------------------------------------------------------------
# dashboards


@dataclass
class Period:
    since: datetime
    until: datetime
    center_id: int | None = None
    department_id: int | None = None


def _team_condition(period: Period) -> list[ColumnElement[bool]]:
    if period.department_id:
        departments = select(Department.id).where(or_(Department.id == period.department_id,
                                                      Department.parent_id == period.department_id))
    elif period.center_id:
        departments = select(Department.id).where(Department.center_id == period.center_id)
    else:
        return []
    return [Customer.owner_id.in_(select(Employee.id).where(Employee.department_id.in_(departments)))]


def _customer_filter(session: Session, viewer: Employee, period: Period) -> list[ColumnElement[bool]]:
    return [customer_service.visible_condition(session, viewer), customer_service.not_merged(),
            Customer.created_at >= period.since, Customer.created_at < period.until, *_team_condition(period)]


def stage_counts(session: Session, viewer: Employee, period: Period) -> list[tuple[int | None, Stage, int]]:
    """(owner id, stage, customers) for the customers created in the period: one scan serves the funnel and
    both rankings."""
    return [(o, st, int(n)) for o, st, n in session.execute(
        select(Customer.owner_id, Customer.stage, func.count()).where(*_customer_filter(session, viewer, period))
        .group_by(Customer.owner_id, Customer.stage))]


def funnel(counts: list[tuple[int | None, Stage, int]]) -> list[tuple[str, int, int]]:
    """(stage name, customers now at the stage, customers that reached it); lost ones count only as lost,
    since how far they got is not recorded."""
    now_at: dict[Stage, int] = {}
    for _, stage, n in counts:
        now_at[stage] = now_at.get(stage, 0) + n
    out, reached = [], sum(now_at.get(s, 0) for s in FUNNEL)
    for stage in FUNNEL:
        out.append((STAGE_NAMES[stage], now_at.get(stage, 0), reached))
        reached -= now_at.get(stage, 0)
    out.append((STAGE_NAMES[Stage.lost], now_at.get(Stage.lost, 0), now_at.get(Stage.lost, 0)))
    return out


def channels(session: Session, viewer: Employee, period: Period) -> list:
    return [s for s in customer_service.channel_stats(session, viewer, since=period.since, until=period.until)
            if s.adds or s.customers]


def rankings(session: Session, counts: list[tuple[int | None, Stage, int]], limit: int = 10
             ) -> tuple[list[tuple[str, str, int, int]], list[tuple[str, int, int]]]:
    """Employees (name, team, leads, conversions) and teams (name, leads, conversions), most leads first."""
    per_owner: dict[int, list[int]] = {}
    for owner, stage, n in counts:
        if owner is not None:
            totals = per_owner.setdefault(owner, [0, 0])
            totals[0] += n
            totals[1] += n if stage in customer_service.CONVERTED_STAGES else 0
    if not per_owner:
        return [], []
    rows = session.execute(select(Employee.id, Employee.name, Department.id, Department.name)
                           .outerjoin(Department, Department.id == Employee.department_id)
                           .where(Employee.id.in_(list(per_owner)))).all()
    people, teams = [], {}
    for employee_id, name, team_id, team in rows:
        leads, converted = per_owner[employee_id]
        people.append((name, team or "", leads, converted))
        if team_id is not None:
            t = teams.setdefault(team_id, [team, 0, 0])
            t[1] += leads
            t[2] += converted
    people.sort(key=lambda p: (-p[2], p[0]))
    team_rows = sorted(((t[0], t[1], t[2]) for t in teams.values()), key=lambda t: (-t[1], t[0]))
    return people[:limit], team_rows[:limit]


def customer_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all())
