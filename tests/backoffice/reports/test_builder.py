"""The report builder (报表): its figures equal the ones counted by hand from the rows the test made, for several
measure × dimension pairs and filters, on PostgreSQL and on the embedded SQLite default alike; the whitelist
refuses everything else by field name; figures are limited to the viewer's scope."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backoffice.orders.models import FunderType, Order, OrderStatus
from backoffice.reports.builder import service as builder
from backoffice.reports.service import DECIDED, DISBURSED
from scrm.channels.models import Channel, ChannelKind
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerSource, CustomerStatus, Stage
from scrm.groups.models import CustomerTier
from scrm.org.models import Center, Role
from tests.factories.org import make_department, make_employee

BEIJING = timezone(timedelta(hours=8))
ON = date(2026, 11, 30)  # "today" for the relative periods
STAGES = list(Stage)
STATUSES = list(OrderStatus)


def _world(db, seed: int = 3):
    """Two centers of two departments, a salesperson in each, three channels, the five products, 120 customers
    and 90 orders spread over 2026 at instants around Beijing midnight and month ends."""
    rnd = random.Random(seed)
    products = {p.code: p for p in customer_service.seed_products(db)}
    first = make_department(db)
    depts = [first, make_department(db, center=db.get(Center, first.center_id)), make_department(db)]
    sales = [make_employee(db, role=Role.sales, department=d) for d in depts]
    manager = make_employee(db, role=Role.manager, department=depts[0])
    admin = make_employee(db, role=Role.admin, department=depts[0])
    channels = []
    for i in range(3):
        c = Channel(name=f"渠道{i}", kind=ChannelKind.poster, state=f"rb{seed}{i}")
        db.add(c)
        channels.append(c)
    db.flush()
    customers, orders = [], []
    for i in range(120):
        created = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=rnd.randint(0, 330),
                                                                         hours=rnd.choice([0, 15, 16, 23]))
        c = Customer(name=f"报表客户{i}", owner_id=rnd.choice(sales).id if rnd.random() > 0.1 else None,
                     source=CustomerSource.manual, stage=rnd.choice(STAGES),
                     status=CustomerStatus.merged if i % 40 == 7 else CustomerStatus.active, custom_fields={},
                     channel_id=rnd.choice(channels).id if rnd.random() > 0.2 else None,
                     product_id=rnd.choice(list(products.values())).id if rnd.random() > 0.2 else None,
                     created_at=created)
        db.add(c)
        customers.append(c)
    db.flush()
    tiers = {}
    for c in customers:
        if rnd.random() < 0.7:
            tiers[c.id] = rnd.choice(["A", "B", "C"])
            db.add(CustomerTier(customer_id=c.id, tier=tiers[c.id]))
    for i in range(90):
        c = rnd.choice([c for c in customers if c.owner_id is not None])
        owner = next(s for s in sales if s.id == c.owner_id)
        dept = next(d for d in depts if d.id == owner.department_id)
        status = rnd.choice(STATUSES)
        signed_at = c.created_at + timedelta(days=rnd.randint(0, 40), hours=rnd.randint(0, 23))
        disbursed = status in DISBURSED
        o = Order(agreement_no=f"RB{seed}-{i}", customer_id=c.id, customer_name=c.name, salesperson_id=owner.id,
                  center_id=dept.center_id, department_id=dept.id, product_code=rnd.choice(list(products)),
                  funder_type=rnd.choice(list(FunderType)), amount_applied_fen=rnd.randint(1, 10_000_000),
                  deposit_fen=0, other_fees_fen=0, status=status, signed_at=signed_at,
                  disbursed_amount_fen=rnd.randint(1, 5_000_000) if disbursed else None,
                  disbursed_on=(signed_at + timedelta(days=rnd.randint(0, 20))).astimezone(BEIJING).date()
                  if disbursed else None)
        db.add(o)
        orders.append(o)
    db.flush()
    return dict(products=products, depts=depts, sales=sales, manager=manager, admin=admin, channels=channels,
                customers=customers, orders=orders, tiers=tiers)


def _bj_day(at: datetime) -> date:
    return at.astimezone(BEIJING).date()


def _month(at) -> str:
    return (_bj_day(at) if isinstance(at, datetime) else at).strftime("%Y-%m")


def _week(at) -> str:
    d = _bj_day(at) if isinstance(at, datetime) else at
    return (d - timedelta(days=d.weekday())).isoformat()


def _expected(w: dict, measure: str, dimension: str, start: date, end: date, viewer_ids: set | None = None,
              where=lambda row: True) -> dict:
    """The oracle: the rows the test made, filtered and grouped in Python."""
    depts = {d.id: d for d in w["depts"]}
    owner_dept = {s.id: s.department_id for s in w["sales"]}
    cust = {c.id: c for c in w["customers"]}
    groups: dict = defaultdict(lambda: [0, 0])
    if measure in ("customers", "conversion_rate"):
        for c in w["customers"]:
            if c.status == CustomerStatus.merged or not start <= _bj_day(c.created_at) <= end or not where(c):
                continue
            if viewer_ids is not None and c.owner_id not in viewer_ids:
                continue
            key = {"month": lambda: _month(c.created_at), "week": lambda: _week(c.created_at),
                   "channel": lambda: c.channel_id, "stage": lambda: c.stage.value,
                   "tier": lambda: w["tiers"].get(c.id), "product": lambda: c.product_id,
                   "center": lambda: depts[owner_dept[c.owner_id]].center_id if c.owner_id else None,
                   "employee": lambda: c.owner_id}[dimension]()
            groups[key][0] += c.stage in customer_service.CONVERTED_STAGES
            groups[key][1] += 1
    else:
        for o in w["orders"]:
            when = o.disbursed_on if measure.startswith("disbursed") else _bj_day(o.signed_at)
            if measure.startswith("disbursed") and o.status not in DISBURSED:
                continue
            if not measure.startswith("disbursed") and o.status == OrderStatus.voided:
                continue
            if when is None or not start <= when <= end or not where(o):
                continue
            if viewer_ids is not None and o.salesperson_id not in viewer_ids:
                continue
            key = {"month": lambda: _month(when), "week": lambda: _week(when), "product": lambda: o.product_code,
                   "center": lambda: o.center_id, "department": lambda: o.department_id,
                   "employee": lambda: o.salesperson_id, "funder_type": lambda: o.funder_type.value,
                   "channel": lambda: cust[o.customer_id].channel_id, "tier": lambda: w["tiers"].get(o.customer_id),
                   "stage": lambda: o.status.value}[dimension]()
            g = groups[key]
            if measure == "signups" or measure == "disbursed_count":
                g[0] += 1
            elif measure == "signed_amount":
                g[0] += o.amount_applied_fen
            elif measure == "disbursed_amount":
                g[0] += o.disbursed_amount_fen
            elif measure == "disbursement_rate":
                g[0] += o.status in DISBURSED
                g[1] += 1
            elif measure == "approval_pass_rate":
                g[0] += o.status in DISBURSED
                g[1] += o.status in DECIDED
    out = {}
    for key, (a, b) in groups.items():
        if measure in ("customers", "signups", "disbursed_count"):
            out[key] = b if measure == "customers" else a
        elif measure in ("signed_amount", "disbursed_amount"):
            out[key] = Decimal(a) / 100
        else:
            out[key] = builder.percent(a, b)
    return out


PAIRS = [("customers", "month"), ("customers", "week"), ("conversion_rate", "channel"), ("customers", "stage"),
         ("conversion_rate", "tier"), ("customers", "product"), ("customers", "center"), ("signups", "product"),
         ("signed_amount", "center"), ("signed_amount", "week"), ("signups", "employee"),
         ("disbursed_amount", "funder_type"), ("disbursed_count", "month"), ("disbursement_rate", "department"),
         ("approval_pass_rate", "tier"), ("signups", "channel"), ("signups", "stage")]


def test_figures_equal_the_rows_counted_by_hand_on_both_databases(committed_any):
    db = committed_any
    w = _world(db)
    start, end = date(2026, 2, 1), date(2026, 10, 31)
    for measure, dimension in PAIRS:
        definition = builder.check({"measure": measure, "dimension": dimension,
                                    "filters": {"date_from": start.isoformat(), "date_to": end.isoformat()}})
        result = builder.run(db, w["admin"], definition)
        got = {r.key: r.value for r in result.rows}
        assert got == _expected(w, measure, dimension, start, end), (measure, dimension)
        assert all(r.name for r in result.rows)
    # filters: a product and a center, a relative period
    credit = w["products"]["credit"]
    center = w["depts"][0].center_id
    got = builder.run(db, w["admin"], builder.check(
        {"measure": "signed_amount", "dimension": "month",
         "filters": {"product": "credit", "center_id": center, "period": "12m"}}), on=ON)
    assert {r.key: r.value for r in got.rows} == _expected(
        w, "signed_amount", "month", date(2025, 12, 1), ON,
        where=lambda o: o.product_code == "credit" and o.center_id == center)
    got = builder.run(db, w["admin"], builder.check(
        {"measure": "customers", "dimension": "channel", "filters": {"product": "credit", "tier": "A",
                                                                     "period": "this_year"}}), on=ON)
    assert {r.key: r.value for r in got.rows} == _expected(
        w, "customers", "channel", date(2026, 1, 1), ON,
        where=lambda c: c.product_id == credit.id and w["tiers"].get(c.id) == "A")


def test_a_center_manager_and_a_salesperson_see_only_their_own(committed_any):
    db = committed_any
    w = _world(db, seed=5)
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    filters = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    center_people = {s.id for s in w["sales"] if s.department_id in (w["depts"][0].id, w["depts"][1].id)}
    for measure in ("customers", "signed_amount"):
        d = builder.check({"measure": measure, "dimension": "employee", "filters": filters})
        got = {r.key: r.value for r in builder.run(db, w["manager"], d).rows}
        expected = _expected(w, measure, "employee", start, end, viewer_ids=center_people | {None}
                             if measure == "customers" else center_people)
        assert got == expected and got
        assert set(got) <= center_people | {None}
        own = w["sales"][1]
        got = {r.key: r.value for r in builder.run(db, own, d).rows}
        assert got == _expected(w, measure, "employee", start, end, viewer_ids={own.id})
    assert builder.run(db, w["admin"], builder.check(
        {"measure": "signups", "dimension": "center", "filters": filters})).rows[0].key is not None


@pytest.mark.pure
@pytest.mark.parametrize("definition, field", [
    ({"measure": "password_hash", "dimension": "month"}, "measure"),
    ({"measure": None, "dimension": "month"}, "measure"),
    ({"measure": "customers", "dimension": "phone"}, "dimension"),
    ({"measure": "customers", "dimension": "funder_type"}, "dimension"),
    ({"measure": "customers", "dimension": "month", "filters": {"phone": "139"}}, "filters.phone"),
    ({"measure": "customers", "dimension": "month", "filters": {"funder_type": "bank"}}, "filters.funder_type"),
    ({"measure": "signups", "dimension": "month", "filters": {"funder_type": "loan_shark"}}, "filters.funder_type"),
    ({"measure": "signups", "dimension": "month", "filters": {"stage": "lead"}}, "filters.stage"),
    ({"measure": "customers", "dimension": "month", "filters": {"center_id": "1 OR 1=1"}}, "filters.center_id"),
    ({"measure": "customers", "dimension": "month", "filters": {"period": "forever"}}, "filters.period"),
    ({"measure": "customers", "dimension": "month", "filters": {"date_from": "2026-13-01"}}, "filters.date_from"),
    ({"measure": "customers", "dimension": "month", "filters": {"date_from": "2026-05-01", "date_to": "2026-01-01"}},
     "filters.date_to"),
    ({"measure": "customers", "dimension": "month", "sql": "DROP TABLE customer"}, "sql"),
])
def test_anything_outside_the_whitelist_is_refused_by_name(definition, field):
    with pytest.raises(ValidationFailed) as refused:
        builder.check(definition)
    assert refused.value.field == field
