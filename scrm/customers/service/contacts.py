"""WeCom contacts and their follows (called by the WeCom handlers): one customer per person, however
many salespeople add them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core import crypto, events
from scrm.core.db import insert_ignore, utcnow
from scrm.customers.events import (CustomerCreated, CustomerDuplicatePhone, CustomerFollowEnded, CustomerMerged,
                                   CustomerOwnerChanged, CustomersImported, CustomerTransferFailed)
from scrm.customers.models import (Attachment, Customer, CustomerFollow, CustomerSource, CustomerStatus,
                                   DuplicateContact, FollowStatus, FollowUp, Stage, TimelineEntry)
from scrm.customers.schemas import ContactInfo, FollowInfo, UpsertResult
from scrm.customers.service.common import (STAGE_ORDER, TRANSFER_FAIL_REASONS, _employees_by_userid, _lock_external,
                                           _name_of, add_timeline, add_timeline_many, find_by_phone, follows_of,
                                           get_by_external_userid, get_by_unionid, lock_customer, log, phone_hash,
                                           phone_hashes, set_owner, set_phone, source_key)
from scrm.org.models import Employee


def upsert_wecom_contact(session: Session, contact: ContactInfo, follows: list[FollowInfo], *, event_key: str,
                         actor_userid: str | None = None, imported: bool = False) -> UpsertResult:
    """Create or update the customer behind a WeCom external contact and its follows; replaying changes nothing.

    ``imported``: read from WeCom's customer list rather than announced by a callback. A customer created so
    is no new lead: its timeline says imported, ``customer.imported`` is emitted instead of ``customer.created``
    and its last contact is the latest add, so no first-contact deadline starts."""
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

    if created and imported:
        _mark_imported(session, [customer], [max(filter(None, (f.added_at for f, _ in known)), default=None)],
                       event_key=event_key)
    elif created:
        add_timeline(session, customer.id, "created", f"通过企业微信添加：{customer.name or contact.external_userid}",
                     {"external_userid": contact.external_userid, "owner_id": customer.owner_id,
                      "channel_id": customer.channel_id}, actor_employee_id=actor_id, source_key=event_key)
        events.emit(session, CustomerCreated(customer_id=customer.id, source=customer.source.value,
                                              owner_id=customer.owner_id, channel_id=customer.channel_id))
    elif linked or changes:
        summary = "关联企业微信客户" if linked else "企业微信资料更新：" + "、".join(dict.fromkeys(changes))
        add_timeline(session, customer.id, "linked" if linked else "updated", summary,
                     {"external_userid": contact.external_userid}, actor_employee_id=actor_id, source_key=event_key)
    return UpsertResult(customer=customer, created=created, duplicate_owner_id=duplicate_owner_id)


def _mark_imported(session: Session, customers: list[Customer], last_added: list, *, event_key: str | None) -> None:
    for customer, added_at in zip(customers, last_added):
        if customer.last_contact_at is None:
            customer.last_contact_at = added_at or utcnow()
    session.flush()
    add_timeline_many(session, [{
        "customer_id": c.id, "kind": "imported", "summary": f"从企业微信导入：{c.name or c.wecom_external_userid}",
        "data": {"external_userid": c.wecom_external_userid, "owner_id": c.owner_id, "channel_id": c.channel_id},
        "source_key": source_key(event_key, None if len(customers) == 1 else c.wecom_external_userid),
    } for c in customers])
    events.emit(session, CustomersImported(customer_ids=[c.id for c in customers]))


def import_new_wecom_contacts(session: Session, items: list[tuple[ContactInfo, FollowInfo]], employee: Employee, *,
                              event_key: str) -> list[Customer] | None:
    """``upsert_wecom_contact(..., imported=True)`` for many contacts of one salesperson at once, each matching
    no record (no customer has its external_userid, unionid or remark mobiles: the caller checked with
    ``import_snapshot``). Returns the customers in ``items``' order, or None when a concurrent writer took one
    of them first; nothing is then written and the caller upserts them one by one."""
    now = utcnow()
    states = {f.state for _, f in items if f.state}
    by_state = dict(session.execute(select(Channel.state, Channel.id).where(Channel.state.in_(states))).all()) \
        if states else {}
    customers = []
    for contact, follow in items:
        customer = Customer(wecom_external_userid=contact.external_userid, name=(contact.name or "")[:64],
                            avatar=contact.avatar, gender=contact.gender or 0, corp_name=contact.corp_name,
                            unionid=contact.unionid, source=CustomerSource.wecom, stage=Stage.lead,
                            status=CustomerStatus.active, owner_id=employee.id, assigned_at=now,
                            channel_id=by_state.get(follow.state) if follow.state else None)
        phone = next((crypto.normalize_phone(m) for m in follow.remark_mobiles or [] if crypto.valid_mobile(m)), None)
        if phone:
            set_phone(customer, phone)
        customers.append(customer)
    try:
        with session.begin_nested():
            session.add_all(customers)
            session.flush()
            session.add_all([CustomerFollow(
                customer_id=c.id, employee_id=employee.id, remark=_cut(f.remark, 128),
                description=_cut(f.description, 512), state=_cut(f.state, 64), add_way=f.add_way,
                added_at=f.added_at or now, status=FollowStatus.active) for c, (_, f) in zip(customers, items)])
            session.flush()
    except IntegrityError:
        for customer in customers:
            if customer in session:
                session.expunge(customer)
        return None
    _mark_imported(session, customers, [f.added_at for _, f in items], event_key=event_key)
    return customers


@dataclass
class ImportSnapshot:
    """What the records hold for contacts in a page of WeCom's customer list."""

    customers: dict[str, Customer]  # by external_userid
    follows: dict[tuple[int, int], CustomerFollow]  # by (customer_id, employee_id)
    unionids: set[str]  # of other customers
    phone_hashes: set[str]  # of any customer


def import_snapshot(session: Session, contacts: list[ContactInfo], mobiles: list[str]) -> ImportSnapshot:
    """The customers, follows, unionids and phones a page of imported contacts may meet, in four queries."""
    session.flush()
    ids = [c.external_userid for c in contacts]
    customers = {c.wecom_external_userid: c for c in session.scalars(
        select(Customer).where(Customer.wecom_external_userid.in_(ids)))}
    follows = {(f.customer_id, f.employee_id): f for f in session.scalars(
        select(CustomerFollow).where(CustomerFollow.customer_id.in_([c.id for c in customers.values()])))} \
        if customers else {}
    unionids = [c.unionid for c in contacts if c.unionid]
    taken = set(session.scalars(select(Customer.unionid).where(
        Customer.unionid.in_(unionids), or_(Customer.wecom_external_userid.is_(None),
                                            Customer.wecom_external_userid.not_in(ids))))) if unionids else set()
    hashes = [h for m in mobiles if crypto.valid_mobile(m) for h in phone_hashes(crypto.normalize_phone(m))]
    phones = set(session.scalars(select(Customer.phone_hash).where(Customer.phone_hash.in_(hashes)))) \
        if hashes else set()
    return ImportSnapshot(customers, follows, taken, phones)


def unchanged_by(customer: Customer, follow: CustomerFollow | None, contact: ContactInfo, info: FollowInfo) -> bool:
    """Whether ``upsert_wecom_contact`` would leave this customer and this follow as they are (the import skips
    those, so a second run over an unchanged WeCom writes nothing)."""
    if follow is None or customer.status == CustomerStatus.merged:
        return False
    if _contact_changes(customer, contact) or (contact.unionid and customer.unionid != contact.unionid):
        return False
    for attr, value in (("remark", _cut(info.remark, 128)), ("description", _cut(info.description, 512))):
        if value is not None and getattr(follow, attr) != value:
            return False
    if (follow.state is None and info.state) or (follow.add_way is None and info.add_way is not None):
        return False
    if follow.status != FollowStatus.active and (info.added_at is None or info.added_at > follow.added_at):
        return False
    if follow.status == FollowStatus.active and customer.status == CustomerStatus.gone:
        return False
    valid = [crypto.normalize_phone(m) for m in info.remark_mobiles or [] if crypto.valid_mobile(m)]
    return all(customer.phone_hash in phone_hashes(m) for m in valid)


def active_wecom_follows(session: Session, userids: list[str]) -> set[tuple[str, str]]:
    """(external_userid, staff userid) of every active follow by these salespeople."""
    if not userids:
        return set()
    session.flush()
    return set(session.execute(
        select(Customer.wecom_external_userid, Employee.wecom_userid)
        .join(CustomerFollow, CustomerFollow.customer_id == Customer.id)
        .join(Employee, Employee.id == CustomerFollow.employee_id)
        .where(CustomerFollow.status == FollowStatus.active, Employee.wecom_userid.in_(userids),
               Customer.wecom_external_userid.is_not(None))).tuples())


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


def _contact_changes(customer: Customer, contact: ContactInfo) -> list[tuple[str, Any, str]]:
    return [(attr, value, label) for attr, value, label in (
        ("name", (contact.name or "")[:64] or None, "昵称"), ("avatar", contact.avatar, "头像"),
        ("gender", contact.gender or None, "性别"), ("corp_name", contact.corp_name, "企业"))
        if value is not None and getattr(customer, attr) != value]


def _apply_contact(customer: Customer, contact: ContactInfo, changes: list[str]) -> None:
    for attr, value, label in _contact_changes(customer, contact):
        setattr(customer, attr, value)
        changes.append(label)


def _apply_follows(session: Session, customer: Customer, known: list[tuple[FollowInfo, Employee]],
                   changes: list[str]) -> list[CustomerFollow]:
    existing = {f.employee_id: f for f in follows_of(session, customer.id)}
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
    return follows_of(session, customer.id)


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
        events.emit(session, CustomerOwnerChanged(customer_id=customer.id, from_employee_id=previous,
                                                   to_employee_id=new_owner, reason="wecom_follow"))


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
                    set_phone(customer, phone)
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
        events.emit(session, CustomerDuplicatePhone(customer_id=other.id, owner_id=other.owner_id,
                                                     other_employee_id=employee.id, other_customer_id=customer.id))
    return foreign_owner


def _merge(session: Session, a: Customer, b: Customer, *, event_key: str | None, actor_id: int | None) -> Customer:
    """Fold the younger record into the older one (first touch wins) and mark it merged."""
    session.flush()
    first, second = sorted([a, b], key=lambda c: (c.created_at, c.id))
    keep, drop = lock_customer(session, first.id), lock_customer(session, second.id)

    mine = {f.employee_id: f for f in follows_of(session, keep.id)}
    for follow in follows_of(session, drop.id):
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
    events.emit(session, CustomerMerged(customer_id=keep.id, merged_id=drop.id))
    return keep


def end_follow(session: Session, external_userid: str, userid: str, *, by_customer: bool,
               event_key: str, by_transfer: bool = False, taker_id: int | None = None,
               unlisted: bool = False) -> Customer | None:
    """A salesperson and the customer are no longer connected on WeCom; hands ownership on or marks the customer gone.

    ``by_transfer``: WeCom moved the customer to a colleague (在职继承, ``taker_id`` when known). The follow
    ends as transferred, not deleted: no deletion in the channel's figures, and the customer is never gone.
    ``unlisted``: no callback said so; WeCom's customer list no longer has the pair (the nightly reconcile)."""
    session.flush()
    customer = _lock_external(session, external_userid)
    if customer is None:
        log.info("end_follow for unknown external contact %s", external_userid)
        return None
    employee = _employees_by_userid(session, [userid]).get(userid)
    if employee is None:
        log.warning("end_follow: unknown staff userid %r on customer %s", userid, customer.id)
        return customer
    follows = follows_of(session, customer.id)
    follow = next((f for f in follows if f.employee_id == employee.id), None)
    if follow is None or follow.status != FollowStatus.active:
        return customer  # replayed, or a follow we never saw
    taker = session.get(Employee, taker_id) if by_transfer and taker_id else None
    if by_transfer:
        follow.status = FollowStatus.transferred
        summary = f"客户由 {employee.name} 转接给 {taker.name}（在职继承）" if taker else \
            f"客户已由 {employee.name} 转接给其他成员（在职继承）"
        kind, data = "follow_transferred", {"employee_id": employee.id, "taker_id": taker.id if taker else None}
    else:
        follow.status = FollowStatus.deleted_by_customer if by_customer else FollowStatus.deleted_by_staff
        summary = f"客户删除了 {employee.name}" if by_customer else f"{employee.name} 删除了客户"
        if unlisted:
            summary = f"企业微信已不再列出 {employee.name} 与客户的好友关系（每日核对发现）"
        kind, data = "follow_ended", {"employee_id": employee.id, "by_customer": by_customer, "unlisted": unlisted}
    follow.ended_at = utcnow()
    session.flush()
    add_timeline(session, customer.id, kind, summary, data,
                 actor_employee_id=None if by_customer or by_transfer or unlisted else employee.id,
                 source_key=event_key)
    remaining = [f for f in follows if f.status == FollowStatus.active]
    new_owner = taker.id if taker is not None else (remaining[0].employee_id if remaining else None)
    if customer.owner_id == employee.id and new_owner is not None:
        reason = "transferred" if by_transfer else "follow_ended"
        set_owner(session, customer, new_owner, data={"reason": reason}, source_key=source_key(event_key, "owner"))
        events.emit(session, CustomerOwnerChanged(customer_id=customer.id, from_employee_id=employee.id,
                                                   to_employee_id=new_owner, reason=reason))
    if not remaining and not by_transfer and customer.status == CustomerStatus.active:
        customer.status = CustomerStatus.gone
        add_timeline(session, customer.id, "gone", "已无销售与客户保持企业微信好友关系", {},
                     source_key=source_key(event_key, "gone"))
    session.flush()
    events.emit(session, CustomerFollowEnded(customer_id=customer.id, employee_id=employee.id, by_customer=by_customer,
                                              by_transfer=by_transfer, remaining=len(remaining)))
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
        events.emit(session, CustomerTransferFailed(customer_id=customer.id, employee_id=employee.id if employee else None,
                                                     fail_reason=fail_reason))
    return entry
