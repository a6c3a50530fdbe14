"""A customer past a stage's SLA: an SOP task (销售流程阶段超时) for the step's owner, past twice the SLA one for their
supervisor, each once however often or concurrently the schedulers run, on PostgreSQL and on the embedded SQLite."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from scrm.bot.models import Notification
from scrm.core.db import session_scope, utcnow
from scrm.customers.models import Stage
from scrm.pipeline import service as pipeline_service
from scrm.pipeline import tasks as pipeline_tasks
from scrm.pipeline.models import CustomerPipeline
from scrm.pipeline.schemas import MoveIn
from scrm.risk.models import RiskDecision
from scrm.sop.models import SopTask
from tests.factories.customers import make_customer
from tests.pipeline.conftest import make_team, stages_by_name


def stage_tasks(db) -> list[SopTask]:
    return list(db.scalars(select(SopTask).where(SopTask.kind == "stage_sla").order_by(SopTask.id)))


def test_past_the_sla_the_owner_then_the_supervisor_each_once(db, team, stages):
    lead = make_customer(db, team.sales, "吴先生", stage=Stage.lead)
    pipeline_service.move(db, team.sales, lead.id, MoveIn(stage_id=stages["客户分配"].id))  # SLA 24 h, 主管's step
    blocked = make_customer(db, team.sales, "拒绝池客户", stage=Stage.lead)
    pipeline_service.move(db, team.sales, blocked.id, MoveIn(stage_id=stages["客户分配"].id))
    db.add(RiskDecision(customer_id=blocked.id, reject_pool=True, reject_pool_at=utcnow()))
    db.flush()
    now = utcnow()

    assert pipeline_service.escalate(db, now + timedelta(hours=23)) == {"level1": 0, "level2": 0}
    assert pipeline_service.escalate(db, now + timedelta(hours=25)) == {"level1": 1, "level2": 0}
    assert pipeline_service.escalate(db, now + timedelta(hours=26)) == {"level1": 0, "level2": 0}
    (first,) = stage_tasks(db)
    assert first.customer_id == lead.id and first.assignee_employee_id == team.supervisor.id
    assert first.title == "阶段超时：「吴先生」在「客户分配」已超过 24 小时"

    assert pipeline_service.escalate(db, now + timedelta(hours=49)) == {"level1": 0, "level2": 1}
    assert pipeline_service.escalate(db, now + timedelta(hours=90)) == {"level1": 0, "level2": 0}
    second = stage_tasks(db)[1]
    # the step's owner is the department's supervisor, so the escalation goes up to the centre's manager
    assert second.assignee_employee_id == team.manager.id and "升级" in second.title
    assert db.scalar(select(func.count()).select_from(SopTask).where(SopTask.customer_id == blocked.id)) == 0

    # a new stay counts afresh: moved back to 线索录入 (the salesperson's step) it escalates to 张三, then 赵主管
    pipeline_service.move(db, team.sales, lead.id, MoveIn(stage_id=stages["线索录入"].id))
    later = utcnow()
    pipeline_service.escalate(db, later + timedelta(hours=49))
    newest = stage_tasks(db)[2:]
    assert [(t.assignee_employee_id, "升级" in t.title) for t in newest] == [(team.sales.id, False),
                                                                           (team.supervisor.id, True)]


def test_customers_placed_by_their_lifecycle_stage_are_not_escalated(db, team, stages):
    make_customer(db, team.sales, "老线索", stage=Stage.lead, created_at=utcnow() - timedelta(days=90))
    assert pipeline_service.escalate(db) == {"level1": 0, "level2": 0}


def test_two_schedulers_at_once_escalate_each_stay_once(committed_any):
    db = committed_any
    team = make_team(db)
    stages = stages_by_name(db)
    customers = [make_customer(db, team.sales, f"并发{i}", stage=Stage.lead) for i in range(30)]
    db.commit()
    with session_scope() as session:
        for customer in customers:
            pipeline_service.move(session, session.get(type(team.sales), team.sales.id), customer.id,
                                  MoveIn(stage_id=stages["客户分配"].id))
        # in the stage for three days: past the SLA (24 h) and past twice it
        session.execute(update(CustomerPipeline).values(entered_at=utcnow() - timedelta(days=3)))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scheduler():
        try:
            barrier.wait()
            for _ in range(3):
                results.append(pipeline_tasks.escalate())
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert errors == []
    with session_scope(read_only=True) as session:
        tasks = session.execute(select(SopTask.key, SopTask.assignee_employee_id)
                                .where(SopTask.kind == "stage_sla")).all()
        notices = session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == "stage_sla"))
    assert len(tasks) == 60 and len({key for key, _ in tasks}) == 60
    assert sorted({who for _, who in tasks}) == sorted({team.supervisor.id, team.manager.id})
    assert sum(r["level1"] for r in results) == 30 and sum(r["level2"] for r in results) == 30
    # the bot's digest hears of each task once: its assignee, and at level 2 the step's owner (the supervisor) too
    assert notices == 90
