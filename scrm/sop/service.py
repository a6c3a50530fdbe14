"""Follow-up tasks (SOP): created from schedules by the scheduler and from events, each once per
(customer, rule, due slot); completed, snoozed or reassigned by people; counted when missed.

The schedules (times from settings):

| kind               | who                                       | when                                      |
|--------------------|-------------------------------------------|-------------------------------------------|
| call_reminder      | a tier's customers, to their owner        | per ``SopSchedule`` row (A: every 2 days) |
| repayment_reminder | customers in repayment (``loan.disbursed``)| ``sop_repayment_lead_days`` before a due date |
| reloan             | settled customers (``settlement.closed``) | ``sop_reloan_after_months`` after closing |
| sla_escalation     | leads never contacted, to the supervisor  | ``sop_lead_sla_hours`` after assignment   |
| risk_review        | customers entering the blocked pool       | at once (created by re-tiering)           |
| stage_sla          | customers past a pipeline stage's SLA     | by ``scrm.pipeline``'s own job            |

Customers in the risk reject pool (拒绝池) get no call reminders and no SLA escalations.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Select, String, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.core.config import get_settings
from scrm.core.db import UTCDateTime, insert_ignore_many, is_postgres, utcnow
from scrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from scrm.core.statemachine import Change, Machine
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerStatus, Stage
from scrm.groups import service as group_service
from scrm.groups.models import CustomerTier
from scrm.org import service as org_service
from scrm.org.models import Department, Employee, EmployeeStatus, Role
from scrm.risk import service as risk_service
from scrm.sop.events import SlaBreached
from scrm.sop.labels import TASK_ACTION_NAMES, TASK_STATUS_NAMES
from scrm.sop.models import RepaymentPlan, SopSchedule, SopTask, TaskStatus
from scrm.sop.schemas import ScheduleIn, SchedulePatch

KIND_TITLES = {
    "call_reminder": "客户回访",
    "repayment_reminder": "还款提醒",
    "reloan": "结清客户复贷回访",
    "sla_escalation": "线索超时未联系",
    "risk_review": "风控复核",
    "stage_sla": "销售流程阶段超时",
}



def _log(session: Session, change: Change) -> None:
    """A task keeps its own history, as a list on the row (what the task page shows)."""
    entry = {"action": change.action, "at": utcnow().isoformat(), "by": change.actor_id}
    entry.update({k: v for k, v in {**change.data, "note": change.note}.items() if v is not None})
    change.obj.history = [*(change.obj.history or []), entry]


TASK_MACHINE = Machine("sop_task", "任务", {
    (TaskStatus.open, "complete"): TaskStatus.done,
    (TaskStatus.open, "snooze"): TaskStatus.open,
    (TaskStatus.open, "reassign"): TaskStatus.open,
    (TaskStatus.open, "cancel"): TaskStatus.cancelled,
}, _log, state_labels=TASK_STATUS_NAMES, action_labels=TASK_ACTION_NAMES)

_task = SopTask.__table__


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today(now: datetime) -> date:
    return now.astimezone(local_zone()).date()


def at_local(day: date, hour: int = 9) -> datetime:
    """``hour`` o'clock on ``day`` in the company's time zone, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=local_zone())


def add_months(day: date, months: int, day_of_month: int | None = None) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    dom = day_of_month or day.day
    return date(year, month, min(dom, calendar.monthrange(year, month)[1]))


def _insert(session: Session):
    return pg_insert if is_postgres(session) else sqlite_insert


def add_tasks_from_select(session: Session, kind: str, rows: Select) -> int:
    """INSERT ... SELECT tasks of one kind from ``rows`` (customer_id, key, assignee id, due_at, title);
    keys already there are skipped. Returns how many were added."""
    session.flush()
    now = literal(utcnow(), UTCDateTime)
    src = select(*rows.selected_columns, literal(kind, String), literal(TaskStatus.open.value, String),
                 literal(0), now).select_from(*rows.get_final_froms()).where(rows.whereclause)
    stmt = _insert(session)(_task).from_select(
        ["customer_id", "key", "assignee_employee_id", "due_at", "title", "kind", "status", "snoozes", "created_at"],
        src).on_conflict_do_nothing(index_elements=["key"])
    return session.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount or 0


def add_risk_reviews(session: Session, blocked: Select) -> int:
    """A risk-review task for each customer a re-tiering moved into the blocked pool (``blocked`` selects
    customer_id, tier change id, at), to the configured risk reviewer (none: the pool), once per change."""
    customer_id, change_id, at = blocked.selected_columns
    reviewer = get_settings().risk_reviewer_employee_id
    return add_tasks_from_select(session, "risk_review", select(
        customer_id, literal("risk_review:") + cast(customer_id, String) + literal(":") + cast(change_id, String),
        literal(reviewer or None, BigInteger), at, literal("风控复核：客户命中风险规则，进入拦截池", String),
    ).select_from(*blocked.get_final_froms()).where(blocked.whereclause))


def add_tasks(session: Session, rows: list[dict]) -> list[int]:
    """Add tasks (dicts with key, kind, customer_id, assignee_employee_id, due_at, title); returns the
    ids of the ones that were new."""
    if not rows:
        return []
    now = utcnow()
    values = [{"status": TaskStatus.open.value, "snoozes": 0, "created_at": now,
               "title": KIND_TITLES.get(r["kind"], r["kind"]), **r} for r in rows]
    session.flush()
    return [r[0] for r in insert_ignore_many(session, _task, values, ["key"], [_task.c.id])]


def tasks_by_id(session: Session, task_ids: list[int]) -> list[SopTask]:
    """The tasks with these ids (the ones ``add_tasks`` just made), in id order."""
    if not task_ids:
        return []
    return list(session.scalars(select(SopTask).where(SopTask.id.in_(task_ids)).order_by(SopTask.id)))


# ---------------------------------------------------------------------------------------------
# schedules


def generate(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Periodic: create every task due by the schedules now; safe to run any number of times at once."""
    now = now or utcnow()
    return {"call_reminder": _call_reminders(session, now), "repayment_reminder": _repayment_reminders(session, now),
            "sla_escalation": _sla_escalations(session, now)}


def _schedule_rows(schedule: SopSchedule, today: date) -> Select:
    """The call-reminder tasks of one schedule's current slot (customer, key, assignee, due, title)."""
    c, t = Customer.__table__, CustomerTier.__table__
    slot_start = date.fromordinal(today.toordinal() - today.toordinal() % schedule.every_days)
    return (select(c.c.id, literal(f"sched:{schedule.id}:{slot_start.isoformat()}:") + cast(c.c.id, String),
                   c.c.owner_id, literal(at_local(slot_start, schedule.hour), UTCDateTime),
                   literal(schedule.title, String))
            .select_from(c.join(t, t.c.customer_id == c.c.id))
            .where(t.c.tier == schedule.tier, c.c.status == CustomerStatus.active, c.c.owner_id.is_not(None),
                   risk_service.not_in_reject_pool(c.c.id)))


def _call_reminders(session: Session, now: datetime) -> int:
    """One task per customer of the schedule's tier per slot of ``every_days`` days (slots are aligned to
    the calendar, so every scheduler computes the same slot and key)."""
    today = local_today(now)
    added = 0
    for schedule in session.scalars(select(SopSchedule).where(SopSchedule.active.is_(True)).order_by(SopSchedule.id)):
        added += add_tasks_from_select(session, "call_reminder", _schedule_rows(schedule, today))
    return added


def preview_schedule(session: Session, *, tier: str, every_days: int, hour: int, title: str,
                     schedule_id: int | None = None, now: datetime | None = None, sample_size: int = 10) -> dict:
    """What the next scheduler run would create for this schedule (saved or a draft): the slot, how many
    tasks (keys already made are left out) and a sample of (customer id, name, assignee id, due)."""
    now = now or utcnow()
    session.flush()
    draft = SopSchedule(id=schedule_id or 0, tier=tier, every_days=every_days, hour=hour, title=title)
    rows = _schedule_rows(draft, local_today(now)).subquery()
    key, customer_id = rows.c[1], rows.c[0]
    new = select(rows).where(~select(_task.c.id).where(_task.c.key == key).exists())
    total = session.scalar(select(func.count()).select_from(new.subquery()))
    c = Customer.__table__
    picked = new.subquery()
    sample = session.execute(select(picked.c[0], c.c.name, picked.c[2], picked.c[3])
                             .join(c, c.c.id == picked.c[0]).order_by(picked.c[0]).limit(sample_size)).all()
    slot_start = date.fromordinal(local_today(now).toordinal() - local_today(now).toordinal() % every_days)
    return {"slot_start": slot_start, "due_at": at_local(slot_start, hour), "tasks": total or 0,
            "sample": [{"customer_id": r[0], "name": r[1], "assignee_id": r[2], "due_at": r[3]} for r in sample]}


def list_schedules(session: Session) -> list[SopSchedule]:
    session.flush()
    return list(session.scalars(select(SopSchedule).order_by(SopSchedule.tier, SopSchedule.id)))


def create_schedule(session: Session, command: ScheduleIn) -> SopSchedule:
    """Add a recurring follow-up for a tier."""
    session.flush()
    if session.scalars(select(SopSchedule).where(SopSchedule.name == command.name)).first() is not None:
        raise Conflict(f"已有名为「{command.name}」的跟进计划", field="name")
    group_service.require_tier(session, command.tier)  # a tier managers listed (a 422 naming ``tier`` otherwise)
    schedule = SopSchedule(name=command.name, tier=command.tier, every_days=command.every_days, hour=command.hour,
                           title=command.title.strip(), active=True)
    session.add(schedule)
    session.flush()
    return schedule


def update_schedule(session: Session, schedule_id: int, command: SchedulePatch) -> SopSchedule:
    """Change a schedule's rhythm, hour, title or switch it off; tasks already made stay."""
    schedule = session.get(SopSchedule, schedule_id)
    if schedule is None:
        raise NotFound(f"没有编号为 {schedule_id} 的跟进计划")
    for name, value in command.changes().items():
        if value is not None:
            setattr(schedule, name, value)
    session.flush()
    return schedule


def due_dates(plan: RepaymentPlan) -> list[date]:
    return [add_months(plan.disbursed_on, n, plan.repayment_day) for n in range(1, plan.term_months + 1)]


def _repayment_rows(session: Session, plans: list[RepaymentPlan], today: date) -> list[dict]:
    lead = get_settings().sop_repayment_lead_days
    owners = dict(session.execute(select(Customer.id, Customer.owner_id)
                                  .where(Customer.id.in_({p.customer_id for p in plans}))).all()) if plans else {}
    rows = []
    for plan in plans:
        for due in due_dates(plan):
            remind = due - timedelta(days=lead)
            if remind <= today <= due:
                rows.append({"key": f"repay:{plan.order_id}:{due.isoformat()}", "kind": "repayment_reminder",
                             "customer_id": plan.customer_id, "assignee_employee_id": owners.get(plan.customer_id),
                             "due_at": at_local(remind), "title": f"还款提醒：{due.isoformat()} 为还款日"})
    return rows


def _repayment_reminders(session: Session, now: datetime) -> int:
    today = local_today(now)
    plans = list(session.scalars(select(RepaymentPlan)))
    live = [p for p in plans if add_months(p.disbursed_on, p.term_months, p.repayment_day) >= today]
    return len(add_tasks(session, _repayment_rows(session, live, today)))


def supervisor_of(session: Session, employee_id: int | None) -> Employee | None:
    """The supervisor of the employee's department, else a manager of its center, else None."""
    if employee_id is None:
        return None
    employee = session.get(Employee, employee_id)
    if employee is None or employee.department_id is None:
        return None
    active = Employee.status == EmployeeStatus.active
    found = session.scalars(select(Employee).where(active, Employee.role == Role.supervisor,
                                                   Employee.department_id == employee.department_id)
                            .order_by(Employee.id)).first()
    if found is None:

        center = session.scalar(select(Department.center_id).where(Department.id == employee.department_id))
        found = session.scalars(select(Employee).join(Department, Department.id == Employee.department_id)
                                .where(active, Employee.role == Role.manager, Department.center_id == center)
                                .order_by(Employee.id)).first()
    return found


def _sla_escalations(session: Session, now: datetime, limit: int = 1000) -> int:
    cutoff = now - timedelta(hours=get_settings().sop_lead_sla_hours)
    since = func.coalesce(Customer.assigned_at, Customer.created_at)
    late = session.execute(select(Customer.id, Customer.owner_id, since).where(
        Customer.stage == Stage.lead, Customer.status == CustomerStatus.active, Customer.owner_id.is_not(None),
        Customer.last_contact_at.is_(None), since < cutoff, risk_service.not_in_reject_pool(Customer.id))
        .order_by(Customer.id).limit(limit)).all()
    rows = []
    for customer_id, owner_id, assigned_at in late:
        supervisor = supervisor_of(session, owner_id)
        rows.append({"key": f"sla:{customer_id}:{int(assigned_at.timestamp())}", "kind": "sla_escalation",
                     "customer_id": customer_id, "assignee_employee_id": supervisor.id if supervisor else None,
                     "due_at": now})
    new_ids = add_tasks(session, rows)
    for task in session.scalars(select(SopTask).where(SopTask.id.in_(new_ids))) if new_ids else ():
        owner_id = session.scalar(select(Customer.owner_id).where(Customer.id == task.customer_id))
        events.emit(session, SlaBreached(task_id=task.id, customer_id=task.customer_id, owner_employee_id=owner_id,
                                          supervisor_employee_id=task.assignee_employee_id))
    return len(new_ids)


# ---------------------------------------------------------------------------------------------
# event subscribers


def on_loan_disbursed(session: Session, event: events.Event) -> None:
    """Subscriber: keep the repayment plan; its reminders come from the schedule."""
    if not event.term_months or not event.repayment_day:
        return
    disbursed_on = event.disbursed_on
    insert_ignore_many(session, RepaymentPlan.__table__, [{
        "order_id": event.order_id, "customer_id": event.customer_id, "disbursed_on": disbursed_on,
        "term_months": event.term_months, "repayment_day": event.repayment_day,
        "created_at": utcnow()}], ["order_id"], [RepaymentPlan.id])
    plan = session.scalars(select(RepaymentPlan).where(RepaymentPlan.order_id == event.order_id)).one()
    add_tasks(session, _repayment_rows(session, [plan], local_today(utcnow())))


def on_settlement_closed(session: Session, event: events.Event) -> None:
    """Subscriber: a re-loan follow-up some months after the settlement closes."""
    closed = event.closed_at
    due = add_months(local_today(closed), get_settings().sop_reloan_after_months)
    customer = session.get(Customer, event.customer_id)
    assignee = event.salesperson_employee_id or (customer.owner_id if customer else None)
    add_tasks(session, [{"key": f"reloan:{event.settlement_id}", "kind": "reloan",
                         "customer_id": event.customer_id, "assignee_employee_id": assignee,
                         "due_at": at_local(due)}])


def on_settlement_voided(session: Session, event: events.Event) -> None:
    """Subscriber: no re-loan follow-up for a settlement that was voided."""
    task = session.scalars(select(SopTask).where(SopTask.key == f"reloan:{event.settlement_id}")).first()
    if task is not None and task.status == TaskStatus.open:
        TASK_MACHINE.advance(session, task, "cancel", note="结算已作废")


# ---------------------------------------------------------------------------------------------
# people working their tasks


def visible_task_condition(session: Session, viewer: Employee):
    return org_service.owner_filter(session, viewer, SopTask.assignee_employee_id,
                                    include_unowned=viewer.role in customer_service.POOL_ROLES)


def get_visible(session: Session, viewer: Employee, task_id: int) -> SopTask:
    session.flush()
    task = session.scalars(select(SopTask).where(SopTask.id == task_id, visible_task_condition(session, viewer))).first()
    if task is None:
        raise NotFound(f"没有编号为 {task_id} 的任务")
    return task


def complete(session: Session, actor: Employee, task_id: int, note: str | None = None) -> SopTask:
    """Mark a task done."""
    task = get_visible(session, actor, task_id)
    TASK_MACHINE.advance(session, task, "complete", actor_id=actor.id, note=note)
    task.completed_at = utcnow()
    task.note = note
    session.flush()
    return task


def snooze(session: Session, actor: Employee, task_id: int, until: datetime) -> SopTask:
    """Move a task's due time later."""
    task = get_visible(session, actor, task_id)
    if until.tzinfo is None:
        raise ValidationFailed("推迟到的时间需要带时区", field="until")
    if until <= utcnow():
        raise ValidationFailed("只能推迟到将来的时间", field="until")
    TASK_MACHINE.advance(session, task, "snooze", actor_id=actor.id,
                         data={"until": until.isoformat(), "was": task.due_at.isoformat()})
    task.due_at = until
    task.snoozes += 1
    session.flush()
    return task


def reassign(session: Session, actor: Employee, task_id: int, employee_id: int) -> SopTask:
    """Give a task to another employee in the actor's scope."""
    task = get_visible(session, actor, task_id)
    target = session.get(Employee, employee_id)
    if target is None or target.status != EmployeeStatus.active:
        raise ValidationFailed("接手人不存在或已离职", field="employee_id")
    if not org_service.can_see_employee(session, actor, target.id):
        raise Forbidden("只能转交给你数据范围内的同事")
    TASK_MACHINE.advance(session, task, "reassign", actor_id=actor.id,
                         data={"to": target.id, "was": task.assignee_employee_id})
    task.assignee_employee_id = target.id
    session.flush()
    return task


def list_tasks(session: Session, viewer: Employee, *, status: TaskStatus | None = TaskStatus.open,
               assignee_id: int | None = None, due_before: datetime | None = None, kind: str | None = None,
               limit: int = 100, offset: int = 0) -> list[SopTask]:
    """Tasks in the viewer's scope, earliest due first."""
    session.flush()
    stmt = select(SopTask).where(visible_task_condition(session, viewer))
    if status is not None:
        stmt = stmt.where(SopTask.status == status)
    if assignee_id is not None:
        stmt = stmt.where(SopTask.assignee_employee_id == assignee_id)
    if due_before is not None:
        stmt = stmt.where(SopTask.due_at < due_before)
    if kind:
        stmt = stmt.where(SopTask.kind == kind)
    return list(session.scalars(stmt.order_by(SopTask.due_at, SopTask.id).limit(min(limit, 500)).offset(offset)))


def open_tasks_of_customer(session: Session, viewer: Employee, customer_id: int, *, limit: int = 20) -> list[SopTask]:
    """One customer's open tasks in the viewer's scope, earliest due first (the chat sidebar)."""
    session.flush()
    return list(session.scalars(select(SopTask).where(
        SopTask.customer_id == customer_id, SopTask.status == TaskStatus.open, visible_task_condition(session, viewer))
        .order_by(SopTask.due_at, SopTask.id).limit(limit)))


def end_of_today(now: datetime) -> datetime:
    return datetime.combine(local_today(now) + timedelta(days=1), time(0), tzinfo=local_zone())


def today_tasks(session: Session, employee_id: int, now: datetime | None = None) -> list[SopTask]:
    """The employee's open tasks due by the end of today (overdue ones included), earliest first."""
    now = now or utcnow()
    session.flush()
    return list(session.scalars(select(SopTask).where(
        SopTask.assignee_employee_id == employee_id, SopTask.status == TaskStatus.open,
        SopTask.due_at < end_of_today(now)).order_by(SopTask.due_at, SopTask.id)))


def missed_condition(now: datetime):
    cutoff = now - timedelta(hours=get_settings().sop_missed_after_hours)
    return (SopTask.status == TaskStatus.open) & (SopTask.due_at < cutoff)


def missed_counts(session: Session, viewer: Employee, now: datetime | None = None) -> dict:
    """For the dashboard: open tasks past their due time by more than ``sop_missed_after_hours``, in the
    viewer's scope, in total, per assignee and per kind."""
    now = now or utcnow()
    session.flush()
    where = [visible_task_condition(session, viewer), missed_condition(now)]
    by_assignee = dict(session.execute(select(SopTask.assignee_employee_id, func.count())
                                       .where(*where).group_by(SopTask.assignee_employee_id)).all())
    by_kind = dict(session.execute(select(SopTask.kind, func.count()).where(*where).group_by(SopTask.kind)).all())
    return {"total": sum(by_kind.values()), "by_assignee": by_assignee, "by_kind": by_kind}
