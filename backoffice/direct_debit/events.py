"""The events direct debits emit."""

from __future__ import annotations

from datetime import datetime

from scrm.core.events import Event


class PaymentAlertRaised(Event):
    """Something finance must look at; ``hourly`` alerts (ones outsiders can cause) are told once an hour."""
    name = "payment.alert"
    alert_id: int
    kind: str
    label: str
    hourly: bool
    debit_id: int | None
    message: str


class DebitSucceeded(Event):
    name = "debit.succeeded"
    debit_id: int
    due_key: str
    customer_id: int
    amount_fen: int
    provider: str
    succeeded_at: datetime


class DebitFailed(Event):
    name = "debit.failed"
    debit_id: int
    due_key: str
    customer_id: int
    amount_fen: int
    provider: str
    reason: str | None
