"""Company -> center (中心) -> department (营销部门) -> employee.

Mapping from WeCom (see ``scrm.org.service.sync_from_wecom``): every WeCom department, the root
included, is a ``Department`` (``wecom_id``/``wecom_parent_id``, ``parent_id`` mirroring the tree);
each direct child of the root is also a ``Center`` (``Center.wecom_id``), and every department
below it carries that ``center_id``. The root department (the company) has no center.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, utcnow
from scrm.core.crypto import EncryptedText


class Role(str, enum.Enum):
    sales = "sales"
    processor = "processor"
    supervisor = "supervisor"
    finance = "finance"
    manager = "manager"
    admin = "admin"


class DataScope(str, enum.Enum):
    own = "own"
    department = "department"
    center = "center"
    all = "all"


DEFAULT_SCOPE = {
    Role.sales: DataScope.own,
    Role.processor: DataScope.own,
    Role.supervisor: DataScope.department,
    Role.finance: DataScope.all,
    Role.manager: DataScope.center,
    Role.admin: DataScope.all,
}


class EmployeeStatus(str, enum.Enum):
    active = "active"
    departed = "departed"


class Center(Base):
    __tablename__ = "center"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    wecom_id: Mapped[int | None] = mapped_column(Integer, unique=True)


class Department(Base):
    __tablename__ = "department"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("center.id"), index=True)
    # the department scope covers a department and everything below it
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    wecom_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    wecom_parent_id: Mapped[int | None] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class Employee(Base):
    __tablename__ = "employee"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.sales)
    scope: Mapped[DataScope] = mapped_column(Enum(DataScope, native_enum=False, length=20), default=DataScope.own)
    status: Mapped[EmployeeStatus] = mapped_column(
        Enum(EmployeeStatus, native_enum=False, length=20), default=EmployeeStatus.active, index=True)
    # WeCom's member status: 1 active, 2 disabled, 4 not yet activated (5, left, makes us departed)
    wecom_status: Mapped[int | None] = mapped_column(Integer)
    mobile: Mapped[str | None] = mapped_column(EncryptedText)
    mobile_hash: Mapped[str | None] = mapped_column(String(64), index=True, info={"blind_index": ("mobile", "phone")})
    password_hash: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(32))
    max_open_leads: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # tokens issued before this moment are refused (password changed, signed out everywhere)
    sessions_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevokedSession(Base):
    """A signed-out staff token (by its SHA-256), refused until it would have expired anyway; then purged."""

    __tablename__ = "revoked_session"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
