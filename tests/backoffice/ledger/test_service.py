"""The journal: balanced entries only, one per source, balances read from the lines."""

from __future__ import annotations

import pytest

from backoffice.direct_debit.events import DebitSucceeded
from backoffice.ledger import service as ledger
from backoffice.ledger.service import cr, dr
from scrm.core.errors import ValidationFailed
from scrm.referral.events import CommissionConfirmed, CommissionReversed, WithdrawalPaid


def test_post_refuses_unbalanced_and_unknown_accounts_and_writes_nothing(db):
    with pytest.raises(ValidationFailed, match="借贷不平衡"):
        ledger.post(db, [dr("cash", 100), cr("deposits_held", 99)], "test", 1)
    with pytest.raises(ValidationFailed, match="科目"):
        ledger.post(db, [dr("petty", 100), cr("deposits_held", 100)], "test", 1)
    with pytest.raises(ValidationFailed, match="负数"):
        ledger.post(db, [dr("cash", -100), cr("deposits_held", -100)], "test", 1)
    with pytest.raises(ValidationFailed, match="没有金额"):
        ledger.post(db, [dr("cash", 0), cr("deposits_held", 0)], "test", 1)
    assert ledger.find_entry(db, "test", 1) is None
    assert all(r.debit_fen == r.credit_fen == 0 for r in ledger.trial_balance(db))


def test_one_posting_per_source_and_balances_on_the_normal_side(db):
    first = ledger.post(db, [dr("cash", 50_000), cr("deposits_held", 50_000)], "deposit.received", 7, "定金")
    again = ledger.post(db, [dr("cash", 99_999), cr("deposits_held", 99_999)], "deposit.received", 7, "定金")
    assert again.id == first.id
    ledger.post(db, [dr("deposits_held", 20_000), cr("cash", 20_000)], "deposit.refunded", 7)
    balances = ledger.balances(db)
    assert balances["cash"] == 30_000 and balances["deposits_held"] == 30_000
    rows = {r.account: r for r in ledger.trial_balance(db)}
    assert (rows["cash"].debit_fen, rows["cash"].credit_fen) == (50_000, 20_000)
    assert sum(r.debit_fen for r in rows.values()) == sum(r.credit_fen for r in rows.values()) == 70_000
    assert ledger.unbalanced_entries(db) == []


def test_reverse_mirrors_an_entry_once(db):
    ledger.post(db, [dr("bank", 1000), cr("fee_revenue", 1200), dr("fee_discounts", 200)], "settlement.closed", 3)
    rev = ledger.reverse(db, "settlement.closed", 3, "settlement.voided")
    assert ledger.reverse(db, "settlement.closed", 3, "settlement.voided").id == rev.id
    assert set(ledger.balances(db).values()) == {0}
    assert ledger.reverse(db, "settlement.closed", 99, "settlement.voided") is None


def test_referral_commission_events_post_accrual_reversal_and_payout(db):
    first = CommissionConfirmed(commission_id=1, referrer_customer_id=9, amount_fen=30_000, settlement_id=4)
    ledger.on_commission_confirmed(db, first)
    ledger.on_commission_confirmed(db, CommissionConfirmed(commission_id=2, referrer_customer_id=9, amount_fen=10_000,
                                                           settlement_id=5))
    ledger.on_commission_confirmed(db, first)  # delivered twice
    ledger.on_commission_reversed(db, CommissionReversed(commission_id=2, referrer_customer_id=9, amount_fen=10_000,
                                                         was_paid=False))
    ledger.on_withdrawal_paid(db, WithdrawalPaid(withdrawal_id=1, customer_id=9, amount_fen=30_000, method="wechat"))
    b = ledger.balances(db)
    assert b["commission_expense"] == 30_000 and b["commissions_payable"] == 0 and b["bank"] == -30_000


@pytest.mark.pure
def test_the_back_office_subscriptions_resolve_to_their_handlers():
    from backoffice.settlements import service as settlement_service
    from scrm.core import events

    wanted = {DebitSucceeded.name: settlement_service.on_debit_succeeded,
              CommissionConfirmed.name: ledger.on_commission_confirmed,
              CommissionReversed.name: ledger.on_commission_reversed,
              WithdrawalPaid.name: ledger.on_withdrawal_paid}
    for name, handler in wanted.items():
        assert handler in events.subscribers(name), name
