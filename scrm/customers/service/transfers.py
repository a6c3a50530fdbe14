"""Handing customers over (called by scrm.handover when WeCom confirms a transfer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, any_, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from scrm.customers.models import Customer, CustomerFollow, FollowStatus, FollowUp, TimelineEntry
from scrm.core.db import insert_ignore_many, is_postgres, utcnow


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
