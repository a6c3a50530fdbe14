"""Counts for reports (the back-office funnel and KPIs, the channels' numbers), the console's dashboards and
its paged lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core import db
from scrm.core.clock import beijing_month_start
from scrm.customers.models import (Customer, CustomerChannelMonth, CustomerFollow, CustomerStageMonth, CustomerStatus,
                                   FollowMonth, FollowStatus, FollowUp, Stage, TimelineEntry)
from scrm.customers.service.common import (CONVERTED_STAGES, OPEN_STAGES, not_merged, visible_condition,
                                           visible_owner_condition)
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
    """Adds, deletions and conversions per channel, counted within the viewer's data scope, in one query: whole
    months from the month counts, the days before the first and after the last from the tables themselves."""
    session.flush()
    span = month_span(since, until)
    ended = CustomerFollow.status.in_([FollowStatus.deleted_by_staff, FollowStatus.deleted_by_customer])
    converted = Customer.stage.in_(CONVERTED_STAGES)
    follows, customers = [], []
    if span.months:
        follows.append(select(FollowMonth.state.label("key"), FollowMonth.n.label("total"),
                              case((FollowMonth.ended, FollowMonth.n), else_=0).label("part"))
                       .where(org_service.owner_filter(session, viewer, FollowMonth.employee_id),
                              *span.months_where(FollowMonth)))
        customers.append(select(CustomerChannelMonth.channel_id.label("key"), CustomerChannelMonth.n.label("total"),
                                case((CustomerChannelMonth.converted, CustomerChannelMonth.n), else_=0).label("part"))
                         .where(org_service.owner_filter(session, viewer, CustomerChannelMonth.owner_id),
                                *span.months_where(CustomerChannelMonth)))
    if span.days:
        follows.append(select(CustomerFollow.state.label("key"), literal(1).label("total"),
                              case((ended, 1), else_=0).label("part"))
                       .where(CustomerFollow.state.is_not(None),
                              org_service.owner_filter(session, viewer, CustomerFollow.employee_id),
                              span.days_where(CustomerFollow.added_at)))
        customers.append(select(Customer.channel_id.label("key"), literal(1).label("total"),
                                case((converted, 1), else_=0).label("part"))
                         .where(Customer.channel_id.is_not(None),
                                org_service.owner_filter(session, viewer, Customer.owner_id), not_merged(),
                                span.days_where(Customer.created_at)))
    f, c = (_summed(parts) for parts in (follows, customers))
    rows = session.execute(
        select(Channel.id, Channel.name, Channel.kind, Channel.active, func.coalesce(f.c.total, 0),
               func.coalesce(f.c.part, 0), func.coalesce(c.c.total, 0), func.coalesce(c.c.part, 0))
        .outerjoin(f, f.c.key == Channel.state).outerjoin(c, c.c.key == Channel.id).order_by(Channel.id)).all()
    return [ChannelStats(channel_id=r[0], name=r[1], kind=r[2].value, active=r[3], adds=int(r[4]),
                         deletions=int(r[5]), customers=int(r[6]), conversions=int(r[7]),
                         conversion_rate=round(int(r[7]) / int(r[6]), 4) if r[6] else 0.0) for r in rows]


def _summed(parts: list[Select], keys: int = 1) -> Any:
    """The rows of ``parts`` (their first ``keys`` columns, then numbers) from the month counts and the days, the
    numbers added up per key."""
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    key, numbers = list(rows.c)[:keys], list(rows.c)[keys:]
    return select(*key, *[func.sum(c).label(c.name) for c in numbers]).group_by(*key).subquery()


def scope_counts(session: Session, viewer: Employee) -> tuple[db.Count, db.Count]:
    """(customers in the viewer's scope, of which open leads), merged ones left out; past the exact bound,
    estimates on PostgreSQL (see scrm.core.db.count_rows)."""
    visible = select(Customer.id).where(visible_condition(session, viewer), not_merged())
    return db.count_rows(session, visible), db.count_rows(session, visible.where(Customer.stage.in_(OPEN_STAGES)))


def stage_counts_by_owner(session: Session, viewer: Employee, *, created_from: datetime, created_to: datetime,
                          owner_ids: Select | None = None) -> list[tuple[int | None, Stage, int]]:
    """(owner id, stage, customers) for the customers in the viewer's scope created in the period, owned by one of
    ``owner_ids`` when given, in one query: whole months from the month counts, the rest from the customers."""
    session.flush()
    span = month_span(created_from, created_to)
    parts = []
    if span.months:
        where = [visible_owner_condition(session, viewer, CustomerStageMonth.owner_id),
                 *span.months_where(CustomerStageMonth)]
        if owner_ids is not None:
            where.append(CustomerStageMonth.owner_id.in_(owner_ids))
        parts.append(select(CustomerStageMonth.owner_id.label("owner_id"), CustomerStageMonth.stage.label("stage"),
                            CustomerStageMonth.n.label("total")).where(*where))
    if span.days:
        where = [visible_condition(session, viewer), not_merged(), span.days_where(Customer.created_at)]
        if owner_ids is not None:
            where.append(Customer.owner_id.in_(owner_ids))
        parts.append(select(Customer.owner_id.label("owner_id"), Customer.stage.label("stage"),
                            literal(1).label("total")).where(*where))
    counts = _summed(parts, keys=2)
    return [(o, Stage(st), int(n)) for o, st, n in session.execute(select(counts)) if n]


@dataclass(frozen=True)
class MonthSpan:
    """A period cut into whole Beijing months (``first`` up to ``last``, each None when open) read from the
    month counts, and the stretches of days around them (``days``) read from the tables."""
    first: date | None
    last: date | None
    months: bool
    days: list[tuple[datetime, datetime]]

    def months_where(self, table: Any) -> list[ColumnElement[bool]]:
        where = []
        if self.first is not None:
            where.append(table.month >= self.first)
        if self.last is not None:
            where.append(table.month < self.last)
        return where

    def days_where(self, column: Any) -> ColumnElement[bool]:
        return or_(*[and_(column >= since, column < until) for since, until in self.days])


def month_span(since: datetime | None, until: datetime | None) -> MonthSpan:
    first = None if since is None else beijing_month_start(since)
    if first is not None and first < since:
        first = beijing_month_start(first + timedelta(days=32))
    last = None if until is None else beijing_month_start(until)
    if first is not None and last is not None and first >= last:
        return MonthSpan(None, None, False, [(since, until)])
    days = []
    if since is not None and since < first:
        days.append((since, first))
    if until is not None and last < until:
        days.append((last, until))
    return MonthSpan(first and first.date(), last and last.date(), True, days)


def compact_month_counts(session: Session) -> int:
    """Fold the month counts' appended +1 and -1 rows into one row per key (dropping keys that sum to zero);
    returns how many rows were folded. Safe beside writers and a second compactor: on PostgreSQL each table is
    folded by one statement over one snapshot, on SQLite inside the one write transaction."""
    return sum(db.fold_appended(session, table.__tablename__, key, ("n",))
               for table, key in ((CustomerStageMonth, ("month", "owner_id", "stage")),
                                  (CustomerChannelMonth, ("month", "owner_id", "channel_id", "converted")),
                                  (FollowMonth, ("month", "employee_id", "state", "ended"))))


def follow_ups_of_customer(session: Session, customer_id: int) -> int:
    """How many follow-ups one customer has (for paging them)."""
    return session.scalar(select(func.count()).where(FollowUp.customer_id == customer_id)) or 0


def timeline_of_customer(session: Session, customer_id: int) -> int:
    """How many timeline entries one customer has (for paging them)."""
    return session.scalar(select(func.count()).where(TimelineEntry.customer_id == customer_id)) or 0


def newest_customer_id(session: Session) -> int | None:
    """The highest customer id: it changes whenever a customer is added (a cache key for counts)."""
    return session.scalar(select(func.max(Customer.id)))
