"""The customer's own view of their loan (``GET /mp/loan``): the order's steps, the deposit, the settlement's parts
and what is still owed, in fen, and nobody else's order."""

from __future__ import annotations

from backoffice.orders import service as order_service
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import PaymentMethod
from scrm.auth import issue_customer_token
from tests.backoffice.conftest import world  # noqa: F401  (fixture)
from tests.factories.backoffice import disbursed, signed


def _me(customer_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_customer_token(customer_id)}"}


def _steps(loan: dict) -> dict[str, bool]:
    return {s["key"]: s["done"] for s in loan["steps"]}


def test_no_order_yet_is_an_empty_loan(db, client, world):
    customer = world.customer(db)
    r = client.get("/mp/loan", headers=_me(customer.id))
    assert r.status_code == 200 and r.json() == {"loan": None}


def test_signed_then_settled_shows_each_step_and_the_amount_owed(db, client, world):
    order = signed(db, world)
    headers = _me(order.customer_id)
    loan = client.get("/mp/loan", headers=headers).json()["loan"]
    assert loan["agreement_no"] == order.agreement_no and loan["status"] == "signed"
    assert _steps(loan) == {"signed": True, "deposit": False, "processing": False, "disbursed": False,
                            "settled": False}
    assert loan["statement"] is None and loan["owed_fen"] is None

    order_service.void(db, world.sales, order, "录错了")
    order, settlement = disbursed(db, world, amount_fen=18_000_012)   # a second customer's order
    headers = _me(order.customer_id)
    loan = client.get("/mp/loan", headers=headers).json()["loan"]
    assert _steps(loan) == {"signed": True, "deposit": True, "processing": True, "disbursed": True,
                            "settled": False}
    assert loan["deposit_received_fen"] == 500_000 and loan["disbursed_amount_fen"] == 18_000_012
    assert loan["statement"]["status"] == "open" and loan["owed_fen"] is None

    settlement_service.set_charges(db, world.finance, settlement, payment_method=PaymentMethod.direct_debit)
    settlement_service.add_fee(db, world.finance, settlement, "下户费", 30_001)
    settlement_service.close(db, world.finance, settlement)
    loan = client.get("/mp/loan", headers=headers).json()["loan"]
    assert loan["status"] == "settled" and _steps(loan)["settled"]
    s = loan["statement"]
    # the fee is 3 % of the disbursed 180 000.12 yuan (rounded once), plus the extra fee, less the deposit
    assert s["total_charges_fen"] == s["service_fee_fen"] + 30_001
    assert loan["owed_fen"] == s["total_charges_fen"] - 500_000 > 0

    settlement_service.record_payment(db, settlement, source="test:debit", amount_fen=loan["owed_fen"])
    assert client.get("/mp/loan", headers=headers).json()["loan"]["owed_fen"] == 0


def test_the_voided_order_is_not_shown_and_another_customer_sees_only_theirs(db, client, world):
    order = signed(db, world)
    order_service.void(db, world.sales, order, "录错了")
    assert client.get("/mp/loan", headers=_me(order.customer_id)).json() == {"loan": None}
    other = signed(db, world)
    assert client.get("/mp/loan", headers=_me(order.customer_id)).json() == {"loan": None}
    assert client.get("/mp/loan", headers=_me(other.customer_id)).json()["loan"]["order_id"] == other.id
    assert client.get("/mp/loan").status_code == 401
