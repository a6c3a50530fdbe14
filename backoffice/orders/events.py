"""The events the order emits; ``scrm`` hears them through the subscriptions in loan_scrm/wiring.py."""

from __future__ import annotations

from datetime import date

from scrm.core.events import Event


class OrderSigned(Event):
    name = "order.signed"
    order_id: int
    customer_id: int
    salesperson_employee_id: int | None
    product_code: str
    funder_type: str
    amount_applied_fen: int


class DepositRefunded(Event):
    name = "deposit.refunded"
    deposit_id: int
    order_id: int
    customer_id: int
    amount_fen: int
    full: bool


class LoanDisbursed(Event):
    name = "loan.disbursed"
    order_id: int
    customer_id: int
    amount_fen: int
    disbursed_on: date
    funder_name: str | None
    term_months: int | None
    repayment_day: int | None
