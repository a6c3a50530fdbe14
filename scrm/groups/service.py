"""Customer groups as WeCom reports them (``groupchat/get``), kept by full upsert so replays are harmless."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scrm.customers import service as customer_service
from scrm.groups.models import CustomerGroup, GroupMember
from scrm.org import service as org_service


def _ts(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError):
        return None


def get_by_chat_id(session: Session, chat_id: str) -> CustomerGroup | None:
    return session.scalars(select(CustomerGroup).where(CustomerGroup.chat_id == chat_id)).first()


def upsert_from_wecom(session: Session, info: dict) -> CustomerGroup:
    """Make our copy of a group equal to WeCom's answer: name, owner, notice and the member list."""
    group = get_by_chat_id(session, info["chat_id"])
    if group is None:
        group = CustomerGroup(chat_id=info["chat_id"])
        session.add(group)
        if info.get("create_time"):
            group.created_at = _ts(info["create_time"])
    owner = org_service.find_by_wecom_userid(session, info.get("owner") or "")
    group.name = info.get("name") or ""
    group.owner_userid = info.get("owner")
    group.owner_employee_id = owner.id if owner else None
    group.notice = info.get("notice")
    group.dismissed = False
    members = info.get("member_list") or []
    group.member_count = len(members)
    session.flush()
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    for m in members:
        member_type = int(m.get("type") or 1)
        customer = customer_service.get_by_external_userid(session, m["userid"]) if member_type == 2 else None
        session.add(GroupMember(
            group_id=group.id, member_userid=m["userid"], member_type=member_type,
            customer_id=customer.id if customer else None, join_scene=m.get("join_scene"),
            joined_at=_ts(m.get("join_time")),
        ))
    session.flush()
    return group


def dismiss(session: Session, chat_id: str) -> None:
    group = get_by_chat_id(session, chat_id)
    if group is None:
        group = CustomerGroup(chat_id=chat_id)
        session.add(group)
    group.dismissed = True
    group.member_count = 0
    session.flush()
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))


def set_owner(session: Session, chat_id: str, employee) -> CustomerGroup | None:
    """Record a new owner for a group after WeCom moved it (群主继承); None when we do not know the group."""
    group = get_by_chat_id(session, chat_id)
    if group is None:
        return None
    group.owner_employee_id = employee.id
    group.owner_userid = employee.wecom_userid
    session.flush()
    return group
