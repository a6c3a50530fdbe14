"""The 按笔数 discount (an amount per disbursed loan) beside the percent and fixed ones, exact in fen, with the
closing entry balanced; expense types finance keeps (the seeded 评估费 and 返点, new ones, a type in use cannot
be deleted: 409)."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.ledger import service as ledger
from backoffice.ledger.models import JournalLine
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, PaymentMethod
from tests.factories.backoffice import disbursed
from tests.factories.org import auth


def _lines(db, entry_id: int) -> dict[str, tuple[int, int]]:
    return {l.account: (l.debit_fen, l.credit_fen) for l in db.scalars(select(JournalLine)
                                                                       .where(JournalLine.entry_id == entry_id))}


def test_per_count_discount_is_the_amount_per_loan_times_the_loans_and_the_entry_balances(db, client, world):
    w = world
    order, s = disbursed(db, w, amount_fen=18_000_000)  # service fee 3% = 5,400.00
    url = f"/api/backoffice/settlements/{s.id}"
    r = client.patch(url, json={"discount_kind": "per_count", "discount_amount": "133.33", "loan_count": 3,
                                "payment_method": "cash"}, headers=auth(w.finance))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["discount_kind"], body["discount_value"], body["loan_count"]) == ("per_count", "133.33", 3)
    assert body["totals"]["discount"] == "399.99" and body["totals"]["net_service_fee"] == "5000.01"

    too_much = client.patch(url, json={"discount_kind": "per_count", "discount_amount": "2000", "loan_count": 3},
                            headers=auth(w.finance))
    assert too_much.status_code == 422 and too_much.json()["field"] == "discount_value"
    no_loans = client.patch(url, json={"discount_kind": "per_count", "discount_amount": "10", "loan_count": 0},
                            headers=auth(w.finance))
    assert no_loans.status_code == 422 and no_loans.json()["field"] == "loan_count"
    db.expire_all()
    assert settlement_service.totals(db, s).discount_fen == 39_999  # the refused changes left nothing behind

    settlement_service.close(db, w.finance, s)
    entry = ledger.find_entry(db, "settlement.closed", s.id)
    lines = _lines(db, entry.id)
    assert lines["fee_discounts"] == (39_999, 0) and lines["fee_revenue"] == (0, 540_000)
    assert sum(d for d, _ in lines.values()) == sum(c for _, c in lines.values())
    assert ledger.unbalanced_entries(db) == []
    # a void reverses it, and the fresh settlement keeps the discount and the loan count
    settlement_service.void(db, w.finance, s, "重算")
    fresh = settlement_service.current_settlement(db, order.id)
    assert (fresh.discount_kind, fresh.discount_value, fresh.loan_count) == (DiscountKind.per_count, 13_333, 3)
    assert ledger.balances(db, order_id=order.id)["fee_discounts"] == 0 and ledger.unbalanced_entries(db) == []


def test_expense_types_are_kept_by_finance_and_a_type_in_use_cannot_be_deleted(db, client, world):
    w = world
    types = client.get("/api/backoffice/expense-types", headers=auth(w.sales)).json()
    assert [(t["code"], t["name"], t["account_name"]) for t in types] == [("appraisal", "评估费", "评估费"),
                                                                          ("rebate", "返点", "渠道返点")]
    assert client.post("/api/backoffice/expense-types", json={"name": "下户费", "account": "appraisal_expense"},
                       headers=auth(w.sales)).status_code == 403
    made = client.post("/api/backoffice/expense-types", json={"name": "下户费", "account": "appraisal_expense"},
                       headers=auth(w.finance))
    assert made.status_code == 201, made.text
    visit = made.json()
    twice = client.post("/api/backoffice/expense-types", json={"name": "下户费", "account": "rebate_expense"},
                        headers=auth(w.finance))
    assert twice.status_code == 409 and twice.json()["field"] == "name"
    bad = client.post("/api/backoffice/expense-types", json={"name": "x", "account": "bank"}, headers=auth(w.finance))
    assert bad.status_code == 422 and bad.json()["field"] == "account"
    spare = client.post("/api/backoffice/expense-types", json={"name": "公证费", "account": "appraisal_expense"},
                        headers=auth(w.finance)).json()

    order, s = disbursed(db, w)
    r = client.post(f"/api/backoffice/settlements/{s.id}/expenses",
                    json={"kind": visit["code"], "payee": "下户公司", "amount": "300"}, headers=auth(w.finance))
    assert r.status_code == 201, r.text
    assert [(e["kind_name"], e["amount"]) for e in r.json()["expenses"]] == [("下户费", "300.00")]
    unknown = client.post(f"/api/backoffice/settlements/{s.id}/expenses",
                          json={"kind": "nope", "payee": "某", "amount": "1"}, headers=auth(w.finance))
    assert unknown.status_code == 422 and unknown.json()["field"] == "kind"

    in_use = client.delete(f"/api/backoffice/expense-types/{visit['id']}", headers=auth(w.finance))
    assert in_use.status_code == 409 and "下户费" in in_use.json()["message"]
    builtin = client.delete(f"/api/backoffice/expense-types/{types[1]['id']}", headers=auth(w.finance))
    assert builtin.status_code == 409
    assert client.delete(f"/api/backoffice/expense-types/{spare['id']}", headers=auth(w.finance)).status_code == 204

    off = client.patch(f"/api/backoffice/expense-types/{visit['id']}", json={"active": False, "name": "下户费用"},
                       headers=auth(w.finance))
    assert off.status_code == 200 and (off.json()["active"], off.json()["name"]) == (False, "下户费用")
    refused = client.post(f"/api/backoffice/settlements/{s.id}/expenses",
                          json={"kind": visit["code"], "payee": "某", "amount": "1"}, headers=auth(w.finance))
    assert refused.status_code == 422 and refused.json()["field"] == "kind"

    # the new type posts to its account at closing (a cost, not a rebate: revenue is not reduced by it)
    expense_id = r.json()["expenses"][0]["id"]
    settlement_service.confirm_expense(db, w.finance, s, expense_id)
    settlement_service.set_charges(db, w.finance, s, payment_method=PaymentMethod.cash)
    settlement_service.close(db, w.finance, s)
    lines = _lines(db, ledger.find_entry(db, "settlement.closed", s.id).id)
    assert lines["appraisal_expense"] == (30_000, 0) and "rebate_expense" not in lines
    assert ledger.unbalanced_entries(db) == []
