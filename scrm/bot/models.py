"""The bot's outbox: notifications waiting to go out in a digest, and what was sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, utcnow


class Notification(Base):
    """One line for one salesperson; the flush job sends all of a person's waiting lines as one digest.
    ``dedupe_key`` keeps a replayed event or a second scheduler from adding the line twice."""

    __tablename__ = "bot_notification"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None: a team notice, sent to the team group through the group-robot webhook
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(1000))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class BotMessage(Base):
    """A message the bot sent: a digest (app message or group-robot webhook) or a reply to a command."""

    __tablename__ = "bot_message"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # digest | reply | webhook
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # app | webhook
    body: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(80), unique=True)  # the command's MsgId
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wecom_msgid: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(300))
