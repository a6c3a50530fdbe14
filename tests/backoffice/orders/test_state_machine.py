"""Every order action tried from every order state through the services: allowed ones move it as the hand-written
matrix says, the rest are 409 and change nothing."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.common.history import history
from backoffice.orders import service as order_service
from backoffice.orders.models import FollowUpKind, OrderStatus
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import PaymentMethod
from scrm.core.errors import InvalidTransition
from tests.backoffice.conftest import disbursed, processing, signed
from tests.test_statemachine import ORDER_EXPECTED

S = OrderStatus


def order_in(db, w, status: OrderStatus):
    if status == S.signed:
        return signed(db, w)
    if status == S.confirmed:
        order = signed(db, w)
        order_service.confirm_contract(db, w.finance, order)
        return order
    if status == S.reviewed:
        order = order_in(db, w, S.confirmed)
        order_service.review(db, w.supervisor, order)
        return order
    if status == S.processing:
        return processing(db, w)
    if status == S.refunded:
        order = processing(db, w)
        refund = order_service.file_refund(db, w.processor, order, 500_000, "银行拒贷")
        order_service.confirm_refund(db, w.finance, refund)
        return order
    if status == S.voided:
        order = signed(db, w)
        order_service.void(db, w.sales, order, "录错")
        return order
    order, settlement = disbursed(db, w)
    if status == S.settled:
        settlement_service.set_charges(db, w.finance, settlement, payment_method=PaymentMethod.cash)
        settlement_service.close(db, w.finance, settlement)
    return order


def act(db, w, order, action: str):
    if action == "amend":
        order_service.amend(db, w.finance, order, {"deposit_fen": order.deposit_fen + 100})
    elif action == "follow_up":
        order_service.add_follow_up(db, w.admin, order, FollowUpKind.disbursed_pending, "跟进")
    elif action == "refund":
        order_service.file_refund(db, w.admin, order, 100, "退一部分")
    elif action == "lend":
        order_service.lend(db, w.finance, order, principal_fen=100_000, lent_on=date(2026, 11, 1), annual_rate_bp=1200)
    elif action == "confirm":
        order_service.confirm_contract(db, w.finance, order)
    elif action == "review":
        order_service.review(db, w.supervisor, order)
    elif action == "void":
        order_service.void(db, w.finance, order, "录错")
    elif action == "start_processing":
        order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
    elif action == "disburse":
        if order.status == S.processing:
            order_service.add_follow_up(db, w.admin, order, FollowUpKind.disbursed_pending, "已放款")
        settlement_service.disburse(db, w.admin, order, amount_fen=10_000_000, disbursed_on=date(2026, 11, 1),
                                    funder_name="工商银行")
    elif action == "settle":
        settlement = settlement_service.current_settlement(db, order.id)
        settlement_service.set_charges(db, w.finance, settlement, payment_method=PaymentMethod.cash)
        settlement_service.close(db, w.finance, settlement)
    elif action == "reopen_settlement":
        settlement = settlement_service.current_settlement(db, order.id)
        settlement_service.void(db, w.finance, settlement, "金额有误")
    elif action == "refund_all":
        deposit = order_service.deposit_of(db, order.id)
        refund = order_service.file_refund(db, w.processor, order, deposit.received_fen, "拒贷")
        order_service.confirm_refund(db, w.finance, refund)


ACTIONS = sorted({a for (_, a) in ORDER_EXPECTED})
# actions that need a document that exists only in some states (a settlement, a deposit)
NEEDS = {"settle": {S.disbursed, S.settled}, "reopen_settlement": {S.disbursed, S.settled},
         "refund_all": {S.processing, S.disbursed, S.settled, S.refunded}}


@pytest.mark.parametrize("status", list(OrderStatus))
def test_every_action_from_every_state(db, world, status):
    for action in ACTIONS:
        if status not in NEEDS.get(action, set(OrderStatus)):
            continue
        savepoint = db.begin_nested()
        try:
            order = order_in(db, world, status)
            allowed = ORDER_EXPECTED[(status, action)]
            if allowed is None:
                with pytest.raises(InvalidTransition) as exc:
                    act(db, world, order, action)
                assert exc.value.status_code == 409 and "状态" in exc.value.message
                db.refresh(order)
                assert order.status == status
            else:
                act(db, world, order, action)
                assert order.status == allowed
                assert history(db, "order", order.id)[-1].to_status == allowed.value
        finally:
            savepoint.rollback()
