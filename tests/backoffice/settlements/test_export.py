"""The Excel export of settled orders: the filters apply, the amounts add up, the filter sheet says what was used."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from backoffice.contracts.models import FunderType
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, PaymentMethod
from tests.backoffice.conftest import disbursed
from tests.customers.factories import auth


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
