"""Tagging payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
