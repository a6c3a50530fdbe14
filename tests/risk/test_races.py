"""Salespeople changing one customer's facts at the same moment, through the served app on PostgreSQL and on the
embedded default: every change is applied in turn, and the rule fires once, with one tag, one alert and one
firing on record."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from scrm.bot.models import Notification
from scrm.customers.models import TimelineEntry
from scrm.risk import service as risk_service
from scrm.risk import tasks as risk_tasks
from scrm.risk.models import RiskFact, RiskFiring, RiskMatch, RiskRule
from scrm.risk.schemas import FactsIn
from scrm.tagging.models import TagEvidence
from tests.conftest import race
from tests.factories.customers import make_customer
from tests.factories.org import auth
from tests.risk.conftest import make_staff, write_seed_rules


def test_six_fact_changes_at_once_fire_the_rule_once(committed_any, served_any):
    db = committed_any
    staff = make_staff(db)
    customer = make_customer(db, staff.sales, "并发")
    db.commit()
    with httpx.Client(base_url=served_any.url, timeout=60) as client:
        write_seed_rules(client, staff)
    url = f"{served_any.url}/api/customers/{customer.id}/risk/facts"

    answers = race(6, lambda i: httpx.patch(url, headers=auth(staff.sales), timeout=60,
                                            json={"inquiries_3m": 11 + i, "online_loans": i}))

    assert [getattr(a, "status_code", a) for a in answers] == [200] * 6, [getattr(a, "text", a) for a in answers]
    db.expire_all()
    fact = db.get(RiskFact, customer.id)
    assert fact.version == 6  # each change applied on top of the one before
    assert db.scalar(select(func.count()).select_from(TimelineEntry).where(
        TimelineEntry.customer_id == customer.id, TimelineEntry.kind == "risk_facts_changed")) == 6
    firings = db.execute(select(RiskFiring.rule_name, RiskFiring.evidence)
                         .where(RiskFiring.customer_id == customer.id)).all()
    names = sorted(f.rule_name for f in firings)
    # the inquiries rule once, the materials rule once (nothing on file), the score rule once (45 or 35: under 60)
    assert names == ["征信查询过多", "资料缺少关键项", "资质评分不足"]
    inquiries = next(f.evidence for f in firings if f.rule_name == "征信查询过多")
    assert 11 <= inquiries["inquiries_3m"] <= 16
    assert db.scalar(select(func.count()).select_from(RiskMatch).where(RiskMatch.customer_id == customer.id)) == 3
    assert db.scalar(select(func.count()).select_from(TagEvidence).where(
        TagEvidence.customer_id == customer.id, TagEvidence.source_key.like("risk:%"))) == 1
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "risk_alert", Notification.employee_id == staff.sales.id)) == 1


def test_one_rule_name_written_six_times_at_once_is_created_once(committed_any, served_any):
    db = committed_any
    staff = make_staff(db)
    db.commit()
    rule = {"name": "网贷较多", "condition": {"fact": "online_loans", "op": ">", "value": 3},
            "actions": [{"type": "alert"}]}

    answers = race(6, lambda i: httpx.post(f"{served_any.url}/api/risk/rules", headers=auth(staff.manager), timeout=60,
                                           json=rule | {"position": i}))

    codes = sorted(getattr(a, "status_code", 0) for a in answers)
    assert codes == [201, 409, 409, 409, 409, 409], [getattr(a, "text", a) for a in answers]
    assert db.scalar(select(func.count()).select_from(RiskRule)) == 1


def test_evaluate_all_beside_fact_changes_fires_each_customer_once(committed_any, served_any):
    db = committed_any
    staff = make_staff(db)
    customers = [make_customer(db, staff.sales, f"批量{i}") for i in range(40)]
    for customer in customers:
        risk_service.set_facts(db, staff.sales, customer.id, FactsIn(inquiries_3m=12, materials=["id_card"]))
    # a rule already stored (as a migration or an import would leave it) that nothing has evaluated yet
    db.add(RiskRule(name="征信查询过多", condition={"fact": "inquiries_3m", "op": ">", "value": 10},
                    actions=[{"type": "add_tag", "tag": "高风险"}, {"type": "return", "materials": ["credit_report"]}],
                    position=1, active=True, version=1))
    ids, headers = [c.id for c in customers], auth(staff.sales)
    db.commit()  # (on SQLite the test's own reads see the file as it was when their transaction began)

    def work(i: int):
        if i == 0:
            return risk_tasks.evaluate_all()
        # the job fires in id order and takes a while over 40 customers: these change facts while it runs
        return httpx.patch(f"{served_any.url}/api/customers/{ids[-3 * i]}/risk/facts", headers=headers, timeout=60,
                           json={"online_loans": i})

    answers = race(6, work)

    assert isinstance(answers[0], dict), answers[0]
    assert [getattr(a, "status_code", a) for a in answers[1:]] == [200] * 5, answers
    db.expire_all()
    fired = sorted(db.scalars(select(RiskFiring.customer_id)))
    assert fired == sorted(ids), (answers[0], [a.json()["firings"] for a in answers[1:]])
    by_the_job = db.scalar(select(func.count()).select_from(RiskFiring).where(RiskFiring.facts_version == 1))
    assert answers[0]["fired"] == by_the_job
