"""WeCom customer groups (客户群) and their members, as WeCom reports them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.db import Base, BigId, UTCDateTime, utcnow


class CustomerGroup(Base):
    __tablename__ = "customer_group"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    owner_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    owner_userid: Mapped[str | None] = mapped_column(String(64))
    notice: Mapped[str | None] = mapped_column(String(1000))
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class GroupMember(Base):
    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "member_userid"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("customer_group.id", ondelete="CASCADE"), index=True)
    member_userid: Mapped[str] = mapped_column(String(64))  # staff userid or external userid
    member_type: Mapped[int] = mapped_column(Integer)  # 1 staff, 2 external contact
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    join_scene: Mapped[int | None] = mapped_column(Integer)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
