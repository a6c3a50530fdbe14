"""Deposit refunds (filed by the processor, confirmed by finance, never above what was received) and borrowing."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.ledger import service as ledger
from backoffice.orders import service as order_service
from backoffice.orders.models import BorrowingStatus, DepositStatus, OrderStatus, RefundStatus
from scrm.core.errors import Forbidden, InvalidTransition, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from tests.factories.backoffice import processing
from tests.factories.common import events_named


def test_partial_then_full_refund_never_above_what_was_received(db, world):
    w = world
    order = processing(db, w)  # 5000 deposit
    with pytest.raises(Forbidden):
        order_service.file_refund(db, w.other_processor, order, 100_000, "拒贷")
    with pytest.raises(Forbidden):
        order_service.file_refund(db, w.finance, order, 100_000, "拒贷")
    with pytest.raises(ValidationFailed) as exc:
        order_service.file_refund(db, w.processor, order, 100_000, " ")
    assert exc.value.field == "reason"
    first = order_service.file_refund(db, w.processor, order, 200_000, "客户资质不足，部分退定")
    with pytest.raises(ValidationFailed, match="可退金额 3000.00"):
        order_service.file_refund(db, w.processor, order, 300_001, "再退")  # 2000 already asked for
    with pytest.raises(Forbidden):
        order_service.confirm_refund(db, w.processor, first)
    order_service.confirm_refund(db, w.finance, first, method="wechat")
    with pytest.raises(InvalidTransition):
        order_service.confirm_refund(db, w.finance, first)
    deposit = order_service.deposit_of(db, order.id)
    assert (deposit.status, deposit.refunded_fen, order.status) == (DepositStatus.held, 200_000, OrderStatus.processing)
    rejected = order_service.file_refund(db, w.processor, order, 50_000, "再退一点")
    order_service.reject_refund(db, w.finance, rejected, "不同意")
    assert rejected.status == RefundStatus.rejected
    rest = order_service.file_refund(db, w.processor, order, 300_000, "银行拒贷，全额退定")
    order_service.confirm_refund(db, w.finance, rest)
    assert (deposit.status, deposit.refunded_fen, order.status) == (DepositStatus.refunded, 500_000,
                                                                    OrderStatus.refunded)
    db.expire_all()
    assert customer_service.get(db, order.customer_id).stage == Stage.lost
    assert [e["full"] for e in events_named(db, "deposit.refunded")] == [False, True]
    assert events_named(db, "deposit.refunded")[-1] == {"deposit_id": deposit.id, "order_id": order.id,
                                                        "customer_id": order.customer_id, "amount_fen": 300_000,
                                                        "full": True}
    balances = ledger.balances(db, order_id=order.id)
    assert balances["deposits_held"] == 0 and balances["cash"] == 500_000 - 300_000 and balances["bank"] == -200_000
    with pytest.raises(InvalidTransition):
        order_service.file_refund(db, w.processor, order, 1, "还要退")


def test_borrowing_repaid_separately_posts_principal_interest_and_cost(db, world):
    w = world
    order = processing(db, w)
    with pytest.raises(Forbidden):
        order_service.lend(db, w.processor, order, principal_fen=1, lent_on=date(2026, 1, 1), annual_rate_bp=0)
    with pytest.raises(ValidationFailed) as exc:
        order_service.lend(db, w.finance, order, principal_fen=100, lent_on=date(2026, 1, 1), annual_rate_bp=9000)
    assert exc.value.field == "annual_rate"
    b = order_service.lend(db, w.finance, order, principal_fen=3_000_000, lent_on=date(2026, 1, 1),
                           annual_rate_bp=1200, cost_fen=10_000)
    # 30000 × 12% × 73 / 365 = 720.00
    assert order_service.interest_fen(b, date(2026, 3, 15)) == 72_000
    order_service.repay_separately(db, w.finance, b, on=date(2026, 3, 15))
    assert (b.status, b.interest_fen, b.repaid_via) == (BorrowingStatus.repaid, 72_000, "separate")
    with pytest.raises(InvalidTransition):
        order_service.repay_separately(db, w.finance, b, on=date(2026, 3, 16))
    balances = ledger.balances(db, order_id=order.id)
    assert balances["loan_receivable"] == 0 and balances["interest_income"] == 82_000
    assert ledger.unbalanced_entries(db) == []
