"""The tag catalogue (mirrored with WeCom's corp tags) and each customer's tags with their source."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class TagGroup(Base):
    __tablename__ = "tag_group"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    wecom_group_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # WeCom lets an app edit only the tags it created itself
    created_by_app: Mapped[bool] = mapped_column(Boolean, default=False)
    order: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class Tag(Base):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("group_id", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("tag_group.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    wecom_tag_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_app: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class CustomerTag(Base):
    """``source`` is who put the tag on: staff by hand in WeCom (never overwritten), the pipeline, or a channel."""

    __tablename__ = "customer_tag"
    __table_args__ = (UniqueConstraint("customer_id", "tag_id", "source"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # wecom_manual | pipeline | channel
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    evidence: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TagEvidence(Base):
    """One piece of text or behaviour the pipeline read for a customer, and what it found there.

    ``source_key`` (the message id, follow-up id, event key …) makes a replayed job add nothing.
    """

    __tablename__ = "tag_evidence"
    # the unique index also serves "all evidence of these customers"
    __table_args__ = (UniqueConstraint("customer_id", "source_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))  # message, follow_up, form, remark, channel, behaviour
    source_key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    excerpt: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerProfile(Base):
    """The profile (画像) merged from every piece of evidence, newest statement winning."""

    __tablename__ = "customer_profile"
    # "customers tagged X" on PostgreSQL (tags @> '["X"]'); a plain index on SQLite
    __table_args__ = (Index("ix_customer_profile_tags", "tags", postgresql_using="gin",
                            postgresql_ops={"tags": "jsonb_path_ops"}),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), unique=True)
    product: Mapped[str | None] = mapped_column(String(30))
    intent: Mapped[str] = mapped_column(String(10), default="medium")
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    term_months: Mapped[int | None] = mapped_column(Integer)
    city: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[list] = mapped_column(JSONDoc, default=list)
    # the risk counts the customer stated (scrm.tagging.counts.FACTS -> n); where, in evidence["counts"]
    counts: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # field or tag -> {"source", "source_key", "at", "excerpt", "phrase"}: why the profile says so
    evidence: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaggingCorrection(Base):
    """Staff correcting what the pipeline read in a text: a tag (``value`` true or false), the product, the
    intent, the amount, the term or the city. Kept with the text it concerns, so training can learn from it."""

    __tablename__ = "tagging_correction"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    evidence_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(String(2000))
    field: Mapped[str] = mapped_column(String(16))  # tag | product | intent | amount_yuan | term_months | city
    tag: Mapped[str | None] = mapped_column(String(30))
    value: Mapped[dict] = mapped_column(JSONDoc, default=dict)  # {"v": the corrected value}
    previous: Mapped[dict] = mapped_column(JSONDoc, default=dict)  # {"v": what the pipeline had read}
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaggingModel(Base):
    """One trained model: its file, its metrics on the held-out set and on recent corrections, and whether it
    is the one in use. At most one is active; with none, the shipped model is used."""

    __tablename__ = "tagging_model"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    path: Mapped[str] = mapped_column(String(500))
    metrics: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    corrections_upto: Mapped[int] = mapped_column(BigInteger, default=0)  # corrections with id <= this trained it
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # rolled back: never re-activated by a rollback
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
