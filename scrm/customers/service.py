"""The one customer record: WeCom contacts and their follows, manual leads, the loan need, follow-ups,
attachments and the append-only timeline. Every other module reads and changes customers through here.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import BigInteger, ColumnElement, Select, any_, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm import events
from scrm.channels.models import Channel
from scrm.customers import forms
from scrm.customers.models import (
    Attachment,
    Customer,
    CustomerFollow,
    CustomerSource,
    CustomerStatus,
    DuplicateContact,
    FollowStatus,
    FollowUp,
    LoanProduct,
    Stage,
    TimelineEntry,
)
from scrm.customers.schemas import ContactInfo, FollowInfo, UpsertResult
from scrm.db import insert_ignore, insert_ignore_many, is_postgres, utcnow
from scrm.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from scrm.money import NotAnAmount, from_fen, to_fen, yuan_amount
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.privacy import crypto
from scrm.privacy import service as privacy_service

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
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/heic": (".heic",),
    "application/pdf": (".pdf",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/msword": (".doc",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
}
ATTACHMENT_KINDS = {
    "id_card", "household_register", "marriage_cert", "property_deed", "vehicle_license", "driving_license",
    "bank_statement", "income_proof", "social_security", "credit_report", "business_license", "contract", "other",
}
_STORAGE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]*")

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


def _set_phone(customer: Customer, normalized: str) -> None:
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


def _follows(session: Session, customer_id: int) -> list[CustomerFollow]:
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
    return org_service.owner_filter(session, viewer, Customer.owner_id, include_unowned=viewer.role in POOL_ROLES)


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


# ---------------------------------------------------------------------------------------------
# WeCom contacts (called by scrm.wecom handlers)


def upsert_wecom_contact(session: Session, contact: ContactInfo, follows: list[FollowInfo], *, event_key: str,
                         actor_userid: str | None = None) -> UpsertResult:
    """Create or update the customer behind a WeCom external contact and its follows; replaying changes nothing."""
    session.flush()
    staff = _employees_by_userid(session, [f.userid for f in follows] + [actor_userid])
    known: list[tuple[FollowInfo, Employee]] = []
    for f in follows:
        employee = staff.get(f.userid)
        if employee is None:
            log.warning("external contact %s: follow by unknown staff userid %r skipped",
                        contact.external_userid, f.userid)
            continue
        known.append((f, employee))
    actor_id = staff[actor_userid].id if actor_userid in staff else None
    changes: list[str] = []

    customer = _lock_external(session, contact.external_userid)
    created = linked = False
    if customer is None:
        customer = _linkable(session, contact, known)
        if customer is not None:
            customer.wecom_external_userid = contact.external_userid
            session.flush()
            linked = True
        else:
            customer, created = _insert_wecom_customer(session, contact)
    if contact.unionid and customer.unionid != contact.unionid:
        other = get_by_unionid(session, contact.unionid)
        if other is None:
            if customer.unionid is None:
                customer.unionid = contact.unionid
        elif other.wecom_external_userid is None and other.status != CustomerStatus.merged:
            customer = _merge(session, customer, other, event_key=event_key, actor_id=actor_id)
        else:
            log.warning("unionid %s is on customer %s and external contact %s; not merged",
                        contact.unionid, other.id, contact.external_userid)

    customer, duplicate_owner_id = _apply_phones(session, customer, known, event_key=event_key, changes=changes)
    _apply_contact(customer, contact, changes)
    session.flush()
    all_follows = _apply_follows(session, customer, known, changes)
    _settle_owner(session, customer, all_follows, quiet=created, event_key=event_key, actor_id=actor_id)
    if customer.status == CustomerStatus.gone and any(f.status == FollowStatus.active for f in all_follows):
        customer.status = CustomerStatus.active
        changes.append("客户重新添加")
    if customer.channel_id is None:
        channel_id = _first_touch_channel(session, all_follows)
        if channel_id is not None:
            customer.channel_id = channel_id
            if not created:
                changes.append("来源渠道")
    session.flush()

    if created:
        add_timeline(session, customer.id, "created", f"通过企业微信添加：{customer.name or contact.external_userid}",
                     {"external_userid": contact.external_userid, "owner_id": customer.owner_id,
                      "channel_id": customer.channel_id}, actor_employee_id=actor_id, source_key=event_key)
        events.emit(session, "customer.created", {"customer_id": customer.id, "source": customer.source.value,
                                                  "owner_id": customer.owner_id, "channel_id": customer.channel_id})
    elif linked or changes:
        summary = "关联企业微信客户" if linked else "企业微信资料更新：" + "、".join(dict.fromkeys(changes))
        add_timeline(session, customer.id, "linked" if linked else "updated", summary,
                     {"external_userid": contact.external_userid}, actor_employee_id=actor_id, source_key=event_key)
    return UpsertResult(customer=customer, created=created, duplicate_owner_id=duplicate_owner_id)


def _insert_wecom_customer(session: Session, contact: ContactInfo) -> tuple[Customer, bool]:
    # ON CONFLICT DO NOTHING: two salespeople adding the same person at once make one customer
    new_id = insert_ignore(session, Customer.__table__, {
        "wecom_external_userid": contact.external_userid, "name": (contact.name or "")[:64],
        "avatar": contact.avatar, "gender": contact.gender or 0, "corp_name": contact.corp_name,
        "source": CustomerSource.wecom, "stage": Stage.lead, "status": CustomerStatus.active,
    }, ["wecom_external_userid"])
    return _lock_external(session, contact.external_userid), new_id is not None


def _linkable(session: Session, contact: ContactInfo, known: list[tuple[FollowInfo, Employee]]) -> Customer | None:
    """An existing record without a WeCom contact that is this person: same unionid (mini-program), or
    a remark mobile matching an unowned lead or one owned by the salesperson who added them."""
    if contact.unionid:
        other = get_by_unionid(session, contact.unionid)
        if other is not None and other.wecom_external_userid is None and other.status != CustomerStatus.merged:
            return lock_customer(session, other.id)
    for f, employee in known:
        for raw in f.remark_mobiles or []:
            if not crypto.valid_mobile(raw):
                continue
            other = find_by_phone(session, raw)
            if (other is not None and other.wecom_external_userid is None
                    and other.status != CustomerStatus.merged and other.owner_id in (None, employee.id)):
                return lock_customer(session, other.id)
    return None


def _apply_contact(customer: Customer, contact: ContactInfo, changes: list[str]) -> None:
    for attr, value, label in (("name", (contact.name or "")[:64] or None, "昵称"), ("avatar", contact.avatar, "头像"),
                               ("gender", contact.gender or None, "性别"), ("corp_name", contact.corp_name, "企业")):
        if value is not None and getattr(customer, attr) != value:
            setattr(customer, attr, value)
            changes.append(label)


def _apply_follows(session: Session, customer: Customer, known: list[tuple[FollowInfo, Employee]],
                   changes: list[str]) -> list[CustomerFollow]:
    existing = {f.employee_id: f for f in _follows(session, customer.id)}
    for info, employee in known:
        follow = existing.get(employee.id)
        if follow is None:
            follow_id = insert_ignore(session, CustomerFollow.__table__, {
                "customer_id": customer.id, "employee_id": employee.id, "remark": _cut(info.remark, 128),
                "description": _cut(info.description, 512), "state": _cut(info.state, 64), "add_way": info.add_way,
                "added_at": info.added_at or utcnow(), "status": FollowStatus.active,
            }, ["customer_id", "employee_id"])
            if follow_id is not None:
                changes.append(f"新增跟进人 {employee.name}")
            continue
        for attr, value in (("remark", _cut(info.remark, 128)), ("description", _cut(info.description, 512))):
            if value is not None and getattr(follow, attr) != value:
                setattr(follow, attr, value)
                changes.append(f"{employee.name} 的备注")
        if follow.state is None and info.state:
            follow.state = _cut(info.state, 64)
        if follow.add_way is None and info.add_way is not None:
            follow.add_way = info.add_way
        # An ended follow comes back only on a newer add: WeCom keeps listing a salesperson the
        # customer deleted, with the old createtime.
        if follow.status != FollowStatus.active and info.added_at is not None and info.added_at > follow.added_at:
            follow.status, follow.ended_at, follow.added_at = FollowStatus.active, None, info.added_at
            changes.append(f"{employee.name} 重新添加")
    session.flush()
    return _follows(session, customer.id)


def _cut(text: str | None, n: int) -> str | None:
    return None if text is None else text[:n]


def _settle_owner(session: Session, customer: Customer, follows: list[CustomerFollow], *, quiet: bool,
                  event_key: str | None, actor_id: int | None) -> None:
    """The first active follow owns an unowned customer; an owner whose follow has ended hands over."""
    active = [f for f in follows if f.status == FollowStatus.active]
    if not active:
        return
    owner_follow = next((f for f in follows if f.employee_id == customer.owner_id), None)
    if customer.owner_id is not None and (owner_follow is None or owner_follow.status == FollowStatus.active):
        return
    new_owner = active[0].employee_id
    if quiet:
        customer.owner_id, customer.assigned_at = new_owner, utcnow()
        return
    previous = customer.owner_id
    if set_owner(session, customer, new_owner, data={"reason": "wecom_follow"}, actor_employee_id=actor_id,
                 source_key=source_key(event_key, "owner")):
        events.emit(session, "customer.owner_changed", {"customer_id": customer.id, "from_employee_id": previous,
                                                        "to_employee_id": new_owner, "reason": "wecom_follow"})


def _first_touch_channel(session: Session, follows: list[CustomerFollow]) -> int | None:
    states = [f.state for f in follows if f.state]
    if not states:
        return None
    by_state = dict(session.execute(select(Channel.state, Channel.id).where(Channel.state.in_(states))).all())
    return next((by_state[s] for s in states if s in by_state), None)


def _apply_phones(session: Session, customer: Customer, known: list[tuple[FollowInfo, Employee]], *,
                  event_key: str, changes: list[str]) -> tuple[Customer, int | None]:
    duplicate_owner_id = None
    for f, employee in known:
        for raw in f.remark_mobiles or []:
            if not crypto.valid_mobile(raw):
                continue
            phone = crypto.normalize_phone(raw)
            hashed, known_hashes = phone_hash(phone), phone_hashes(phone)
            if customer.phone_hash in known_hashes:
                continue
            other = session.scalars(select(Customer).where(Customer.phone_hash.in_(known_hashes))).first()
            if other is None:
                if customer.phone_hash is None:
                    _set_phone(customer, phone)
                    session.flush()
                    changes.append("手机号")
                continue
            if (other.wecom_external_userid is None and other.status != CustomerStatus.merged
                    and other.owner_id in (None, employee.id)):
                customer = _merge(session, customer, other, event_key=event_key, actor_id=employee.id)
                continue
            owner = _record_duplicate(session, customer, other, hashed, employee, event_key=event_key)
            if owner is not None and duplicate_owner_id is None:
                duplicate_owner_id = owner
    return customer, duplicate_owner_id


def _record_duplicate(session: Session, customer: Customer, other: Customer, hashed: str, employee: Employee, *,
                      event_key: str) -> int | None:
    """The phone belongs to ``other``; record that once. Returns other's owner when that is someone else."""
    foreign_owner = other.owner_id if other.owner_id not in (None, employee.id) else None
    row_id = insert_ignore(session, DuplicateContact.__table__, {
        "customer_id": customer.id, "existing_customer_id": other.id, "phone_hash": hashed,
        "owner_id": other.owner_id, "other_employee_id": employee.id, "detected_at": utcnow(),
    }, ["customer_id", "existing_customer_id"])
    if row_id is None:
        return foreign_owner
    owner_name = _name_of(session, other.owner_id)
    masked = crypto.mask_phone(other.phone)
    add_timeline(session, customer.id, "duplicate_phone",
                 f"手机号 {masked} 已属于客户 #{other.id}（{owner_name} 跟进），未重复登记",
                 {"existing_customer_id": other.id, "owner_id": other.owner_id},
                 actor_employee_id=employee.id, source_key=source_key(event_key, f"dup:{other.id}"))
    add_timeline(session, other.id, "duplicate_phone",
                 f"{employee.name} 也添加了使用手机号 {masked} 的客户（客户 #{customer.id}）",
                 {"other_customer_id": customer.id, "other_employee_id": employee.id},
                 source_key=source_key(event_key, f"dup-of:{customer.id}"))
    if foreign_owner is not None:
        events.emit(session, "customer.duplicate_phone", {
            "customer_id": other.id, "owner_id": other.owner_id,
            "other_employee_id": employee.id, "other_customer_id": customer.id})
    return foreign_owner


def _merge(session: Session, a: Customer, b: Customer, *, event_key: str | None, actor_id: int | None) -> Customer:
    """Fold the younger record into the older one (first touch wins) and mark it merged."""
    session.flush()
    first, second = sorted([a, b], key=lambda c: (c.created_at, c.id))
    keep, drop = lock_customer(session, first.id), lock_customer(session, second.id)

    mine = {f.employee_id: f for f in _follows(session, keep.id)}
    for follow in _follows(session, drop.id):
        ours = mine.get(follow.employee_id)
        if ours is None:
            follow.customer_id = keep.id
            continue
        if follow.status == FollowStatus.active and ours.status != FollowStatus.active:
            ours.status, ours.ended_at = FollowStatus.active, None
        ours.added_at = min(ours.added_at, follow.added_at)
        ours.state = ours.state or follow.state
        ours.remark = ours.remark or follow.remark
        session.delete(follow)
    session.flush()
    for model in (FollowUp, Attachment):
        session.execute(update(model).where(model.customer_id == drop.id).values(customer_id=keep.id)
                        .execution_options(synchronize_session=False))
    kept_keys = select(TimelineEntry.source_key).where(
        TimelineEntry.customer_id == keep.id, TimelineEntry.source_key.is_not(None)).scalar_subquery()
    session.execute(update(TimelineEntry).where(
        TimelineEntry.customer_id == drop.id,
        or_(TimelineEntry.source_key.is_(None), TimelineEntry.source_key.not_in(kept_keys)),
    ).values(customer_id=keep.id).execution_options(synchronize_session=False))

    moved: dict[str, Any] = {}
    for attr in ("wecom_external_userid", "mp_openid", "unionid"):
        if getattr(keep, attr) is None and getattr(drop, attr) is not None:
            moved[attr] = getattr(drop, attr)
            setattr(drop, attr, None)
    if keep.phone_hash is None and drop.phone_hash is not None:
        moved.update(phone=drop.phone, phone_hash=drop.phone_hash, phone_tail=drop.phone_tail)
        drop.phone_hash = None
    drop.status, drop.merged_into_id = CustomerStatus.merged, keep.id
    session.flush()  # free the unique keys before the kept record takes them
    for attr, value in moved.items():
        setattr(keep, attr, value)
    for attr in ("avatar", "corp_name", "city", "region", "id_no", "id_no_hash", "channel_id", "owner_id",
                 "assigned_at"):
        if getattr(keep, attr) is None and getattr(drop, attr) is not None:
            setattr(keep, attr, getattr(drop, attr))
    if not keep.name:
        keep.name = drop.name
    if keep.product_id is None and drop.product_id is not None:
        for attr in ("product_id", "amount_fen", "term_months", "purpose", "custom_fields"):
            setattr(keep, attr, getattr(drop, attr))
    if STAGE_ORDER.index(drop.stage) > STAGE_ORDER.index(keep.stage) and drop.stage != Stage.lost:
        keep.stage = drop.stage
    if drop.status == CustomerStatus.active or keep.status == CustomerStatus.gone:
        keep.status = CustomerStatus.active
    keep.last_contact_at = max(filter(None, [keep.last_contact_at, drop.last_contact_at]), default=None)
    session.flush()
    add_timeline(session, keep.id, "merged", f"合并了客户 #{drop.id} 的记录", {"merged_id": drop.id},
                 actor_employee_id=actor_id, source_key=source_key(event_key, f"merge:{drop.id}"))
    add_timeline(session, drop.id, "merged", f"已合并到客户 #{keep.id}", {"merged_into_id": keep.id},
                 actor_employee_id=actor_id, source_key=source_key(event_key, f"merged:{keep.id}"))
    events.emit(session, "customer.merged", {"customer_id": keep.id, "merged_id": drop.id})
    return keep


def end_follow(session: Session, external_userid: str, userid: str, *, by_customer: bool,
               event_key: str) -> Customer | None:
    """A salesperson and the customer are no longer connected on WeCom; hands ownership on or marks the customer gone."""
    session.flush()
    customer = _lock_external(session, external_userid)
    if customer is None:
        log.info("end_follow for unknown external contact %s", external_userid)
        return None
    employee = _employees_by_userid(session, [userid]).get(userid)
    if employee is None:
        log.warning("end_follow: unknown staff userid %r on customer %s", userid, customer.id)
        return customer
    follows = _follows(session, customer.id)
    follow = next((f for f in follows if f.employee_id == employee.id), None)
    if follow is None or follow.status != FollowStatus.active:
        return customer  # replayed, or a follow we never saw
    follow.status = FollowStatus.deleted_by_customer if by_customer else FollowStatus.deleted_by_staff
    follow.ended_at = utcnow()
    session.flush()
    summary = f"客户删除了 {employee.name}" if by_customer else f"{employee.name} 删除了客户"
    add_timeline(session, customer.id, "follow_ended", summary,
                 {"employee_id": employee.id, "by_customer": by_customer},
                 actor_employee_id=None if by_customer else employee.id, source_key=event_key)
    remaining = [f for f in follows if f.status == FollowStatus.active]
    if customer.owner_id == employee.id and remaining:
        new_owner = remaining[0].employee_id
        set_owner(session, customer, new_owner, data={"reason": "follow_ended"},
                  source_key=source_key(event_key, "owner"))
        events.emit(session, "customer.owner_changed", {"customer_id": customer.id, "from_employee_id": employee.id,
                                                        "to_employee_id": new_owner, "reason": "follow_ended"})
    if not remaining and customer.status == CustomerStatus.active:
        customer.status = CustomerStatus.gone
        add_timeline(session, customer.id, "gone", "已无销售与客户保持企业微信好友关系", {},
                     source_key=source_key(event_key, "gone"))
    session.flush()
    events.emit(session, "customer.follow_ended", {"customer_id": customer.id, "employee_id": employee.id,
                                                   "by_customer": by_customer, "remaining": len(remaining)})
    return customer


def mark_half_added(session: Session, customer_id: int, userid: str | None, *, event_key: str) -> TimelineEntry | None:
    """Note that the customer added a salesperson who has not confirmed yet (免验证添加); the follow stays active."""
    employee = _employees_by_userid(session, [userid]).get(userid) if userid else None
    name = employee.name if employee else (userid or "销售")
    return add_timeline(session, customer_id, "half_added", f"客户通过免验证添加了 {name}，待对方确认",
                        {"employee_id": employee.id if employee else None, "userid": userid},
                        actor_employee_id=employee.id if employee else None, source_key=source_key(event_key, "half"))


def record_transfer_failed(session: Session, external_userid: str, userid: str, fail_reason: str,
                           event_key: str) -> TimelineEntry | None:
    """WeCom could not hand the customer to ``userid`` (接替失败); recorded once, and announced for handover."""
    customer = get_by_external_userid(session, external_userid)
    if customer is None:
        log.info("transfer_fail for unknown external contact %s", external_userid)
        return None
    employee = _employees_by_userid(session, [userid]).get(userid)
    reason = TRANSFER_FAIL_REASONS.get(fail_reason, fail_reason or "未知原因")
    entry = add_timeline(session, customer.id, "transfer_failed",
                         f"转接给 {employee.name if employee else userid} 失败：{reason}",
                         {"employee_id": employee.id if employee else None, "userid": userid,
                          "fail_reason": fail_reason}, source_key=event_key)
    if entry is not None:
        events.emit(session, "customer.transfer_failed", {
            "customer_id": customer.id, "employee_id": employee.id if employee else None, "fail_reason": fail_reason})
    return entry


# ---------------------------------------------------------------------------------------------
# loan products


def seed_products(session: Session) -> list[LoanProduct]:
    """Create the standard loan products that are missing; existing ones (maybe edited) are left alone."""
    session.flush()
    have = {p.code: p for p in session.scalars(select(LoanProduct))}
    out = []
    for spec in forms.PRODUCTS:
        forms.check_definition(spec["form_fields"])
        product = have.get(spec["code"])
        if product is None:
            product = LoanProduct(code=spec["code"], name=spec["name"], form_fields=spec["form_fields"], active=True)
            session.add(product)
        out.append(product)
    session.flush()
    return out


def list_products(session: Session, *, include_inactive: bool = False) -> list[LoanProduct]:
    stmt = select(LoanProduct).order_by(LoanProduct.id)
    if not include_inactive:
        stmt = stmt.where(LoanProduct.active.is_(True))
    return list(session.scalars(stmt))


def get_product(session: Session, code: str) -> LoanProduct | None:
    return session.scalars(select(LoanProduct).where(LoanProduct.code == code)).first()


# ---------------------------------------------------------------------------------------------
# manual records and the loan need


_UNSET: Any = object()


def _resolve_need(session: Session, customer: Customer, changes: dict[str, Any],
                  errors: list[tuple[str, str]]) -> list[str]:
    """Apply product/amount/term/purpose/custom_fields from ``changes``; returns labels of what changed."""
    touched: list[str] = []
    product = session.get(LoanProduct, customer.product_id) if customer.product_id else None
    if "product_code" in changes:
        code = changes["product_code"]
        if code is None:
            product = None
        else:
            product = get_product(session, code)
            if product is None or not product.active:
                errors.append(("product_code", f"没有可用的贷款产品 {code}"))
                return touched
        if (product.id if product else None) != customer.product_id:
            customer.product_id = product.id if product else None
            touched.append("贷款产品")
    if "amount" in changes:
        amount = changes["amount"]
        if amount is None:
            customer.amount_fen = None
        else:
            out_of_range = ("amount", f"贷款金额应在 0 到 {MAX_AMOUNT} 元之间")
            try:
                amount = yuan_amount(amount, MAX_AMOUNT)
            except NotAnAmount as exc:
                errors.append(("amount", "贷款金额最多精确到分") if exc.kind == "decimals" else out_of_range)
            else:
                if amount <= 0:
                    errors.append(out_of_range)
                elif to_fen(amount) != customer.amount_fen:
                    customer.amount_fen = to_fen(amount)
                    touched.append("贷款金额")
    if "term_months" in changes:
        term = changes["term_months"]
        if term is not None and not (1 <= term <= MAX_TERM_MONTHS):
            errors.append(("term_months", f"贷款期限应为 1 到 {MAX_TERM_MONTHS} 个月"))
        elif term != customer.term_months:
            customer.term_months = term
            touched.append("贷款期限")
    if "purpose" in changes and changes["purpose"] != customer.purpose:
        customer.purpose = changes["purpose"]
        touched.append("贷款用途")
    if "custom_fields" in changes or "product_code" in changes:
        values = changes.get("custom_fields")
        if values is None:
            values = forms.present(product.form_fields, customer.custom_fields) if product else {}
        if product is None:
            if values:
                errors.append(("product_code", "请先选择贷款产品，再填写产品资料"))
            elif customer.custom_fields:
                customer.custom_fields = {}
        else:
            cleaned, field_errors = forms.clean(product.form_fields, values)
            errors.extend((e.field, e.message) for e in field_errors)
            if not field_errors and cleaned != (customer.custom_fields or {}):
                customer.custom_fields = cleaned
                touched.append("产品资料")
    return touched


def _check_owner(session: Session, actor: Employee, owner_id: int) -> Employee:
    owner = session.get(Employee, owner_id)
    if owner is None or not org_service.can_see_employee(session, actor, owner_id):
        raise ValidationFailed(f"没有编号为 {owner_id} 的员工", field="owner_id")
    if owner.status != EmployeeStatus.active:
        raise ValidationFailed(f"{owner.name} 已离职，不能接收客户", field="owner_id")
    return owner


def phone_conflict(session: Session, existing: Customer) -> Conflict:
    if existing.owner_id is None:
        return Conflict("该客户已在公海池中，请联系主管分配", field="phone", customer_owner=None)
    name = _name_of(session, existing.owner_id)
    return Conflict(f"该客户已由 {name} 跟进", field="phone", customer_owner=name)


def create_customer(session: Session, actor: Employee, *, name: str, phone: str, id_no: str | None = None,
                    city: str | None = None, region: str | None = None, product_code: str | None = None,
                    amount: Decimal | None = None, term_months: int | None = None, purpose: str | None = None,
                    custom_fields: dict[str, Any] | None = None, owner_id: int | None = None,
                    channel_id: int | None = None, source: CustomerSource = CustomerSource.manual) -> Customer:
    """A customer entered by staff; 409 naming the salesperson when the phone is already someone's customer."""
    errors: list[tuple[str, str]] = []
    name = (name or "").strip()
    if not name:
        errors.append(("name", "请填写客户姓名"))
    if not crypto.valid_mobile(phone or ""):
        errors.append(("phone", "请填写 11 位中国大陆手机号"))
    if id_no and not crypto.valid_id_no(id_no):
        errors.append(("id_no", "身份证号码不正确"))
    if channel_id is not None and session.get(Channel, channel_id) is None:
        errors.append(("channel_id", f"没有编号为 {channel_id} 的渠道"))
    _fail(errors)
    existing = find_by_phone(session, phone)
    if existing is not None:
        raise phone_conflict(session, existing)
    owner = None
    if owner_id is not None:
        owner = _check_owner(session, actor, owner_id)
    elif actor.role == Role.sales:
        owner = actor

    customer = Customer(name=name[:64], city=city, region=region, source=source, stage=Stage.lead,
                        status=CustomerStatus.active, channel_id=channel_id, custom_fields={},
                        owner_id=owner.id if owner else None, assigned_at=utcnow() if owner else None)
    _set_phone(customer, crypto.normalize_phone(phone))
    if id_no:
        customer.id_no, customer.id_no_hash = crypto.normalize_id_no(id_no), id_no_hash(id_no)
    need = {k: v for k, v in (("product_code", product_code), ("amount", amount), ("term_months", term_months),
                              ("purpose", purpose), ("custom_fields", custom_fields)) if v is not None}
    _resolve_need(session, customer, need, errors)
    _fail(errors)
    try:
        with session.begin_nested():
            session.add(customer)
            session.flush()
    except IntegrityError:
        existing = find_by_phone(session, phone)
        if existing is not None:
            raise phone_conflict(session, existing) from None
        raise
    add_timeline(session, customer.id, "created", f"{actor.name} 录入客户", {"owner_id": customer.owner_id},
                 actor_employee_id=actor.id)
    events.emit(session, "customer.created", {"customer_id": customer.id, "source": source.value,
                                              "owner_id": customer.owner_id, "channel_id": channel_id})
    if owner is None:
        from scrm.assignment import service as assignment_service  # assignment builds on this module

        assignment_service.assign(session, customer)
    return customer


def update_customer(session: Session, actor: Employee, customer: Customer, changes: dict[str, Any]) -> Customer:
    """Change the record's details, loan need or (sales) stage; only the keys present in ``changes``."""
    errors: list[tuple[str, str]] = []
    touched: list[str] = []
    session.flush()
    customer = lock_customer(session, customer.id)
    if "name" in changes and changes["name"] and changes["name"] != customer.name:
        customer.name = changes["name"][:64]
        touched.append("姓名")
    for attr, label in (("city", "城市"), ("region", "地区")):
        if attr in changes and changes[attr] != getattr(customer, attr):
            setattr(customer, attr, changes[attr])
            touched.append(label)
    if changes.get("phone") is not None:
        phone = changes["phone"]
        if not crypto.valid_mobile(phone):
            errors.append(("phone", "请填写 11 位中国大陆手机号"))
        elif customer.phone_hash not in phone_hashes(phone):
            existing = find_by_phone(session, phone)
            if existing is not None and existing.id != customer.id:
                raise phone_conflict(session, existing)
            _set_phone(customer, crypto.normalize_phone(phone))
            touched.append("手机号")
    if changes.get("id_no") is not None:
        if not crypto.valid_id_no(changes["id_no"]):
            errors.append(("id_no", "身份证号码不正确"))
        elif customer.id_no_hash not in id_no_hashes(changes["id_no"]):
            customer.id_no, customer.id_no_hash = crypto.normalize_id_no(changes["id_no"]), id_no_hash(changes["id_no"])
            touched.append("身份证号")
    touched += _resolve_need(session, customer, changes, errors)
    stage = changes.get("stage")
    if stage is not None and stage != customer.stage:
        if stage not in MANUAL_STAGES or customer.stage not in MANUAL_STAGES:
            raise InvalidTransition(f"阶段不能由 {customer.stage.value} 手动改为 {Stage(stage).value}；"
                                    "签约及以后的阶段由合同与放款流程推进")
        touched.append("阶段")
        old = customer.stage
        customer.stage = Stage(stage)
        session.flush()
        add_timeline(session, customer.id, "stage_changed", f"阶段：{old.value} → {customer.stage.value}",
                     {"from": old.value, "to": customer.stage.value}, actor_employee_id=actor.id)
    _fail(errors)
    if touched:
        session.flush()
        add_timeline(session, customer.id, "updated", f"{actor.name} 修改了：" + "、".join(touched),
                     {"fields": touched}, actor_employee_id=actor.id)
    return customer


def set_stage(session: Session, customer_id: int, stage: Stage, *, actor_employee_id: int | None = None,
              source_key: str | None = None, note: str | None = None) -> Customer:
    """Move a customer to a stage (the back-office calls this on signing, disbursement, settlement)."""
    session.flush()
    customer = lock_customer(session, customer_id)
    if customer is None:
        raise NotFound(f"没有编号为 {customer_id} 的客户")
    if customer.stage != stage:
        old = customer.stage
        customer.stage = stage
        session.flush()
        add_timeline(session, customer.id, "stage_changed", note or f"阶段：{old.value} → {stage.value}",
                     {"from": old.value, "to": stage.value}, actor_employee_id=actor_employee_id,
                     source_key=source_key)
        events.emit(session, "customer.stage_changed", {"customer_id": customer.id, "from": old.value,
                                                        "to": stage.value})
    return customer


# ---------------------------------------------------------------------------------------------
# the mini-program (called by scrm.miniprogram_api)


def _by_openid(session: Session, openid: str) -> Customer | None:
    return _locked(session, select(Customer).where(Customer.mp_openid == openid))


def sign_in_miniprogram(session: Session, *, openid: str, unionid: str | None = None) -> tuple[Customer, bool]:
    """The customer behind a mini-program user (by openid, else by unionid: the same person on WeCom), or a
    new lead; True when it is new. A second record holding the unionid is merged, the older one kept; a
    unionid already on a customer with another openid is a ``Conflict``."""
    session.flush()
    customer = _by_openid(session, openid)
    if customer is None and unionid:
        customer = get_by_unionid(session, unionid)
        if customer is not None and customer.mp_openid is None:
            customer.mp_openid = openid
            session.flush()
        elif customer is not None:
            # one WeChat user has one openid per mini-program: a second openid for a unionid means the appid
            # changed or something is forged; the unionid is the person, so no second record is made
            log.warning("unionid %s is on customer %s with openid %s; sign-in with openid %s refused",
                        unionid, customer.id, customer.mp_openid, openid)
            raise Conflict("这个微信用户（unionid）已用另一个小程序身份（openid）登记过，不能再登记一次；"
                           "请联系顾问核对", field="code")
    if customer is not None:
        if unionid and customer.unionid != unionid:
            other = get_by_unionid(session, unionid)
            if other is None and customer.unionid is None:
                customer.unionid = unionid
            elif other is not None and other.mp_openid is None and other.status != CustomerStatus.merged:
                customer = _merge(session, customer, other, event_key=None, actor_id=None)
        session.flush()
        return customer, False
    customer = Customer(name="", source=CustomerSource.miniprogram, stage=Stage.lead, status=CustomerStatus.active,
                        mp_openid=openid, unionid=unionid, custom_fields={})
    try:
        with session.begin_nested():
            session.add(customer)
            session.flush()
    except IntegrityError:  # the same user signing in twice at once: the other request made the record
        existing = _by_openid(session, openid)
        if existing is None:
            raise
        return existing, False
    add_timeline(session, customer.id, "created", "通过小程序登录", {"openid": openid})
    events.emit(session, "customer.created", {"customer_id": customer.id, "source": CustomerSource.miniprogram.value,
                                              "owner_id": None, "channel_id": None})
    return customer, True


def set_verified_phone(session: Session, customer: Customer, phone: str) -> Customer:
    """A phone number WeChat verified as the user's. A record already holding it that is not another WeChat
    user's is the same person and is merged (the older record kept, which is returned)."""
    if not crypto.valid_mobile(phone or ""):
        raise ValidationFailed("微信返回的不是中国大陆手机号", field="code")
    normalized = crypto.normalize_phone(phone)
    customer = lock_customer(session, customer.id)
    if customer.phone_hash == phone_hash(normalized):
        return customer
    other = find_by_phone(session, normalized)
    if other is None:
        if customer.phone_hash is not None:
            add_timeline(session, customer.id, "updated", "小程序更换了手机号", {"fields": ["手机号"]})
        _set_phone(customer, normalized)
        session.flush()
        return customer
    if other.mp_openid is not None and other.mp_openid != customer.mp_openid:
        raise Conflict("该手机号已绑定另一个微信账号，请用该账号登录或联系客服", field="code")
    if other.unionid and customer.unionid and other.unionid != customer.unionid:
        raise Conflict("该手机号属于另一位客户，请联系客服", field="code")
    if customer.phone_hash is not None:
        raise Conflict("该手机号属于另一位客户，请联系客服", field="code")
    return _merge(session, customer, other, event_key=None, actor_id=None)


def apply_from_miniprogram(session: Session, customer: Customer, *, product_code: str, amount: Decimal,
                           term_months: int | None, purpose: str | None, custom_fields: dict[str, Any],
                           name: str | None = None, city: str | None = None) -> Customer:
    """The customer's own application: the loan need checked against the product's form (every bad field
    named at once), the record updated and the timeline written; nothing changes when anything is wrong."""
    errors: list[tuple[str, str]] = []
    customer = lock_customer(session, customer.id)
    if name is not None and not name.strip():
        errors.append(("name", "请填写姓名"))
    need = {"product_code": product_code, "amount": amount, "term_months": term_months, "purpose": purpose,
            "custom_fields": custom_fields or {}}
    _resolve_need(session, customer, need, errors)
    _fail(errors)  # the caller's rollback drops the half-applied attributes, which were never flushed
    if name:
        customer.name = name.strip()[:64]
    if city:
        customer.city = city.strip()[:32]
    session.flush()
    add_timeline(session, customer.id, "application", "通过小程序提交贷款申请",
                 {"product_code": product_code, "amount_fen": customer.amount_fen})
    return customer


def amount_yuan(customer: Customer) -> Decimal | None:
    return None if customer.amount_fen is None else from_fen(customer.amount_fen)


# ---------------------------------------------------------------------------------------------
# follow-ups and attachments


def add_follow_up(session: Session, customer: Customer, *, employee_id: int | None, kind: str, content: str,
                  next_at: datetime | None = None) -> FollowUp:
    """Record a contact with the customer; a first real contact moves a fresh lead to contacted."""
    errors = []
    if kind not in FOLLOW_UP_KINDS:
        errors.append(("kind", f"跟进方式只能是 {', '.join(sorted(FOLLOW_UP_KINDS))} 之一"))
    content = (content or "").strip()
    if not content:
        errors.append(("content", "请填写跟进内容"))
    if next_at is not None and next_at.tzinfo is None:
        errors.append(("next_at", "下次跟进时间需要带时区"))
    _fail(errors)
    now = utcnow()
    follow_up = FollowUp(customer_id=customer.id, employee_id=employee_id, kind=kind, content=content[:5000],
                         next_at=next_at, created_at=now)
    session.add(follow_up)
    if kind != "note":
        customer.last_contact_at = now
        if customer.stage == Stage.lead:
            customer.stage = Stage.contacted
    session.flush()
    add_timeline(session, customer.id, "follow_up", f"{kind}：{content[:200]}",
                 {"follow_up_id": follow_up.id, "next_at": next_at.isoformat() if next_at else None},
                 actor_employee_id=employee_id)
    events.emit(session, "customer.follow_up_added", {"customer_id": customer.id, "follow_up_id": follow_up.id,
                                                      "content": content[:2000], "at": now.isoformat()})
    return follow_up


def list_follow_ups(session: Session, customer_id: int, *, limit: int = 50, offset: int = 0) -> list[FollowUp]:
    session.flush()
    return list(session.scalars(select(FollowUp).where(FollowUp.customer_id == customer_id)
                                .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(limit).offset(offset)))


def add_attachment(session: Session, customer: Customer, *, filename: str, content_type: str, size_bytes: int,
                   storage_key: str, kind: str = "other", uploaded_by: int | None = None) -> Attachment:
    """Record an uploaded file's metadata after checking its type, size and name."""
    errors = []
    filename = (filename or "").strip()
    content_type = (content_type or "").strip().lower()
    if not filename or any(c in filename for c in "/\\\x00") or filename in (".", ".."):
        errors.append(("filename", "文件名不能包含路径"))
    extensions = ATTACHMENT_TYPES.get(content_type)
    if extensions is None:
        errors.append(("content_type", "只接受图片（jpg/png/webp/heic）、PDF、Excel 和 Word 文件"))
    elif not filename.lower().endswith(extensions):
        errors.append(("filename", f"文件扩展名应为 {' / '.join(extensions)}"))
    if not isinstance(size_bytes, int) or size_bytes <= 0:
        errors.append(("size_bytes", "文件是空的"))
    elif size_bytes > ATTACHMENT_MAX_BYTES:
        errors.append(("size_bytes", f"文件不能超过 {ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB"))
    if not _STORAGE_KEY.fullmatch(storage_key or "") or ".." in storage_key:
        errors.append(("storage_key", "存储路径不合法"))
    if kind not in ATTACHMENT_KINDS:
        errors.append(("kind", f"资料类别只能是 {', '.join(sorted(ATTACHMENT_KINDS))} 之一"))
    _fail(errors)
    attachment = Attachment(customer_id=customer.id, filename=filename, content_type=content_type,
                            size_bytes=size_bytes, storage_key=storage_key, kind=kind, uploaded_by=uploaded_by)
    session.add(attachment)
    session.flush()
    add_timeline(session, customer.id, "attachment_added", f"上传资料：{filename}",
                 {"attachment_id": attachment.id, "kind": kind}, actor_employee_id=uploaded_by)
    return attachment


def list_attachments(session: Session, customer_id: int) -> list[Attachment]:
    session.flush()
    return list(session.scalars(select(Attachment).where(Attachment.customer_id == customer_id)
                                .order_by(Attachment.created_at.desc(), Attachment.id.desc())))


def list_follows(session: Session, customer_id: int) -> list[tuple[CustomerFollow, str]]:
    """The customer's follows with each salesperson's name, earliest first."""
    session.flush()
    return [(f, n) for f, n in session.execute(
        select(CustomerFollow, Employee.name).join(Employee, Employee.id == CustomerFollow.employee_id)
        .where(CustomerFollow.customer_id == customer_id).order_by(CustomerFollow.added_at, CustomerFollow.id))]


# ---------------------------------------------------------------------------------------------
# search


SORTS = {"name", "stage", "owner", "channel", "created_at", "assigned_at", "last_contact_at", "amount"}


@dataclass
class Refs:
    owners: dict[int, str]
    channels: dict[int, str]
    products: dict[int, str]


def search(session: Session, viewer: Employee, *, q: str | None = None, phone: str | None = None,
           phone_tail: str | None = None, stage: Stage | None = None, status: CustomerStatus | None = None,
           owner_id: int | None = None, unassigned: bool = False, channel_id: int | None = None,
           product_code: str | None = None, sort: str = "-created_at", page: int = 1,
           page_size: int = 20, where: Iterable[ColumnElement[bool]] = ()) -> tuple[list[Customer], int]:
    """Customers in the viewer's scope matching the filters (and any ``where`` conditions of other modules,
    such as a tag), one page, and the total count."""
    session.flush()
    field = sort.lstrip("-")
    if field not in SORTS:
        raise ValidationFailed(f"排序只能按 {', '.join(sorted(SORTS))}", field="sort")
    stmt = (select(Customer).outerjoin(Employee, Employee.id == Customer.owner_id)
            .outerjoin(Channel, Channel.id == Customer.channel_id).where(visible_condition(session, viewer)))
    if status is None:
        stmt = stmt.where(not_merged())
    else:
        stmt = stmt.where(Customer.status == status)
    if q:
        stmt = stmt.where(Customer.name.ilike(f"%{_escape_like(q.strip())}%", escape="\\"))
    if phone:
        if not crypto.valid_mobile(phone):
            raise ValidationFailed("请填写 11 位手机号；按尾号查请用 phone_tail", field="phone")
        stmt = stmt.where(Customer.phone_hash.in_(phone_hashes(phone)))
    if phone_tail:
        if not re.fullmatch(r"\d{4}", phone_tail):
            raise ValidationFailed("手机尾号是 4 位数字", field="phone_tail")
        stmt = stmt.where(Customer.phone_tail == phone_tail)
    if stage is not None:
        stmt = stmt.where(Customer.stage == stage)
    if unassigned:
        stmt = stmt.where(Customer.owner_id.is_(None))
    elif owner_id is not None:
        stmt = stmt.where(Customer.owner_id == owner_id)
    if channel_id is not None:
        stmt = stmt.where(Customer.channel_id == channel_id)
    if product_code:
        stmt = stmt.where(Customer.product_id.in_(select(LoanProduct.id).where(LoanProduct.code == product_code)))
    stmt = stmt.where(*where)
    column = {
        "name": Customer.name, "owner": Employee.name, "channel": Channel.name, "created_at": Customer.created_at,
        "assigned_at": Customer.assigned_at, "last_contact_at": Customer.last_contact_at,
        "amount": Customer.amount_fen,
        "stage": case({s.value: i for i, s in enumerate(STAGE_ORDER)}, value=Customer.stage),
    }[field]
    if field in ("created_at", "name", "stage"):  # never NULL: a plain order lets an index serve it
        order = column.desc() if sort.startswith("-") else column.asc()
    else:
        order = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    tiebreak = Customer.id.desc() if sort.startswith("-") else Customer.id.asc()
    page, page_size = max(page, 1), min(max(page_size, 1), 200)
    # sort and skip over ids only, then load the page's rows: sorting whole rows (encrypted columns, JSON)
    # costs several times more on a big table
    ids = session.scalars(stmt.with_only_columns(Customer.id).order_by(order, tiebreak).limit(page_size)
                          .offset((page - 1) * page_size)).all()
    if 0 < len(ids) < page_size or (page == 1 and not ids):
        total = (page - 1) * page_size + len(ids)  # the last page: counting again would only repeat the scan
    else:
        total = session.scalar(select(func.count()).select_from(stmt.with_only_columns(Customer.id).subquery()))
    rows = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids], int(total or 0)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def refs(session: Session, customers: Iterable[Customer]) -> Refs:
    """Names of the owners and channels and codes of the products of these customers, in three queries."""
    customers = list(customers)
    owner_ids = {c.owner_id for c in customers if c.owner_id}
    channel_ids = {c.channel_id for c in customers if c.channel_id}
    product_ids = {c.product_id for c in customers if c.product_id}
    return Refs(
        owners=dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(owner_ids))).all())
        if owner_ids else {},
        channels=dict(session.execute(select(Channel.id, Channel.name).where(Channel.id.in_(channel_ids))).all())
        if channel_ids else {},
        products=dict(session.execute(select(LoanProduct.id, LoanProduct.code)
                                      .where(LoanProduct.id.in_(product_ids))).all()) if product_ids else {},
    )


def custom_fields_for_display(session: Session, customer: Customer) -> dict[str, Any]:
    product = session.get(LoanProduct, customer.product_id) if customer.product_id else None
    return forms.present(product.form_fields if product else [], customer.custom_fields or {})


# ---------------------------------------------------------------------------------------------
# personal data


def view_pii(session: Session, viewer: Employee, customer: Customer, *, fields: list[str],
             reason: str) -> dict[str, str | None]:
    """Full phone / ID number for managers, finance, admins and the owner; every view is audit-logged."""
    if viewer.role not in PII_ROLES and viewer.id != customer.owner_id:
        raise Forbidden("只有经理、财务、管理员和该客户的跟进人可以查看完整号码")
    wanted = list(dict.fromkeys(fields or PII_FIELDS))
    unknown = [f for f in wanted if f not in PII_FIELDS]
    if unknown:
        raise ValidationFailed(f"只能查看 {', '.join(PII_FIELDS)}", field="fields")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("请说明查看完整号码的原因", field="reason")
    privacy_service.record_view(session, employee_id=viewer.id, customer_id=customer.id, fields=wanted,
                                reason=reason[:200])
    return {f: getattr(customer, f) for f in wanted}


ERASED_TEXT = "[已按客户要求删除]"


def erase_personal_data(session: Session, actor: Employee | None, customer: Customer, *, reason: str) -> Customer:
    """Anonymise a customer at their request (个人信息删除): identifiers, free text and attachments go;
    ids, stages and amounts stay, so contracts and the ledger keep balancing. Other modules erase
    their own copies on ``customer.erased``."""
    if actor is not None and actor.role not in (Role.manager, Role.admin):
        raise Forbidden("只有经理或管理员可以删除客户的个人信息")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("请说明删除的依据（例如客户的申请编号）", field="reason")
    if customer.status == CustomerStatus.erased:
        raise Conflict("这位客户的个人信息已经删除")
    external_ids = [v for v in (customer.wecom_external_userid, customer.mp_openid, customer.unionid) if v]
    for attr in ("phone", "phone_hash", "phone_tail", "id_no", "id_no_hash", "avatar", "corp_name", "purpose",
                 "wecom_external_userid", "mp_openid", "unionid"):
        setattr(customer, attr, None)
    customer.name = f"已注销客户{customer.id}"
    customer.custom_fields = {}
    customer.status = CustomerStatus.erased
    session.execute(update(FollowUp).where(FollowUp.customer_id == customer.id).values(content=ERASED_TEXT))
    session.execute(update(CustomerFollow).where(CustomerFollow.customer_id == customer.id)
                    .values(remark=None, description=None))
    session.execute(update(TimelineEntry).where(TimelineEntry.customer_id == customer.id)
                    .values(summary=ERASED_TEXT, data={}))
    session.execute(delete(Attachment).where(Attachment.customer_id == customer.id))
    session.execute(update(DuplicateContact).where(or_(DuplicateContact.customer_id == customer.id,
                                                       DuplicateContact.existing_customer_id == customer.id))
                    .values(phone_hash=""))
    events.redact_payloads(session, "customer.follow_up_added", customer.id, ("content",))
    session.flush()
    add_timeline(session, customer.id, "personal_data_erased", "个人信息已按客户要求删除",
                 {"reason": reason[:200]}, actor_employee_id=actor.id if actor else None)
    events.emit(session, "customer.erased", {"customer_id": customer.id, "external_ids": external_ids})
    return customer


def on_customer_erased(session: Session, payload: dict) -> None:
    """Event subscriber, the erasure's last: the event forgets the ids the other subscribers looked for."""
    events.redact_payloads(session, "customer.erased", payload["customer_id"], ("external_ids",))


# ---------------------------------------------------------------------------------------------
# handover (called by scrm.handover when WeCom confirms a transfer)


def move_open_follow_ups(session: Session, customer_id: int, from_employee_id: int, to_employee_id: int) -> list[int]:
    """Give ``to_employee_id`` the follow-ups of ``from_employee_id`` that are still due; returns their ids.

    Past follow-ups stay credited to whoever did them."""
    session.flush()
    now = utcnow()
    ids = list(session.scalars(select(FollowUp.id).where(
        FollowUp.customer_id == customer_id, FollowUp.employee_id == from_employee_id,
        FollowUp.next_at.is_not(None), FollowUp.next_at >= now)))
    if ids:
        session.execute(update(FollowUp).where(FollowUp.id.in_(ids)).values(employee_id=to_employee_id)
                        .execution_options(synchronize_session=False))
    return ids


def mark_follow_transferred(session: Session, customer_id: int, employee_id: int) -> bool:
    """The giver's follow of a customer ended by a transfer; False when there was no active one."""
    session.flush()
    result = session.execute(update(CustomerFollow).where(
        CustomerFollow.customer_id == customer_id, CustomerFollow.employee_id == employee_id,
        CustomerFollow.status == FollowStatus.active).values(status=FollowStatus.transferred, ended_at=utcnow())
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)


def _id_in(session: Session, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL one array parameter, so a list of hundreds is one bind, not hundreds."""
    if is_postgres(session):
        return column == any_(literal(list(ids), ARRAY(BigInteger)))
    return column.in_(list(ids))


@dataclass(frozen=True)
class HandOver:
    """One customer in ``hand_over_many``: its timeline entry's summary, data and replay key."""

    customer_id: int
    summary: str
    source_key: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HandedOver:
    customer_id: int
    previous_owner_id: int | None
    follow_up_ids: list[int]
    owner_changed: bool


def hand_over_many(session: Session, moves: list[HandOver], from_employee_id: int, to_employee_id: int, *,
                   kind: str = "handover", follow_up_note: str = "，随迁待办跟进 {n} 条",
                   actor_employee_id: int | None = None) -> list[HandedOver]:
    """Give many customers to ``to_employee_id`` in a handful of statements: owner, due follow-ups, the
    giver's follows and one timeline entry each (``follow_up_note`` appended when follow-ups moved)."""
    moves = list({m.customer_id: m for m in moves}.values())
    if not moves:
        return []
    session.flush()
    ids = [m.customer_id for m in moves]
    now = utcnow()
    lock = select(Customer.id, Customer.owner_id).where(_id_in(session, Customer.id, ids)).order_by(Customer.id)
    lock = lock.with_for_update(of=Customer)
    previous = dict(session.execute(lock).all())
    changing = [i for i in ids if i in previous and previous[i] != to_employee_id]
    if changing:
        session.execute(update(Customer).where(_id_in(session, Customer.id, changing))
                        .values(owner_id=to_employee_id, assigned_at=now)
                        .execution_options(synchronize_session=False))
        # a Customer the caller already holds reloads these on next access; nothing else is loaded
        for customer_id in changing:
            held = session.identity_map.get(session.identity_key(Customer, customer_id))
            if held is not None:
                session.expire(held, ["owner_id", "assigned_at", "updated_at"])
    moved_ups: dict[int, list[int]] = {}
    for follow_up_id, customer_id in session.execute(
            update(FollowUp).where(_id_in(session, FollowUp.customer_id, ids), FollowUp.employee_id == from_employee_id,
                                   FollowUp.next_at.is_not(None), FollowUp.next_at >= now)
            .values(employee_id=to_employee_id).returning(FollowUp.id, FollowUp.customer_id)
            .execution_options(synchronize_session=False)):
        moved_ups.setdefault(customer_id, []).append(follow_up_id)
    session.execute(update(CustomerFollow).where(
        _id_in(session, CustomerFollow.customer_id, ids), CustomerFollow.employee_id == from_employee_id,
        CustomerFollow.status == FollowStatus.active).values(status=FollowStatus.transferred, ended_at=now)
        .execution_options(synchronize_session=False))
    rows, out = [], []
    for m in moves:
        if m.customer_id not in previous:
            continue
        ups = sorted(moved_ups.get(m.customer_id, []))
        summary = m.summary + (follow_up_note.format(n=len(ups)) if ups else "")
        data = {"from_employee_id": from_employee_id, "to_employee_id": to_employee_id, **m.data,
                "follow_up_ids": ups}
        rows.append({"customer_id": m.customer_id, "at": now, "kind": kind[:40], "summary": summary[:500],
                     "data": data, "actor_employee_id": actor_employee_id, "source_key": m.source_key})
        out.append(HandedOver(m.customer_id, previous[m.customer_id], ups,
                              previous[m.customer_id] != to_employee_id))
    # a replay finds every source_key taken and adds nothing
    insert_ignore_many(session, TimelineEntry.__table__, rows, ["customer_id", "source_key"], [TimelineEntry.id])
    return out


# ---------------------------------------------------------------------------------------------
# counts for reports (the back-office funnel and KPIs)


def stage_counts_by_channel(session: Session, viewer: Employee, *, created_from: datetime | None = None,
                            created_to: datetime | None = None) -> list[tuple[int | None, Stage, int]]:
    """(channel id, stage, customers) for the customers in the viewer's scope created in the period; one GROUP BY."""
    stmt = (select(Customer.channel_id, Customer.stage, func.count())
            .where(visible_condition(session, viewer), Customer.status != CustomerStatus.merged)
            .group_by(Customer.channel_id, Customer.stage))
    if created_from is not None:
        stmt = stmt.where(Customer.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(Customer.created_at < created_to)
    return [(channel_id, stage, int(n)) for channel_id, stage, n in session.execute(stmt)]


def follow_up_count(session: Session, viewer: Employee, *, created_from: datetime | None = None,
                    created_to: datetime | None = None) -> int:
    """Follow-ups recorded in the period on customers in the viewer's scope."""
    stmt = select(func.count(FollowUp.id)).join(Customer, Customer.id == FollowUp.customer_id).where(
        visible_condition(session, viewer))
    if created_from is not None:
        stmt = stmt.where(FollowUp.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(FollowUp.created_at < created_to)
    return int(session.scalar(stmt) or 0)
