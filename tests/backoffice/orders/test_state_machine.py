"""The order machine against the order's lifecycle as the business runs it: signed → confirmed (finance) → reviewed
(supervisor) → processing (deposit taken) → disbursed → settled, a settlement voided back to disbursed, a full
refund ending an order in processing, and a void until processing starts.

The expected outcome of every (state, action) pair is written out by hand in ORDER_MATRIX, never read from
ORDER_MACHINE; every pair is then tried through the real services, and, without a database, through the machine
itself. An illegal step is the 409 naming the current state and the states the action is allowed from."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from backoffice.common.history import history
from backoffice.orders.labels import ORDER_STATUS_NAMES
from backoffice.orders import service as order_service
from backoffice.orders.models import FollowUpKind, OrderStatus
from backoffice.orders.schemas import AmendTerms
from backoffice.orders.service import ORDER_MACHINE
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import PaymentMethod, SettlementStatus
from scrm.core.errors import InvalidTransition
from tests.factories.backoffice import disbursed, processing, signed

S = OrderStatus
ILLEGAL = "-"

# every order action from every order state: the state it leads to, or "-" (ILLEGAL) for a 409
ORDER_MATRIX = """
             amend   confirm    review    start_processing  follow_up   refund      lend        disburse   settle   reopen_settlement  refund_all  void
signed       signed  confirmed  -         -                 -           -           -           -          -        -                  -           voided
confirmed    -       -          reviewed  -                 -           -           -           -          -        -                  -           voided
reviewed     -       -          -         processing        -           -           -           -          -        -                  -           voided
processing   -       -          -         -                 processing  processing  processing  disbursed  -        -                  refunded    -
disbursed    -       -          -         -                 -           -           disbursed   -          settled  -                  -           -
settled      -       -          -         -                 -           -           -           -          -        disbursed          -           -
refunded     -       -          -         -                 -           -           -           -          -        -                  -           -
voided       -       -          -         -                 -           -           -           -          -        -                  -           -
"""


def _expected() -> dict[tuple[OrderStatus, str], OrderStatus | None]:
    header, *rows = [line.split() for line in ORDER_MATRIX.strip().splitlines()]
    return {(OrderStatus(row[0]), action): None if cell == ILLEGAL else OrderStatus(cell)
            for row in rows for action, cell in zip(header, row[1:], strict=True)}


EXPECTED = _expected()
ACTIONS = sorted({a for (_, a) in EXPECTED})
PAIRS = sorted(EXPECTED, key=lambda k: (k[0].value, k[1]))


def allowed_from(action: str) -> list[str]:
    """The states the matrix allows ``action`` from, as a 409 lists them."""
    return sorted(s.value for (s, a), to in EXPECTED.items() if a == action and to is not None)


def assert_refused(exc: InvalidTransition, state: OrderStatus, action: str) -> None:
    assert exc.status_code == 409
    assert exc.extra["entity"] == "order" and exc.extra["state"] == state.value and exc.extra["action"] == action
    assert exc.extra["allowed"] == allowed_from(action)
    assert f"当前状态为 {ORDER_STATUS_NAMES[state]}" in exc.message
    names = '、'.join(ORDER_STATUS_NAMES[OrderStatus(s)] for s in allowed_from(action)) or '无'
    assert f"仅允许在以下状态执行：{names}" in exc.message


def test_the_matrix_covers_every_state_and_every_action_of_the_machine():
    assert {s for (s, _) in EXPECTED} == set(OrderStatus)
    assert set(ACTIONS) == set(ORDER_MACHINE.actions)


@pytest.mark.parametrize(("state", "action"), PAIRS)
def test_the_machine_agrees_with_the_matrix(state, action):
    expected = EXPECTED[(state, action)]
    order = SimpleNamespace(id=7, status=state)
    if expected is None:
        with pytest.raises(InvalidTransition) as exc:
            ORDER_MACHINE.check(order, action)
        assert_refused(exc.value, state, action)
        assert action not in ORDER_MACHINE.allowed_actions(order)
    else:
        assert ORDER_MACHINE.check(order, action) == expected
        assert action in ORDER_MACHINE.allowed_actions(order)


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


# a full refund is filed before it is confirmed, so where it is illegal the filing is what is refused
REFUSED_AS = {"refund_all": "refund"}


def act(db, w, order, action: str):
    """Take ``action`` the way staff do; where the document it needs (a settlement of the right state, a deposit)
    cannot exist in the order's state, through the orders function the settlement or refund would call."""
    settlement = settlement_service.current_settlement(db, order.id)
    deposit = order_service.deposit_of(db, order.id)
    if action == "amend":
        order_service.amend(db, w.finance, order, AmendTerms(deposit_fen=order.deposit_fen + 100))
    elif action == "confirm":
        order_service.confirm_contract(db, w.finance, order)
    elif action == "review":
        order_service.review(db, w.supervisor, order)
    elif action == "start_processing":
        order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
    elif action == "follow_up":
        order_service.add_follow_up(db, w.admin, order, FollowUpKind.disbursed_pending, "跟进")
    elif action == "refund":
        order_service.file_refund(db, w.admin, order, 100, "退一部分")
    elif action == "lend":
        order_service.lend(db, w.finance, order, principal_fen=100_000, lent_on=date(2026, 11, 1), annual_rate_bp=1200)
    elif action == "disburse":
        if order.status == S.processing:
            order_service.add_follow_up(db, w.admin, order, FollowUpKind.disbursed_pending, "已放款")
        settlement_service.disburse(db, w.admin, order, amount_fen=10_000_000, disbursed_on=date(2026, 11, 1),
                                    funder_name="工商银行")
    elif action == "settle":
        if settlement is not None and settlement.status == SettlementStatus.open:
            settlement_service.set_charges(db, w.finance, settlement, payment_method=PaymentMethod.cash)
            settlement_service.close(db, w.finance, settlement)
        else:
            order_service.settle(db, w.finance.id, order, datetime(2026, 11, 30, tzinfo=timezone.utc))
    elif action == "reopen_settlement":
        if settlement is not None and settlement.status == SettlementStatus.closed:
            settlement_service.void(db, w.finance, settlement, "金额有误")
        else:
            order_service.reopen_settlement(db, w.finance.id, order, "金额有误")
    elif action == "refund_all":
        if deposit is not None:
            refund = order_service.file_refund(db, w.processor, order, deposit.received_fen - deposit.refunded_fen,
                                               "拒贷")
            order_service.confirm_refund(db, w.finance, refund)
        else:
            ORDER_MACHINE.advance(db, order, "refund_all", actor_id=w.finance.id)
    elif action == "void":
        order_service.void(db, w.finance, order, "录错")
    else:
        raise AssertionError(f"the test does not know how to take {action}")


@pytest.mark.parametrize("status", list(OrderStatus))
def test_every_action_from_every_state_through_the_services(db, world, status):
    for action in ACTIONS:
        savepoint = db.begin_nested()
        try:
            order = order_in(db, world, status)
            has_deposit = order_service.deposit_of(db, order.id) is not None
            expected = EXPECTED[(status, action)]
            if expected is None:
                with pytest.raises(InvalidTransition) as exc:
                    act(db, world, order, action)
                assert_refused(exc.value, status, REFUSED_AS.get(action, action) if has_deposit else action)
                db.refresh(order)
                assert order.status == status
            else:
                act(db, world, order, action)
                assert order.status == expected
                assert history(db, "order", order.id)[-1].to_status == expected.value
        finally:
            savepoint.rollback()
