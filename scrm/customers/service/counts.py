"""Counts for reports (the back-office funnel and KPIs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scrm.customers.models import Customer, CustomerStatus, FollowUp, Stage
from scrm.customers.service.common import visible_condition
from scrm.org.models import Employee


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
