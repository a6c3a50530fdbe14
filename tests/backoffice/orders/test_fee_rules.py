"""A sign-up's service fee comes from its product's fee rule (a rate with a minimum, or fixed), exact to the fen;
the salesperson enters customer, product and amounts and may neither send fees nor amend the sign-up: only
finance sets or corrects amounts."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.orders import service as order_service
from backoffice.orders.models import FollowUpKind, Order
from backoffice.settlements import service as settlement_service
from scrm.customers import service as customer_service
from scrm.customers.models import FeeKind
from scrm.customers.service import FeeRule
from tests.console.conftest import csrf_of, sign_in  # noqa: F401  (fixture)
from tests.factories.backoffice import terms
from tests.factories.org import auth


@pytest.mark.pure
@pytest.mark.parametrize("rule, amount_fen, fee_fen", [
    (FeeRule(FeeKind.rate, rate_bp=300, min_fen=100_000), 20_000_000, 600_000),  # 3% of 200,000.00
    (FeeRule(FeeKind.rate, rate_bp=300, min_fen=100_000), 2_000_000, 100_000),  # 600.00 is below the minimum
    (FeeRule(FeeKind.rate, rate_bp=125, min_fen=0), 12_345_678, 154_321),  # 1,543.20975 → 1,543.21
    (FeeRule(FeeKind.rate, rate_bp=125, min_fen=0), 12_345_640, 154_321),  # 1,543.205 → half up to 1,543.21
    (FeeRule(FeeKind.rate, rate_bp=125, min_fen=0), 12_345_600, 154_320),  # exactly 1,543.20
    (FeeRule(FeeKind.fixed, fixed_fen=150_000), 99_999_999, 150_000),
    (FeeRule(FeeKind.fixed, fixed_fen=50_000, min_fen=80_000), 1, 80_000),
])
def test_the_fee_a_rule_gives_to_the_fen(rule, amount_fen, fee_fen):
    assert rule.fee_fen(amount_fen) == fee_fen


def sign(client, who, customer_id: int, **kw):
    body = {"customer_id": customer_id, "product_code": "credit", "funder_type": "bank", "amount_applied": "200000",
            "deposit": "5000"} | kw
    return client.post("/api/backoffice/orders", json=body, headers=auth(who))


def test_the_product_fee_rule_fills_the_sign_up(db, client, world):
    w = world
    # 信用贷: 3%, at least 1,000.00 — on 20,000.00 the minimum applies
    r = sign(client, w.sales, w.customer(db).id, amount_applied="20000")
    assert r.status_code == 201, r.text
    o = r.json()
    assert (o["service_fee_rate"], o["service_fee"], o["service_fee_min"], o["expected_service_fee"]) == (
        "3", None, "1000.00", "1000.00")
    # 公积金贷: a fixed 1,500.00
    r = sign(client, w.sales, w.customer(db).id, product_code="provident_fund", amount_applied="300000")
    assert (r.json()["service_fee_rate"], r.json()["service_fee"], r.json()["expected_service_fee"]) == (
        None, "1500.00", "1500.00")
    # a manager's own product: 1.25% with no minimum, to the fen
    made = client.post("/api/customers/products", headers=auth(w.manager), json={
        "code": "bridge", "name": "过桥贷", "form_fields": [{"key": "bank", "label": "银行", "type": "text"}],
        "fee_rule": {"kind": "rate", "rate_bp": 125}})
    assert made.status_code == 201, made.text
    r = sign(client, w.sales, w.customer(db).id, product_code="bridge", amount_applied="123456.78")
    assert (r.json()["service_fee_rate"], r.json()["expected_service_fee"]) == ("1.25", "1543.21")


def test_the_settlement_charges_the_rate_on_the_amount_disbursed_but_never_below_the_minimum(db, world):
    w = world
    fees = []
    for disbursed_fen in (2_000_000, 18_000_000):
        order = order_service.sign_order(db, w.sales, w.customer(db).id, terms(amount_applied_fen=disbursed_fen))
        order_service.confirm_contract(db, w.finance, order)
        order_service.review(db, w.supervisor, order)
        order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
        order_service.add_follow_up(db, w.processor, order, FollowUpKind.disbursed_pending, "已放款")
        settlement = settlement_service.disburse(db, w.processor, order, amount_fen=disbursed_fen,
                                                 disbursed_on=date(2026, 12, 1), funder_name="招商银行")
        fees.append(settlement.service_fee_fen)
    assert fees == [100_000, 540_000]  # 3% of 20,000.00 is below 1,000.00; 3% of 180,000.00


@pytest.mark.parametrize("field, value", [("service_fee_rate", "2"), ("service_fee", "3000"), ("other_fees", "100")])
def test_fee_fields_sent_by_a_salesperson_are_refused_by_name(db, client, world, field, value):
    r = sign(client, world.sales, world.customer(db).id, **{field: value})
    assert r.status_code == 422 and r.json()["field"] == field
    assert "收费规则" in r.json()["message"]
    assert client.get("/api/backoffice/orders", headers=auth(world.finance)).json()["total"] == 0


def test_a_retired_product_takes_no_sign_up(db, client, world):
    customer_service.retire_product(db, world.manager, customer_service.product_by_code(db, "credit"))
    r = sign(client, world.sales, world.customer(db).id)
    assert r.status_code == 422 and r.json()["field"] == "product_code"


def test_only_finance_amends_a_sign_up(db, client, world):
    w = world
    oid = sign(client, w.sales, w.customer(db).id).json()["id"]
    for body in ({"amount_applied": "300000"}, {"service_fee_rate": "1"}, {"deposit": "0"}):
        r = client.patch(f"/api/backoffice/orders/{oid}", json=body, headers=auth(w.sales))
        assert r.status_code == 403, r.text
    order = db.get(Order, oid)
    db.refresh(order)
    assert (order.amount_applied_fen, order.service_fee_rate_bp, order.deposit_fen) == (20_000_000, 300, 500_000)
    assert order_service.ORDER_MACHINE.allowed_actions(order, w.sales) == ["void"]

    r = client.patch(f"/api/backoffice/orders/{oid}", headers=auth(w.finance),
                     json={"amount_applied": "250000.01", "service_fee": "4321.99"})
    assert r.status_code == 200, r.text
    assert (r.json()["amount_applied"], r.json()["service_fee_rate"], r.json()["service_fee"],
            r.json()["expected_service_fee"]) == ("250000.01", None, "4321.99", "4321.99")
    r = client.patch(f"/api/backoffice/orders/{oid}", headers=auth(w.finance), json={"service_fee_rate": "2.5",
                                                                                     "service_fee_min": "8000"})
    assert (r.json()["service_fee_rate"], r.json()["service_fee"], r.json()["expected_service_fee"]) == (
        "2.5", None, "8000.00")  # 2.5% of 250,000.01 is 6,250.00, below the minimum agreed


def test_the_console_offers_the_amend_form_to_finance_only(db, client, world, sign_in):
    w = world
    order = order_service.sign_order(db, w.sales, w.customer(db).id, terms())
    sales = sign_in(w.sales)
    page = sales.get(f"/console/finance/orders/{order.id}")
    assert page.status_code == 200
    assert "保存修改" not in page.text and 'id="f-amount_applied" value="200000.00"  readonly' in page.text
    assert "服务费按产品收费规则生成" in page.text and "6,000.00 元" in page.text  # 3% of 200,000.00
    refused = sales.post(f"/console/finance/orders/{order.id}/amend", follow_redirects=False, data={
        "csrf_token": csrf_of(page.text), "product_code": "credit", "funder_type": "bank", "amount_applied": "1",
        "deposit": "0", "service_fee_rate": "1", "service_fee": "", "other_fees": "0"})
    assert refused.status_code == 403
    db.refresh(order)
    assert order.amount_applied_fen == 20_000_000

    finance = sign_in(w.finance)
    page = finance.get(f"/console/finance/orders/{order.id}")
    assert "保存修改" in page.text
    done = finance.post(f"/console/finance/orders/{order.id}/amend", follow_redirects=False, data={
        "csrf_token": csrf_of(page.text), "product_code": "credit", "funder_type": "bank",
        "amount_applied": "210000", "deposit": "5000", "service_fee_rate": "2", "service_fee": "", "other_fees": "0"})
    assert done.status_code == 303
    db.refresh(order)
    assert (order.amount_applied_fen, order.service_fee_rate_bp) == (21_000_000, 200)
