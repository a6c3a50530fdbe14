"""What the payment side does on other modules' events."""

from __future__ import annotations
from scrm.core import events

from sqlalchemy.orm import Session

from scrm.wechatpay.models import PayCall
from scrm.wecom.client import erase_mentions


def on_customer_erased(session: Session, event: events.Event) -> None:
    """Event subscriber: the logged payment calls that name the customer's WeChat ids (papay, transfers) are
    blanked; card, ID and phone numbers never reach that log in full (``client._redact``)."""
    erase_mentions(session, PayCall, event.external_ids)
