"""Scripts and materials, and each send of one into a chat."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, enum_column, utcnow


class MaterialKind(str, enum.Enum):
    text = "text"  # a script (话术), with placeholders filled per customer
    image = "image"
    file = "file"  # a PDF price sheet …
    link = "link"  # an H5 link with title, description and cover (sendChatMessage "news")
    miniprogram = "miniprogram"


class Material(Base):
    """One script or material. Images and files are stored encrypted (``scrm.core.storage``) and uploaded to
    WeCom's temporary media when first sent; the ``media_id`` is reused until it expires (3 days)."""

    __tablename__ = "material"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[MaterialKind] = mapped_column(enum_column(MaterialKind), index=True)
    group_name: Mapped[str] = mapped_column(String(32), default="常用", index=True)
    title: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, default="")  # a script's text; a link's or card's description
    url: Mapped[str | None] = mapped_column(String(512))  # a link's page
    cover_url: Mapped[str | None] = mapped_column(String(512))  # a link's or mini-program card's cover
    mp_appid: Mapped[str | None] = mapped_column(String(32))
    mp_page: Mapped[str | None] = mapped_column(String(256))
    filename: Mapped[str | None] = mapped_column(String(128))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    storage_key: Mapped[str | None] = mapped_column(String(255))
    media_id: Mapped[str | None] = mapped_column(String(128))
    media_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MaterialSend(Base):
    """One script or material a salesperson sent into a chat (counted when WeCom said ``sendChatMessage:ok``)."""

    __tablename__ = "material_send"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[str | None] = mapped_column(String(64))  # a customer group's chat
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
