"""Finance's one-click debit from a closed settlement: the amount due is collected once through the
customer's authorisation, and the settlement and ledger record it."""

from __future__ import annotations

from backoffice.ledger import service as ledger
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import PaymentMethod
from tests.backoffice.conftest import world  # noqa: F401  (fixture)
from tests.factories.backoffice import disbursed
from tests.factories.mandates import sign_papay
from tests.factories.org import auth


def test_debit_button_collects_the_amount_due_once(db, world, pay_client, sandbox_wechatpay):
    order, settlement = disbursed(db, world)
    settlement_service.set_charges(db, world.finance, settlement, payment_method=PaymentMethod.direct_debit)
    settlement_service.close(db, world.finance, settlement)
    due = settlement_service.amount_due_fen(db, settlement.id)
    assert due > 0
    sign_papay(pay_client, _customer(db, order.customer_id), {
        "scope_ref": order.agreement_no, "max_amount": "100000.00", "valid_until": "2030-01-01T00:00:00+08:00"})
    finance = auth(world.finance)
    url = f"/api/backoffice/settlements/{settlement.id}/debit"
    assert pay_client.post(url, headers=auth(world.sales), json={}).status_code == 403
    made = pay_client.post(url, headers=finance, json={})
    assert made.status_code == 201, made.text
    deductions = sandbox_wechatpay.deductions()
    assert len(deductions) == 1 and deductions[0]["total_fee"] == due
    db.expire_all()
    assert settlement_service.amount_due_fen(db, settlement.id) == 0  # recorded on the settlement
    again = pay_client.post(url, headers=finance, json={})  # pressed again once it was collected
    assert again.status_code == 409 and again.json()["message"] == "nothing is due on this settlement"
    assert len(sandbox_wechatpay.deductions()) == 1
    assert ledger.unbalanced_entries(db) == []


def test_after_a_failed_debit_the_button_debits_again_once(db, world, pay_client, sandbox_wechatpay):
    order, settlement = disbursed(db, world)
    settlement_service.set_charges(db, world.finance, settlement, payment_method=PaymentMethod.direct_debit)
    settlement_service.close(db, world.finance, settlement)
    due = settlement_service.amount_due_fen(db, settlement.id)
    papay = sign_papay(pay_client, _customer(db, order.customer_id), {
        "scope_ref": order.agreement_no, "max_amount": "100000.00", "valid_until": "2030-01-01T00:00:00+08:00"})
    finance = auth(world.finance)
    url = f"/api/backoffice/settlements/{settlement.id}/debit"
    sandbox_wechatpay.fail_deductions(papay["contract_id"], "余额不足")
    first = pay_client.post(url, headers=finance, json={}).json()
    assert pay_client.get(f"/api/backoffice/debits/{first['id']}", headers=finance).json()["status"] == "failed"
    db.expire_all()
    assert settlement_service.amount_due_fen(db, settlement.id) == due  # still owed

    sandbox_wechatpay.heal_deductions(papay["contract_id"])  # the customer topped up the card
    second = pay_client.post(url, headers=finance, json={})
    pressed_twice = pay_client.post(url, headers=finance, json={})
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first["id"]
    assert pressed_twice.status_code == 409  # collected by then: nothing is due
    assert second.json()["due_key"] == f"settlement:{settlement.id}#2"
    assert pay_client.get(f"/api/backoffice/debits/{second.json()['id']}", headers=finance).json()["status"] \
        == "succeeded"
    assert [d["total_fee"] for d in sandbox_wechatpay.deductions(succeeded_only=True)] == [due]
    db.expire_all()
    assert settlement_service.amount_due_fen(db, settlement.id) == 0
    assert ledger.unbalanced_entries(db) == []


def _customer(db, customer_id):
    from scrm.customers.models import Customer

    return db.get(Customer, customer_id)
