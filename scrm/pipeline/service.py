"""The sales pipeline (销售流程): stages are rows a manager edits; each customer stands in one of them.

A customer moved at least once, or created since the pipeline exists, has a ``customer_pipeline`` row. One from
before it has none and is *placed* by their lifecycle stage (``customer.stage``): in the first stage (by position)
standing for it, else the last stage standing for an earlier lifecycle stage, else the first stage. Lost customers
(已流失) are off the board. Every stay is a ``pipeline_stay`` row, from which time in each stage is read.

A person moving a customer must meet the target stage's entry requirements (a 409 listing what is missing);
signing an order and disbursing a loan move the customer forward without them (``on_order_signed``,
``on_loan_disbursed``, subscribed by the composition root). A stay longer than the stage's SLA makes an SOP task
(``stage_sla``) for the step's owner, and past twice the SLA one for that owner's supervisor: once per
(customer, stay, level), however many schedulers run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, func, literal, null, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.core.db import insert_ignore, utcnow
from scrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.labels import ATTACHMENT_KIND_NAMES, STAGE_NAMES
from scrm.customers.models import Customer, CustomerStatus, LoanProduct, Stage
from scrm.org.labels import ROLE_NAMES
from scrm.org.models import Department, Employee, EmployeeStatus, Role
from scrm.pipeline.events import StageSlaBreached
from scrm.pipeline.labels import OWNER_KIND_NAMES, REQUIREMENT_NAMES, SOURCE_NAMES
from scrm.pipeline.models import CustomerPipeline, OwnerKind, PipelineStage, PipelineStay
from scrm.pipeline.schemas import MoveIn, StageIn, StagePatch
from scrm.risk import service as risk_service
from scrm.sop import service as sop_service

BOARD_CUSTOMERS = 20
ESCALATION_BATCH = 1000
EDITORS = (Role.manager, Role.admin)
_cp = CustomerPipeline.__table__


# the standard eight steps (the migration made them): key, name, lifecycle stage, owner kind, owner role, SLA hours,
# entry requirements
DEFAULT_STAGES = [
    ("lead_entry", "线索录入", Stage.lead, OwnerKind.salesperson, None, 24, []),
    ("assignment", "客户分配", Stage.lead, OwnerKind.role, "supervisor", 24, []),
    ("qualification", "资质初审", Stage.contacted, OwnerKind.salesperson, None, 48, [{"kind": "product_chosen"}]),
    ("plan_matching", "方案匹配", Stage.appointment, OwnerKind.salesperson, None, 72, [{"kind": "product_chosen"}]),
    ("risk_review", "风控复审", Stage.appointment, OwnerKind.role, "supervisor", 48,
     [{"kind": "product_chosen"}, {"kind": "materials_complete"}, {"kind": "min_score", "value": 60}]),
    ("contract", "合同签署", Stage.signed, OwnerKind.salesperson, None, 72, [{"kind": "materials_complete"}]),
    ("disbursement", "放款", Stage.disbursed, OwnerKind.role, "processor", 168, []),
    ("post_loan", "贷后跟踪", Stage.disbursed, OwnerKind.salesperson, None, None, []),
]


class RequirementsMissing(Conflict):
    code = "requirements_missing"


# ---------------------------------------------------------------------------------------------
# stages


def list_stages(session: Session) -> list[PipelineStage]:
    """Every stage in board order."""
    session.flush()
    return list(session.scalars(select(PipelineStage).order_by(PipelineStage.position, PipelineStage.id)))


def seed_stages(session: Session) -> list[PipelineStage]:
    """The standard eight stages when there are none (the tests call this after emptying the tables)."""
    stages = list_stages(session)
    if stages:
        return stages
    now = utcnow()
    session.add_all([PipelineStage(key=key, name=name, position=n, lifecycle_stage=life, owner_kind=kind,
                                   owner_role=role, sla_hours=sla, requirements=reqs, created_at=now, updated_at=now)
                     for n, (key, name, life, kind, role, sla, reqs) in enumerate(DEFAULT_STAGES, start=1)])
    return list_stages(session)


def get_stage(session: Session, stage_id: int, *, field: str | None = None) -> PipelineStage:
    stage = session.get(PipelineStage, stage_id)
    if stage is None:
        if field:
            raise ValidationFailed(f"没有编号为 {stage_id} 的流程阶段", field=field)
        raise NotFound(f"没有编号为 {stage_id} 的流程阶段")
    return stage


def owner_name(session: Session, stage: PipelineStage) -> str:
    if stage.owner_kind == OwnerKind.role:
        return ROLE_NAMES.get(Role(stage.owner_role), stage.owner_role or "") if stage.owner_role else "未指定角色"
    if stage.owner_kind == OwnerKind.employee:
        name = session.scalar(select(Employee.name).where(Employee.id == stage.owner_employee_id))
        return name or "未指定人员"
    return OWNER_KIND_NAMES[OwnerKind.salesperson]


def requirement_text(req: dict) -> str:
    if req["kind"] == "min_score":
        return f"资质评分 ≥ {req['value']}"
    return REQUIREMENT_NAMES[req["kind"]]


def stage_view(session: Session, stage: PipelineStage) -> dict:
    """A stage as the API and the pages show it, with the Chinese names."""
    return {"id": stage.id, "key": stage.key, "name": stage.name, "position": stage.position,
            "lifecycle_stage": stage.lifecycle_stage, "lifecycle_stage_name": STAGE_NAMES[stage.lifecycle_stage],
            "owner_kind": stage.owner_kind, "owner_kind_name": OWNER_KIND_NAMES[stage.owner_kind],
            "owner_role": stage.owner_role, "owner_employee_id": stage.owner_employee_id,
            "owner_name": owner_name(session, stage), "sla_hours": stage.sla_hours,
            "requirements": stage.requirements or [],
            "requirement_names": [requirement_text(r) for r in stage.requirements or []]}


def require_editor(actor: Employee) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("只有经理或管理员可以编辑销售流程")


def _check_owner(session: Session, kind: OwnerKind, role: Role | None, employee_id: int | None) -> None:
    if kind == OwnerKind.role and role is None:
        raise ValidationFailed("负责人为指定角色时请选择角色", field="owner_role")
    if kind == OwnerKind.employee:
        if employee_id is None:
            raise ValidationFailed("负责人为指定人员时请选择人员", field="owner_employee_id")
        employee = session.get(Employee, employee_id)
        if employee is None or employee.status != EmployeeStatus.active:
            raise ValidationFailed(f"没有在职的员工 {employee_id}", field="owner_employee_id")


def _check_requirements(requirements: list) -> list[dict]:
    out, seen = [], set()
    for i, req in enumerate(requirements):
        if req.kind in seen:
            raise ValidationFailed(f"进入条件「{REQUIREMENT_NAMES[req.kind]}」重复", field=f"requirements[{i}].kind")
        seen.add(req.kind)
        if req.kind == "min_score":
            if req.value is None:
                raise ValidationFailed("资质评分条件需要分数（0–100）", field=f"requirements[{i}].value")
            out.append({"kind": req.kind, "value": req.value})
        else:
            if req.value is not None:
                raise ValidationFailed(f"「{REQUIREMENT_NAMES[req.kind]}」不带分数", field=f"requirements[{i}].value")
            out.append({"kind": req.kind})
    return out


def _unique_name(session: Session, name: str, stage_id: int | None = None) -> None:
    other = session.scalars(select(PipelineStage).where(PipelineStage.name == name)).first()
    if other is not None and other.id != stage_id:
        raise Conflict(f"已有名为「{name}」的流程阶段", field="name")


def _place_at(session: Session, stage: PipelineStage, position: int | None) -> None:
    """Put ``stage`` at ``position`` (1-based; None: where it is, or last) and number every stage 1, 2, 3 …"""
    others = [s for s in list_stages(session) if s.id != stage.id]
    at = len(others) if position is None and stage.position is None else (position or stage.position) - 1
    others.insert(max(0, min(at, len(others))), stage)
    for n, s in enumerate(others, start=1):
        s.position = n
    session.flush()


def _save(session: Session, stage: PipelineStage) -> None:
    try:
        with session.begin_nested():  # the same name or key written twice at once: the second is a 409, not a 500
            session.flush()
    except IntegrityError:
        raise Conflict(f"已有名为「{stage.name}」或代码为 {stage.key} 的流程阶段", field="name") from None


def create_stage(session: Session, actor: Employee, command: StageIn) -> PipelineStage:
    """Add a stage; the others are renumbered around its position."""
    require_editor(actor)
    name = command.name.strip()
    _unique_name(session, name)
    if command.key and session.scalars(select(PipelineStage).where(PipelineStage.key == command.key)).first():
        raise Conflict(f"已有代码为 {command.key} 的流程阶段", field="key")
    _check_owner(session, command.owner_kind, command.owner_role, command.owner_employee_id)
    requirements = _check_requirements(command.requirements)
    now = utcnow()
    stage = PipelineStage(
        key=command.key or f"stage_{int(now.timestamp() * 1000) % 10 ** 12}", name=name, position=None,
        lifecycle_stage=command.lifecycle_stage, owner_kind=command.owner_kind,
        owner_role=command.owner_role.value if command.owner_kind == OwnerKind.role else None,
        owner_employee_id=command.owner_employee_id if command.owner_kind == OwnerKind.employee else None,
        sla_hours=command.sla_hours, requirements=requirements, created_at=now, updated_at=now)
    session.add(stage)
    stage.position = 10_000
    _save(session, stage)
    _place_at(session, stage, command.position)
    return stage


def update_stage(session: Session, actor: Employee, stage_id: int, command: StagePatch) -> PipelineStage:
    """Change a stage: only the fields sent."""
    require_editor(actor)
    stage = get_stage(session, stage_id)
    changes = command.changes()
    if changes.get("name") is not None:
        changes["name"] = changes["name"].strip()
        _unique_name(session, changes["name"], stage.id)
        stage.name = changes["name"]
    if changes.get("lifecycle_stage") is not None:
        stage.lifecycle_stage = Stage(changes["lifecycle_stage"])
    kind = OwnerKind(changes.get("owner_kind") or stage.owner_kind)
    role = changes["owner_role"] if "owner_role" in changes else (Role(stage.owner_role) if stage.owner_role else None)
    employee_id = changes.get("owner_employee_id", stage.owner_employee_id)
    if {"owner_kind", "owner_role", "owner_employee_id"} & changes.keys():
        _check_owner(session, kind, role, employee_id)
        stage.owner_kind = kind
        stage.owner_role = Role(role).value if kind == OwnerKind.role else None
        stage.owner_employee_id = employee_id if kind == OwnerKind.employee else None
    if "sla_hours" in changes:
        stage.sla_hours = changes["sla_hours"]
    if changes.get("requirements") is not None:
        stage.requirements = _check_requirements(command.requirements or [])
    stage.updated_at = utcnow()
    _save(session, stage)
    if changes.get("position") is not None:
        _place_at(session, stage, changes["position"])
    return stage


def delete_stage(session: Session, actor: Employee, stage_id: int) -> None:
    """Remove a stage that holds no customer; its past stays keep its name."""
    require_editor(actor)
    stage = get_stage(session, stage_id)
    stages = list_stages(session)
    if len(stages) == 1:
        raise Conflict("销售流程至少要有一个阶段")
    held = session.scalar(select(func.count()).select_from(CustomerPipeline)
                          .where(CustomerPipeline.stage_id == stage.id)) or 0
    implicit = [s for s, sid in implicit_map(stages).items() if sid == stage.id]
    if implicit:
        held += session.scalar(select(func.count()).select_from(Customer).outerjoin(
            CustomerPipeline, CustomerPipeline.customer_id == Customer.id).where(
            CustomerPipeline.customer_id.is_(None), Customer.status == CustomerStatus.active,
            Customer.stage.in_(implicit))) or 0
    if held:
        raise Conflict(f"阶段「{stage.name}」还有 {held} 位客户，请先移走再删除", held=held)
    session.execute(update(PipelineStay).where(PipelineStay.stage_id == stage.id).values(stage_id=None))
    session.delete(stage)
    session.flush()
    for n, s in enumerate([s for s in stages if s.id != stage.id], start=1):
        s.position = n
    session.flush()


# ---------------------------------------------------------------------------------------------
# where a customer stands


def implicit_map(stages: list[PipelineStage]) -> dict[Stage, int]:
    """The stage a customer without a row stands in, for each lifecycle stage but lost."""
    order = customer_service.STAGE_ORDER
    out = {}
    for lifecycle in order:
        if lifecycle == Stage.lost or not stages:
            continue
        first = next((s for s in stages if s.lifecycle_stage == lifecycle), None)
        earlier = [s for s in stages if order.index(s.lifecycle_stage) < order.index(lifecycle)]
        out[lifecycle] = (first or (earlier[-1] if earlier else stages[0])).id
    return out


def _implicit_stage_sql(stages: list[PipelineStage]) -> ColumnElement:
    mapping = implicit_map(stages)
    return case(*[(Customer.stage == lifecycle, sid) for lifecycle, sid in mapping.items()], else_=stages[0].id)


@dataclass
class Placement:
    stage: PipelineStage
    entered_at: datetime
    row: CustomerPipeline | None


def placement(session: Session, customer: Customer, stages: list[PipelineStage] | None = None) -> Placement:
    stages = stages if stages is not None else list_stages(session)
    if not stages:
        raise Conflict("销售流程还没有阶段")
    row = session.get(CustomerPipeline, customer.id, populate_existing=True)
    if row is not None:
        return Placement(next(s for s in stages if s.id == row.stage_id), row.entered_at, row)
    sid = implicit_map(stages).get(customer.stage, stages[0].id)
    return Placement(next(s for s in stages if s.id == sid), customer.created_at, None)


def missing_requirements(session: Session, customer: Customer, stage: PipelineStage) -> list[dict]:
    """What the customer lacks to enter ``stage``: ``{"code", "message", ...}`` each, in the stage's order."""
    missing = []
    product = session.get(LoanProduct, customer.product_id) if customer.product_id else None
    for req in stage.requirements or []:
        kind = req["kind"]
        if kind == "product_chosen" and product is None:
            missing.append({"code": kind, "message": "未选择贷款产品"})
        elif kind == "materials_complete":
            if product is None:
                missing.append({"code": kind, "message": "未选择贷款产品，无法核对所需资料", "materials": []})
                continue
            form = customer_service.get_form(session, customer.product_form_id)
            required = form.required_materials if form else product.required_materials
            lacking = customer_service.missing_materials(session, customer.id, required)
            if lacking:
                names = "、".join(ATTACHMENT_KIND_NAMES.get(k, k) for k in lacking)
                missing.append({"code": kind, "message": f"资料不全，缺少：{names}", "materials": lacking})
        elif kind == "min_score":
            facts = risk_service.get_facts(session, customer.id)
            score = facts.score if facts else None
            if score is None:
                missing.append({"code": kind, "message": f"尚无资质评分（需 ≥ {req['value']} 分）",
                                "score": None, "required": req["value"]})
            elif score < req["value"]:
                missing.append({"code": kind, "message": f"资质评分 {score} 分，低于 {req['value']} 分",
                                "score": score, "required": req["value"]})
    return missing


def _enter(session: Session, customer: Customer, current: Placement, target: PipelineStage, *,
           by: int | None, source: str) -> CustomerPipeline:
    now = utcnow()
    if current.row is None:
        if current.stage.id != target.id:
            session.add(PipelineStay(customer_id=customer.id, stage_id=current.stage.id,
                                     stage_name=current.stage.name, entered_at=current.entered_at, left_at=now,
                                     source="placed"))
        row = CustomerPipeline(customer_id=customer.id, stage_id=target.id, entered_at=now, moved_by_id=by,
                               escalated=0)
        session.add(row)
    else:
        session.execute(update(PipelineStay).where(PipelineStay.customer_id == customer.id,
                                                   PipelineStay.left_at.is_(None)).values(left_at=now))
        row = current.row
        row.stage_id, row.entered_at, row.moved_by_id, row.escalated = target.id, now, by, 0
    session.add(PipelineStay(customer_id=customer.id, stage_id=target.id, stage_name=target.name, entered_at=now,
                             moved_by_id=by, source=source))
    session.flush()
    customer_service.add_timeline(session, customer.id, "pipeline_moved",
                                  f"销售流程：{current.stage.name} → {target.name}",
                                  {"from": current.stage.id, "to": target.id, "source": source},
                                  actor_employee_id=by)
    order = customer_service.STAGE_ORDER
    lifecycle = target.lifecycle_stage
    # the back-office owns signed and later: a move by hand never takes a customer back out of them
    if lifecycle != customer.stage and (customer.stage in (Stage.lead, Stage.contacted, Stage.appointment, Stage.lost)
                                        or order.index(lifecycle) > order.index(customer.stage)):
        customer_service.set_stage(session, customer.id, lifecycle, actor_employee_id=by,
                                   note=f"阶段：{STAGE_NAMES[customer.stage]} → {STAGE_NAMES[lifecycle]}（销售流程）")
    return row


def move(session: Session, actor: Employee, customer_id: int, command: MoveIn) -> Placement:
    """Move a customer (in the actor's scope) to a stage whose entry requirements they meet."""
    customer_service.get_visible(session, actor, customer_id)
    target = get_stage(session, command.stage_id, field="stage_id")
    customer = customer_service.lock_customer(session, customer_id)
    current = placement(session, customer)
    if current.stage.id == target.id:
        raise Conflict(f"客户已在「{target.name}」阶段", field="stage_id")
    missing = missing_requirements(session, customer, target)
    if missing:
        raise RequirementsMissing(f"进入「{target.name}」的条件未满足：" + "；".join(m["message"] for m in missing),
                                  field="stage_id", missing=missing, stage_id=target.id)
    row = _enter(session, customer, current, target, by=actor.id, source="manual")
    return Placement(target, row.entered_at, row)


def _advance_to(session: Session, customer_id: int, lifecycle: Stage, source: str) -> None:
    """Move the customer forward to the first stage standing for ``lifecycle``; never back, so a replay or a late
    event does nothing. No entry requirement is checked: the back-office's own machine already allowed it."""
    stages = list_stages(session)
    target = next((s for s in stages if s.lifecycle_stage == lifecycle), None)
    customer = customer_service.lock_customer(session, customer_id) if target else None
    if customer is None:
        return
    current = placement(session, customer, stages)
    # a customer only placed by their lifecycle stage (which the back-office just set) gets a recorded stay here
    if current.stage.position > target.position or (current.row is not None and current.stage.id == target.id):
        return
    _enter(session, customer, current, target, by=None, source=source)


def on_order_signed(session: Session, event: events.Event) -> None:
    """Subscriber (``order.signed``): the customer to the contract stage (合同签署)."""
    _advance_to(session, event.customer_id, Stage.signed, "order.signed")


def on_loan_disbursed(session: Session, event: events.Event) -> None:
    """Subscriber (``loan.disbursed``): the customer to the disbursement stage (放款)."""
    _advance_to(session, event.customer_id, Stage.disbursed, "loan.disbursed")


def on_customer_created(session: Session, event: events.Event) -> None:
    """Subscriber (``customer.created``): a new customer's stay starts where their lifecycle stage places them, when
    they were created, so its SLA counts from then."""
    customer = session.get(Customer, event.customer_id)
    stages = list_stages(session)
    if customer is None or not stages or customer.stage == Stage.lost:
        return
    sid = implicit_map(stages).get(customer.stage, stages[0].id)
    if insert_ignore(session, _cp, {"customer_id": customer.id, "stage_id": sid, "entered_at": customer.created_at,
                                    "escalated": 0}, ["customer_id"]) is None:
        return
    stage = next(s for s in stages if s.id == sid)
    session.add(PipelineStay(customer_id=customer.id, stage_id=sid, stage_name=stage.name,
                             entered_at=customer.created_at, source="created"))
    session.flush()


# ---------------------------------------------------------------------------------------------
# the board and time in stage


def _board_filter(session: Session, viewer: Employee, owner_id: int | None) -> list[ColumnElement[bool]]:
    where = [customer_service.visible_condition(session, viewer), Customer.status == CustomerStatus.active]
    if owner_id is not None:
        where.append(Customer.owner_id == owner_id)
    return where


def _hours(since: datetime, until: datetime) -> int:
    return max(0, int((until - since).total_seconds() // 3600))


def board(session: Session, viewer: Employee, *, owner_id: int | None = None,
          per_column: int = BOARD_CUSTOMERS) -> dict:
    """Columns per stage with their counts and the customers longest in each first, in the viewer's scope; active
    customers, the lost ones counted beside the board."""
    stages = list_stages(session)
    where = _board_filter(session, viewer, owner_id)
    now = utcnow()
    counts: dict[Any, int] = {}
    with_row: set[int] = set()  # stages holding customers in scope with a row, and placed by their lifecycle stage
    by_lifecycle: set[int] = set()
    lost = 0
    if stages:
        sid = func.coalesce(CustomerPipeline.stage_id, _implicit_stage_sql(stages))
        placed = CustomerPipeline.customer_id.is_not(None)
        grouped = session.execute(
            select(case((Customer.stage == Stage.lost, null()), else_=sid).label("sid"), placed.label("placed"),
                   func.count())
            .select_from(Customer).outerjoin(CustomerPipeline, CustomerPipeline.customer_id == Customer.id)
            .where(*where).group_by("sid", "placed")).all()
        for stage_id, has_row, n in grouped:
            counts[stage_id] = counts.get(stage_id, 0) + int(n)
            if has_row:
                with_row.add(stage_id)
            else:
                by_lifecycle.add(stage_id)
        lost = counts.pop(None, 0)
    else:
        lost = session.scalar(select(func.count()).select_from(Customer).where(*where, Customer.stage == Stage.lost))
    firsts = _longest_in_stage(session, stages, with_row, by_lifecycle, where, per_column)
    columns = [{"stage": stage, "count": counts.get(stage.id, 0), "rows": firsts.get(stage.id, [])}
               for stage in stages]
    owners = _employee_names(session, {r[2] for c in columns for r in c["rows"]})
    return {"total": sum(c["count"] for c in columns), "lost": lost, "columns": [
        {"stage": stage_view(session, c["stage"]), "count": c["count"], "customers": [
            {"id": r[0], "name": r[1] or "未命名客户", "owner_id": r[2], "owner_name": owners.get(r[2]),
             "entered_at": r[3], "hours_in_stage": _hours(r[3], now)} for r in c["rows"]]} for c in columns]}


def _longest_in_stage(session: Session, stages: list[PipelineStage], with_row: set[int], by_lifecycle: set[int],
                      where: list[ColumnElement[bool]], limit: int) -> dict[int, list[tuple]]:
    """The first ``limit`` customers of each stage by time of entry: those with a row (the index on stage and entry
    time) where the stage has some in scope, and those placed by their lifecycle stage (by creation) where it has
    some, in one UNION ALL statement of per-stage LIMIT queries, merged here."""
    if not with_row and not by_lifecycle:
        return {}
    mapping = implicit_map(stages)
    parts = []
    for stage in stages:
        if stage.id in with_row:
            parts.append(select(literal(stage.id).label("sid"), Customer.id, Customer.name, Customer.owner_id,
                                CustomerPipeline.entered_at.label("since"))
                         .join(CustomerPipeline, CustomerPipeline.customer_id == Customer.id)
                         .where(*where, CustomerPipeline.stage_id == stage.id, Customer.stage != Stage.lost)
                         .order_by(CustomerPipeline.entered_at, Customer.id).limit(limit).subquery())
        lifecycles = [lifecycle for lifecycle, sid in mapping.items() if sid == stage.id]
        if lifecycles and stage.id in by_lifecycle:
            parts.append(select(literal(stage.id).label("sid"), Customer.id, Customer.name, Customer.owner_id,
                                Customer.created_at.label("since"))
                         .outerjoin(CustomerPipeline, CustomerPipeline.customer_id == Customer.id)
                         .where(*where, CustomerPipeline.customer_id.is_(None), Customer.stage.in_(lifecycles))
                         .order_by(Customer.created_at, Customer.id).limit(limit).subquery())
    selects = [select(*part.c) for part in parts]
    out: dict[int, list[tuple]] = {}
    for sid, *row in session.execute(union_all(*selects) if len(selects) > 1 else selects[0]):
        out.setdefault(sid, []).append(tuple(row))
    return {sid: sorted(rows, key=lambda r: (r[3], r[0]))[:limit] for sid, rows in out.items()}


def _employee_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(ids))).all()) if ids else {}


def history(session: Session, viewer: Employee, customer_id: int) -> dict:
    """The customer's stays, oldest first, and the hours spent in each stage."""
    customer = customer_service.get_visible(session, viewer, customer_id)
    stages = list_stages(session)
    current = placement(session, customer, stages)
    now = utcnow()
    stays = list(session.scalars(select(PipelineStay).where(PipelineStay.customer_id == customer.id)
                                 .order_by(PipelineStay.entered_at, PipelineStay.id)))
    rows = [{"stage_id": s.stage_id, "stage_name": s.stage_name, "entered_at": s.entered_at, "left_at": s.left_at,
             "moved_by_id": s.moved_by_id, "source": s.source} for s in stays]
    if current.row is None:
        rows.append({"stage_id": current.stage.id, "stage_name": current.stage.name, "entered_at": current.entered_at,
                     "left_at": None, "moved_by_id": None, "source": "placed"})
    names = _employee_names(session, {r["moved_by_id"] for r in rows})
    totals: dict[str, int] = {}
    for r in rows:
        r["hours"] = _hours(r["entered_at"], r["left_at"] or now)
        r["moved_by_name"] = names.get(r["moved_by_id"]) if r["moved_by_id"] else None
        r["source_name"] = SOURCE_NAMES.get(r["source"], r["source"])
        totals[r["stage_name"]] = totals.get(r["stage_name"], 0) + r["hours"]
    position = {s.name: s.position for s in stages}
    ordered = sorted(totals.items(), key=lambda kv: (position.get(kv[0], 10_000), kv[0]))
    return {"customer_id": customer.id, "current_stage": stage_view(session, current.stage),
            "entered_at": current.entered_at, "stays": rows,
            "time_in_stage": [{"stage_name": name, "hours": hours} for name, hours in ordered]}


# ---------------------------------------------------------------------------------------------
# SLA escalations


def step_owner(session: Session, stage: PipelineStage, customer_owner_id: int | None,
               cache: dict | None = None) -> int | None:
    """Who owns the step for this customer: their salesperson, the named person, or an active employee of the
    stage's role in the salesperson's department, else their centre, else anywhere (the lowest id)."""
    if stage.owner_kind == OwnerKind.salesperson:
        return customer_owner_id
    if stage.owner_kind == OwnerKind.employee:
        return stage.owner_employee_id
    cache = {} if cache is None else cache
    key = (stage.owner_role, customer_owner_id)
    if key not in cache:
        base = select(Employee.id).where(Employee.role == stage.owner_role, Employee.status == EmployeeStatus.active)
        owner = session.get(Employee, customer_owner_id) if customer_owner_id else None
        found = None
        if owner is not None and owner.department_id is not None:
            found = session.scalar(base.where(Employee.department_id == owner.department_id)
                                   .order_by(Employee.id).limit(1))
            if found is None:
                center = session.scalar(select(Department.center_id).where(Department.id == owner.department_id))
                if center is not None:
                    found = session.scalar(base.join(Department, Department.id == Employee.department_id)
                                           .where(Department.center_id == center).order_by(Employee.id).limit(1))
        cache[key] = found if found is not None else session.scalar(base.order_by(Employee.id).limit(1))
    return cache[key]


def supervisor_of(session: Session, employee_id: int | None) -> Employee | None:
    """Whom an escalation goes to past the step's owner: their department's supervisor (``sop``'s rule), or, when the
    owner is that supervisor, a manager of their centre."""
    found = sop_service.supervisor_of(session, employee_id)
    if found is None or found.id != employee_id:
        return found
    center = session.scalar(select(Department.center_id).join(Employee, Employee.department_id == Department.id)
                            .where(Employee.id == employee_id))
    return session.scalars(select(Employee).join(Department, Department.id == Employee.department_id).where(
        Employee.status == EmployeeStatus.active, Employee.role == Role.manager, Department.center_id == center)
        .order_by(Employee.id)).first() if center is not None else None


def escalate(session: Session, now: datetime | None = None, *, limit: int = ESCALATION_BATCH) -> dict[str, int]:
    """Periodic: an SOP task for each stay past its stage's SLA (level 1, to the step's owner) and past twice it
    (level 2, to that owner's supervisor). Safe to run any number of times at once: a task's key is
    (customer, stage, entry, level), inserted once."""
    now = now or utcnow()
    made = {"level1": 0, "level2": 0}
    cache: dict = {}
    for level in (1, 2):
        for stage in [s for s in list_stages(session) if s.sla_hours]:
            cutoff = now - timedelta(hours=stage.sla_hours * level)
            late = session.execute(
                select(CustomerPipeline.customer_id, CustomerPipeline.entered_at, Customer.owner_id, Customer.name)
                .join(Customer, Customer.id == CustomerPipeline.customer_id)
                .where(CustomerPipeline.stage_id == stage.id, CustomerPipeline.entered_at < cutoff,
                       CustomerPipeline.escalated < level, Customer.status == CustomerStatus.active,
                       Customer.stage != Stage.lost, risk_service.not_in_reject_pool(CustomerPipeline.customer_id))
                .order_by(CustomerPipeline.entered_at, CustomerPipeline.customer_id).limit(limit)).all()
            if not late:
                continue
            tasks, owners = [], {}
            for customer_id, entered_at, owner_id, name in late:
                owner = step_owner(session, stage, owner_id, cache)
                supervisor = supervisor_of(session, owner) if level == 2 else None
                owners[customer_id] = owner
                title = (f"阶段超时：「{name or '未命名客户'}」在「{stage.name}」已超过 {stage.sla_hours} 小时"
                         if level == 1 else
                         f"阶段超时升级：「{name or '未命名客户'}」在「{stage.name}」已超过 {stage.sla_hours * 2} 小时")
                tasks.append({"key": f"stage_sla:{customer_id}:{stage.id}:{int(entered_at.timestamp())}:{level}",
                              "kind": "stage_sla", "customer_id": customer_id, "due_at": now, "title": title[:200],
                              "assignee_employee_id": owner if level == 1 else (supervisor.id if supervisor else None)})
            new_ids = sop_service.add_tasks(session, tasks)
            session.execute(_cp.update().where(_cp.c.customer_id == bindparam("cid"),
                                               _cp.c.entered_at == bindparam("at"), _cp.c.escalated < level)
                            .values(escalated=level), [{"cid": c, "at": at} for c, at, *_ in late])
            for task in sop_service.tasks_by_id(session, new_ids):
                events.emit(session, StageSlaBreached(
                    task_id=task.id, customer_id=task.customer_id, stage_name=stage.name, level=level,
                    sla_hours=stage.sla_hours, owner_employee_id=owners.get(task.customer_id),
                    assignee_employee_id=task.assignee_employee_id))
            made[f"level{level}"] += len(new_ids)
    return made
