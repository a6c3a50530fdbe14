"""Scripts and materials in and out, and their usage."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scrm.materials.models import MaterialKind


def _http_url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


class MaterialIn(BaseModel):
    """A script (text, with {客户称呼} {产品} {金额}), a link, a mini-program card, or an image or file's details
    (the file itself is uploaded with the console's form)."""

    model_config = ConfigDict(extra="forbid")
    kind: MaterialKind
    group_name: str = Field(default="常用", min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=64)
    content: str = Field(default="", max_length=2000)
    url: str | None = Field(default=None, max_length=512)
    cover_url: str | None = Field(default=None, max_length=512)
    mp_appid: str | None = Field(default=None, max_length=32)
    mp_page: str | None = Field(default=None, max_length=256)

    @field_validator("group_name", "title", "content", "mp_appid", "mp_page", mode="before")
    @classmethod
    def _strip(cls, value):
        return value.strip() if isinstance(value, str) else value

    @field_validator("url", "cover_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)


class MaterialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: MaterialKind
    group_name: str
    title: str
    content: str
    url: str | None
    cover_url: str | None
    mp_appid: str | None
    mp_page: str | None
    filename: str | None
    size_bytes: int | None
    active: bool
    created_at: datetime


class ActiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


class UsageOut(BaseModel):
    material_id: int
    title: str
    kind: MaterialKind
    sends: int
    senders: int
    customers: int
    signed_after: list[int]
    last_sent_at: datetime | None
