"""The dashboards' month counts (issue 23): kept by database triggers on PostgreSQL and on the embedded SQLite
default, they give the same numbers as counting the customers and follows themselves, for any period (months cut
at Beijing midnight on the 1st), any viewer's scope, after every kind of change, before and after folding, and
under concurrent writers."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, text, update

from scrm.channels.models import Channel, ChannelKind
from scrm.core import db as scrm_db
from scrm.customers import service as customer_service
from scrm.customers.models import (Customer, CustomerFollow, CustomerStageMonth, CustomerStatus, FollowMonth,
                                   FollowStatus, Stage)
from scrm.org import service as org_service
from scrm.org.models import DataScope, Role
from tests.conftest import race
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee

BEIJING = timezone(timedelta(hours=8))
UTC = timezone.utc
ENDED = (FollowStatus.deleted_by_staff, FollowStatus.deleted_by_customer)


def _bj(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


# instants around Beijing month starts: 2026-10-01 00:00 Beijing is 2026-09-30 16:00 UTC
CREATED = [_bj(2026, 8, 15, 10), _bj(2026, 8, 31, 23, 59, 59), datetime(2026, 9, 30, 16, 0, 0, tzinfo=UTC),
           datetime(2026, 9, 30, 15, 59, 59, 999999, tzinfo=UTC), _bj(2026, 10, 1, 0, 0), _bj(2026, 10, 17, 12),
           _bj(2026, 11, 1, 0, 0, 1), _bj(2026, 11, 30, 23, 59), _bj(2026, 12, 1, 8), _bj(2026, 12, 3, 9)]

PERIODS = [(None, None), (_bj(2000, 1, 1), _bj(2027, 1, 1)), (_bj(2026, 8, 20), _bj(2026, 12, 2)),
           (_bj(2026, 10, 1), _bj(2026, 11, 1)), (_bj(2026, 9, 30), _bj(2026, 10, 2)), (_bj(2026, 10, 5), _bj(2026, 10, 20)),
           (_bj(2026, 9, 1), _bj(2026, 12, 1)), (None, _bj(2026, 10, 18)), (_bj(2026, 10, 18), None)]


def _expected_stages(db, viewer, since, until) -> Counter:
    """The oracle: every customer read back and counted in Python."""
    visible = customer_service.visible_condition(db, viewer)
    rows = db.execute(select(Customer.owner_id, Customer.stage, Customer.created_at, Customer.status).where(visible))
    return Counter((o, st) for o, st, at, status in rows if status != CustomerStatus.merged
                   and (since is None or at >= since) and (until is None or at < until))


def _stages(db, viewer, since, until) -> Counter:
    if since is None or until is None:  # the dashboards always give both; the open ends go through channel_stats
        since, until = since or _bj(1990, 1, 1), until or _bj(2100, 1, 1)
    return Counter({(o, st): n for o, st, n in customer_service.stage_counts_by_owner(
        db, viewer, created_from=since, created_to=until)})


def _expected_channels(db, viewer, since, until) -> dict:
    in_scope = org_service.owner_filter(db, viewer, Customer.owner_id)
    customers = db.execute(select(Customer.channel_id, Customer.stage, Customer.created_at, Customer.status)
                           .where(in_scope, Customer.channel_id.is_not(None))).all()
    follows = db.execute(select(CustomerFollow.state, CustomerFollow.status, CustomerFollow.added_at).where(
        org_service.owner_filter(db, viewer, CustomerFollow.employee_id), CustomerFollow.state.is_not(None))).all()

    def inside(at):
        return (since is None or at >= since) and (until is None or at < until)
    out = {}
    for channel in db.scalars(select(Channel).order_by(Channel.id)):
        mine = [c for c in customers if c.channel_id == channel.id and c.status != CustomerStatus.merged
                and inside(c.created_at)]
        adds = [f for f in follows if f.state == channel.state and inside(f.added_at)]
        out[channel.id] = (len(adds), sum(f.status in ENDED for f in adds), len(mine),
                           sum(c.stage in customer_service.CONVERTED_STAGES for c in mine))
    return out


def _channels(db, viewer, since, until) -> dict:
    return {s.channel_id: (s.adds, s.deletions, s.customers, s.conversions)
            for s in customer_service.channel_stats(db, viewer, since=since, until=until)}


@pytest.fixture
def world(committed_any):
    db = committed_any
    north, south = make_department(db, "北区"), make_department(db, "南区")
    staff = [make_employee(db, f"北{i}", department=north) for i in range(2)]
    staff += [make_employee(db, f"南{i}", department=south) for i in range(2)]
    viewers = [make_employee(db, "管理员", role=Role.admin),
               make_employee(db, "北区主管", role=Role.supervisor, department=north),
               staff[0]]
    viewers[1].scope = DataScope.department
    viewers[0].scope = DataScope.all
    channels = [Channel(name=f"渠道{i}", kind=ChannelKind.poster, state=f"mc{i}") for i in range(3)]
    db.add_all(channels)
    db.flush()
    stages = list(Stage)
    customers = []
    for i, at in enumerate(CREATED * 3):
        owner = None if i % 7 == 3 else staff[i % 4]
        c = make_customer(db, owner, stage=stages[i % len(stages)], created_at=at,
                          channel_id=channels[i % 3].id if i % 4 else None)
        customers.append(c)
        if owner is not None:
            db.add(CustomerFollow(customer_id=c.id, employee_id=owner.id, state=channels[i % 3].state if i % 5 else None,
                                  added_at=at + timedelta(hours=i % 3)))
    db.flush()
    db.commit()
    return db, staff, viewers, channels, customers


def _assert_all_periods_agree(db, viewers) -> None:
    for viewer in viewers:
        for since, until in PERIODS:
            assert _stages(db, viewer, since, until) == _expected_stages(db, viewer, since or _bj(1990, 1, 1),
                                                                        until or _bj(2100, 1, 1)), (viewer.name, since, until)
            assert _channels(db, viewer, since, until) == _expected_channels(db, viewer, since, until), \
                (viewer.name, since, until)


def test_month_counts_agree_with_counting_the_rows_after_every_kind_of_change(world):
    db, staff, viewers, channels, customers = world
    _assert_all_periods_agree(db, viewers)
    # a customer moves on, changes hands, changes channel, is merged into another, is deleted; follows end
    customers[0].stage = Stage.signed
    customers[1].owner_id = staff[3].id
    customers[2].channel_id = channels[0].id
    customers[3].status = CustomerStatus.merged
    customers[4].stage, customers[4].owner_id = Stage.lost, None
    customers[5].created_at = _bj(2026, 7, 1)
    customers[6].name = "只改名字"
    db.flush()
    db.execute(delete(Customer).where(Customer.id == customers[7].id))
    db.execute(update(CustomerFollow).where(CustomerFollow.customer_id.in_([c.id for c in customers[8:14]]))
               .values(status=FollowStatus.deleted_by_customer))
    db.execute(update(CustomerFollow).where(CustomerFollow.customer_id == customers[15].id)
               .values(employee_id=staff[2].id, state=channels[2].state))
    db.execute(delete(CustomerFollow).where(CustomerFollow.customer_id == customers[16].id))
    db.execute(update(Customer).where(Customer.id.in_([c.id for c in customers[20:]])).values(stage=Stage.processing))
    db.commit()
    _assert_all_periods_agree(db, viewers)
    # merged back out of the count when un-merged
    customers[3].status = CustomerStatus.active
    db.commit()
    _assert_all_periods_agree(db, viewers)


def test_folding_keeps_every_figure_and_leaves_one_row_per_key(world):
    db, staff, viewers, channels, customers = world
    for c in customers[:12]:
        c.stage = Stage.contacted
    db.commit()
    for c in customers[:12]:
        c.stage = Stage.lead
    db.commit()
    rows_before = db.scalar(select(func.count()).select_from(CustomerStageMonth))
    folded = customer_service.compact_month_counts(db)
    db.commit()
    rows_after = db.scalar(select(func.count()).select_from(CustomerStageMonth))
    keys = db.execute(select(func.count()).select_from(
        select(CustomerStageMonth.month, CustomerStageMonth.owner_id, CustomerStageMonth.stage).distinct().subquery())
    ).scalar_one()
    assert folded >= rows_before and rows_after == keys < rows_before
    assert db.scalar(select(func.count()).where(CustomerStageMonth.n == 0)) == 0
    _assert_all_periods_agree(db, viewers)
    # a second fold finds nothing to merge and changes nothing
    customer_service.compact_month_counts(db)
    db.commit()
    assert db.scalar(select(func.count()).select_from(CustomerStageMonth)) == rows_after
    _assert_all_periods_agree(db, viewers)
    assert db.scalar(select(func.count()).select_from(FollowMonth)) > 0


def test_concurrent_stage_moves_and_folds_keep_the_counts_exact(world):
    db, staff, viewers, channels, customers = world
    ids = [c.id for c in customers]

    def move(i: int) -> None:
        session = scrm_db.new_session()
        try:
            if i == 0:
                customer_service.compact_month_counts(session)
            else:
                # each thread moves customers of its own, sharing owners, months and stages with the others, half
                # of them forwards and half backwards: counters updated in place would lock each other here
                mine = ids[i - 1::4]
                for customer_id in (mine if i % 2 else mine[::-1]):
                    session.execute(update(Customer).where(Customer.id == customer_id)
                                    .values(stage=Stage.appointment if i % 2 else Stage.disbursed))
            session.commit()
        finally:
            session.close()

    results = race(5, move)
    assert [r for r in results if isinstance(r, BaseException)] == []
    db.rollback()
    _assert_all_periods_agree(db, viewers)


def test_the_triggers_are_in_place_after_every_migration(committed_any):
    db = committed_any
    if db.get_bind().dialect.name == "postgresql":
        names = set(db.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
        expected = {"customer_month_counts", "customer_month_counts_update", "follow_month_counts",
                    "follow_month_counts_update"}
    else:
        names = set(db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        expected = {f"{table}_{event}" for table in ("customer_month_counts", "follow_month_counts")
                    for event in ("insert", "delete", "update_new", "update_old")}
    assert expected <= names
