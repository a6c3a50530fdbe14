"""What the WeCom client's records do on other modules' events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scrm.wecom.client import erase_mentions
from scrm.wecom.models import WecomCall


def on_customer_erased(session: Session, payload: dict) -> None:
    """Event subscriber: the logged WeCom calls that name the customer's ids are blanked."""
    erase_mentions(session, WecomCall, payload.get("external_ids") or [])
    session.flush()
