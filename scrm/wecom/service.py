"""What the WeCom client's records do on other modules' events."""

from __future__ import annotations
from scrm.core import events

from sqlalchemy.orm import Session

from scrm.wecom.client import erase_mentions
from scrm.wecom.models import WecomCall


def on_customer_erased(session: Session, event: events.Event) -> None:
    """Event subscriber: the logged WeCom calls that name the customer's ids are blanked."""
    erase_mentions(session, WecomCall, event.external_ids)
    session.flush()
