"""The record of every call we make to WeCom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class WecomCall(Base):
    """One call to the WeCom API: what was asked, what came back, how long it took."""

    __tablename__ = "wecom_call"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(120), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    request: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str | None] = mapped_column(String(255))
    response: Mapped[dict | None] = mapped_column(JSONDoc)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    called_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
