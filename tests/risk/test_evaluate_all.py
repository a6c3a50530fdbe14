"""``evaluate_all``: every customer with facts at once, set-based, as a job and as ``scrm risk evaluate``."""

from __future__ import annotations

from sqlalchemy import func, select, update
from typer.testing import CliRunner

from loan_scrm.cli import app as cli_app
from scrm.core.events import OutboxEvent
from scrm.customers.models import CustomerStatus, TimelineEntry
from scrm.risk import service as risk_service
from scrm.risk import tasks as risk_tasks
from scrm.risk.models import RiskDecision, RiskFact, RiskFiring, RiskMatch, RiskRule
from scrm.risk.schemas import FactsIn, RuleIn
from scrm.risk.service import evaluation
from scrm.tagging import service as tagging_service
from tests.factories.customers import make_customer
from tests.risk.conftest import make_staff


def test_evaluate_all_fires_once_per_matching_customer_and_ends_stale_matches(db, staff):
    customers = [make_customer(db, staff.sales, f"批量{i}") for i in range(6)]
    for i, customer in enumerate(customers):
        risk_service.set_facts(db, staff.sales, customer.id, FactsIn(online_loans=i))
    merged = make_customer(db, staff.sales, "已合并", status=CustomerStatus.merged)
    risk_service.set_facts(db, None, merged.id, FactsIn(online_loans=9))
    rule = RuleIn(name="网贷多", condition={"fact": "online_loans", "op": ">=", "value": 3},
                  actions=[{"type": "alert", "text": "请核实网贷"}])
    risk_service.create_rule(db, staff.manager, rule)

    assert risk_tasks.evaluate_all() == {"fired": 3, "ended": 0}

    fired = db.scalars(select(RiskFiring.customer_id).order_by(RiskFiring.customer_id)).all()
    assert fired == [c.id for c in customers[3:]]
    assert risk_tasks.evaluate_all() == {"fired": 0, "ended": 0}
    # facts written in bulk, past the per-customer evaluation: the next run ends the match that no longer holds
    db.execute(update(RiskFact).where(RiskFact.customer_id == customers[5].id).values(online_loans=0))
    assert risk_tasks.evaluate_all() == {"fired": 0, "ended": 1}
    assert db.scalar(select(func.count()).select_from(RiskMatch)) == 2


def test_scrm_risk_evaluate(db, staff):
    customer = make_customer(db, staff.sales, "命令行")
    risk_service.set_facts(db, staff.sales, customer.id, FactsIn(inquiries_6m=30))
    rule = RuleIn(name="半年查询多", condition={"fact": "inquiries_6m", "op": ">", "value": 20},
                  actions=[{"type": "add_tag", "tag": "高风险"}])
    risk_service.create_rule(db, staff.manager, rule)

    first = CliRunner().invoke(cli_app, ["risk", "evaluate"])
    second = CliRunner().invoke(cli_app, ["risk", "evaluate"])

    assert first.exit_code == 0, first.output
    assert first.output.strip() == "1 firings, 0 matches ended"
    assert second.output.strip() == "0 firings, 0 matches ended"


def test_many_new_matches_at_once_each_get_their_own_firing_on_both_databases(committed_any, monkeypatch):
    """New matches are acted on a batch at a time; across the batches' edges every customer still gets its own
    firing, match link, tag, notices, decision and timeline entry, and nobody gets two."""
    db = committed_any
    monkeypatch.setattr(evaluation, "FIRE_BATCH", 2)
    staff = make_staff(db)
    customers = [make_customer(db, staff.sales, f"批次{i}") for i in range(5)]
    for customer in customers:
        risk_service.set_facts(db, staff.sales, customer.id, FactsIn(inquiries_3m=15))
    rule = risk_service.create_rule(db, staff.manager, RuleIn(
        name="查询过多全套", active=False, condition={"fact": "inquiries_3m", "op": ">", "value": 10},
        actions=[{"type": "add_tag", "tag": "高风险"}, {"type": "alert"},
                 {"type": "route_approval", "employee_id": staff.director.id, "title": "风控总监"},
                 {"type": "return", "materials": ["id_card"]}, {"type": "reject_pool", "reason": "查询过多"}]))
    db.execute(update(RiskRule).where(RiskRule.id == rule.id).values(active=True))
    db.commit()

    assert risk_tasks.evaluate_all() == {"fired": 5, "ended": 0}

    db.expire_all()
    ids = [c.id for c in customers]
    firings = {f.customer_id: f for f in db.scalars(select(RiskFiring))}
    assert sorted(firings) == ids
    links = dict(db.execute(select(RiskMatch.customer_id, RiskMatch.firing_id)).all())
    assert links == {i: firings[i].id for i in ids}
    for i in ids:
        assert [d["type"] for d in firings[i].done] == ["add_tag", "alert", "route_approval", "return", "reject_pool"]
        decision = db.get(RiskDecision, i)
        assert (decision.reject_pool, decision.reject_pool_firing_id) == (True, firings[i].id)
        assert (decision.approval_firing_id, decision.awaiting_approval_title) == (firings[i].id, "风控总监")
        assert (decision.returned_firing_id, decision.returned_missing) == (firings[i].id, ["id_card"])
        entry = db.scalars(select(TimelineEntry).where(TimelineEntry.customer_id == i,
                                                       TimelineEntry.kind == "risk_rule_fired")).one()
        assert entry.data["firing_id"] == firings[i].id
    assert all("高风险" in tags for tags in tagging_service.profile_tags_of(db, ids).values())
    notices = [e.payload for e in db.scalars(select(OutboxEvent).where(OutboxEvent.name == "risk.notice"))]
    assert sorted((n["customer_id"], n["kind"]) for n in notices) == sorted(
        (i, kind) for i in ids for kind in ("alert", "approval", "return", "reject_pool"))
    assert all(n["firing_id"] == firings[n["customer_id"]].id for n in notices)
    assert risk_tasks.evaluate_all() == {"fired": 0, "ended": 0}
