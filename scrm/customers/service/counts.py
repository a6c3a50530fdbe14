"""Counts for reports (the back-office funnel and KPIs, the channels' numbers), the console's dashboards and
its paged lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core import db
from scrm.customers.models import Customer, CustomerFollow, CustomerStatus, FollowStatus, FollowUp, Stage, TimelineEntry
from scrm.customers.service.common import CONVERTED_STAGES, OPEN_STAGES, not_merged, visible_condition
from scrm.org import service as org_service
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


@dataclass
class ChannelStats:
    channel_id: int
    name: str
    kind: str
    active: bool
    adds: int  # follows made through the channel's code
    deletions: int  # of those, ended by either side
    customers: int  # customers whose first touch was this channel
    conversions: int  # of those, signed or later
    conversion_rate: float


def channel_stats(session: Session, viewer: Employee, *, since: datetime | None = None,
                  until: datetime | None = None) -> list[ChannelStats]:
    """Adds, deletions and conversions per channel, counted within the viewer's data scope, in one query."""
    session.flush()
    follow_filter = [org_service.owner_filter(session, viewer, CustomerFollow.employee_id)]
    customer_filter = [org_service.owner_filter(session, viewer, Customer.owner_id),
                       Customer.status != CustomerStatus.merged]
    if since is not None:
        follow_filter.append(CustomerFollow.added_at >= since)
        customer_filter.append(Customer.created_at >= since)
    if until is not None:
        follow_filter.append(CustomerFollow.added_at < until)
        customer_filter.append(Customer.created_at < until)
    ended = CustomerFollow.status.in_([FollowStatus.deleted_by_staff, FollowStatus.deleted_by_customer])
    follows = (select(CustomerFollow.state.label("state"), func.count().label("adds"),
                      func.sum(case((ended, 1), else_=0)).label("deletions"))
               .where(CustomerFollow.state.is_not(None), *follow_filter)
               .group_by(CustomerFollow.state).subquery())
    converted = Customer.stage.in_(CONVERTED_STAGES)
    customers = (select(Customer.channel_id.label("channel_id"), func.count().label("customers"),
                        func.sum(case((converted, 1), else_=0)).label("conversions"))
                 .where(Customer.channel_id.is_not(None), *customer_filter)
                 .group_by(Customer.channel_id).subquery())
    rows = session.execute(
        select(Channel.id, Channel.name, Channel.kind, Channel.active,
               func.coalesce(follows.c.adds, 0), func.coalesce(follows.c.deletions, 0),
               func.coalesce(customers.c.customers, 0), func.coalesce(customers.c.conversions, 0))
        .outerjoin(follows, follows.c.state == Channel.state)
        .outerjoin(customers, and_(customers.c.channel_id == Channel.id))
        .order_by(Channel.id)).all()
    return [ChannelStats(channel_id=r[0], name=r[1], kind=r[2].value, active=r[3], adds=int(r[4]),
                         deletions=int(r[5]), customers=int(r[6]), conversions=int(r[7]),
                         conversion_rate=round(int(r[7]) / int(r[6]), 4) if r[6] else 0.0) for r in rows]


def scope_counts(session: Session, viewer: Employee) -> tuple[db.Count, db.Count]:
    """(customers in the viewer's scope, of which open leads), merged ones left out; past the exact bound,
    estimates on PostgreSQL (see scrm.core.db.count_rows)."""
    visible = select(Customer.id).where(visible_condition(session, viewer), not_merged())
    return db.count_rows(session, visible), db.count_rows(session, visible.where(Customer.stage.in_(OPEN_STAGES)))


def stage_counts_by_owner(session: Session, viewer: Employee, *, created_from: datetime, created_to: datetime,
                          owner_ids: Select | None = None) -> list[tuple[int | None, Stage, int]]:
    """(owner id, stage, customers) for the customers in the viewer's scope created in the period, owned by one of
    ``owner_ids`` when given; one GROUP BY."""
    where = [visible_condition(session, viewer), not_merged(), Customer.created_at >= created_from,
             Customer.created_at < created_to]
    if owner_ids is not None:
        where.append(Customer.owner_id.in_(owner_ids))
    return [(o, st, int(n)) for o, st, n in session.execute(
        select(Customer.owner_id, Customer.stage, func.count()).where(*where).group_by(Customer.owner_id,
                                                                                          Customer.stage))]


def follow_ups_of_customer(session: Session, customer_id: int) -> int:
    """How many follow-ups one customer has (for paging them)."""
    return session.scalar(select(func.count()).where(FollowUp.customer_id == customer_id)) or 0


def timeline_of_customer(session: Session, customer_id: int) -> int:
    """How many timeline entries one customer has (for paging them)."""
    return session.scalar(select(func.count()).where(TimelineEntry.customer_id == customer_id)) or 0


def newest_customer_id(session: Session) -> int | None:
    """The highest customer id: it changes whenever a customer is added (a cache key for counts)."""
    return session.scalar(select(func.max(Customer.id)))
