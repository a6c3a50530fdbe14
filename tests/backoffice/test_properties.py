"""Random sequences of back-office operations (hypothesis, on PostgreSQL): whatever is accepted or refused,
the journal balances, settlement totals are the sum of their parts, refunds never exceed what was received,
and every rate is rounded once."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backoffice.direct_debit.events import DebitSucceeded
from backoffice.ledger import service as ledger
from backoffice.ledger.models import JournalLine
from backoffice.orders import service as order_service
from backoffice.orders.models import Deposit, DepositStatus, FollowUpKind, RefundStatus
from backoffice.orders.schemas import AmendTerms
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, ExpenseKind, PaymentMethod, Settlement, SettlementStatus
from scrm.core.errors import AppError
from scrm.referral.events import CommissionConfirmed, CommissionReversed
from tests.factories.backoffice import terms

STATS: Counter = Counter()
# derandomized: the same sequences every run, so the end-state coverage check below cannot pass or fail by luck
PROPS = settings(max_examples=40, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

OPS = ["confirm", "review", "deposit", "file_refund", "confirm_refund", "pending", "disburse", "lend",
       "discount", "fee", "expense", "confirm_expenses", "close", "void_settlement", "debit", "void_order",
       "repay", "commission"]

# "advance" takes an order one natural step further, so that sequences reach closing and voiding often
op_st = st.tuples(st.sampled_from(OPS + ["advance"] * 20), st.integers(0, 1), st.integers(1, 2_000_000), st.integers(0, 10_000))


class Skip(Exception):
    """The operation does not apply to the order yet (no settlement, no deposit)."""


def _settlement(db, order):
    settlement = settlement_service.current_settlement(db, order.id)
    if settlement is None:
        raise Skip
    return settlement


NEXT = {"signed": "confirm", "confirmed": "review", "reviewed": "deposit", "disbursed": "close"}


def run(db, w, order, op, amount, bp, step):
    if op == "advance":
        if order.status.value == "processing":
            run(db, w, order, "pending", amount, bp, step)
            op = "disburse"
        elif order.status.value == "disbursed" and _settlement(db, order).payment_method is None:
            op = "discount"
        else:
            op = NEXT.get(order.status.value, "void_settlement")
    if op == "confirm":
        order_service.confirm_contract(db, w.finance, order)
    elif op == "review":
        order_service.review(db, w.supervisor, order)
    elif op == "deposit":
        order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id, amount_fen=amount)
    elif op == "file_refund":
        order_service.file_refund(db, w.processor, order, amount, "退定")
    elif op == "confirm_refund":
        deposit = order_service.deposit_of(db, order.id)
        filed = [r for r in order_service.refunds_of(db, deposit.id) if r.status == RefundStatus.filed] if deposit else []
        if not filed:
            raise Skip
        order_service.confirm_refund(db, w.finance, filed[0])
    elif op == "pending":
        order_service.add_follow_up(db, w.processor, order, FollowUpKind.disbursed_pending, "已放款")
    elif op == "disburse":
        settlement_service.disburse(db, w.processor, order, amount_fen=10_000_000 + amount * 10, disbursed_on=date(2026, 11, 1),
                                    funder_name="银行")
    elif op == "lend":
        order_service.lend(db, w.finance, order, principal_fen=amount, lent_on=date(2026, 10, 1),
                           annual_rate_bp=bp % 3601, cost_fen=bp)
    elif op == "repay":
        open_ = order_service.outstanding_borrowings(db, order.id)
        if open_:
            order_service.repay_separately(db, w.finance, open_[0], on=date(2026, 11, 1 + step % 28))
    elif op == "discount":
        kind = [DiscountKind.none, DiscountKind.percent, DiscountKind.fixed][bp % 3]
        settlement_service.set_charges(db, w.finance, _settlement(db, order), discount_kind=kind,
                                       discount_value=bp if kind == DiscountKind.percent else amount // 7,
                                       installment_fee_fen=bp, payment_method=list(PaymentMethod)[step % 5])
    elif op == "fee":
        settlement_service.add_fee(db, w.finance, _settlement(db, order), "下户费", amount)
    elif op == "expense":
        settlement_service.add_expense(db, w.finance, _settlement(db, order),
                                       ExpenseKind.rebate if bp % 2 else ExpenseKind.appraisal, "渠道", amount)
    elif op == "confirm_expenses":
        s = _settlement(db, order)
        for e in settlement_service.expenses_of(db, s.id):
            settlement_service.confirm_expense(db, w.finance, s, e.id, corrected_fen=e.amount_fen + bp % 3)
    elif op == "close":
        settlement_service.close(db, w.finance, _settlement(db, order), on=date(2026, 11, 1 + step % 28))
    elif op == "void_settlement":
        settlement_service.void(db, w.finance, _settlement(db, order), "作废")
    elif op == "debit":
        s = _settlement(db, order)
        settlement_service.on_debit_succeeded(db, DebitSucceeded(
            debit_id=step, due_key=f"settlement:{s.id}",
            amount_fen=min(amount, max(settlement_service.amount_due_fen(db, s.id), 1)),
            customer_id=order.customer_id, provider="bank", succeeded_at=datetime(2026, 11, 2, tzinfo=timezone.utc)))
    elif op == "void_order":
        order_service.void(db, w.finance, order, "录错")
    elif op == "commission":
        ledger.on_commission_confirmed(db, CommissionConfirmed(commission_id=step, amount_fen=amount, settlement_id=1,
                                                               referrer_customer_id=1))
        if bp % 2:
            ledger.on_commission_reversed(db, CommissionReversed(commission_id=step, amount_fen=amount, was_paid=False,
                                                                 referrer_customer_id=1))


def check_invariants(db, order_ids):
    # the journal balances, entry by entry and in total
    assert ledger.unbalanced_entries(db) == []
    debit, credit = db.execute(select(func.coalesce(func.sum(JournalLine.debit_fen), 0),
                                      func.coalesce(func.sum(JournalLine.credit_fen), 0))).one()
    assert debit == credit
    held = 0
    for deposit in db.scalars(select(Deposit).where(Deposit.order_id.in_(order_ids))):
        confirmed = sum(r.amount_fen for r in order_service.refunds_of(db, deposit.id)
                        if r.status == RefundStatus.confirmed)
        asked = sum(r.amount_fen for r in order_service.refunds_of(db, deposit.id)
                    if r.status in (RefundStatus.confirmed, RefundStatus.filed))
        assert confirmed == deposit.refunded_fen <= deposit.received_fen
        assert asked <= deposit.received_fen
        if deposit.status == DepositStatus.held:
            held += deposit.received_fen - deposit.refunded_fen
    # what the ledger holds as deposits is exactly what the deposits say is held
    assert ledger.balances(db)["deposits_held"] == held
    for s in db.scalars(select(Settlement).where(Settlement.order_id.in_(order_ids))):
        t = settlement_service.totals(db, s)
        assert t.total_charges_fen == (t.service_fee_fen - t.discount_fen + t.installment_fee_fen + t.extra_fees_fen
                                       + t.borrowing_principal_fen + t.borrowing_interest_fen + t.borrowing_cost_fen)
        assert t.amount_due_fen == t.total_charges_fen - t.deposit_applied_fen - t.collected_at_close_fen - t.paid_fen
        assert 0 <= t.discount_fen <= t.service_fee_fen
        if s.discount_kind == DiscountKind.percent:
            exact = Fraction(s.service_fee_fen * s.discount_value, 10000)
            assert abs(t.discount_fen - exact) <= Fraction(1, 2)
        if s.status != SettlementStatus.open:
            assert s.total_charges_fen == t.total_charges_fen
            entry = ledger.find_entry(db, "settlement.closed", s.id)
            lines = ledger.entry_lines(db, entry.id)
            revenue = sum(l.credit_fen - l.debit_fen for l in lines
                          if l.account in ("fee_revenue", "fee_discounts", "other_fee_revenue", "interest_income",
                                           "loan_receivable"))
            assert revenue == t.total_charges_fen
        if s.status == SettlementStatus.voided:
            assert ledger.find_entry(db, "settlement.voided", s.id) is not None


ADVANCE = ("advance", 0, 500_000, 100)
ADVANCE_SECOND = ("advance", 1, 500_000, 100)


def signed_at_rate(db, world, i: int):
    """Signed by the salesperson, the rate then set by finance (only finance sets amounts)."""
    order = order_service.sign_order(db, world.sales, world.customer(db).id, terms(deposit_fen=100_000 + 1000 * i))
    return order_service.amend(db, world.finance, order, AmendTerms(service_fee_rate_bp=250 + i))


@PROPS
@given(ops=st.lists(op_st, min_size=12, max_size=40))
# written out, so that each end state that matters is reached whatever the generated sequences do:
# the first order stops in processing (signed, confirmed, reviewed, deposit), the second is settled
@example(ops=[ADVANCE] * 3 + [ADVANCE_SECOND] * 8)
# the first order is disbursed and its settlement voided, the second is voided before its deposit
@example(ops=[ADVANCE] * 5 + [("void_settlement", 0, 1, 1), ADVANCE_SECOND, ("void_order", 1, 1, 1)])
def test_random_operation_sequences_keep_the_books_straight(db, world, ops):
    savepoint = db.begin_nested()
    try:
        orders = [signed_at_rate(db, world, i) for i in range(2)]
        for step, (op, which, amount, bp) in enumerate(ops):
            order = orders[which]
            inner = db.begin_nested()
            try:
                run(db, world, order, op, amount, bp, step)
                inner.commit()
            except (AppError, Skip):
                # refused, or not applicable yet: nothing of it may stay behind
                inner.rollback()
                db.expire_all()
        check_invariants(db, [o.id for o in orders])
        STATS.update(o.status.value for o in orders)
    finally:
        savepoint.rollback()


@pytest.mark.pure
@given(amount=st.integers(0, 10**12), bp=st.integers(0, 10_000))
def test_a_rate_is_applied_with_one_half_up_rounding(amount, bp):
    exact = Fraction(amount * bp, 10000)
    expected = int(exact + Fraction(1, 2))  # floor(x + 1/2): half up, once, for x >= 0
    assert settlement_service.fee_from_rate(amount, bp) == expected


def test_zz_sequences_reached_every_end_state():
    """The random sequences above did reach the states that matter (so the invariants were checked there)."""
    if STATS:
        assert {"settled", "disbursed", "processing", "voided"} <= set(STATS), STATS
