"""The one customer record, who follows it, what they want, and everything that happened to it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.crypto import EncryptedText
from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, enum_column, utcnow


class CustomerSource(str, enum.Enum):
    wecom = "wecom"
    miniprogram = "miniprogram"
    manual = "manual"
    import_ = "import"


class Stage(str, enum.Enum):
    lead = "lead"
    contacted = "contacted"
    appointment = "appointment"
    signed = "signed"
    processing = "processing"
    disbursed = "disbursed"
    settled = "settled"
    lost = "lost"


class CustomerStatus(str, enum.Enum):
    active = "active"
    # the customer deleted every salesperson, or every salesperson deleted them
    gone = "gone"
    merged = "merged"
    # personal data erased at the customer's request; the record stays for the ledger's references
    erased = "erased"



class FeeKind(str, enum.Enum):
    rate = "rate"  # basis points of the loan amount
    fixed = "fixed"  # a fixed amount in fen


class LoanProduct(Base):
    """A loan product: its current form (房抵贷 asks for the property, 车抵贷 for the car …), the materials an
    application needs, and the fee rule that fills a sign-up's service fee.

    ``form_fields``, ``required_materials`` and ``form_version`` are the current version's, written only with a
    new ``LoanProductForm`` row by ``scrm.customers.service.products``; applications point at their version's row.
    """

    __tablename__ = "loan_product"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    # [{"key", "label", "type": text|number|integer|money|choice|date|bool, "required", "options": [{"value", "label"}],
    #   "min", "max", "max_length", "unit"}]; checked by scrm.customers.forms. Money values are stored in fen.
    form_fields: Mapped[list] = mapped_column(JSONDoc, default=list)
    # attachment kinds (scrm.customers.labels.ATTACHMENT_KIND_NAMES) an application needs on file
    required_materials: Mapped[list] = mapped_column(JSONDoc, default=list)
    form_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fee_kind: Mapped[FeeKind] = mapped_column(enum_column(FeeKind), default=FeeKind.rate, server_default="rate")
    fee_rate_bp: Mapped[int | None] = mapped_column(Integer)
    fee_fixed_fen: Mapped[int | None] = mapped_column(BigInteger)
    fee_min_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoanProductForm(Base):
    """One version of a product's form, never changed once written: an application keeps the version it was
    filled with."""

    __tablename__ = "loan_product_form"
    __table_args__ = (UniqueConstraint("product_id", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_product.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list] = mapped_column(JSONDoc, default=list)
    required_materials: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        # name search (ILIKE '%…%') through trigrams on PostgreSQL (pg_trgm); a plain index on SQLite
        Index("ix_customer_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        # one salesperson's customers in id order: their list, and the list sorted by owner
        Index("ix_customer_owner_id_id", "owner_id", "id"),
        # the dashboards' days outside whole months read from the index alone on PostgreSQL (CustomerStageMonth)
        Index("ix_customer_created_at_counted", "created_at",
              postgresql_include=["owner_id", "stage", "channel_id", "status"]),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    wecom_external_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    mp_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), unique=True)
    avatar: Mapped[str | None] = mapped_column(String(512))
    gender: Mapped[int] = mapped_column(Integer, default=0)
    corp_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True, info={"blind_index": ("phone", "phone")})
    # Last four digits in clear for "尾号" search: every masked answer (138****1234) shows them anyway,
    # and a hash of four digits would be a 10,000-entry lookup table, not protection.
    phone_tail: Mapped[str | None] = mapped_column(String(4), index=True)
    id_no: Mapped[str | None] = mapped_column(EncryptedText)
    id_no_hash: Mapped[str | None] = mapped_column(String(64), index=True, info={"blind_index": ("id_no", "id_no")})
    city: Mapped[str | None] = mapped_column(String(32))
    # province or sales region (华东, 广东 …), matched by assignment rules' ``regions``
    region: Mapped[str | None] = mapped_column(String(32))

    owner_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"), index=True)
    source: Mapped[CustomerSource] = mapped_column(enum_column(CustomerSource), default=CustomerSource.wecom)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.lead, index=True)
    status: Mapped[CustomerStatus] = mapped_column(enum_column(CustomerStatus), default=CustomerStatus.active, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))

    # loan need
    product_id: Mapped[int | None] = mapped_column(ForeignKey("loan_product.id"))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    term_months: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(200))
    custom_fields: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # the form version custom_fields were filled with
    product_form_id: Mapped[int | None] = mapped_column(ForeignKey("loan_product_form.id"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowStatus(str, enum.Enum):
    active = "active"
    deleted_by_staff = "deleted_by_staff"  # del_external_contact
    deleted_by_customer = "deleted_by_customer"  # del_follow_user
    transferred = "transferred"


class CustomerFollow(Base):
    """A salesperson who has the customer on WeCom (WeCom's follow_user); one of them is the owner."""

    __tablename__ = "customer_follow"
    __table_args__ = (
        UniqueConstraint("customer_id", "employee_id"),
        # the dashboards' days outside whole months read from the index alone on PostgreSQL (FollowMonth)
        Index("ix_customer_follow_added_at", "added_at", postgresql_include=["employee_id", "state", "status"]),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    remark: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(512))
    state: Mapped[str | None] = mapped_column(String(64))
    add_way: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[FollowStatus] = mapped_column(enum_column(FollowStatus), default=FollowStatus.active)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowUp(Base):
    __tablename__ = "follow_up"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="note")  # call, visit, wechat, note
    content: Mapped[str] = mapped_column(Text)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Attachment(Base):
    """A customer's document; the file itself, encrypted, is in ``scrm.core.storage`` under ``storage_key``."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), default="other")  # id_card, property_deed, bank_statement …
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    # the customer sent it themselves through the mini-program
    by_customer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the plaintext
    key_id: Mapped[str | None] = mapped_column(String(16))  # the personal-data key it is encrypted under
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimelineEntry(Base):
    """Append-only. ``source_key`` makes a replayed event add nothing the second time."""

    __tablename__ = "timeline_entry"
    __table_args__ = (UniqueConstraint("customer_id", "source_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    actor_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    source_key: Mapped[str | None] = mapped_column(String(80))


class DuplicateContact(Base):
    """A phone number a salesperson gave a customer that already belongs to another customer.

    The phone stays with its first owner (``phone_hash`` is unique); this row is the record that the
    second salesperson met it, so the clash is reported once even when the event is replayed.
    """

    __tablename__ = "duplicate_contact"
    __table_args__ = (UniqueConstraint("customer_id", "existing_customer_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    existing_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    other_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerStageMonth(Base):
    """Customers (merged ones left out) by the Beijing month they were created in, owner and stage, so the
    dashboards add up a few thousand rows instead of counting a million customers.

    Database triggers on ``customer`` append a +1 row for a customer's new (month, owner, stage) and a -1 row
    for its old one on every insert, update of those columns, and delete: appends take no lock another
    transaction waits on. ``compact_month_counts`` (every minute) folds the rows into one per key; readers
    sum whatever is there, compacted or not."""

    __tablename__ = "customer_stage_month"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer)


class CustomerChannelMonth(Base):
    """Customers by creation month, owner, first channel and whether they converted (signed or later);
    kept by the same triggers as ``CustomerStageMonth``."""

    __tablename__ = "customer_channel_month"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    converted: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)


class FollowMonth(Base):
    """Follows made through a channel code (``state``) by the month they were added, employee and whether
    they have ended; kept by triggers on ``customer_follow`` like ``CustomerStageMonth``."""

    __tablename__ = "follow_month"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    employee_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(64))
    ended: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)
