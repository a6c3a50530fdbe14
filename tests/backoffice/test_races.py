"""Finance's money buttons pressed many times at once, through the served app, on PostgreSQL and on the
embedded default: a settlement's amount due is collected once, and a deposit is never refunded above
what was received (issue 15: the embedded default must be as safe as PostgreSQL)."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import func, select

from backoffice.ledger import service as ledger
from backoffice.ledger.models import JournalEntry
from backoffice.orders.models import DepositRefund
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import PaymentMethod
from scrm.customers.models import Customer
from tests.conftest import race
from tests.factories.backoffice import disbursed, make_world, processing, signed
from tests.factories.mandates import sign_papay
from tests.factories.org import auth
from tests.mandates.conftest import pay_live  # noqa: F401  (fixture)

def test_debit_button_pressed_six_times_at_once_collects_once(committed_any, pay_live, sandbox_wechatpay):
    db = committed_any
    world = make_world(db)
    order, settlement = disbursed(db, world)
    settlement_service.set_charges(db, world.finance, settlement, payment_method=PaymentMethod.direct_debit)
    settlement_service.close(db, world.finance, settlement)
    db.get(Customer, order.customer_id).mp_openid = "oRaceDebit000000000000000001"
    db.commit()
    due = settlement_service.amount_due_fen(db, settlement.id)
    db.commit()
    with httpx.Client(base_url=pay_live.url, timeout=60) as client:
        sign_papay(client, db.get(Customer, order.customer_id), {
            "scope_ref": order.agreement_no, "max_amount": "100000.00", "valid_until": "2030-01-01T00:00:00+08:00"})
    db.commit()
    finance = auth(world.finance)
    url = f"{pay_live.url}/api/backoffice/settlements/{settlement.id}/debit"

    answers = race(6, lambda i: httpx.post(url, headers=finance, json={}, timeout=60))

    assert all(isinstance(a, httpx.Response) for a in answers), answers
    made = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(made) == 1, [(a.status_code, a.text[:160]) for a in answers]
    assert {a.status_code for a in answers} <= {201, 409}
    assert all(a.json()["message"] == "nothing is due on this settlement" for a in answers if a.status_code == 409)
    assert [d["total_fee"] for d in sandbox_wechatpay.deductions()] == [due]
    deadline = time.monotonic() + 15
    while settlement_service.amount_due_fen(db, settlement.id) and time.monotonic() < deadline:
        db.commit()  # a fresh read: the notification credits the settlement just after
        time.sleep(0.1)
    assert settlement_service.amount_due_fen(db, settlement.id) == 0
    assert ledger.unbalanced_entries(db) == []


def test_refunds_filed_and_confirmed_at_once_never_exceed_the_deposit(committed_any, pay_live):
    db = committed_any
    world = make_world(db)
    order = processing(db, world)  # 5,000.00 deposit received
    db.commit()
    base = f"{pay_live.url}/api/backoffice"

    filed = race(6, lambda i: httpx.post(f"{base}/orders/{order.id}/deposit/refunds", headers=auth(world.processor),
                                         json={"amount": "2000.00", "reason": f"客户要求退定 {i}"}, timeout=60))

    assert sorted(a.status_code for a in filed) == [201, 201, 422, 422, 422, 422], \
        [(a.status_code, a.text[:160]) for a in filed]
    refund_ids = list(db.scalars(select(DepositRefund.id).where(DepositRefund.deposit_id.is_not(None))))
    db.commit()
    assert len(refund_ids) == 2

    confirmed = race(6, lambda i: httpx.post(f"{base}/refunds/{refund_ids[i % 2]}/confirm",
                                             headers=auth(world.finance), json={"method": "online_bank"}, timeout=60))

    assert sorted(a.status_code for a in confirmed) == [200, 200, 409, 409, 409, 409], \
        [(a.status_code, a.text[:160]) for a in confirmed]
    db.expire_all()
    assert db.scalar(select(func.sum(DepositRefund.amount_fen)).where(DepositRefund.status == "confirmed")) == 400_000
    assert ledger.unbalanced_entries(db) == []
    db.commit()


def test_a_claim_paid_by_several_finance_presses_at_once_is_paid_once(committed_any, pay_live):
    """Two finance users (or one double click) paying the same reimbursement: one payment, one journal entry.
    On PostgreSQL the claim is not row-locked; the state machine's conditional update decides."""
    db = committed_any
    world = make_world(db)
    order = signed(db, world)
    db.commit()
    base = f"{pay_live.url}/api/backoffice/reimbursements"
    made = httpx.post(base, headers=auth(world.sales), json={
        "customer_id": order.customer_id, "order_id": order.id, "cost_type": "processing", "category": "交通",
        "amount": "86.50", "spent_on": "2026-11-20"})
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert httpx.post(f"{base}/{rid}/confirm", headers=auth(world.finance)).status_code == 200

    paid = race(6, lambda i: httpx.post(f"{base}/{rid}/pay", headers=auth(world.finance),
                                        json={"payer": "online_bank"}, timeout=60))

    assert sorted(a.status_code for a in paid) == [200, 409, 409, 409, 409, 409], \
        [(a.status_code, a.text[:160]) for a in paid]
    db.expire_all()
    entries = db.scalars(select(JournalEntry).where(JournalEntry.source_type == "reimbursement.paid",
                                                    JournalEntry.source_id == rid)).all()
    assert len(entries) == 1
    db.commit()
