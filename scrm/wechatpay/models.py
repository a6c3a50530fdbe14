"""The call log of the payment providers (WeChat Pay and the bank agreement API)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class PayCall(Base):
    """One call to a payment provider: what was asked, what came back, how long it took."""

    __tablename__ = "pay_call"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    endpoint: Mapped[str] = mapped_column(String(120), index=True)
    ref: Mapped[str | None] = mapped_column(String(64), index=True)  # out_trade_no, contract code, …
    request: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    errcode: Mapped[str | None] = mapped_column(String(40))  # None: answered SUCCESS
    errmsg: Mapped[str | None] = mapped_column(String(255))
    response: Mapped[dict | None] = mapped_column(JSONDoc)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    called_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
