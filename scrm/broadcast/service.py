"""Mass messages: pick the customers, split them per salesperson (the sender WeCom requires), create
each ``add_msg_template`` task once, and tally what WeCom reports back."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scrm.core import jobs
from scrm.broadcast.models import MassMessage, MassTask
from scrm.broadcast.schemas import BroadcastIn
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerStatus
from scrm.core.db import insert_ignore, utcnow
from scrm.core.errors import NotFound, ValidationFailed
from scrm.groups import service as group_service
from scrm.groups.models import CustomerTier, InviteBatch, TierChange, TierGroup
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus
from scrm.risk import service as risk_service
from scrm.tagging.models import CustomerProfile

MAX_RECIPIENTS = 10_000  # add_msg_template: external_userid holds at most 10,000 customers
TRACK_FOR = timedelta(days=3)  # a salesperson who has not confirmed by then is not going to
STATUS_FIELDS = {0: "unsent", 1: "sent", 2: "not_friend", 3: "already_received"}


def _reachable():
    """Customers a mass message can reach: active, on WeCom, owned by an active salesperson on WeCom, not in the
    risk reject pool (拒绝池)."""
    senders = select(Employee.id).where(Employee.status == EmployeeStatus.active, Employee.wecom_userid.is_not(None))
    return [Customer.status == CustomerStatus.active, Customer.wecom_external_userid.is_not(None),
            Customer.owner_id.in_(senders), risk_service.not_in_reject_pool(Customer.id)]


def draft(session: Session, actor: Employee, data: BroadcastIn) -> MassMessage:
    """A manager's message to the customers in their scope of a tier and/or with any of the tags."""
    tags = sorted({t.strip() for t in data.tags_any or [] if t.strip()})
    if data.tier is None and not tags:
        raise ValidationFailed("请选择分层或标签，不能发给所有客户", field="tier")
    text = data.text.strip()
    if not text:
        raise ValidationFailed("请填写群发内容", field="text")
    stmt = select(Customer.id).where(customer_service.visible_condition(session, actor), *_reachable())
    if data.tier is not None:
        stmt = stmt.join(CustomerTier, CustomerTier.customer_id == Customer.id).where(CustomerTier.tier == data.tier)
    if tags:
        stmt = stmt.join(CustomerProfile, CustomerProfile.customer_id == Customer.id).where(
            group_service.has_any_tag(session, tags))
    session.flush()
    customer_ids = list(session.scalars(stmt))
    if not customer_ids:
        raise ValidationFailed("没有符合条件、可以群发的客户", field="tier" if data.tier else "tags_any")
    mass = MassMessage(kind="broadcast", created_by_employee_id=actor.id, tier=data.tier, tags_any=tags or None,
                       text=text)
    return _with_tasks(session, mass, customer_ids)


def for_customers(session: Session, *, kind: str, source_key: str, text: str, customer_ids: list[int],
                  link: dict | None = None, tier: str | None = None) -> MassMessage | None:
    """A system message (e.g. a group invitation) to these customers, once per ``source_key``; None when
    it exists already or none of them can be reached."""
    session.flush()
    if session.scalars(select(MassMessage).where(MassMessage.source_key == source_key)).first() is not None:
        return None
    reachable = list(session.scalars(select(Customer.id).where(Customer.id.in_(customer_ids), *_reachable())))
    if not reachable:
        return None
    mass = MassMessage(kind=kind, text=text, link=link, tier=tier, source_key=source_key)
    return _with_tasks(session, mass, reachable)


def _with_tasks(session: Session, mass: MassMessage, customer_ids: list[int]) -> MassMessage:
    session.add(mass)
    session.flush()
    by_owner: dict[int, list[str]] = defaultdict(list)
    for owner_id, external_userid in session.execute(
            select(Customer.owner_id, Customer.wecom_external_userid).where(Customer.id.in_(customer_ids))
            .order_by(Customer.id)):
        by_owner[owner_id].append(external_userid)
    for owner_id, externals in sorted(by_owner.items()):
        for chunk, start in enumerate(range(0, len(externals), MAX_RECIPIENTS)):
            session.add(MassTask(mass_id=mass.id, sender_employee_id=owner_id, chunk=chunk,
                                 external_userids=externals[start:start + MAX_RECIPIENTS]))
    session.flush()

    jobs.enqueue(session, "broadcast.send", mass.id)
    return mass


def send_task(session: Session, client, task: MassTask) -> None:
    """Create one salesperson's WeCom mass-send task (at most once: the call is keyed by the task id)."""
    if task.status != "pending":
        return
    mass = session.get(MassMessage, task.mass_id)
    sender = session.get(Employee, task.sender_employee_id)
    template = {"chat_type": "single", "external_userid": list(task.external_userids), "sender": sender.wecom_userid,
                "text": {"content": mass.text}}
    if mass.link:
        template["attachments"] = [{"msgtype": "link", "link": dict(mass.link)}]
    try:
        answer = client.external_contact.add_msg_template(template, idempotency_key=f"mass-task:{task.id}")
    except Exception as exc:
        if getattr(exc, "errcode", None) in (40096, 60111, 40003):  # none of them reachable / sender gone
            task.status, task.error = "failed", str(exc)[:300]
            session.flush()
            return
        raise
    task.msgid = answer.get("msgid")
    task.fail_list = list(answer.get("fail_list") or [])
    task.unsent = len(task.external_userids) - len(task.fail_list)
    task.status = "created"
    session.flush()


def poll_task(session: Session, client, task: MassTask) -> None:
    """Tally a created task's results from ``get_groupmsg_send_result``; finished when nothing is left
    unsent or it is older than ``TRACK_FOR``."""
    sender = session.get(Employee, task.sender_employee_id)
    counts = dict.fromkeys(STATUS_FIELDS.values(), 0)
    cursor = None
    while True:
        page = client.group_msg.get_groupmsg_send_result(task.msgid, sender.wecom_userid, limit=1000, cursor=cursor)
        for row in page.get("send_list") or []:
            counts[STATUS_FIELDS.get(row.get("status"), "unsent")] += 1
        cursor = page.get("next_cursor")
        if not cursor:
            break
    for name, value in counts.items():
        setattr(task, name, value)
    task.polled_at = utcnow()
    if task.unsent == 0 or utcnow() - task.created_at > TRACK_FOR:
        task.status = "finished"
    session.flush()


def get(session: Session, viewer: Employee, mass_id: int) -> MassMessage:
    mass = session.get(MassMessage, mass_id)
    if mass is None or (mass.created_by_employee_id not in (None, viewer.id) and not _sees_author(session, viewer, mass)):
        raise NotFound(f"没有编号为 {mass_id} 的群发")
    return mass


def _sees_author(session: Session, viewer: Employee, mass: MassMessage) -> bool:

    return org_service.can_see_employee(session, viewer, mass.created_by_employee_id)


def tasks_of(session: Session, mass_id: int) -> list[MassTask]:
    session.flush()
    return list(session.scalars(select(MassTask).where(MassTask.mass_id == mass_id).order_by(MassTask.id)))


def open_task_ids(session: Session, mass_id: int | None = None, status: str = "created") -> list[int]:
    stmt = select(MassTask.id).where(MassTask.status == status)
    if mass_id is not None:
        stmt = stmt.where(MassTask.mass_id == mass_id)
    return list(session.scalars(stmt.order_by(MassTask.id)))


def invite_batch(session: Session, client) -> list[int]:
    """Periodic: invite everyone whose tier changed since the last batch into their tier's current group,
    one mass-send task per salesperson and tier (customers who moved again since count in their new tier)."""
    session.flush()
    after = session.scalar(select(func.max(InviteBatch.last_change_id))) or 0
    last = session.scalar(select(func.max(TierChange.id))) or 0
    if last <= after:
        return []
    batch_id = insert_ignore(session, InviteBatch.__table__,
                             {"after_change_id": after, "last_change_id": last, "created_at": utcnow()},
                             ["after_change_id"])
    if batch_id is None:  # another job took this range
        return []
    made = []
    for tier in sorted({t for t, in session.execute(select(TierGroup.tier).distinct())}):
        customer_ids = list(session.scalars(
            select(TierChange.customer_id).distinct()
            .join(CustomerTier, CustomerTier.customer_id == TierChange.customer_id)
            .where(TierChange.id > after, TierChange.id <= last, TierChange.to_tier == tier, CustomerTier.tier == tier)))
        if not customer_ids:
            continue
        tier_group = group_service.tier_join_way(session, client, tier)
        if tier_group is None or not tier_group.join_way_qr_code:
            continue
        link = {"title": f"欢迎加入{tier}类客户专属群", "url": tier_group.join_way_qr_code,
                "picurl": tier_group.join_way_qr_code}
        mass = for_customers(
            session, kind="invite", source_key=f"invite:{batch_id}:{tier}", tier=tier, customer_ids=customer_ids,
            text="您好，为您准备了专属客户群，群里会第一时间发布产品政策和额度信息，点开下方链接扫码即可加入。", link=link)
        if mass is not None:
            made.append(mass.id)
    return made
