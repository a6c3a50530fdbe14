"""The events settlements emit; ``scrm`` hears them through the subscriptions in loan_scrm/wiring.py."""

from __future__ import annotations

from datetime import datetime

from scrm.core.events import Event


class SettlementClosed(Event):
    name = "settlement.closed"
    settlement_id: int
    order_id: int
    customer_id: int
    product_code: str
    funder_type: str
    service_fee_collected_fen: int
    disbursed_amount_fen: int | None
    salesperson_employee_id: int | None
    closed_at: datetime


class SettlementVoided(Event):
    name = "settlement.voided"
    settlement_id: int
    order_id: int
    customer_id: int
