"""The double-entry journal: entries referencing their source document, lines in integer fen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, utcnow


class JournalEntry(Base):
    __tablename__ = "journal_entry"
    __table_args__ = (UniqueConstraint("source_type", "source_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_type: Mapped[str] = mapped_column(String(48))
    source_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class JournalLine(Base):
    __tablename__ = "journal_line"
    __table_args__ = (
        CheckConstraint("debit_fen >= 0 AND credit_fen >= 0 AND (debit_fen = 0 OR credit_fen = 0)", name="one_side"),
        Index("ix_journal_line_account_entry", "account", "entry_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id", ondelete="CASCADE"), index=True)
    account: Mapped[str] = mapped_column(String(32))
    debit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
