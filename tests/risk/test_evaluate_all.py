"""``evaluate_all``: every customer with facts at once, set-based, as a job and as ``scrm risk evaluate``."""

from __future__ import annotations

from sqlalchemy import func, select, update
from typer.testing import CliRunner

from loan_scrm.cli import app as cli_app
from scrm.customers.models import CustomerStatus
from scrm.risk import service as risk_service
from scrm.risk import tasks as risk_tasks
from scrm.risk.models import RiskFact, RiskFiring, RiskMatch
from scrm.risk.schemas import FactsIn, RuleIn
from tests.factories.customers import make_customer


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
