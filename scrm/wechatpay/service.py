"""What the payment side does on other modules' events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scrm.wechatpay.models import PayCall
from scrm.wecom.client import erase_mentions


def on_customer_erased(session: Session, payload: dict) -> None:
    """Event subscriber: the logged payment calls that name the customer's WeChat ids (papay, transfers) are
    blanked; card, ID and phone numbers never reach that log in full (``client._redact``)."""
    erase_mentions(session, PayCall, payload.get("external_ids") or [])
