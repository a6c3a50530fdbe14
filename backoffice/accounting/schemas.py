"""What the accounting export takes and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from scrm.core.commands import Command

Target = Literal["kingdee_k3cloud", "kingdee_kis", "yonyou_u8", "yonyou_tplus"]


class MappingIn(Command):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.\-_]+$")
    name: str = Field(min_length=1, max_length=80)
    aux_customer: bool = False
    aux_department: bool = False
    aux_employee: bool = False


class MappingOut(BaseModel):
    account: str
    account_name: str
    code: str | None
    name: str | None
    aux_customer: bool
    aux_department: bool
    aux_employee: bool


class ExportIn(Command):
    """A month (``2026-12``) or a range of days, Beijing time, both ends included."""

    target: Target
    month: str | None = Field(default=None, pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
    date_from: date | None = None
    date_to: date | None = None
    force: bool = False


class ExportOut(BaseModel):
    id: int
    target: str
    date_from: date
    date_to: date
    voucher_count: int
    numbers: dict[str, list[int]]
    reexport: bool
    reexport_of: list[int]
    created_by_id: int
    created_at: datetime
    filename: str
    download_url: str
