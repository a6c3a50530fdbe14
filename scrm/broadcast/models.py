"""Mass messages (企业群发) to customers: one draft, one ``add_msg_template`` task per salesperson."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class MassMessage(Base):
    """A message for many customers: a manager's broadcast to a tier or tag filter, or the invitation
    into a tier's group sent to customers whose tier changed (``source_key`` keeps that one per run)."""

    __tablename__ = "mass_message"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # broadcast | invite
    created_by_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    tier: Mapped[str | None] = mapped_column(String(10))
    tags_any: Mapped[list | None] = mapped_column(JSONDoc)
    text: Mapped[str] = mapped_column(String(1000))
    link: Mapped[dict | None] = mapped_column(JSONDoc)  # {"title", "url", "picurl"}
    source_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MassTask(Base):
    """One salesperson's share of a mass message: their customers, the WeCom msgid and the results
    (``get_groupmsg_send_result`` status 0 unsent, 1 sent, 2 not a friend, 3 already got one)."""

    __tablename__ = "mass_task"
    __table_args__ = (UniqueConstraint("mass_id", "sender_employee_id", "chunk"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mass_id: Mapped[int] = mapped_column(ForeignKey("mass_message.id", ondelete="CASCADE"), index=True)
    sender_employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    chunk: Mapped[int] = mapped_column(Integer, default=0)
    external_userids: Mapped[list] = mapped_column(JSONDoc, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending|created|failed|finished
    msgid: Mapped[str | None] = mapped_column(String(64))
    fail_list: Mapped[list | None] = mapped_column(JSONDoc)
    unsent: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    not_friend: Mapped[int] = mapped_column(Integer, default=0)
    already_received: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
