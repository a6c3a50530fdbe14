"""The WeCom callback inbox: every verified callback, stored before it is answered."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, utcnow


class InboxStatus(str, enum.Enum):
    received = "received"
    done = "done"
    failed = "failed"  # tried again by the stale-inbox sweep
    ignored = "ignored"
    abandoned = "abandoned"  # WeCom's answer was an error no retry changes (84061 …); ``error`` says which


class InboxEvent(Base):
    """A verified, decrypted callback, stored before it is answered. ``dedupe_key`` absorbs WeCom's retries."""

    __tablename__ = "inbox_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="wecom")
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(80), index=True)  # "event:change_external_contact:add_external_contact"
    # the decrypted XML, encrypted at rest: app messages carry whatever customers typed
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[InboxStatus] = mapped_column(
        Enum(InboxStatus, native_enum=False, length=16), default=InboxStatus.received, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
