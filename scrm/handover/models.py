"""Handover cases (离职继承 / 在职继承): one case per giver, one item per customer or group, one batch per
WeCom call. Item and batch rows are written before each call and updated after it, which is what makes a
run resumable without sending anything twice."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, enum_column, utcnow



class CaseKind(str, enum.Enum):
    resigned = "resigned"  # 离职继承
    onjob = "onjob"  # 在职继承


class CaseStatus(str, enum.Enum):
    open = "open"  # items gathered, no plan yet
    planned = "planned"
    running = "running"  # transfers sent or being sent; tracked until every item is final
    closed = "closed"
    cancelled = "cancelled"


class ItemKind(str, enum.Enum):
    customer = "customer"
    group = "group"


class ItemStatus(str, enum.Enum):
    pending = "pending"  # needs a taker
    planned = "planned"  # has a taker, not yet in a batch
    queued = "queued"  # in a batch whose WeCom call has not been recorded yet
    waiting = "waiting"  # WeCom started the transfer (errcode 0); the customer has 24 hours
    accepted = "accepted"
    refused = "refused"  # on-job: the customer refused and stays with the giver
    lost = "lost"  # departed giver: the customer refused, so nobody in the company has them any more
    over_limit = "over_limit"  # the taker has too many customers; re-planned
    no_record = "no_record"  # WeCom has no record of the transfer; re-planned
    failed = "failed"  # the call failed for this taker; re-planned
    rejected = "rejected"  # WeCom refused this customer for good (not the giver's contact, unknown …)
    skipped = "skipped"  # not transferable (customer gone, on-job limit) or excluded by the manager


class BatchStatus(str, enum.Enum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class HandoverCase(Base):
    __tablename__ = "handover_case"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[CaseKind] = mapped_column(enum_column(CaseKind), default=CaseKind.resigned)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    handover_userid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.open, index=True)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    # the last plan's rule, so failures are re-planned the same way: {"strategy", "taker_ids", "tier_takers"}
    plan: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    transfer_msg: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandoverBatch(Base):
    """One WeCom call (≤100 customers or chats to one taker). Its id is the call's idempotency key."""

    __tablename__ = "handover_batch"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("handover_case.id", ondelete="CASCADE"), index=True)
    item_kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    taker_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    takeover_userid: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus), default=BatchStatus.pending, index=True)
    errcode: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandoverItem(Base):
    __tablename__ = "handover_item"
    __table_args__ = (UniqueConstraint("case_id", "item_kind", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("handover_case.id", ondelete="CASCADE"), index=True)
    item_kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind), default=ItemKind.customer)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("customer_group.id", ondelete="CASCADE"))
    # external_userid or chat_id; "local:<customer id>" for a customer we know only locally (no WeCom call)
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus), default=ItemStatus.pending, index=True)
    flag: Mapped[str | None] = mapped_column(String(40))  # gone, contract_in_progress, onjob_limit
    tier: Mapped[str | None] = mapped_column(String(8))
    taker_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    tried_taker_ids: Mapped[list] = mapped_column(JSONDoc, default=list)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("handover_batch.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    errcode: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))
    notified: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandoverTransition(Base):
    """Every state change of a handover case or item, in order."""

    __tablename__ = "handover_transition"
    __table_args__ = (Index("ix_handover_transition_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))  # handover_case | handover_item
    entity_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_employee_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
