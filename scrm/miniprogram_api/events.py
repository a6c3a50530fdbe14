"""The events the mini-program API emits."""

from __future__ import annotations

from datetime import datetime

from scrm.core.events import Event


class ApplicationSubmitted(Event):
    name = "customer.application_submitted"
    customer_id: int
    application_id: int
    product_code: str
    text: str
    at: datetime
