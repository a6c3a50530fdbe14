"""Customers in the reject pool (拒绝池) get no SOP follow-up tasks and no mass messages; a manager can take one out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from scrm.broadcast import service as broadcast_service
from scrm.broadcast.models import MassTask
from scrm.core.db import utcnow
from scrm.groups.models import CustomerTier
from scrm.risk import service as risk_service
from scrm.risk.schemas import FactsIn, RuleIn
from scrm.sop import service as sop_service
from scrm.sop.models import SopTask
from tests.factories.customers import make_customer
from tests.factories.org import auth
from tests.factories.sop import ensure_a_schedule

POOL_RULE = {"name": "资质评分不足", "condition": {"fact": "score", "op": "<", "value": 60},
             "actions": [{"type": "reject_pool"}]}


def _two_tier_a_customers(db, staff):
    kept, pooled = (make_customer(db, staff.sales, name, wecom_external_userid=f"wm{name}") for name in ("甲", "乙"))
    for customer in (kept, pooled):
        db.add(CustomerTier(customer_id=customer.id, tier="A", updated_at=utcnow()))
    db.flush()
    risk_service.create_rule(db, staff.manager, RuleIn(**POOL_RULE))
    risk_service.set_facts(db, staff.sales, kept.id, FactsIn(social_security_months=36))
    risk_service.set_facts(db, staff.sales, pooled.id, FactsIn(worst_overdue="m3_plus"))
    return kept, pooled


def test_sop_generation_skips_the_reject_pool(db, staff):
    ensure_a_schedule(db)
    kept, pooled = _two_tier_a_customers(db, staff)
    lead = make_customer(db, staff.sales, "丙", assigned_at=utcnow() - timedelta(days=3))
    risk_service.set_facts(db, staff.sales, lead.id, FactsIn(worst_overdue="m3_plus"))

    sop_service.generate(db, datetime(2026, 12, 14, 10, tzinfo=timezone.utc))

    tasks = set(db.execute(select(SopTask.customer_id, SopTask.kind)).all())
    assert (kept.id, "call_reminder") in tasks
    assert {c for c, _ in tasks} & {pooled.id, lead.id} == set()


def test_mass_messages_skip_the_reject_pool(db, staff):
    kept, pooled = _two_tier_a_customers(db, staff)

    mass = broadcast_service.for_customers(db, kind="test", source_key="risk-test", text="你好",
                                           customer_ids=[kept.id, pooled.id])

    tasks = db.scalars(select(MassTask).where(MassTask.mass_id == mass.id))
    recipients = [u for t in tasks for u in t.external_userids]
    assert recipients == [kept.wecom_external_userid]
    assert broadcast_service.for_customers(db, kind="test", source_key="risk-test-2", text="你好",
                                           customer_ids=[pooled.id]) is None


def test_a_manager_takes_a_customer_out_of_the_reject_pool(client, db, staff):
    _, pooled = _two_tier_a_customers(db, staff)
    url = f"/api/customers/{pooled.id}/risk"
    assert client.get(url, headers=auth(staff.sales)).json()["reject_pool"] is True

    assert client.post(f"{url}/clear", json={"what": "reject_pool"}, headers=auth(staff.sales)).status_code == 403
    answer = client.post(f"{url}/clear", json={"what": "reject_pool"}, headers=auth(staff.manager))

    assert answer.status_code == 200, answer.text
    assert answer.json()["reject_pool"] is False
    # still matching: the rule does not fire again until the facts stop matching and match again
    again = client.patch(f"{url}/facts", json={"overdue_count": 3}, headers=auth(staff.sales)).json()
    assert again["reject_pool"] is False and len(again["firings"]) == 1
