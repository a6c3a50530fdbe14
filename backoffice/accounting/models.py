"""Accounting export (凭证导出): how our accounts map to the accounting software's, the voucher-number
counters, and each export with the vouchers it wrote."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class AccountMapping(Base):
    """One of our accounts (``backoffice.ledger.chart``) as the accounting software knows it."""

    __tablename__ = "acct_mapping"
    account: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    aux_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    aux_department: Mapped[bool] = mapped_column(Boolean, default=False)
    aux_employee: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class VoucherCounter(Base):
    """The last voucher number handed out for a target and month (``2026-12``), bumped atomically."""

    __tablename__ = "acct_voucher_counter"
    target: Mapped[str] = mapped_column(String(24), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AccountingExport(Base):
    __tablename__ = "acct_export"
    __table_args__ = (Index("ix_acct_export_target_period", "target", "date_from", "date_to"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target: Mapped[str] = mapped_column(String(24))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    voucher_count: Mapped[int] = mapped_column(Integer)
    numbers: Mapped[dict] = mapped_column(JSONDoc, default=dict)  # {"2026-12": [first, last]}
    reexport: Mapped[bool] = mapped_column(Boolean, default=False)
    reexport_of: Mapped[list] = mapped_column(JSONDoc, default=list)  # ids of the earlier exports it repeats
    created_by_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(120))
    storage_key: Mapped[str] = mapped_column(String(255))
    key_id: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class ExportedVoucher(Base):
    """One journal entry written as one voucher by one export."""

    __tablename__ = "acct_exported_voucher"
    __table_args__ = (Index("ix_acct_exported_voucher_target_entry", "target", "entry_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("acct_export.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(24))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    month: Mapped[str] = mapped_column(String(7))
    voucher_no: Mapped[int] = mapped_column(Integer)
