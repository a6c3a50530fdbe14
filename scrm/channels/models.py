"""Channel QR codes (渠道活码): one WeCom contact way per channel, with its own welcome and team."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class ChannelKind(str, enum.Enum):
    poster = "poster"
    moments = "moments"
    wechat_group = "wechat_group"
    event = "event"
    referral = "referral"
    other = "other"


class SyncStatus(str, enum.Enum):
    pending = "pending"  # waiting for the job that calls WeCom
    synced = "synced"
    failed = "failed"
    deleted = "deleted"  # the contact way was removed from WeCom (channel deactivated)


class Channel(Base):
    __tablename__ = "channel"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ChannelKind] = mapped_column(Enum(ChannelKind, native_enum=False, length=20))
    # WeCom's `state` is at most 30 characters and comes back on every add through this code.
    state: Mapped[str] = mapped_column(String(30), unique=True)
    wecom_config_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    qr_code_url: Mapped[str | None] = mapped_column(String(512))
    # WeCom's send_welcome_msg body without welcome_code:
    # {"text": {"content": ...}, "attachments": [{"msgtype": "link"|"miniprogram"|"image", ...}]}
    welcome: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    auto_tags: Mapped[list] = mapped_column(JSONDoc, default=list)
    team_employee_ids: Mapped[list] = mapped_column(JSONDoc, default=list)
    # the customer whose referral code this is; no FK, as customer.channel_id already points this way
    referrer_customer_id: Mapped[int | None] = mapped_column(BigId, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    skip_verify: Mapped[bool] = mapped_column(Boolean, default=True)
    # the contact way's type at WeCom: 1 single member, 2 several; it cannot be changed by an update
    wecom_type: Mapped[int | None] = mapped_column(Integer)
    sync_status: Mapped[SyncStatus] = mapped_column(
        Enum(SyncStatus, native_enum=False, length=16), default=SyncStatus.pending)
    sync_error: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
