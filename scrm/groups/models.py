"""WeCom customer groups (客户群) and their members, as WeCom reports them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


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


TIERS = ("A", "B", "C", "blocked")  # the tiers a fresh database starts with (migration 0024), in order
TIER_POSITIONS = {"A": 10, "B": 20, "C": 30, "blocked": 1000}
TIER_COLOURS = {"A": "#d93025", "B": "#f29900", "C": "#1a73e8", "blocked": "#5f6368"}
DEFAULT_TIER = "C"  # until the tier table says otherwise (the last of its list)
BLOCKED = "blocked"  # reserved: the risk pool, evaluated first, never edited or deleted
KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,9}$"
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"


class TierDef(Base):
    """A tier customers are put in, as managers list them: ``position`` orders them (best first); a customer no
    rule matches goes to the last. ``reserved`` marks the blocked pool, which stays as it is."""

    __tablename__ = "tier"
    key: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=100)
    colour: Mapped[str] = mapped_column(String(7), default="#888888")
    reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TierRule(Base):
    """One tiering rule: when every condition holds the customer goes to ``tier``.

    Rules for the blocked pool are evaluated before all others, then the rest by ``position``; the
    first rule that matches decides, and a customer no rule matches is tier C.
    """

    __tablename__ = "tier_rule"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    tier: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=100)
    # intent_in, stages_in, tags_all, tags_any, tags_none, amount_min_fen, amount_max_fen,
    # contacted_within_days, not_contacted_days (see scrm.groups.schemas.RuleConditions)
    conditions: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CustomerTier(Base):
    __tablename__ = "customer_tier"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(10), index=True)
    rule_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TierChange(Base):
    """History: one row per customer whose tier a re-tiering run changed (``from_tier`` None: first tier)."""

    __tablename__ = "tier_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    from_tier: Mapped[str | None] = mapped_column(String(10))
    to_tier: Mapped[str] = mapped_column(String(10))
    rule_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetierRun(Base):
    __tablename__ = "retier_run"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # all | customers
    changed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TierGroup(Base):
    """A WeCom customer group serving a tier, in the order new members are sent to them."""

    __tablename__ = "tier_group"
    __table_args__ = (UniqueConstraint("chat_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tier: Mapped[str] = mapped_column(String(10), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    chat_id: Mapped[str] = mapped_column(String(64))
    join_way_config_id: Mapped[str | None] = mapped_column(String(64))
    join_way_qr_code: Mapped[str | None] = mapped_column(String(512))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InviteBatch(Base):
    """Tier changes up to ``last_change_id`` have had their group invitations made (one batch per run of
    the invite job; the unique ``after_change_id`` lets only one of two concurrent jobs take a range)."""

    __tablename__ = "tier_invite_batch"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    after_change_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    last_change_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
