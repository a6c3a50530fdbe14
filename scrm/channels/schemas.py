"""Channel payloads: write models forbid extra fields; the welcome message is checked by the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scrm.channels.models import ChannelKind, SyncStatus
from scrm.core.commands import Command
from scrm.core.params import RowId


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


WELCOME_DOC = ('WeCom send_welcome_msg shape without welcome_code: {"text": {"content": "..."}, "attachments": '
               '[{"msgtype": "link", "link": {"title", "url", "picurl", "desc"}}, {"msgtype": "miniprogram", '
               '"miniprogram": {"title", "pic_media_id", "appid", "page"}}]}')


class ChannelCreate(_In):
    name: str = Field(min_length=1, max_length=64)
    kind: ChannelKind = ChannelKind.other
    team_employee_ids: list[RowId] = Field(min_length=1, max_length=100,
                                           description="who receives the customers; more than one makes a multi-person code")
    welcome: dict[str, Any] | None = Field(default=None, description=WELCOME_DOC)
    auto_tags: list[str] = Field(default_factory=list, description="WeCom tag ids put on customers from this channel")
    state: str | None = Field(default=None, max_length=30, description="generated when left out")
    skip_verify: bool = True


class ChannelUpdate(Command):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    kind: ChannelKind | None = None
    team_employee_ids: list[RowId] | None = Field(default=None, min_length=1, max_length=100)
    welcome: dict[str, Any] | None = Field(default=None, description=WELCOME_DOC)
    auto_tags: list[str] | None = None
    skip_verify: bool | None = None


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: ChannelKind
    state: str
    qr_code_url: str | None
    wecom_config_id: str | None
    welcome: dict[str, Any]
    auto_tags: list[str]
    team_employee_ids: list[int]
    active: bool
    skip_verify: bool
    sync_status: SyncStatus
    sync_error: str | None
    created_at: datetime


class ChannelStatsOut(BaseModel):
    channel_id: int
    name: str
    kind: str
    active: bool
    adds: int = Field(description="adds through the channel's code")
    deletions: int = Field(description="of those adds, how many have been deleted by either side")
    customers: int = Field(description="customers whose first touch was this channel")
    conversions: int = Field(description="of those customers, how many signed or went further")
    conversion_rate: float
