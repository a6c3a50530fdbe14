"""Performance per employee / department / funder type, and the funnel and KPIs, against hand-counted figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from backoffice.orders import service as order_service
from backoffice.orders.models import FunderType
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, ExpenseKind, PaymentMethod
from scrm.customers.models import Stage
from tests.factories.backoffice import disbursed, processing, signed, terms
from tests.factories.org import auth
from tests.factories.performance import beijing_today

TODAY = beijing_today().isoformat()


def test_performance_rows_and_funder_ranking(db, client, world):
    w = world
    order, s = disbursed(db, w, amount_fen=10_000_000, funder_type=FunderType.microloan, deposit_fen=100_000)
    settlement_service.set_charges(db, w.finance, s, discount_kind=DiscountKind.fixed, discount_value=10_000,
                                   payment_method=PaymentMethod.cash)
    e = settlement_service.add_expense(db, w.finance, s, ExpenseKind.rebate, "渠道", 30_000)
    settlement_service.confirm_expense(db, w.finance, s, e.id)
    settlement_service.close(db, w.finance, s)  # revenue 3000 - 100 - 300 = 2600
    disbursed(db, w, amount_fen=5_000_000)  # bank, disbursed, not settled: no revenue yet
    processing(db, w)  # bank, in processing
    signed(db, w, amount_applied_fen=1_000_000)
    theirs = order_service.sign_order(db, w.other_sales, w.customer(db, owner=w.other_sales).id,
                                      terms(amount_applied_fen=7_000_000))
    order_service.void(db, w.other_sales, theirs, "录错")  # voided: not a sign-up
    db.flush()

    q = f"date_from=2026-11-01&date_to={TODAY}"
    r = client.get(f"/api/backoffice/reports/performance?{q}&group_by=employee", headers=auth(w.finance))
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert len(rows) == 1
    me = rows[0]
    assert (me["key"], me["name"], me["signups"], me["signed_amount"]) == (w.sales.id, w.sales.name, 4, "610000.00")
    assert (me["disbursed_count"], me["disbursed_amount"], me["revenue"]) == (2, "150000.00", "2600.00")
    assert me["success_rate"] == 0.5
    ranking = client.get(f"/api/backoffice/reports/performance?{q}&group_by=funder_type",
                         headers=auth(w.manager)).json()["rows"]
    # the four funder types are always ranked, those with nothing in the period at zero
    assert [(x["key"], x["name"], x["rank"], x["revenue"]) for x in ranking] == [
        ("microloan", "小贷", 1, "2600.00"), ("bank", "银行", 2, "0.00"), ("consumer_finance", "消金", 3, "0.00"),
        ("credit_insurance", "信保", 4, "0.00")]
    dept = client.get(f"/api/backoffice/reports/performance?{q}&group_by=department",
                      headers=auth(w.finance)).json()["rows"]
    assert [(x["key"], x["signups"]) for x in dept] == [(w.dept_id, 4)]
    assert client.get(f"/api/backoffice/reports/performance?{q}", headers=auth(w.sales)).status_code == 403
    bad = client.get(f"/api/backoffice/reports/performance?date_from={TODAY}&date_to=2000-01-01",
                     headers=auth(w.finance))
    assert bad.status_code == 422 and bad.json()["field"] == "date_to"


def test_funnel_and_kpis(db, client, world):
    w = world
    order, s = disbursed(db, w)
    processing(db, w)
    w.customer(db, stage=Stage.lead)
    w.customer(db, stage=Stage.contacted)
    w.customer(db, stage=Stage.lost)
    db.flush()
    k = client.get(f"/api/backoffice/reports/funnel?date_from={TODAY}&date_to={TODAY}", headers=auth(w.finance)).json()
    funnel = {step["stage"]: step["customers"] for step in k["funnel"]}
    assert funnel == {"lead": 5, "contacted": 3, "appointment": 2, "signed": 2, "processing": 2, "disbursed": 1,
                      "settled": 0}
    assert k["orders"]["disbursed"] == 1 and k["orders"]["processing"] == 1
    assert k["approval_pass_rate"] == 1.0
    assert k["channel_conversion"] == [{"channel_id": None, "customers": 5, "converted": 2, "rate": 0.4}]
    assert k["follow_ups_per_conversion"] == 0.0


def test_overdue_rate_counts_fees_left_to_direct_debit_and_still_owed_after_the_due_days(db, client, world):
    w = world

    def closed(days_ago: int, method=PaymentMethod.direct_debit):
        _, s = disbursed(db, w)
        settlement_service.set_charges(db, w.finance, s, payment_method=method)
        settlement_service.close(db, w.finance, s)
        s.closed_at = s.closed_at - timedelta(days=days_ago)
        return s

    collected, owing, fresh = closed(10), closed(10), closed(0)
    closed(10, PaymentMethod.cash)  # paid at the counter: nothing left to fall overdue
    settlement_service.record_payment(db, collected, source="debit:test-1", amount_fen=collected.amount_due_fen,
                                      provider="papay")
    settlement_service.record_payment(db, owing, source="debit:test-2", amount_fen=100, provider="papay")  # 1 yuan
    db.flush()
    since = (beijing_today() - timedelta(days=30)).isoformat()
    k = client.get(f"/api/backoffice/reports/funnel?date_from={since}&date_to={TODAY}", headers=auth(w.finance)).json()
    o = k["overdue"]
    assert (o["due_days"], o["due"], o["overdue"], o["rate"]) == (3, 2, 1, 0.5)
    assert Decimal(o["due_amount"]) == Decimal(collected.amount_due_fen + owing.amount_due_fen) / 100
    assert Decimal(o["overdue_amount"]) == Decimal(owing.amount_due_fen - 100) / 100
    assert fresh.amount_due_fen > 0  # closed today: not due yet, so in neither figure
