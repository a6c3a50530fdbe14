"""Shared by the customer service's parts: constants, small helpers, lookups and the data scope, the
append-only timeline and ownership."""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session

from scrm.core import crypto
from scrm.core.db import insert_ignore, insert_ignore_many, utcnow
from scrm.core.errors import NotFound, ValidationFailed
from scrm.customers.models import Customer, CustomerFollow, CustomerStatus, FollowStatus, Stage, TimelineEntry
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

log = logging.getLogger(__name__)

STAGE_ORDER = [Stage.lead, Stage.contacted, Stage.appointment, Stage.signed, Stage.processing,
               Stage.disbursed, Stage.settled, Stage.lost]
OPEN_STAGES = (Stage.lead, Stage.contacted, Stage.appointment)
CONVERTED_STAGES = (Stage.signed, Stage.processing, Stage.disbursed, Stage.settled)
# stages a salesperson sets by hand; signed and later come from the back-office (contracts, loans)
MANUAL_STAGES = (Stage.lead, Stage.contacted, Stage.appointment, Stage.lost)
ENDED_FOLLOW = (FollowStatus.deleted_by_staff, FollowStatus.deleted_by_customer)

# roles that see the pool of unassigned leads (besides any scope that covers everyone)
POOL_ROLES = {Role.supervisor, Role.manager, Role.admin}
# roles that may see full phone / ID numbers (always audited); the owner may see their own customer's
PII_ROLES = {Role.manager, Role.finance, Role.admin}
PII_FIELDS = ("phone", "id_no")

MAX_AMOUNT = Decimal("1000000000")  # 10亿: anything above is a typo
MAX_TERM_MONTHS = 360

FOLLOW_UP_KINDS = {"call", "visit", "wechat", "note"}
# what an upload may be, told by its content (never by its name): the type and the extensions it is saved with
ATTACHMENT_TYPES = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/heic": (".heic", ".heif"),
}
ATTACHMENT_KINDS = {
    "id_card", "household_register", "marriage_cert", "property_deed", "vehicle_license", "driving_license",
    "bank_statement", "income_proof", "social_security", "credit_report", "business_license", "contract", "other",
}

TRANSFER_FAIL_REASONS = {
    "customer_refused": "客户拒绝了接替",
    "customer_limit_exceed": "接替成员的客户数已达上限",
}


# ---------------------------------------------------------------------------------------------
# small helpers


def source_key(base: str | None, suffix: str | None = None) -> str | None:
    """A timeline source key derived from an event key; long ones are shortened by a hash, never cut."""
    if base is None:
        return None
    key = base if suffix is None else f"{base}:{suffix}"
    if len(key) <= 80:
        return key
    return key[:39] + "~" + hashlib.sha256(key.encode()).hexdigest()[:40]


def phone_hash(phone: str) -> str:
    return crypto.blind_index("phone", crypto.normalize_phone(phone))


def id_no_hash(id_no: str) -> str:
    return crypto.blind_index("id_no", crypto.normalize_id_no(id_no))


def phone_hashes(phone: str) -> list[str]:
    """Every hash this phone may be stored under (more than one while the PII key rotates)."""
    return crypto.blind_indexes("phone", crypto.normalize_phone(phone))


def id_no_hashes(id_no: str) -> list[str]:
    return crypto.blind_indexes("id_no", crypto.normalize_id_no(id_no))


def set_phone(customer: Customer, normalized: str) -> None:
    customer.phone = normalized
    customer.phone_hash = phone_hash(normalized)
    customer.phone_tail = normalized[-4:]


def _locked(session: Session, stmt: Select) -> Any:
    return session.scalars(stmt.with_for_update().execution_options(populate_existing=True)).first()


def lock_customer(session: Session, customer_id: int) -> Customer | None:
    """The customer, row-locked until the transaction ends: one check-then-write per customer at a time."""
    return _locked(session, select(Customer).where(Customer.id == customer_id))


def _lock_external(session: Session, external_userid: str) -> Customer | None:
    return _locked(session, select(Customer).where(Customer.wecom_external_userid == external_userid))


def _employees_by_userid(session: Session, userids: Iterable[str | None]) -> dict[str, Employee]:
    wanted = {u for u in userids if u}
    if not wanted:
        return {}
    return {e.wecom_userid: e for e in session.scalars(select(Employee).where(Employee.wecom_userid.in_(wanted)))}


def _name_of(session: Session, employee_id: int | None) -> str:
    if employee_id is None:
        return "（无人）"
    return session.scalar(select(Employee.name).where(Employee.id == employee_id)) or f"#{employee_id}"


def follows_of(session: Session, customer_id: int) -> list[CustomerFollow]:
    return list(session.scalars(
        select(CustomerFollow).where(CustomerFollow.customer_id == customer_id)
        .order_by(CustomerFollow.added_at, CustomerFollow.id)
        .execution_options(populate_existing=True)))


def _fail(errors: list[tuple[str, str]]) -> None:
    if errors:
        field, message = errors[0]
        raise ValidationFailed(message, field=field, errors=[{"field": f, "message": m} for f, m in errors])


# ---------------------------------------------------------------------------------------------
# lookups and scope


def get(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"没有编号为 {customer_id} 的客户")
    return customer


def get_by_external_userid(session: Session, external_userid: str) -> Customer | None:
    """The customer behind a WeCom external_userid, if we have one."""
    session.flush()
    return session.scalars(select(Customer).where(Customer.wecom_external_userid == external_userid)).first()


def get_by_unionid(session: Session, unionid: str) -> Customer | None:
    session.flush()
    return session.scalars(select(Customer).where(Customer.unionid == unionid)).first()


def find_by_phone(session: Session, phone: str) -> Customer | None:
    """The customer holding this phone number (keyed-hash lookup), if any."""
    session.flush()
    return session.scalars(select(Customer).where(Customer.phone_hash.in_(phone_hashes(phone)))).first()


def not_merged() -> ColumnElement[bool]:
    """Customers not merged into another. The constant is written into the SQL: as a parameter, PostgreSQL's
    cached generic plan guesses that almost no row matches and picks nested loops over whole tables."""
    return Customer.status != literal(CustomerStatus.merged.value, literal_execute=True)


def visible_condition(session: Session, viewer: Employee) -> ColumnElement[bool]:
    """WHERE condition: customers in the viewer's data scope (and the unassigned pool for supervisors up)."""
    return visible_owner_condition(session, viewer, Customer.owner_id)


def visible_owner_condition(session: Session, viewer: Employee, owner_column: Any) -> ColumnElement[bool]:
    """``visible_condition`` over another table's copy of the owner (the month counts)."""
    return org_service.owner_filter(session, viewer, owner_column, include_unowned=viewer.role in POOL_ROLES)


def can_see(session: Session, viewer: Employee, customer: Customer) -> bool:
    if customer.owner_id is None:
        return viewer.role in POOL_ROLES or org_service.visible_employee_ids(session, viewer) is None
    return org_service.can_see_employee(session, viewer, customer.owner_id)


def get_visible(session: Session, viewer: Employee, customer_id: int) -> Customer:
    """The customer, or NotFound when it does not exist or is outside the viewer's scope (the same answer)."""
    customer = session.get(Customer, customer_id)
    if customer is None or not can_see(session, viewer, customer):
        raise NotFound(f"没有编号为 {customer_id} 的客户")
    return customer


# ---------------------------------------------------------------------------------------------
# timeline


def add_timeline(session: Session, customer_id: int, kind: str, summary: str, data: dict | None = None, *,
                 actor_employee_id: int | None = None, source_key: str | None = None) -> TimelineEntry | None:
    """Append to the customer's timeline; None when an entry with this source_key is already there."""
    session.flush()
    values = {"customer_id": customer_id, "at": utcnow(), "kind": kind[:40], "summary": summary[:500],
              "data": data or {}, "actor_employee_id": actor_employee_id, "source_key": source_key}
    entry_id = insert_ignore(session, TimelineEntry.__table__, values, ["customer_id", "source_key"])
    return None if entry_id is None else session.get(TimelineEntry, entry_id)


def add_timeline_many(session: Session, entries: list[dict]) -> int:
    """Append many timeline entries in one INSERT; returns how many were added.

    Each entry is a dict with ``customer_id``, ``kind`` and ``summary`` and optionally ``data``,
    ``actor_employee_id``, ``source_key`` and ``at`` (now when missing), as ``add_timeline`` takes them.
    An entry whose (customer_id, source_key) is already there adds nothing, so a replay adds nothing.
    """
    if not entries:
        return 0
    session.flush()
    now = utcnow()
    rows = [{"customer_id": e["customer_id"], "at": e.get("at") or now, "kind": e["kind"][:40],
             "summary": e["summary"][:500], "data": e.get("data") or {},
             "actor_employee_id": e.get("actor_employee_id"), "source_key": e.get("source_key")}
            for e in entries]
    return len(insert_ignore_many(session, TimelineEntry.__table__, rows, ["customer_id", "source_key"],
                                  [TimelineEntry.id]))


def list_timeline(session: Session, customer_id: int, *, limit: int = 50, offset: int = 0) -> list[TimelineEntry]:
    """Newest first."""
    session.flush()
    return list(session.scalars(
        select(TimelineEntry).where(TimelineEntry.customer_id == customer_id)
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc()).limit(limit).offset(offset)))


# ---------------------------------------------------------------------------------------------
# ownership


def set_owner(session: Session, customer: Customer, employee_id: int | None, *, kind: str = "owner_changed",
              summary: str | None = None, data: dict | None = None, actor_employee_id: int | None = None,
              source_key: str | None = None) -> bool:
    """Make ``employee_id`` the owner, stamp assigned_at and write the timeline; False when nothing changed."""
    previous = customer.owner_id
    if previous == employee_id:
        return False
    customer.owner_id = employee_id
    customer.assigned_at = utcnow() if employee_id is not None else None
    session.flush()
    text = summary or f"跟进人由 {_name_of(session, previous)} 变更为 {_name_of(session, employee_id)}"
    add_timeline(session, customer.id, kind, text,
                 {"from_employee_id": previous, "to_employee_id": employee_id, **(data or {})},
                 actor_employee_id=actor_employee_id, source_key=source_key)
    return True


def open_lead_counts(session: Session, employee_ids: Iterable[int]) -> dict[int, int]:
    """Open leads (active customers not yet signed) owned by each employee."""
    ids = list(set(employee_ids))
    if not ids:
        return {}
    session.flush()
    rows = session.execute(
        select(Customer.owner_id, func.count()).where(
            Customer.owner_id.in_(ids), Customer.status == CustomerStatus.active, Customer.stage.in_(OPEN_STAGES))
        .group_by(Customer.owner_id)).all()
    counts = {i: 0 for i in ids}
    counts.update({owner: n for owner, n in rows})
    return counts
