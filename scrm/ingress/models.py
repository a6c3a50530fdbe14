"""The WeCom callback inbox: every verified callback, stored before it is answered."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, enum_column, utcnow


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


class ImportKind(str, enum.Enum):
    import_ = "import"  # scrm wecom import, the console's button: adds and updates
    reconcile = "reconcile"  # the nightly run: also ends the relationships WeCom no longer lists


class ImportStatus(str, enum.Enum):
    running = "running"
    stopped = "stopped"  # asked to stop; the next run of its kind carries on from the checkpoints
    failed = "failed"  # WeCom or the database failed; likewise resumed
    done = "done"


class WecomImportRun(Base):
    """One pass over WeCom's customers: progress, checkpoints (``WecomImportCursor``) and what it repaired."""

    __tablename__ = "wecom_import_run"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_column(ImportKind, 16))
    status: Mapped[ImportStatus] = mapped_column(Enum(ImportStatus, native_enum=False, length=16),
                                                 default=ImportStatus.running, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followers_total: Mapped[int] = mapped_column(Integer, default=0)
    followers_done: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)  # (customer, follower) pairs read
    customers_added: Mapped[int] = mapped_column(Integer, default=0)
    customers_updated: Mapped[int] = mapped_column(Integer, default=0)
    follows_ended: Mapped[int] = mapped_column(Integer, default=0)
    owners_changed: Mapped[int] = mapped_column(Integer, default=0)
    groups: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class WecomImportCursor(Base):
    """A follower's checkpoint in a run: the ``next_cursor`` of the last page stored, or done."""

    __tablename__ = "wecom_import_cursor"
    __table_args__ = (UniqueConstraint("run_id", "userid"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("wecom_import_run.id", ondelete="CASCADE"), index=True)
    userid: Mapped[str] = mapped_column(String(64))
    cursor: Mapped[str] = mapped_column(String(255), default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    # WeCom answered without this member's customers (fail_info.unlicensed_userid_list: no licence): none of
    # their relationships is ended for not being listed
    unlicensed: Mapped[bool] = mapped_column(Boolean, default=False)


class WecomImportSeen(Base):
    """A (customer, follower) pair the nightly run found in WeCom; what it did not find is ended at its end."""

    __tablename__ = "wecom_import_seen"
    run_id: Mapped[int] = mapped_column(ForeignKey("wecom_import_run.id", ondelete="CASCADE"), primary_key=True)
    userid: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_userid: Mapped[str] = mapped_column(String(64), primary_key=True)
