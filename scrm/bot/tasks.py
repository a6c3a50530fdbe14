"""Bot jobs: flush the notification outbox (one message per recipient), the 9:00 task list."""

from __future__ import annotations

import logging

from sqlalchemy import select

from scrm.core import jobs
from scrm.bot import service as bot_service
from scrm.bot.models import BotMessage
from scrm.core.db import session_scope

log = logging.getLogger(__name__)


@jobs.job("bot.flush")
def flush(limit: int = 500) -> int:
    """Periodic: gather waiting notifications into one digest per recipient and send every digest not
    sent yet (each in its own transaction, so one failure holds back nobody else); returns how many went out."""
    with session_scope() as session:
        bot_service.build_digests(session)
        ids = list(session.scalars(select(BotMessage.id).where(
            BotMessage.kind == "digest", BotMessage.sent_at.is_(None), BotMessage.error.is_(None))
            .order_by(BotMessage.id).limit(limit)))
    sent = 0
    for message_id in ids:
        try:
            with session_scope() as session:
                sent += bot_service.send_message(session, message_id)
        except Exception:
            log.exception("bot message %s not sent; the next flush retries it", message_id)
    return sent


@jobs.job("bot.morning")
def morning() -> int:
    """Periodic: queue today's tasks for everyone (once a day, from 9:00) and send them now."""
    with session_scope() as session:
        queued = bot_service.queue_morning(session)
    if queued:
        flush()
    return queued
