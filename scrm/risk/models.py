"""Risk facts, the scorecard, the rules, their firings and what they decided for each customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class RiskFact(Base):
    """A customer's risk facts as staff (or the customer) entered them, with what follows from them: the debt
    ratio, the materials as a bit mask and a count (``labels.MATERIALS`` gives the bits), and the score. A fact
    nobody entered is NULL and satisfies no comparison."""

    __tablename__ = "risk_fact"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    inquiries_1m: Mapped[int | None] = mapped_column(Integer)
    inquiries_3m: Mapped[int | None] = mapped_column(Integer)
    inquiries_6m: Mapped[int | None] = mapped_column(Integer)
    overdue_count: Mapped[int | None] = mapped_column(Integer)
    worst_overdue: Mapped[str | None] = mapped_column(String(10))  # labels.OVERDUE_NAMES
    total_debt_fen: Mapped[int | None] = mapped_column(BigInteger)
    monthly_income_fen: Mapped[int | None] = mapped_column(BigInteger)
    # total debt over a year's income, in basis points (7000 = 70%); NULL without both figures
    debt_ratio_bp: Mapped[int | None] = mapped_column(Integer)
    online_loans: Mapped[int | None] = mapped_column(Integer)
    materials_mask: Mapped[int] = mapped_column(Integer, default=0)
    materials_count: Mapped[int] = mapped_column(Integer, default=0)
    social_security_months: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer, index=True)
    # counts the customer stated in their chats (the tagging profile's counts): fact -> {"value", "held", and
    # where: "source", "source_key", "at", "excerpt", "phrase"}. ``held``: the fact's column holds this value,
    # because nobody entered one (what staff or the customer enter wins)
    text_facts: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskScorecard(Base):
    """One version of the qualification scorecard; the newest is in use. ``bands``: ``[{"fact", "op", "value",
    "points", "label"}]``, each adding its points when its condition holds; the sum with ``base`` is capped to
    0–100."""

    __tablename__ = "risk_scorecard"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    base: Mapped[int] = mapped_column(Integer)
    bands: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskRule(Base):
    """A rule a manager wrote: a condition tree over the facts and the actions taken when a customer starts
    matching it. ``version`` grows with every change of the condition or the actions."""

    __tablename__ = "risk_rule"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    condition: Mapped[dict] = mapped_column(JSONDoc)
    actions: Mapped[list] = mapped_column(JSONDoc)
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RiskMatch(Base):
    """A customer who matches a rule now. A rule fires when this row is made, so it fires once however often the
    customer is evaluated; the row goes when the facts no longer match, and a later match fires again."""

    __tablename__ = "risk_match"
    rule_id: Mapped[int] = mapped_column(ForeignKey("risk_rule.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    firing_id: Mapped[int | None] = mapped_column(BigInteger)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskFiring(Base):
    """One firing: the facts that made the rule fire (``evidence``) and what it did (``done``)."""

    __tablename__ = "risk_firing"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("risk_rule.id", ondelete="CASCADE"), index=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    rule_name: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    facts_version: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    done: Mapped[list] = mapped_column(JSONDoc, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskDecision(Base):
    """Where the rules left a customer. In the reject pool (拒绝池) a customer gets no SOP follow-up tasks and no mass
    messages. Approval flows do not exist yet, so routing is recorded as who it awaits."""

    __tablename__ = "risk_decision"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    reject_pool: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    reject_pool_firing_id: Mapped[int | None] = mapped_column(BigInteger)
    reject_pool_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    awaiting_approval_role: Mapped[str | None] = mapped_column(String(20))
    awaiting_approval_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    awaiting_approval_title: Mapped[str | None] = mapped_column(String(32))
    approval_firing_id: Mapped[int | None] = mapped_column(BigInteger)
    approval_routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_missing: Mapped[list | None] = mapped_column(JSONDoc)  # material kinds the salesperson must add
    returned_firing_id: Mapped[int | None] = mapped_column(BigInteger)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
