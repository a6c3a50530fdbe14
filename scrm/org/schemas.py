"""Payloads of the sign-in and org endpoints: write models forbid extra fields, read models mask the mobile."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from scrm.org.models import Center, DataScope, Department, Employee, EmployeeStatus, Role
from scrm.core.crypto import mask_phone
from scrm.core.params import RowId


class WriteModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- sign-in -----------------------------------------------------------------------------------

class LoginIn(WriteModel):
    username: str = Field(min_length=1, max_length=64)
    # no strip: a password's spaces are part of it
    password: str = Field(min_length=1, max_length=256, json_schema_extra={"format": "password"})
    model_config = ConfigDict(extra="forbid")


class WecomLoginIn(WriteModel):
    code: str = Field(min_length=1, max_length=512, description="The `code` WeCom appended to the redirect URI.")


class PasswordChangeIn(WriteModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PasswordSetIn(WriteModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=256)


class AuthorizeUrlOut(BaseModel):
    url: str


# --- read models -------------------------------------------------------------------------------

class EmployeeRead(ReadModel):
    id: int
    name: str
    username: str | None
    wecom_userid: str | None
    department_id: int | None
    role: Role
    scope: DataScope
    status: EmployeeStatus
    wecom_status: int | None
    mobile: str | None = Field(description="Masked: 138****8000.")
    region: str | None
    max_open_leads: int | None
    created_at: datetime
    departed_at: datetime | None

    @classmethod
    def of(cls, employee: Employee) -> "EmployeeRead":
        read = cls.model_validate(employee)
        read.mobile = mask_phone(employee.mobile)
        return read


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    employee: EmployeeRead


class EmployeePage(BaseModel):
    items: list[EmployeeRead]
    total: int
    limit: int
    offset: int


class CenterRead(ReadModel):
    id: int
    name: str
    wecom_id: int | None

    @classmethod
    def of(cls, center: Center) -> "CenterRead":
        return cls.model_validate(center)


class DepartmentRead(ReadModel):
    id: int
    name: str
    center_id: int | None
    parent_id: int | None
    wecom_id: int | None
    deleted: bool

    @classmethod
    def of(cls, department: Department) -> "DepartmentRead":
        return cls.model_validate(department)


class SyncReportOut(BaseModel):
    queued: bool


# --- write models ------------------------------------------------------------------------------

class CenterIn(WriteModel):
    name: str = Field(max_length=200)


class CenterUpdate(WriteModel):
    name: str = Field(max_length=200)


class DepartmentIn(WriteModel):
    name: str = Field(max_length=200)
    center_id: RowId | None = None
    parent_id: RowId | None = Field(None, description="A department of the same center to nest under.")


class DepartmentUpdate(WriteModel):
    name: str | None = Field(None, max_length=200)
    center_id: RowId | None = None
    parent_id: RowId | None = None


class EmployeeIn(WriteModel):
    name: str = Field(max_length=200)
    role: Role = Role.sales
    scope: DataScope | None = Field(None, description="Defaults to the role's usual scope.")
    department_id: RowId | None = None
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=256)
    mobile: str | None = Field(None, max_length=32)
    wecom_userid: str | None = Field(None, max_length=200)
    region: str | None = Field(None, max_length=32)
    max_open_leads: int | None = None


class EmployeeUpdate(WriteModel):
    """Only the fields sent are changed; ``null`` clears a field."""

    name: str | None = Field(None, max_length=200)
    department_id: RowId | None = None
    username: str | None = Field(None, max_length=200)
    mobile: str | None = Field(None, max_length=32)
    wecom_userid: str | None = Field(None, max_length=200)
    region: str | None = Field(None, max_length=32)
    max_open_leads: int | None = None


class RoleIn(WriteModel):
    role: Role
    scope: DataScope | None = Field(None, description="Defaults to the role's usual scope.")
