"""Tagging payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from scrm.core.params import RowId


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[str] = Field(min_length=1, max_length=100, description="up to 100 texts; each is read up to 2,000 characters")


class TaggedText(BaseModel):
    text: str
    tags: list[str]
    product: str | None
    intent: str = Field(description="high | medium | low")
    amount_yuan: int | None
    term_months: int | None
    city: str | None


class PreviewOut(BaseModel):
    results: list[TaggedText]


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    customer_id: int
    product: str | None
    intent: str
    amount_fen: int | None
    term_months: int | None
    city: str | None
    tags: list[str]
    evidence: dict
    updated_at: datetime


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(description="tag | product | intent | amount_yuan | term_months | city")
    tag: str | None = Field(None, description="with field=tag: the asset or risk tag corrected")
    value: bool | int | str | None = Field(description="tag: true / false; product: a product or null; intent: "
                                                       "high | medium | low; amount (yuan), term (months), city")
    text: str | None = Field(None, max_length=2000, description="the text the correction concerns")
    evidence_id: RowId | None = Field(None, description="or the profile evidence whose text it concerns")
    customer_id: RowId | None = Field(None, description="the customer: their profile follows the correction")


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int | None
    text: str
    field: str
    tag: str | None
    value: dict
    previous: dict
    created_at: datetime


class TagPrecision(BaseModel):
    confirmed: int
    removed: int
    added: int
    precision: float | None
