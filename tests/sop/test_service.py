"""SOP: tasks from schedules and events, once per (customer, rule, due slot); complete, snooze,
reassign; missed counts; two schedulers at once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from backoffice.orders.events import LoanDisbursed
from backoffice.settlements.events import SettlementClosed, SettlementVoided
from scrm.core import events
from scrm.core.db import session_scope, utcnow
from scrm.core.errors import InvalidTransition, NotFound
from scrm.customers.models import Stage
from scrm.groups.models import CustomerTier
from scrm.org.models import Role
from scrm.sop import service as sop_service
from scrm.sop import tasks as sop_tasks
from scrm.sop.models import RepaymentPlan, SopTask, TaskStatus
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee
from tests.factories.sop import ensure_a_schedule

CST = timezone(timedelta(hours=8))


def tasks_of(db, kind=None):
    db.flush()
    stmt = select(SopTask).order_by(SopTask.id)
    if kind:
        stmt = stmt.where(SopTask.kind == kind)
    return list(db.scalars(stmt))


@pytest.fixture
def team(db, a_schedule):
    dept = make_department(db)
    return {"sales": make_employee(db, "小李", department=dept),
            "other": make_employee(db, "小赵", department=make_department(db)),
            "supervisor": make_employee(db, "张主管", role=Role.supervisor, department=dept)}


def tier_a(db, owner, name):
    customer = make_customer(db, owner, name, stage=Stage.contacted, last_contact_at=utcnow())
    db.add(CustomerTier(customer_id=customer.id, tier="A", updated_at=utcnow()))
    db.flush()
    return customer


def test_tier_a_call_reminder_every_two_days(db, team):
    customer = tier_a(db, team["sales"], "A客户")
    day0 = datetime(2026, 3, 2, 10, 0, tzinfo=CST)
    day0 += timedelta(days=day0.date().toordinal() % 2)  # slots start on even day numbers
    for offset_days in (0, 0, 1):
        sop_service.generate(db, day0 + timedelta(days=offset_days))
    assert len(tasks_of(db, "call_reminder")) == 1
    sop_service.generate(db, day0 + timedelta(days=2))
    reminders = tasks_of(db, "call_reminder")
    assert len(reminders) == 2
    assert {t.assignee_employee_id for t in reminders} == {team["sales"].id}
    assert all(t.customer_id == customer.id for t in reminders)


def test_repayment_reminders_three_days_before_each_due_date(db, team):
    customer = make_customer(db, team["sales"], "还款客户", stage=Stage.disbursed)
    disbursed = LoanDisbursed(order_id=77, customer_id=customer.id, amount_fen=10_000_000,
                              disbursed_on=date(2026, 1, 10), funder_name="某银行", term_months=3, repayment_day=15)
    for _ in range(2):
        sop_service.on_loan_disbursed(db, disbursed)
    assert db.scalar(select(func.count()).select_from(RepaymentPlan)) == 1
    sop_service.generate(db, datetime(2026, 2, 11, 10, tzinfo=CST))
    assert tasks_of(db, "repayment_reminder") == []
    for day in (12, 13, 15):
        sop_service.generate(db, datetime(2026, 2, day, 10, tzinfo=CST))
    sop_service.generate(db, datetime(2026, 3, 12, 10, tzinfo=CST))
    reminders = tasks_of(db, "repayment_reminder")
    assert [t.key for t in reminders] == ["repay:77:2026-02-15", "repay:77:2026-03-15"]
    assert reminders[0].due_at == datetime(2026, 2, 12, 9, tzinfo=CST)
    assert reminders[0].assignee_employee_id == team["sales"].id


def test_loan_without_schedule_makes_no_plan(db, team):
    customer = make_customer(db, team["sales"])
    sop_service.on_loan_disbursed(db, LoanDisbursed(order_id=8, customer_id=customer.id, amount_fen=1,
                                                    disbursed_on=date(2026, 1, 10), funder_name="x", term_months=None,
                                                    repayment_day=None))
    assert db.scalar(select(func.count()).select_from(RepaymentPlan)) == 0


def test_settled_customer_gets_a_reloan_follow_up_three_months_later_unless_voided(db, team):
    customer = make_customer(db, team["sales"], "结清客户", stage=Stage.settled)
    closed = SettlementClosed(settlement_id=5, order_id=9, customer_id=customer.id, product_code="house",
                              funder_type="bank", service_fee_collected_fen=100, disbursed_amount_fen=1000,
                              salesperson_employee_id=team["sales"].id, closed_at=datetime(2026, 1, 31, 15, tzinfo=CST))
    sop_service.on_settlement_closed(db, closed)
    sop_service.on_settlement_closed(db, closed)
    (task,) = tasks_of(db, "reloan")
    assert task.due_at == datetime(2026, 4, 30, 9, tzinfo=CST)
    sop_service.on_settlement_voided(db, SettlementVoided(settlement_id=5, order_id=9, customer_id=customer.id))
    assert task.status == TaskStatus.cancelled


def test_a_task_another_request_cancelled_meanwhile_is_not_completed(db, team):
    tier_a(db, team["sales"], "同时处理")
    sop_service.generate(db)
    (task,) = tasks_of(db, "call_reminder")
    db.execute(update(SopTask).where(SopTask.id == task.id).values(status=TaskStatus.cancelled)
               .execution_options(synchronize_session=False))  # the other request, after this one read the task
    assert task.status == TaskStatus.open
    with pytest.raises(InvalidTransition) as refused:
        sop_service.complete(db, team["sales"], task.id, "打过电话了")
    assert refused.value.extra["state"] == "cancelled" and "已取消" in refused.value.message
    assert task.status == TaskStatus.cancelled and not task.history


def test_uncontacted_lead_escalates_to_the_supervisor_once(db, team):
    late = make_customer(db, team["sales"], "超时线索", assigned_at=utcnow() - timedelta(hours=30))
    make_customer(db, team["sales"], "新线索", assigned_at=utcnow() - timedelta(hours=2))
    make_customer(db, team["sales"], "已联系", assigned_at=utcnow() - timedelta(hours=30),
                  last_contact_at=utcnow() - timedelta(hours=1), stage=Stage.contacted)
    assert sop_service.generate(db)["sla_escalation"] == 1
    assert sop_service.generate(db)["sla_escalation"] == 0
    (task,) = tasks_of(db, "sla_escalation")
    assert (task.customer_id, task.assignee_employee_id) == (late.id, team["supervisor"].id)
    breaches = db.scalars(select(events.OutboxEvent).where(events.OutboxEvent.name == "sop.sla_breached")).all()
    assert [e.payload["customer_id"] for e in breaches] == [late.id]


def test_complete_snooze_reassign_and_their_transitions(db, team):
    customer = tier_a(db, team["sales"], "任务客户")
    sop_service.generate(db)
    (task,) = tasks_of(db, "call_reminder")
    sales = team["sales"]
    with pytest.raises(NotFound):
        sop_service.complete(db, team["other"], task.id)
    later = utcnow() + timedelta(hours=3)
    sop_service.snooze(db, sales, task.id, later)
    assert task.due_at == later and task.snoozes == 1
    sop_service.reassign(db, team["supervisor"], task.id, sales.id)
    sop_service.complete(db, sales, task.id, "打过电话了")
    assert task.status == TaskStatus.done and task.note == "打过电话了"
    assert [(h["action"], h["by"]) for h in task.history] == [
        ("snooze", sales.id), ("reassign", team["supervisor"].id), ("complete", sales.id)]
    assert task.history[0]["until"] == later.isoformat() and task.history[1]["to"] == sales.id
    assert task.history[2]["note"] == "打过电话了"
    with pytest.raises(InvalidTransition) as refused:
        sop_service.snooze(db, sales, task.id, later)
    assert refused.value.message == f"任务 #{task.id} 当前状态为 已完成，不能执行「推迟」（仅允许在以下状态执行：待办）"
    with pytest.raises(InvalidTransition):
        sop_service.complete(db, sales, task.id)
    assert customer.id == task.customer_id


def test_missed_tasks_are_counted_in_scope(db, team):
    tier_a(db, team["sales"], "漏跟客户")
    long_ago = datetime(2026, 3, 2, 10, 0, tzinfo=CST)
    long_ago += timedelta(days=long_ago.date().toordinal() % 2)  # the start of a 2-day slot, whatever today is
    sop_service.generate(db, long_ago)  # one call reminder, never done
    counts = sop_service.missed_counts(db, team["supervisor"])
    assert counts["total"] == 1 and counts["by_assignee"] == {team["sales"].id: 1}
    assert sop_service.missed_counts(db, team["other"])["total"] == 0


def test_api_today_complete_snooze_reassign_missed(client, db, team):
    sales, supervisor = team["sales"], team["supervisor"]
    tier_a(db, sales, "接口客户")
    sop_service.generate(db)
    today = client.get("/api/sop/today", headers=auth(sales)).json()
    assert [t["kind"] for t in today] == ["call_reminder"]
    task_id = today[0]["id"]
    assert client.get("/api/sop/today", headers=auth(team["other"])).json() == []
    assert client.post(f"/api/sop/tasks/{task_id}/complete", json={}, headers=auth(team["other"])).status_code == 404
    past = client.post(f"/api/sop/tasks/{task_id}/snooze", json={"until": "2020-01-01T00:00:00+08:00"},
                       headers=auth(sales))
    assert past.status_code == 422 and past.json()["field"] == "until"
    moved = client.post(f"/api/sop/tasks/{task_id}/reassign", json={"employee_id": team["other"].id},
                        headers=auth(supervisor))
    assert moved.status_code == 403
    done = client.post(f"/api/sop/tasks/{task_id}/complete", json={"note": "已联系"}, headers=auth(sales))
    assert done.json()["status"] == "done"
    again = client.post(f"/api/sop/tasks/{task_id}/complete", json={}, headers=auth(sales))
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"
    assert client.get("/api/sop/missed", headers=auth(supervisor)).json()["total"] == 0


def test_two_schedulers_at_once_create_each_task_once(committed_db):
    db = committed_db
    ensure_a_schedule(db)
    dept = make_department(db)
    sales = make_employee(db, "并发销售", department=dept)
    make_employee(db, "并发主管", role=Role.supervisor, department=dept)
    for i in range(40):
        tier_a(db, sales, f"并发A{i}")
        make_customer(db, sales, f"超时{i}", assigned_at=utcnow() - timedelta(days=2))
    db.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scheduler():
        try:
            barrier.wait()
            for _ in range(3):
                results.append(sop_tasks.generate())
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with session_scope() as session:
        kinds = dict(session.execute(select(SopTask.kind, func.count()).group_by(SopTask.kind)).all())
        keys = session.scalar(select(func.count(func.distinct(SopTask.key))))
    assert kinds == {"call_reminder": 40, "sla_escalation": 40}
    assert keys == 80
    assert sum(r["call_reminder"] for r in results) == 40
    assert sum(r["sla_escalation"] for r in results) == 40


def test_schedules_are_data_per_tier(client, db, team):
    manager = make_employee(db, "王经理", role=Role.manager)
    body = {"name": "B 类每周回访", "tier": "B", "every_days": 7, "hour": 10, "title": "B 类客户每周问候"}
    assert client.post("/api/sop/schedules", json=body, headers=auth(team["sales"])).status_code == 403
    created = client.post("/api/sop/schedules", json=body, headers=auth(manager))
    assert created.status_code == 201, created.text
    assert client.post("/api/sop/schedules", json=body, headers=auth(manager)).status_code == 409
    assert client.post("/api/sop/schedules", json={**body, "name": "x", "every_days": 0},
                       headers=auth(manager)).status_code == 422
    customer = make_customer(db, team["sales"], "B客户")
    db.add(CustomerTier(customer_id=customer.id, tier="B", updated_at=utcnow()))
    db.flush()
    sop_service.generate(db)
    (task,) = tasks_of(db, "call_reminder")
    assert task.title == "B 类客户每周问候" and task.due_at.astimezone(CST).hour == 10
    off = client.patch(f"/api/sop/schedules/{created.json()['id']}", json={"active": False}, headers=auth(manager))
    assert off.json()["active"] is False
    sop_service.generate(db, utcnow() + timedelta(days=8))
    assert len(tasks_of(db, "call_reminder")) == 1
    names = [s["name"] for s in client.get("/api/sop/schedules", headers=auth(manager)).json()]
    assert names == ["A 类客户两天一回访", "B 类每周回访"]
