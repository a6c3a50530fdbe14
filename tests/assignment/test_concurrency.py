"""Round robin and caps hold when many leads are assigned at once on PostgreSQL (row locks, committed data)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from scrm.assignment import service as assignment_service
from scrm.assignment.models import Strategy
from scrm.assignment.schemas import RuleCreate
from scrm.core.db import session_scope
from scrm.customers.models import Customer
from tests.factories.customers import make_customer
from tests.factories.org import make_employee


def _assign_all(customer_ids: list[int], threads: int = 6) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)
    chunks = [customer_ids[i::threads] for i in range(threads)]

    def work(chunk):
        start.wait()
        for customer_id in chunk:
            try:
                with session_scope() as session:
                    assignment_service.assign(session, session.get(Customer, customer_id))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    pool = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return errors


def test_concurrent_round_robin_deals_evenly(committed_db):
    db = committed_db
    team = [make_employee(db) for _ in range(3)]
    assignment_service.create_rule(db, None, RuleCreate(name="轮流", strategy=Strategy.round_robin,
                                                        team_employee_ids=[e.id for e in team]))
    ids = [make_customer(db).id for _ in range(30)]
    db.commit()

    assert _assign_all(ids) == []

    db.expire_all()
    counts = Counter(db.scalars(select(Customer.owner_id).where(Customer.id.in_(ids))))
    assert counts == {e.id: 10 for e in team}


def test_concurrent_assignment_never_overfills_a_cap(committed_db):
    db = committed_db
    team = [make_employee(db, max_open_leads=4) for _ in range(2)]
    assignment_service.create_rule(db, None, RuleCreate(name="最少", strategy=Strategy.least_loaded,
                                                        team_employee_ids=[e.id for e in team]))
    ids = [make_customer(db).id for _ in range(12)]
    db.commit()

    assert _assign_all(ids) == []

    db.expire_all()
    counts = Counter(db.scalars(select(Customer.owner_id).where(Customer.id.in_(ids))))
    assert counts == {team[0].id: 4, team[1].id: 4, None: 4}
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.owner_id.is_(None))) == 4
