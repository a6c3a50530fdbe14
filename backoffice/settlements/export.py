"""Excel export of settled orders (结算导出), streamed: rows come from a server-side cursor in batches and go
straight into a write-only workbook, so memory stays flat however many orders match."""

from __future__ import annotations

from datetime import date, datetime
from typing import IO

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from backoffice.orders import service as order_service
from backoffice.orders.labels import FUNDER_LABELS, PAYMENT_LABELS
from backoffice.orders.models import Order
from backoffice.settlements.models import Settlement, SettlementStatus
from backoffice.settlements.service import Totals
from scrm.core.clock import BEIJING, beijing_day_start
from scrm.core.money import from_fen
from scrm.core.spreadsheet import text_row
from scrm.org.models import Employee

COLUMNS = ["协议编号", "客户", "手机号", "签单时间", "营销专员", "做单专员", "产品", "资方类型", "申请金额",
           "放款金额", "放款日期", "放款机构", "服务费", "优惠", "分期费", "额外费用", "借款本息", "应收合计",
           "定金抵扣", "收款方式", "评估费", "返点", "结单时间"]
BATCH = 2000


def _tz_naive(at: datetime | None) -> datetime | None:
    # Excel has no time zones: Beijing time, as finance reads it
    return None if at is None else at.astimezone(BEIJING).replace(tzinfo=None)


def export_settled(session: Session, viewer: Employee, flt: order_service.OrderFilter, out: IO[bytes], *,
                   closed_from: date | None = None, closed_to: date | None = None) -> int:
    """Write the settled orders the viewer may see, filtered, as .xlsx to ``out``; returns the row count."""
    sales, processor = aliased(Employee), aliased(Employee)
    stmt = (select(Order.agreement_no, Order.customer_name, Order.customer_phone_masked, Order.signed_at,
                   sales.name, processor.name, Order.product_code, Order.funder_type, Order.amount_applied_fen,
                   Order.disbursed_amount_fen, Order.disbursed_on, Order.funder_name, Settlement.parts,
                   Settlement.payment_method, Settlement.closed_at)
            .join(Settlement, Settlement.order_id == Order.id)
            .join(sales, sales.id == Order.salesperson_id)
            .outerjoin(processor, processor.id == Order.processor_id)
            .where(Settlement.status == SettlementStatus.closed, order_service.order_condition(session, viewer))
            .order_by(Settlement.closed_at, Settlement.id))
    stmt = flt.apply(stmt)
    if closed_from:
        stmt = stmt.where(Settlement.closed_at >= beijing_day_start(closed_from))
    if closed_to:
        stmt = stmt.where(Settlement.closed_at < beijing_day_start(closed_to, 1))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("已结算订单")
    ws.append(COLUMNS)
    count = 0
    session.flush()
    for row in session.execute(stmt.execution_options(yield_per=BATCH)):
        (no, name, phone, signed_at, sales_name, processor_name, product, funder_type, applied, disbursed,
         disbursed_on, funder_name, p, method, closed_at) = row
        t = Totals(**p, collected_at_close_fen=0, paid_fen=0)
        ws.append(text_row(ws, [
            no, name, phone, _tz_naive(signed_at), sales_name, processor_name, product,
            FUNDER_LABELS.get(funder_type.value, funder_type.value), from_fen(applied), from_fen(disbursed or 0),
            disbursed_on, funder_name, from_fen(t.service_fee_fen), from_fen(t.discount_fen),
            from_fen(t.installment_fee_fen), from_fen(t.extra_fees_fen), from_fen(t.borrowing_fen),
            from_fen(t.total_charges_fen), from_fen(t.deposit_applied_fen),
            PAYMENT_LABELS.get(method.value if method else "", ""), from_fen(t.appraisal_fen), from_fen(t.rebates_fen),
            _tz_naive(closed_at)]))
        count += 1
    filters = wb.create_sheet("筛选条件")
    filters.append(["条件", "值"])
    described = flt.describe() | {k: str(v) for k, v in (("closed_from", closed_from), ("closed_to", closed_to)) if v}
    for key, value in described.items():
        filters.append(text_row(filters, [key, value]))
    filters.append(["行数", count])
    filters.append(text_row(filters, ["导出人", viewer.name]))
    wb.save(out)
    return count
