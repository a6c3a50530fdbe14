"""Orders, disbursements and revenue summed by Beijing month, for 财务业绩 and the report builder."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId


class OrderMonth(Base):
    """Per Beijing month and the order's centre, department, salesperson, product and funder type: the orders
    signed that month (voided ones left out: how many, the amount applied, how many reached disbursement, how
    many were decided), the loans disbursed that month (how many, the amount, the days from signing summed) and
    the revenue posted that month. Each side sits in its own month, so one order may add to three months.

    Database triggers on ``bo_order`` and ``journal_line`` (migration 0027) append the new values with + and the
    old ones with - on every insert, update and delete, and move an order's revenue with it when its centre,
    department, salesperson, product or funder type changes; ``compact_order_months`` (every minute) folds the
    rows into one per key. Readers sum whatever is there, folded or not."""

    __tablename__ = "order_month"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    center_id: Mapped[int | None] = mapped_column(BigInteger)
    department_id: Mapped[int | None] = mapped_column(BigInteger)
    salesperson_id: Mapped[int | None] = mapped_column(BigInteger)
    product_code: Mapped[str | None] = mapped_column(String(32))
    funder_type: Mapped[str | None] = mapped_column(String(24))
    signed_n: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    signed_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    reached_n: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    decided_n: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    disbursed_n: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    disbursed_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    disbursed_days: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    revenue_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


MEASURES = ("signed_n", "signed_fen", "reached_n", "decided_n", "disbursed_n", "disbursed_fen", "disbursed_days",
            "revenue_fen")
KEY = ("month", "center_id", "department_id", "salesperson_id", "product_code", "funder_type")
