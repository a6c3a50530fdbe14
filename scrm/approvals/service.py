"""Approval flows: their definitions, instances moving step by step through one ``Machine``, the decisions, and the
WeCom template cards an approver acts from.

An instance keeps the steps its flow had when it began. A step applies or is skipped when the instance reaches it
(an amount threshold, "only when a risk rule routed it"); the ``waiting_*`` columns then say who it waits for. Acting
locks the instance row first (PostgreSQL; SQLite runs one writer at a time), so of two approvers pressing at once
exactly one decision applies and the other gets a 409 naming who decided; a unique (instance, round, step) on the
decisions holds that even without the lock.
"""

from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from scrm.approvals.events import ApprovalFinished
from scrm.approvals.labels import ACTION_NAMES, DONE_NAMES, STATUS_NAMES, SUBJECT_NAMES, VIA_NAMES
from scrm.approvals.models import (ALL_PRODUCTS, ApprovalCard, ApprovalDecision, ApprovalFlow, ApprovalInstance,
                                   ApprovalStatus)
from scrm.approvals.schemas import ActIn, FlowIn, FlowPatch, StepIn, SubmitIn
from scrm.core import crypto, events, jobs
from scrm.core.config import get_settings
from scrm.core.db import insert_ignore, utcnow
from scrm.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from scrm.core.money import from_fen
from scrm.core.statemachine import Change, Machine
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, LoanProduct
from scrm.org import service as org_service
from scrm.org.labels import ROLE_NAMES
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.risk.events import RiskNotice
from scrm.risk.service import routing as risk_routing
from scrm.wecom.client import WecomError, get_client

log = logging.getLogger(__name__)

A = ApprovalStatus
EDITORS = (Role.manager, Role.admin)
SUPERVISING = (Role.supervisor, Role.manager, Role.admin)
MAX_ROLE_RECIPIENTS = 20
PENDING_LIMIT = 200
OPEN = (A.pending, A.returned)


def _store(session: Session, change: Change) -> None:
    data = change.data
    session.add(ApprovalDecision(instance_id=change.entity_id, round=data.get("round", 1), step=data.get("step"),
                                 step_name=data.get("step_name"), actor_id=change.actor_id,
                                 action=data.get("decision", change.action), comment=change.note,
                                 via=data.get("via", "console"), at=utcnow()))


def _stamp(instance: ApprovalInstance, status: ApprovalStatus) -> None:
    if status == A.pending:
        instance.finished_at = None
    else:
        instance.finished_at = utcnow()
        instance.waiting_kind = instance.waiting_role = instance.waiting_employee_id = None


MACHINE = Machine("approval", "审批", {
    (A.pending, "approve_step"): A.pending,  # a step approved, the next one waits
    (A.pending, "approve"): A.approved,  # the last step approved
    (A.pending, "reject"): A.rejected,
    (A.pending, "return"): A.returned,
    (A.returned, "resubmit"): A.pending,
    (A.pending, "cancel"): A.cancelled,
    (A.returned, "cancel"): A.cancelled,
}, _store, state_labels=STATUS_NAMES, action_labels=ACTION_NAMES, on_enter=_stamp)

FinishHandler = Callable[[Session, ApprovalInstance, "int | None"], object]
_finish_handlers: dict[str, list[FinishHandler]] = {}


def on_finished(subject_kind: str, *handlers: FinishHandler) -> None:
    """Call ``handlers`` inside the deciding transaction when an instance of ``subject_kind`` is approved, rejected or
    returned (the order's review on an approved contract); the composition root installs them."""
    listed = _finish_handlers.setdefault(subject_kind, [])
    listed.extend(h for h in handlers if h not in listed)


# ---------------------------------------------------------------------------------------------
# flows

DEFAULT_FLOWS = {
    "application": ("贷款申请审批", [
        {"name": "资质初审", "approver": {"kind": "supervisor"}},
        {"name": "风控复审", "approver": {"kind": "routed"}, "only_when_routed": True}]),
    "contract": ("合同审核", [{"name": "主管审核", "approver": {"kind": "supervisor"}}]),
}


def ensure_default_flows(session: Session) -> None:
    """The flows for every product, made once however many processes ask at the same time."""
    for kind, (name, steps) in DEFAULT_FLOWS.items():
        insert_ignore(session, ApprovalFlow.__table__,
                      {"subject_kind": kind, "product_code": ALL_PRODUCTS, "name": name, "steps": steps,
                       "active": True, "version": 1, "updated_at": utcnow()}, ["subject_kind", "product_code"])


def flow_for(session: Session, subject_kind: str, product_code: str | None) -> ApprovalFlow:
    """The product's own active flow, else the one for every product."""
    codes = [c for c in (product_code, ALL_PRODUCTS) if c]
    stmt = select(ApprovalFlow).where(ApprovalFlow.subject_kind == subject_kind, ApprovalFlow.product_code.in_(codes))
    flows = {f.product_code: f for f in session.scalars(stmt)}
    if ALL_PRODUCTS not in flows:
        ensure_default_flows(session)
        flows = {f.product_code: f for f in session.scalars(stmt)}
    own = flows.get(product_code or "")
    return own if own is not None and own.active else flows[ALL_PRODUCTS]


def list_flows(session: Session) -> list[ApprovalFlow]:
    ensure_default_flows(session)
    return list(session.scalars(select(ApprovalFlow).order_by(ApprovalFlow.subject_kind, ApprovalFlow.product_code)))


def get_flow(session: Session, flow_id: int) -> ApprovalFlow:
    flow = session.get(ApprovalFlow, flow_id)
    if flow is None:
        raise NotFound(f"没有编号为 {flow_id} 的审批流")
    return flow


def require_editor(actor: Employee) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("只有经理和管理员可以设置审批流")


def _check_steps(session: Session, subject_kind: str, steps: list[StepIn]) -> list[dict]:
    out, names = [], set()
    for i, step in enumerate(steps):
        at, approver = f"steps.{i}", step.approver
        if step.name in names:
            raise ValidationFailed(f"步骤名称「{step.name}」重复", field=f"{at}.name")
        names.add(step.name)
        if (approver.kind == "role") != (approver.role is not None):
            raise ValidationFailed("按角色审批时写 role，其他审批人不写 role", field=f"{at}.approver.role")
        if (approver.kind == "employee") != (approver.employee_id is not None):
            raise ValidationFailed("指定人员审批时写 employee_id，其他审批人不写", field=f"{at}.approver.employee_id")
        if approver.kind == "employee":
            employee = session.get(Employee, approver.employee_id)
            if employee is None or employee.status != EmployeeStatus.active:
                raise ValidationFailed(f"没有在职的员工 #{approver.employee_id}", field=f"{at}.approver.employee_id")
        if subject_kind != "application" and (approver.kind == "routed" or step.only_when_routed):
            raise ValidationFailed("只有贷款申请会被风控规则流转；合同审核不能用规则流转的审批人或「仅规则流转时」",
                                   field=f"{at}.approver.kind" if approver.kind == "routed" else f"{at}.only_when_routed")
        item: dict = {"name": step.name, "approver": {"kind": approver.kind}}
        if approver.role is not None:
            item["approver"]["role"] = approver.role.value
        if approver.employee_id is not None:
            item["approver"]["employee_id"] = approver.employee_id
        if step.min_amount_fen is not None:
            item["min_amount_fen"] = step.min_amount_fen
        if step.only_when_routed:
            item["only_when_routed"] = True
        out.append(item)
    return out


def create_flow(session: Session, actor: Employee, command: FlowIn) -> ApprovalFlow:
    """A flow for a product (or for every product, replacing the default's steps)."""
    require_editor(actor)
    code = command.product_code or ALL_PRODUCTS
    if command.product_code is not None and customer_service.get_product(session, command.product_code) is None:
        raise ValidationFailed(f"没有代码为 {command.product_code} 的产品", field="product_code")
    steps = _check_steps(session, command.subject_kind, command.steps)
    if code == ALL_PRODUCTS and not command.active:
        raise ValidationFailed("适用于全部产品的审批流不能停用", field="active")
    ensure_default_flows(session)
    existing = session.scalars(select(ApprovalFlow).where(ApprovalFlow.subject_kind == command.subject_kind,
                                                          ApprovalFlow.product_code == code)).first()
    if existing is not None:
        raise Conflict(f"{SUBJECT_NAMES[command.subject_kind]}已有{_product_text(code)}的审批流 #{existing.id}，请修改它",
                       field="product_code", flow_id=existing.id)
    flow = ApprovalFlow(subject_kind=command.subject_kind, product_code=code, name=command.name, steps=steps,
                        active=command.active, version=1, updated_by=actor.id, updated_at=utcnow())
    session.add(flow)
    session.flush()
    return flow


def update_flow(session: Session, actor: Employee, flow_id: int, command: FlowPatch) -> ApprovalFlow:
    """Change a flow; running instances keep the steps they began with."""
    require_editor(actor)
    flow = get_flow(session, flow_id)
    changes = command.changes()
    if changes.get("active") is False and flow.product_code == ALL_PRODUCTS:
        raise ValidationFailed("适用于全部产品的审批流不能停用", field="active")
    if command.steps is not None:
        flow.steps = _check_steps(session, flow.subject_kind, command.steps)
    if command.name is not None:
        flow.name = command.name
    if command.active is not None:
        flow.active = command.active
    flow.version += 1
    flow.updated_by, flow.updated_at = actor.id, utcnow()
    session.flush()
    return flow


def _product_text(code: str | None) -> str:
    return "全部产品" if code in (None, ALL_PRODUCTS) else f"产品 {code}"


def flow_view(flow: ApprovalFlow, names: dict[int, str] | None = None) -> dict:
    return {"id": flow.id, "subject_kind": flow.subject_kind, "subject_name": SUBJECT_NAMES[flow.subject_kind],
            "product_code": None if flow.product_code == ALL_PRODUCTS else flow.product_code, "name": flow.name,
            "steps": [{**s, "approver_text": approver_text(s["approver"], names or {}),
                       "condition_text": condition_text(s)} for s in flow.steps],
            "active": flow.active, "version": flow.version, "updated_at": flow.updated_at}


def approver_text(approver: dict, names: dict[int, str]) -> str:
    kind = approver["kind"]
    if kind == "role":
        return ROLE_NAMES[Role(approver["role"])]
    if kind == "employee":
        return names.get(approver["employee_id"]) or f"员工 #{approver['employee_id']}"
    return {"supervisor": "申请人的主管", "routed": "风控规则流转的审批人"}[kind]


def condition_text(step: dict) -> str:
    parts = []
    if step.get("min_amount_fen"):
        parts.append(f"金额 ≥ {from_fen(step['min_amount_fen']):,.2f} 元")
    if step.get("only_when_routed") or step["approver"]["kind"] == "routed":
        parts.append("仅风控规则流转时")
    return "，".join(parts) or "总是"


# ---------------------------------------------------------------------------------------------
# instances


def _applies(instance: ApprovalInstance, step: dict) -> bool:
    if step.get("min_amount_fen") and (instance.amount_fen or 0) < step["min_amount_fen"]:
        return False
    if (step.get("only_when_routed") or step["approver"]["kind"] == "routed") and not instance.routed_title:
        return False
    return True


def _next_step(instance: ApprovalInstance, start: int) -> int | None:
    for index in range(start, len(instance.steps)):
        if _applies(instance, instance.steps[index]):
            return index
    return None


def _wait_at(session: Session, instance: ApprovalInstance, index: int) -> None:
    """The instance now waits at step ``index``: say for whom, and send them the card after commit."""
    instance.current_step = index
    approver = instance.steps[index]["approver"]
    kind, role, employee_id = approver["kind"], approver.get("role"), approver.get("employee_id")
    if kind == "routed":
        kind, role, employee_id = (("employee", None, instance.routed_employee_id) if instance.routed_employee_id
                                   else ("role", instance.routed_role, None))
    instance.waiting_kind, instance.waiting_role, instance.waiting_employee_id = kind, role, employee_id
    session.flush()
    jobs.enqueue(session, "approvals.send_cards", instance.id, instance.round, index,
                 job_id=f"approval-cards-{instance.id}-{instance.round}-{index}")


def _route(instance: ApprovalInstance, routed: dict | None) -> None:
    if routed is None:
        return
    instance.routed_employee_id, instance.routed_role = routed.get("employee_id"), routed.get("role")
    instance.routed_title, instance.routed_firing_id = routed["title"], routed.get("firing_id")
    instance.routed_evidence = (routed.get("evidence") or "")[:300] or None


def start(session: Session, *, subject_kind: str, subject_id: int, customer_id: int, product_code: str | None,
          amount_fen: int | None, applicant_id: int | None, actor_id: int | None, routed: dict | None = None,
          note: str | None = None, via: str = "console") -> ApprovalInstance:
    """Begin the flow for a subject; it waits at its first applying step (or is approved at once when none
    applies)."""
    flow = flow_for(session, subject_kind, product_code)
    instance = ApprovalInstance(flow_id=flow.id, flow_version=flow.version, steps=list(flow.steps),
                                subject_kind=subject_kind, subject_id=subject_id, customer_id=customer_id,
                                product_code=product_code, amount_fen=amount_fen, applicant_id=applicant_id,
                                status=A.pending, round=1, current_step=0, created_by=actor_id, created_at=utcnow())
    _route(instance, routed)
    MACHINE.record_creation(session, instance, action="submit", actor_id=actor_id, note=note,
                            data={"round": 1, "via": via})
    first = _next_step(instance, 0)
    if first is None:
        _finish(session, instance, "approve", actor_id, None, {"round": 1, "via": "system", "decision": "approve"})
    else:
        _wait_at(session, instance, first)
    return instance


def latest(session: Session, subject_kind: str, subject_id: int) -> ApprovalInstance | None:
    return session.scalars(select(ApprovalInstance).where(ApprovalInstance.subject_kind == subject_kind,
                                                          ApprovalInstance.subject_id == subject_id)
                           .order_by(ApprovalInstance.id.desc()).limit(1)).first()


def _locked(session: Session, instance_id: int) -> ApprovalInstance:
    session.flush()
    instance = session.scalars(select(ApprovalInstance).where(ApprovalInstance.id == instance_id).with_for_update()
                               .execution_options(populate_existing=True)).first()
    if instance is None:
        raise NotFound(f"没有编号为 {instance_id} 的审批")
    return instance


def waiting_for(session: Session, instance: ApprovalInstance) -> str | None:
    if instance.status != A.pending or instance.waiting_kind is None:
        return None
    if instance.waiting_kind == "employee":
        employee = session.get(Employee, instance.waiting_employee_id)
        name = employee.name if employee else f"员工 #{instance.waiting_employee_id}"
        return f"{instance.routed_title}（{name}）" if instance.routed_title and \
            instance.steps[instance.current_step]["approver"]["kind"] == "routed" else name
    if instance.waiting_kind == "role":
        return ROLE_NAMES[Role(instance.waiting_role)]
    return "申请人的主管"


def _step_label(instance: ApprovalInstance) -> str:
    return f"第{instance.current_step + 1}步「{instance.steps[instance.current_step]['name']}」"


def is_approver(session: Session, actor: Employee, instance: ApprovalInstance) -> bool:
    """Whether ``actor`` is who the instance's current step waits for."""
    if instance.status != A.pending:
        return False
    kind = instance.waiting_kind
    if kind == "employee":
        return actor.id == instance.waiting_employee_id
    if kind == "role":
        return actor.role.value == instance.waiting_role
    if kind == "supervisor" and actor.role in SUPERVISING:
        if instance.applicant_id is None:
            return actor.role in EDITORS
        return actor.id != instance.applicant_id and org_service.can_see_employee(session, actor, instance.applicant_id)
    return False


def _check_act(session: Session, actor: Employee, instance: ApprovalInstance, command: ActIn) -> None:
    if instance.status != A.pending:
        raise MACHINE.refusal(instance.status, command.action, instance.id)
    if command.step is not None and command.step != instance.current_step + 1:
        done = session.scalars(select(ApprovalDecision).where(
            ApprovalDecision.instance_id == instance.id, ApprovalDecision.round == instance.round,
            ApprovalDecision.step == command.step)).first()
        who = ""
        if done is not None and done.actor_id:
            who = f"已由{(session.get(Employee, done.actor_id) or actor).name}{ACTION_NAMES[done.action]}，"
        raise Conflict(f"审批 #{instance.id} 第{command.step}步{who or '不是当前步骤，'}现在等待{_step_label(instance)}",
                       field="step", entity="approval", entity_id=instance.id, current_step=instance.current_step + 1)
    if not is_approver(session, actor, instance):
        raise Forbidden(f"审批 #{instance.id} {_step_label(instance)}等待{waiting_for(session, instance)}审批，"
                        f"您不是这一步的审批人", entity="approval", entity_id=instance.id)
    if command.action != "approve" and not (command.comment or "").strip():
        raise ValidationFailed(f"{ACTION_NAMES[command.action]}时请填写意见", field="comment")


def act(session: Session, actor: Employee, instance_id: int, command: ActIn, *, via: str = "console"
        ) -> ApprovalInstance:
    """The current step's approver approves, rejects or returns it, with a comment."""
    instance = _locked(session, instance_id)
    _check_act(session, actor, instance, command)
    _apply(session, actor, instance, command, via)
    return instance


def _apply(session: Session, actor: Employee, instance: ApprovalInstance, command: ActIn, via: str) -> None:
    index = instance.current_step
    comment = (command.comment or "").strip() or None
    data = {"round": instance.round, "step": index + 1, "step_name": instance.steps[index]["name"], "via": via,
            "decision": command.action}
    if command.action == "approve":
        following = _next_step(instance, index + 1)
        if following is not None:
            MACHINE.advance(session, instance, "approve_step", actor_id=actor.id, note=comment, data=data)
            _wait_at(session, instance, following)
            return
    _finish(session, instance, command.action, actor.id, comment, data)


def _finish(session: Session, instance: ApprovalInstance, action: str, actor_id: int | None, comment: str | None,
            data: dict) -> None:
    MACHINE.advance(session, instance, action, actor_id=actor_id, note=comment, data=data)
    session.flush()
    subject = SUBJECT_NAMES[instance.subject_kind]
    customer_service.add_timeline(
        session, instance.customer_id, "approval_finished",
        f"{subject}审批{STATUS_NAMES[instance.status.value]}" + (f"：{comment}" if comment else ""),
        {"instance_id": instance.id, "status": instance.status.value, "round": instance.round},
        actor_employee_id=actor_id, source_key=f"approval:{instance.id}:{instance.round}:{instance.status.value}")
    if instance.subject_kind == "application" and instance.routed_firing_id and instance.status != A.returned:
        risk_routing.end_routed_approval(session, instance.customer_id, instance.routed_firing_id,
                                         f"审批{STATUS_NAMES[instance.status.value]}", actor_id=actor_id)
    for handler in _finish_handlers.get(instance.subject_kind, ()):
        handler(session, instance, actor_id)
    events.emit(session, ApprovalFinished(instance_id=instance.id, subject_kind=instance.subject_kind,
                                          subject_id=instance.subject_id, customer_id=instance.customer_id,
                                          status=instance.status.value, actor_id=actor_id))


def resubmit(session: Session, actor: Employee, instance_id: int, comment: str | None = None) -> ApprovalInstance:
    """A returned instance goes through its steps again from the first (a new round)."""
    instance = _locked(session, instance_id)
    customer_service.get_visible(session, actor, instance.customer_id)
    if actor.role == Role.processor:
        raise Forbidden("做单专员不能重新提交审批")
    MACHINE.check(instance, "resubmit")
    instance.round += 1
    MACHINE.advance(session, instance, "resubmit", actor_id=actor.id, note=(comment or "").strip() or None,
                    data={"round": instance.round})
    first = _next_step(instance, 0)
    if first is None:
        _finish(session, instance, "approve", actor.id, None, {"round": instance.round, "via": "system"})
    else:
        _wait_at(session, instance, first)
    return instance


def last_comment(session: Session, instance: ApprovalInstance) -> str | None:
    return session.scalar(select(ApprovalDecision.comment).where(ApprovalDecision.instance_id == instance.id)
                          .order_by(ApprovalDecision.id.desc()).limit(1))


def cancel_open(session: Session, subject_kind: str, subject_id: int, *, actor_id: int | None, note: str) -> int:
    """End the subject's open instances (the order was voided): they wait for nobody any more."""
    cancelled = 0
    for instance in session.scalars(select(ApprovalInstance).where(
            ApprovalInstance.subject_kind == subject_kind, ApprovalInstance.subject_id == subject_id,
            ApprovalInstance.status.in_(OPEN))).all():
        MACHINE.advance(session, instance, "cancel", actor_id=actor_id, note=note[:500], data={"round": instance.round})
        cancelled += 1
    return cancelled


# ---------------------------------------------------------------------------------------------
# applications and contracts


def submit_application(session: Session, actor: Employee, command: SubmitIn) -> ApprovalInstance:
    """Submit a customer's loan application: 资质初审, then 风控复审 when a risk rule routed it."""
    customer = customer_service.get_visible(session, actor, command.customer_id)
    if actor.role == Role.processor:
        raise Forbidden("做单专员不能提交贷款申请审批")
    customer_service.lock_customer(session, customer.id)
    return _start_application(session, customer, actor.id, command.comment, refuse_open=True)


def _start_application(session: Session, customer: Customer, actor_id: int | None, note: str | None, *,
                       refuse_open: bool) -> ApprovalInstance:
    current = latest(session, "application", customer.id)
    if current is not None and current.status in OPEN:
        if refuse_open:
            raise Conflict(f"客户的贷款申请已在审批中（审批 #{current.id}，{STATUS_NAMES[current.status.value]}）",
                           field="customer_id", instance_id=current.id)
        return current
    product = session.get(LoanProduct, customer.product_id) if customer.product_id else None
    return start(session, subject_kind="application", subject_id=customer.id, customer_id=customer.id,
                 product_code=product.code if product else None, amount_fen=customer.amount_fen,
                 applicant_id=customer.owner_id, actor_id=actor_id,
                 routed=risk_routing.routed_approval(session, customer.id), note=note)


def on_risk_notice(session: Session, event: RiskNotice) -> None:
    """Subscriber: a rule routed a customer's application to an approver. An open application takes the routing
    (its 风控复审 then applies); otherwise a new application begins and waits through its steps."""
    if event.kind != "approval":
        return
    customer = customer_service.lock_customer(session, event.customer_id)
    routed = risk_routing.routed_approval(session, event.customer_id)
    if customer is None or routed is None or routed["firing_id"] != event.firing_id:
        return  # the routing was already ended
    current = latest(session, "application", customer.id)
    if current is not None and current.status in OPEN:
        if current.routed_firing_id != event.firing_id:
            _route(current, routed)
            if current.status == A.pending and current.steps[current.current_step]["approver"]["kind"] == "routed":
                _wait_at(session, current, current.current_step)
            session.flush()
        return
    _start_application(session, customer, None, f"风控规则流转至{routed['title']}", refuse_open=False)


def application_block(session: Session, customer_id: int) -> str | None:
    """Why the customer cannot be signed yet (the application is being approved, was returned or rejected), or
    None."""
    current = latest(session, "application", customer_id)
    if current is None or current.status in (A.approved, A.cancelled):
        return None
    if current.status == A.pending:
        return (f"贷款申请正在审批（审批 #{current.id}，{_step_label(current)}，等待{waiting_for(session, current)}），"
                f"审批通过后才能签单")
    return f"贷款申请{STATUS_NAMES[current.status.value]}（审批 #{current.id}），不能签单"


# ---------------------------------------------------------------------------------------------
# reading


def get_instance(session: Session, instance_id: int) -> ApprovalInstance:
    instance = session.get(ApprovalInstance, instance_id)
    if instance is None:
        raise NotFound(f"没有编号为 {instance_id} 的审批")
    return instance


def get_visible_instance(session: Session, viewer: Employee, instance_id: int) -> ApprovalInstance:
    """The instance when the viewer may see its customer, is its approver now, or decided on it."""
    instance = get_instance(session, instance_id)
    customer = session.get(Customer, instance.customer_id)
    if customer is not None and customer_service.can_see(session, viewer, customer):
        return instance
    if is_approver(session, viewer, instance) or session.scalar(select(ApprovalDecision.id).where(
            ApprovalDecision.instance_id == instance.id, ApprovalDecision.actor_id == viewer.id).limit(1)):
        return instance
    raise NotFound(f"没有编号为 {instance_id} 的审批")


def pending_for(session: Session, viewer: Employee) -> list[ApprovalInstance]:
    """The instances whose current step waits for the viewer, oldest first."""
    session.flush()
    ai = ApprovalInstance
    mine = [and_(ai.waiting_kind == "employee", ai.waiting_employee_id == viewer.id),
            and_(ai.waiting_kind == "role", ai.waiting_role == viewer.role.value)]
    if viewer.role in SUPERVISING:
        scope = org_service.owner_filter(session, viewer, ai.applicant_id, include_unowned=viewer.role in EDITORS)
        mine.append(and_(ai.waiting_kind == "supervisor", scope,
                         or_(ai.applicant_id.is_(None), ai.applicant_id != viewer.id)))
    return list(session.scalars(select(ai).where(ai.status == A.pending, or_(*mine)).order_by(ai.id)
                                .limit(PENDING_LIMIT)))


def history(session: Session, viewer: Employee, subject_kind: str, subject_id: int) -> list[ApprovalInstance]:
    """Every instance of a subject, newest first (its customer must be in the viewer's scope)."""
    session.flush()
    found = list(session.scalars(select(ApprovalInstance).where(
        ApprovalInstance.subject_kind == subject_kind, ApprovalInstance.subject_id == subject_id)
        .order_by(ApprovalInstance.id.desc())))
    if found:
        customer_service.get_visible(session, viewer, found[0].customer_id)
    return found


def history_of_customer(session: Session, viewer: Employee, customer_id: int) -> list[ApprovalInstance]:
    customer_service.get_visible(session, viewer, customer_id)
    return list(session.scalars(select(ApprovalInstance).where(ApprovalInstance.customer_id == customer_id)
                                .order_by(ApprovalInstance.id.desc()).limit(50)))


def instance_view(session: Session, instance: ApprovalInstance, viewer: Employee | None = None) -> dict:
    decisions = list(session.scalars(select(ApprovalDecision).where(ApprovalDecision.instance_id == instance.id)
                                     .order_by(ApprovalDecision.id)))
    names = org_service.employee_names(session, [d.actor_id for d in decisions] + [
        s["approver"].get("employee_id") for s in instance.steps])
    customer = session.get(Customer, instance.customer_id)
    decided = {d.step for d in decisions if d.round == instance.round and d.step}
    steps = []
    for i, step in enumerate(instance.steps):
        applies = _applies(instance, step)
        state = ("current" if instance.status == A.pending and i == instance.current_step else
                 "done" if i + 1 in decided else "skipped" if not applies else "waiting")
        steps.append({"number": i + 1, "name": step["name"], "approver": approver_text(step["approver"], names),
                      "applies": applies, "state": state})
    pending = instance.status == A.pending
    allowed = (["approve", "reject", "return"] if viewer is not None and is_approver(session, viewer, instance)
               else ["resubmit"] if viewer is not None and instance.status == A.returned else [])
    return {
        "id": instance.id, "subject_kind": instance.subject_kind, "subject_name": SUBJECT_NAMES[instance.subject_kind],
        "subject_id": instance.subject_id, "customer_id": instance.customer_id,
        "customer_name": crypto.mask_name(customer.name) if customer else None,
        "product_code": instance.product_code, "amount_fen": instance.amount_fen, "applicant_id": instance.applicant_id,
        "status": instance.status.value, "status_name": STATUS_NAMES[instance.status.value], "round": instance.round,
        "current_step": instance.current_step + 1 if pending else None,
        "current_step_name": instance.steps[instance.current_step]["name"] if pending else None,
        "waiting_for": waiting_for(session, instance), "routed_title": instance.routed_title,
        "routed_evidence": instance.routed_evidence, "steps": steps,
        "decisions": [{"round": d.round, "step": d.step, "step_name": d.step_name, "actor_id": d.actor_id,
                       "actor_name": names.get(d.actor_id) if d.actor_id else None, "action": d.action,
                       "action_name": ACTION_NAMES.get(d.action, d.action), "comment": d.comment, "via": d.via,
                       "via_name": VIA_NAMES.get(d.via, d.via), "at": d.at} for d in decisions],
        "allowed_actions": allowed, "created_at": instance.created_at, "finished_at": instance.finished_at,
    }


# ---------------------------------------------------------------------------------------------
# WeCom template cards (按钮交互型模板卡片, https://developer.work.weixin.qq.com/document/path/90236)

BUTTONS = [("同意", 1, "approve"), ("驳回", 2, "reject"), ("退回", 3, "return")]  # text, style (1 blue, 2 red…), key
CARD_COMMENTS = {"approve": None, "reject": "通过企业微信卡片驳回", "return": "通过企业微信卡片退回"}


def card_recipients(session: Session, instance: ApprovalInstance) -> list[Employee]:
    """Who gets the card for the current step: the named approver, the role's people, or the applicant's
    department's supervisors; only those with a WeCom account."""
    base = select(Employee).where(Employee.status == EmployeeStatus.active, Employee.wecom_userid.is_not(None))
    if instance.waiting_kind == "employee":
        stmt = base.where(Employee.id == instance.waiting_employee_id)
    elif instance.waiting_kind == "role":
        stmt = base.where(Employee.role == Role(instance.waiting_role)).order_by(Employee.id).limit(MAX_ROLE_RECIPIENTS)
    else:
        applicant = session.get(Employee, instance.applicant_id) if instance.applicant_id else None
        if applicant is None or applicant.department_id is None:
            return []
        stmt = base.where(Employee.role == Role.supervisor, Employee.department_id == applicant.department_id,
                          Employee.id != applicant.id).order_by(Employee.id).limit(MAX_ROLE_RECIPIENTS)
    return list(session.scalars(stmt))


def card_body(session: Session, instance: ApprovalInstance, task_id: str) -> dict:
    """The button_interaction card: the applicant masked as every answer masks names, product, amount, the rule's
    evidence when one routed it, and 同意 / 驳回 / 退回."""
    customer = session.get(Customer, instance.customer_id)
    product = customer_service.get_product(session, instance.product_code) if instance.product_code else None
    rows = [{"keyname": "客户", "value": crypto.mask_name(customer.name) if customer and customer.name else "—"},
            {"keyname": "产品", "value": product.name if product else "—"},
            {"keyname": "金额", "value": f"{from_fen(instance.amount_fen):,.2f}元" if instance.amount_fen else "—"}]
    step = instance.steps[instance.current_step]
    card = {"card_type": "button_interaction", "source": {"desc": "审批"},
            "main_title": {"title": f"待您审批：{SUBJECT_NAMES[instance.subject_kind]}",
                           "desc": f"第{instance.current_step + 1}步 {step['name']}"},
            "horizontal_content_list": rows, "task_id": task_id,
            "button_list": [{"text": text, "style": style, "key": key} for text, style, key in BUTTONS]}
    if instance.routed_evidence:
        card["sub_title_text"] = instance.routed_evidence[:100]
    return card


def task_id_for(instance: ApprovalInstance, step_index: int, employee_id: int) -> str:
    # "任务id，同一个应用任务id不能重复，只能由数字、字母和“_-@”组成，最长128字节"
    return f"apv{instance.id}-{instance.round}-{step_index + 1}-{employee_id}"


def send_cards(session: Session, instance_id: int, round_: int, step_index: int) -> int:
    """Send the step's card to each approver with a WeCom account, once each (the job may run again)."""
    instance = session.get(ApprovalInstance, instance_id)
    if instance is None or instance.status != A.pending or (instance.round, instance.current_step) != (round_, step_index):
        return 0
    settings = get_settings()
    if not settings.wecom_configured:
        return 0
    sent = 0
    for employee in card_recipients(session, instance):
        task_id = task_id_for(instance, step_index, employee.id)
        insert_ignore(session, ApprovalCard.__table__,
                      {"instance_id": instance.id, "round": round_, "step": step_index + 1, "employee_id": employee.id,
                       "userid": employee.wecom_userid, "task_id": task_id}, ["instance_id", "round", "step", "employee_id"])
        card = session.scalars(select(ApprovalCard).where(ApprovalCard.task_id == task_id)).one()
        if card.sent_at is not None:
            continue
        try:
            answer = get_client().message.send(
                settings.wecom_agent_id, employee.wecom_userid,
                msg={"msgtype": "template_card", "template_card": card_body(session, instance, task_id)},
                idempotency_key=f"approval-card:{card.id}")
        except WecomError as exc:
            card.error = str(exc)[:300]
            if not exc.permanent:
                raise
            continue
        card.msgid, card.response_code = (answer or {}).get("msgid"), (answer or {}).get("response_code")
        card.sent_at, card.error = utcnow(), None
        sent += 1
    session.flush()
    return sent


def on_card_event(session: Session, fields: dict, key: str) -> None:
    """A template_card_event: the approver pressed a button on the card (模板卡片事件推送,
    https://developer.work.weixin.qq.com/document/path/90240). The decision is taken as that person; the card then
    shows the outcome. A repeat of the same press (WeCom retries) changes nothing."""
    task_id, userid = str(fields.get("TaskId") or ""), str(fields.get("FromUserName") or "")
    action = str(fields.get("EventKey") or "")
    card = session.scalars(select(ApprovalCard).where(ApprovalCard.task_id == task_id).with_for_update()).first()
    if card is None or card.userid != userid:
        log.info("template card event for an unknown card or another user: task %s from %s", task_id[:128], userid[:64])
        return
    if card.outcome is not None:
        return
    card.clicked_at = utcnow()
    card.response_code = str(fields.get("ResponseCode") or "") or card.response_code
    employee = session.get(Employee, card.employee_id)
    instance = _locked(session, card.instance_id)
    command = ActIn(action=action, step=card.step, comment=CARD_COMMENTS.get(action)) \
        if action in DONE_NAMES else None
    if command is None:
        card.outcome = "未知按钮"
    elif card.round != instance.round:
        card.outcome = "已失效"
    else:
        try:
            if employee is None or employee.status != EmployeeStatus.active:
                raise Forbidden("审批人已不在职")
            _check_act(session, employee, instance, command)
        except AppError as exc:
            card.outcome, card.error = "已由他人处理" if isinstance(exc, Conflict) else "无法处理", exc.message[:300]
        else:
            _apply(session, employee, instance, command, "wecom_card")
            card.outcome = DONE_NAMES[action]
    session.flush()
    jobs.enqueue(session, "approvals.update_card", card.id, job_id=f"approval-card-update-{card.id}")


def update_card(session: Session, card_id: int) -> bool:
    """Turn the pressed card's buttons into its outcome (更新模版卡片消息,
    https://developer.work.weixin.qq.com/document/path/94888); a response_code is good for one update."""
    card = session.get(ApprovalCard, card_id)
    if card is None or card.outcome is None or card.updated_at is not None or not card.response_code:
        return False
    settings = get_settings()
    get_client().template_card.update_button(settings.wecom_agent_id, [card.userid], card.response_code, card.outcome,
                                             idempotency_key=f"approval-card-update:{card.id}")
    card.updated_at = utcnow()
    session.flush()
    return True


def cards_of(session: Session, instance_id: int) -> list[ApprovalCard]:
    return list(session.scalars(select(ApprovalCard).where(ApprovalCard.instance_id == instance_id)
                                .order_by(ApprovalCard.id)))


def pending_count(session: Session, viewer: Employee) -> int:
    return len(pending_for(session, viewer))

