"""The events referral emits; the ledger posts them."""

from __future__ import annotations

from scrm.core.events import Event


class CommissionConfirmed(Event):
    name = "referral.commission_confirmed"
    commission_id: int
    referrer_customer_id: int
    amount_fen: int
    settlement_id: int


class CommissionReversed(Event):
    name = "referral.commission_reversed"
    commission_id: int
    referrer_customer_id: int
    amount_fen: int
    was_paid: bool


class WithdrawalPaid(Event):
    name = "referral.withdrawal_paid"
    withdrawal_id: int
    customer_id: int
    amount_fen: int
    method: str
