"""Tiering rules in and out, previews, tier groups."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from scrm.core.commands import Command

# a tier's key (scrm.groups.models.TierDef): A, B, C and the blocked pool to begin with, then what managers list
Tier = Annotated[str, StringConstraints(min_length=1, max_length=10)]
Intent = Literal["low", "medium", "high"]


class RuleConditions(BaseModel):
    """Every condition given must hold (AND); a list condition matches any of its values unless named ``_all``."""

    model_config = ConfigDict(extra="forbid")
    intent_in: list[Intent] | None = None
    stages_in: list[str] | None = None
    tags_all: list[str] | None = None
    tags_any: list[str] | None = None
    tags_none: list[str] | None = None
    amount_min_yuan: Decimal | None = None
    amount_max_yuan: Decimal | None = None
    contacted_within_days: int | None = Field(default=None, ge=1, le=3650)
    not_contacted_days: int | None = Field(default=None, ge=1, le=3650)


class TierRuleIn(Command):
    name: str = Field(min_length=1, max_length=64)
    tier: Tier
    position: int = Field(default=100, ge=0, le=100000)
    conditions: RuleConditions
    active: bool = True


class TierRulePatch(Command):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    tier: Tier | None = None
    position: int | None = Field(default=None, ge=0, le=100000)
    conditions: RuleConditions | None = None
    active: bool | None = None


class TierRuleOut(BaseModel):
    id: int
    name: str
    tier: str
    position: int
    conditions: dict
    active: bool
    updated_at: datetime


class PreviewIn(BaseModel):
    """The rule set as it would be after a change: the full list replaces the current rules in the preview."""

    model_config = ConfigDict(extra="forbid")
    rules: list[TierRuleIn]
    sample_size: int = Field(default=5, ge=0, le=50)


class MoveOut(BaseModel):
    from_tier: str | None
    to_tier: str
    count: int
    sample_customer_ids: list[int]


class PreviewOut(BaseModel):
    total_moving: int
    moves: list[MoveOut]


class RetierOut(BaseModel):
    run_id: int
    changed: int


class TierCountOut(BaseModel):
    tier: str
    customers: int


class TierGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tier: Tier
    chat_id: str = Field(min_length=1, max_length=64)
    position: int = Field(default=0, ge=0, le=10000)


class TierGroupOut(BaseModel):
    id: int
    tier: str
    position: int
    chat_id: str
    name: str
    member_count: int
    full: bool
    join_way_config_id: str | None
    join_way_qr_code: str | None


class TierIn(Command):
    """A tier: ``key`` is what rules, groups and mass messages name (a letter, then letters, digits or _; at most
    10), ``name`` what people see, ``position`` its place in the list (best first; a customer no rule matches goes
    to the last), ``colour`` as #RRGGBB."""

    model_config = ConfigDict(json_schema_extra={"example": {"key": "VIP", "name": "VIP 客户", "position": 5,
                                                             "colour": "#8e24aa"}})
    key: str = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1, max_length=20)
    position: int = Field(default=100, ge=0, le=10000)
    colour: str = Field(default="#888888", min_length=1, max_length=20)


class TierPatch(Command):
    name: str | None = Field(default=None, min_length=1, max_length=20)
    position: int | None = Field(default=None, ge=0, le=10000)
    colour: str | None = Field(default=None, min_length=1, max_length=20)


class TierOut(BaseModel):
    key: str
    name: str
    position: int
    colour: str
    reserved: bool = Field(description="the blocked pool: always matched first, never deleted")
    default: bool = Field(description="where a customer no rule matches goes (the last tier of the list)")
    customers: int
    rules: int
    groups: int
