"""Follow-ups and who follows the customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.core.db import utcnow
from scrm.customers.events import FollowUpAdded
from scrm.customers.models import Customer, CustomerFollow, FollowUp, Stage
from scrm.customers.service.common import FOLLOW_UP_KINDS, _fail, add_timeline
from scrm.org.models import Employee


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
    events.emit(session, FollowUpAdded(customer_id=customer.id, follow_up_id=follow_up.id, content=content[:2000],
                                        at=now))
    return follow_up


def list_follow_ups(session: Session, customer_id: int, *, limit: int = 50, offset: int = 0) -> list[FollowUp]:
    session.flush()
    return list(session.scalars(select(FollowUp).where(FollowUp.customer_id == customer_id)
                                .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(limit).offset(offset)))


def list_follows(session: Session, customer_id: int) -> list[tuple[CustomerFollow, str]]:
    """The customer's follows with each salesperson's name, earliest first."""
    session.flush()
    return [(f, n) for f, n in session.execute(
        select(CustomerFollow, Employee.name).join(Employee, Employee.id == CustomerFollow.employee_id)
        .where(CustomerFollow.customer_id == customer_id).order_by(CustomerFollow.added_at, CustomerFollow.id))]
