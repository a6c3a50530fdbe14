"""KPIs per product and channel against hand-counted figures, and the report builder through the API: the
whitelist's 422 naming the field, saved reports (save, list, run, delete, someone else's), and the scope applied
when a saved report is run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from backoffice.reports import service as report_service
from backoffice.reports.builder.models import SavedReport
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import PaymentMethod
from scrm.channels.models import Channel, ChannelKind
from scrm.customers.models import Customer, FollowUp, Stage
from tests.factories.backoffice import disbursed, processing, signed
from tests.factories.customers import make_customer
from tests.factories.org import auth

BEIJING = timezone(timedelta(hours=8))
BASE = "/api/backoffice/reports"


def _today():
    return datetime.now(BEIJING).date()


def _customer_of(db, order, product, channel, stage: Stage) -> Customer:
    c = db.get(Customer, order.customer_id)
    c.product_id, c.channel_id, c.stage = product.id if product else None, channel.id if channel else None, stage
    return c


def _follow_ups(db, customer, n: int) -> None:
    for i in range(n):
        db.add(FollowUp(customer_id=customer.id, employee_id=customer.owner_id, kind="call", content=f"跟进{i}"))


def _kpi_world(db, w, products):
    """Eight customers of the salesperson and one of a colleague, five orders, two settlements left to direct
    debit ten days ago (one still owing), follow-ups: the figures in the test are counted from this by hand."""
    ch1, ch2 = (Channel(name=n, kind=ChannelKind.poster, state=f"kpi-{n}") for n in ("地推海报", "朋友圈"))
    db.add_all([ch1, ch2])
    db.flush()
    credit, house = products["credit"], products["house_mortgage"]
    a, _ = disbursed(db, w)
    ca = _customer_of(db, a, credit, ch1, Stage.disbursed)
    ca.created_at = a.signed_at - timedelta(days=10)
    b = processing(db, w)
    cb = _customer_of(db, b, credit, ch2, Stage.processing)
    c = signed(db, w, product_code="house_mortgage")
    _customer_of(db, c, house, ch1, Stage.signed)

    def closed_by_debit(channel, paid: bool):
        order, s = disbursed(db, w)
        settlement_service.set_charges(db, w.finance, s, payment_method=PaymentMethod.direct_debit)
        settlement_service.close(db, w.finance, s)
        s.closed_at = s.closed_at - timedelta(days=10)
        if paid:
            settlement_service.record_payment(db, s, source=f"debit:kpi-{order.id}", amount_fen=s.amount_due_fen,
                                              provider="papay")
        _customer_of(db, order, credit, channel, Stage.settled)

    closed_by_debit(ch2, paid=False)
    closed_by_debit(ch1, paid=True)
    l1 = make_customer(db, owner=w.sales, stage=Stage.lead, product_id=credit.id, channel_id=ch1.id)
    make_customer(db, owner=w.sales, stage=Stage.contacted)
    make_customer(db, owner=w.sales, stage=Stage.lost, product_id=house.id, channel_id=ch2.id)
    make_customer(db, owner=w.other_sales, stage=Stage.lead, product_id=credit.id, channel_id=ch1.id)
    _follow_ups(db, ca, 3)
    _follow_ups(db, cb, 2)
    _follow_ups(db, l1, 1)
    db.flush()
    return ch1, ch2


COLUMNS = ("leads", "signed", "conversion_percent", "follow_ups", "follow_ups_per_conversion", "signups",
           "days_to_sign", "approval_passed", "approval_decided", "approval_pass_percent", "debits_due",
           "debits_overdue", "overdue_percent")


def _table(rows) -> dict:
    return {r["name"]: tuple(r[c] for c in COLUMNS) for r in rows}


def test_kpis_by_product_and_channel_equal_the_hand_counted_figures(db, client, world, products):
    w = world
    _kpi_world(db, w, products)
    q = f"date_from={(_today() - timedelta(days=30)).isoformat()}&date_to={_today().isoformat()}"
    mine = client.get(f"{BASE}/kpis?{q}", headers=auth(w.sales))
    assert mine.status_code == 200, mine.text
    k = mine.json()
    assert _table(k["by_product"]) == {
        # leads, signed, conversion, follow-ups, per conversion, orders, days, passed, decided, pass rate, debits
        "信用贷": (5, 4, "80.00", 6, "1.50", 4, "2.5", 3, 3, "100.00", 2, 1, "50.00"),
        "房抵贷": (2, 1, "50.00", 0, "0.00", 1, "0.0", 0, 0, None, 0, 0, None),
        "（未选产品）": (1, 0, "0.00", 0, None, 0, None, 0, 0, None, 0, 0, None),
    }
    assert _table(k["by_channel"]) == {
        "地推海报": (4, 3, "75.00", 4, "1.33", 3, "3.3", 2, 2, "100.00", 1, 0, "0.00"),
        "朋友圈": (3, 2, "66.67", 2, "1.00", 2, "0.0", 1, 1, "100.00", 1, 1, "100.00"),
        "（无渠道）": (1, 0, "0.00", 0, None, 0, None, 0, 0, None, 0, 0, None),
    }
    # the colleague sees their one lead; finance sees both salespeople
    theirs = client.get(f"{BASE}/kpis?{q}", headers=auth(w.other_sales)).json()
    assert _table(theirs["by_product"]) == {"信用贷": (1, 0, "0.00", 0, None, 0, None, 0, 0, None, 0, 0, None)}
    everyone = _table(client.get(f"{BASE}/kpis?{q}", headers=auth(w.finance)).json()["by_channel"])
    assert everyone["地推海报"][:3] == (5, 3, "60.00")
    bad = client.get(f"{BASE}/kpis?date_from={_today().isoformat()}&date_to=2020-01-01", headers=auth(w.finance))
    assert bad.status_code == 422 and bad.json()["field"] == "date_to"
    bad = client.get(f"{BASE}/kpis?date_from=0001-01-01&date_to=2020-01-01", headers=auth(w.finance))
    assert bad.status_code == 422 and bad.json()["field"] == "date_from"


def test_revenue_and_overdue_in_the_builder_agree_with_the_other_reports(db, client, world, products):
    w = world
    _kpi_world(db, w, products)
    today = _today().isoformat()
    filters = {"date_from": (_today() - timedelta(days=30)).isoformat(), "date_to": today}
    r = client.post(f"{BASE}/builder/preview", headers=auth(w.finance),
                    json={"measure": "revenue", "dimension": "employee", "filters": filters})
    assert r.status_code == 200, r.text
    period = report_service.Period(_today() - timedelta(days=31), _today() + timedelta(days=1))
    perf = report_service.performance(db, w.finance, period, "employee")
    assert {x["key"]: x["value"] for x in r.json()["rows"]} == {
        p.key: f"{p.revenue_fen / 100:.2f}" for p in perf if p.revenue_fen}
    r = client.post(f"{BASE}/builder/preview", headers=auth(w.finance),
                    json={"measure": "overdue_rate", "dimension": "channel", "filters": filters}).json()
    assert {x["name"]: (x["value"], x["numerator"], x["denominator"]) for x in r["rows"]} == {
        "地推海报": ("0.00", 0, 1), "朋友圈": ("100.00", 1, 1)}
    assert (r["measure_name"], r["dimension_name"], r["kind"]) == ("逾期率", "渠道", "rate")


def test_the_api_refuses_what_is_outside_the_whitelist_naming_the_field(db, client, world):
    w = world
    for body, field in [({"measure": "salary", "dimension": "month"}, "measure"),
                        ({"measure": "customers", "dimension": "customer.phone"}, "dimension"),
                        ({"measure": "customers", "dimension": "funder_type"}, "dimension"),
                        ({"measure": "signups", "dimension": "month", "filters": {"owner_phone": "1"}},
                         "filters.owner_phone"),
                        ({"measure": "signups", "dimension": "month", "filters": {"center_id": "x"}},
                         "filters.center_id"),
                        ({"measure": "signups", "dimension": "month", "order_by": "1"}, "order_by"),
                        ({"measure": 5, "dimension": "month"}, "measure")]:
        for url in ("/builder/preview", "/saved"):
            payload = body if url == "/builder/preview" else {"name": "坏报表", "definition": body}
            r = client.post(f"{BASE}{url}", headers=auth(w.manager), json=payload)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["field"] in (field, f"definition.{field}"), (body, r.json())
    assert db.scalar(select(func.count()).select_from(SavedReport)) == 0
    assert client.post(f"{BASE}/builder/preview", headers=auth(w.sales),
                       json={"measure": "customers", "dimension": "month"}).status_code == 403
    catalog = client.get(f"{BASE}/builder/catalog", headers=auth(w.manager)).json()
    customers = next(m for m in catalog["measures"] if m["key"] == "customers")
    assert "funder_type" not in customers["dimensions"] and "funder_type" not in customers["filters"]


def test_saved_reports_round_trip_and_run_in_the_viewers_scope(db, client, world):
    w = world
    mine = [signed(db, w, amount_applied_fen=1_000_000), signed(db, w, amount_applied_fen=2_500_000)]
    from_other_center = signed(db, w, amount_applied_fen=7_000_000)
    from_other_center.salesperson_id = w.other_sales.id
    from_other_center.department_id = w.other_sales.department_id
    db.flush()
    definition = {"measure": "signed_amount", "dimension": "department", "filters": {"period": "30d"}}
    saved = client.post(f"{BASE}/saved", headers=auth(w.manager), json={"name": "部门签单金额", "definition": definition})
    assert saved.status_code == 201, saved.text
    report = saved.json()
    assert (report["name"], report["definition"], report["position"]) == ("部门签单金额", definition, 1)
    second = client.post(f"{BASE}/saved", headers=auth(w.manager),
                         json={"name": "月度客户数", "definition": {"measure": "customers", "dimension": "month"}}).json()
    listed = client.get(f"{BASE}/saved", headers=auth(w.manager)).json()
    assert [(x["id"], x["position"]) for x in listed] == [(report["id"], 1), (second["id"], 2)]

    ran = client.get(f"{BASE}/saved/{report['id']}/run", headers=auth(w.manager))
    assert ran.status_code == 200, ran.text
    rows = ran.json()["result"]["rows"]
    # the centre manager sees their centre's department only, not the other centre's sign-up
    total = sum(o.amount_applied_fen for o in mine)
    assert [(x["key"], x["value"]) for x in rows] == [(w.dept_id, f"{total / 100:.2f}")]
    # the same definition run by finance (scope: all) shows both
    everyone = client.post(f"{BASE}/builder/preview", headers=auth(w.finance), json=definition).json()["rows"]
    assert {x["key"] for x in everyone} == {w.dept_id, w.other_sales.department_id}

    # someone else's saved report is not found, for running and deleting alike
    assert client.get(f"{BASE}/saved/{report['id']}/run", headers=auth(w.finance)).status_code == 404
    assert client.delete(f"{BASE}/saved/{report['id']}", headers=auth(w.finance)).status_code == 404
    assert client.get(f"{BASE}/saved", headers=auth(w.finance)).json() == []
    assert client.delete(f"{BASE}/saved/{report['id']}", headers=auth(w.manager)).status_code == 204
    assert [x["id"] for x in client.get(f"{BASE}/saved", headers=auth(w.manager)).json()] == [second["id"]]
    blank = client.post(f"{BASE}/saved", headers=auth(w.manager), json={"name": "  ", "definition": definition})
    assert blank.status_code == 422 and blank.json()["field"] == "name"
