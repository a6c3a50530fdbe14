"""Risk facts, rules, the scorecard and a customer's risk, in and out. Conditions and actions are checked by the
service, so that a bad rule is answered with the field and the problem in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scrm.core.commands import Command
from scrm.risk.labels import MATERIALS

Overdue = Literal["none", "m1", "m2", "m3_plus"]
Material = Literal[MATERIALS]  # type: ignore[valid-type]
Count = Field(default=None, ge=0, le=1000)


class FactsIn(Command):
    """The facts to change; one left out stays as it is, ``null`` clears it. Money in fen."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "inquiries_1m": 2, "inquiries_3m": 12, "inquiries_6m": 15, "overdue_count": 1, "worst_overdue": "m1",
        "total_debt_fen": 30000000, "monthly_income_fen": 2500000, "online_loans": 2,
        "materials": ["id_card", "credit_report"], "social_security_months": 30}]})
    inquiries_1m: int | None = Count
    inquiries_3m: int | None = Count
    inquiries_6m: int | None = Count
    overdue_count: int | None = Count
    worst_overdue: Overdue | None = None
    total_debt_fen: int | None = Field(default=None, ge=0, le=100_000_000_000)
    monthly_income_fen: int | None = Field(default=None, ge=0, le=10_000_000_000)
    online_loans: int | None = Count
    materials: list[Material] | None = Field(default=None, max_length=len(MATERIALS) * 2)
    social_security_months: int | None = Field(default=None, ge=0, le=600)


class OwnFactsOut(BaseModel):
    """What the customer sees of their own facts in the mini-program."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "inquiries_1m": 1, "inquiries_3m": 3, "inquiries_6m": 5, "overdue_count": 0, "worst_overdue": "none",
        "total_debt_fen": 12000000, "monthly_income_fen": 1800000, "online_loans": 1,
        "materials": ["id_card"], "social_security_months": 36, "updated_at": "2026-12-05T09:30:00+08:00"}]})
    inquiries_1m: int | None = None
    inquiries_3m: int | None = None
    inquiries_6m: int | None = None
    overdue_count: int | None = None
    worst_overdue: str | None = None
    total_debt_fen: int | None = None
    monthly_income_fen: int | None = None
    online_loans: int | None = None
    materials: list[str] = []
    social_security_months: int | None = None
    updated_at: datetime | None = None


class FactsOut(BaseModel):
    inquiries_1m: int | None
    inquiries_3m: int | None
    inquiries_6m: int | None
    overdue_count: int | None
    worst_overdue: str | None
    total_debt_fen: int | None
    monthly_income_fen: int | None
    debt_ratio: str | None = Field(description="total debt over a year's income, percent with two decimals")
    online_loans: int | None
    materials: list[str]
    materials_count: int
    social_security_months: int | None
    score: int | None
    version: int
    updated_by: int | None
    updated_at: datetime
    from_text: dict[str, dict[str, Any]] = Field(
        default={}, description="the facts whose value the customer stated in a chat, nobody having entered one: "
                                "fact -> value, phrase, source, source_key, at")
    stated_in_chats: dict[str, dict[str, Any]] = Field(
        default={}, description="every count the chats state, ``held`` false where an entered value wins")


class FiringOut(BaseModel):
    id: int
    rule_id: int
    rule_name: str
    rule_version: int
    facts_version: int
    evidence: dict[str, Any] = Field(description="the values of the facts the rule read when it fired")
    done: list[dict[str, Any]] = Field(description="what it did: tags, notices (to whom), routing, return, pool")
    at: datetime


class ApprovalOut(BaseModel):
    title: str
    role: str | None
    employee_id: int | None
    routed_at: datetime | None
    because: FiringOut | None


class ReturnedOut(BaseModel):
    missing: list[str]
    missing_names: list[str]
    at: datetime | None
    because: FiringOut | None


class ProfileFactsOut(BaseModel):
    """Read-only: what the tagging profile (画像) read in the customer's messages."""

    tags: list[str]
    amount_fen: int | None
    counts: dict[str, int] = {}
    product: str | None
    updated_at: datetime | None


class CustomerRiskOut(BaseModel):
    customer_id: int
    facts: FactsOut | None
    score_bands: list[dict[str, Any]] = Field(description="the scorecard's bands that add their points")
    profile: ProfileFactsOut | None
    reject_pool: bool
    reject_pool_at: datetime | None
    reject_pool_because: FiringOut | None = Field(description="the firing that put the customer in the reject pool")
    awaiting_approval: ApprovalOut | None
    returned: ReturnedOut | None
    matching_rules: list[str]
    firings: list[FiringOut]


class ClearIn(Command):
    """Which decision in force to end."""

    what: Literal["reject_pool", "approval", "returned"]


SEED_EXAMPLE = {"name": "征信查询过多", "condition": {"fact": "inquiries_3m", "op": ">", "value": 10},
                "actions": [{"type": "add_tag", "tag": "高风险"}, {"type": "alert"}]}


class RuleIn(Command):
    """A rule: ``condition`` is a leaf ``{"fact", "op", "value"}`` or ``{"all": [...]}`` / ``{"any": [...]}`` (nested
    once); ``actions`` are ``add_tag`` {tag}, ``alert`` {text?}, ``route_approval`` {role | employee_id, title?},
    ``return`` {materials?}, ``reject_pool`` {reason?}."""

    model_config = ConfigDict(json_schema_extra={"example": SEED_EXAMPLE})
    name: str = Field(min_length=1, max_length=64)
    condition: Any
    actions: Any
    position: int = Field(default=100, ge=0, le=10000)
    active: bool = True


class RulePatch(Command):
    """The fields to change; a condition or actions given replace the old ones whole."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    condition: Any = None
    actions: Any = None
    position: int | None = Field(default=None, ge=0, le=10000)
    active: bool | None = None


class RuleDraft(Command):
    """A rule to try out: its condition (and actions, checked too)."""

    condition: Any
    actions: Any = None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    condition: dict[str, Any]
    actions: list[dict[str, Any]]
    description: str = ""
    position: int
    active: bool
    version: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class PreviewSample(BaseModel):
    customer_id: int
    name: str
    evidence: dict[str, Any]


class RulePreviewOut(BaseModel):
    evaluated: int = Field(description="customers with risk facts")
    matching: int
    sample: list[PreviewSample]


class ScorecardIn(Command):
    """``bands``: ``[{"label", "when": condition, "points"}]``; the score is ``base`` plus the points of every band
    that holds, capped to 0–100."""

    model_config = ConfigDict(json_schema_extra={"example": {"base": 60, "bands": [
        {"label": "社保满 24 个月", "when": {"fact": "social_security_months", "op": ">=", "value": 24}, "points": 15},
        {"label": "严重逾期", "when": {"fact": "worst_overdue", "op": "in", "value": ["m3_plus"]}, "points": -40}]}})
    base: Any
    bands: Any


class ScorecardOut(BaseModel):
    id: int | None = Field(description="null: the built-in scorecard, no manager has saved one yet")
    base: int
    bands: list[dict[str, Any]]


class ScoreBand(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: int = Field(alias="from")
    to: int
    count: int = Field(description="customers in this band under the draft")
    now: int = Field(description="customers in this band today")


class ScorePreviewOut(BaseModel):
    customers: int
    average: float | None
    below_60: int
    bands: list[ScoreBand]
    changed: int
    sample: list[dict[str, Any]]
