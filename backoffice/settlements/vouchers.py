"""Vouchers: the customer voucher (客户凭证), the internal voucher (内部凭证, with rebates) and the deposit
receipt (定金结算清单), as HTML for the browser's print and as PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from backoffice.orders import service as order_service
from backoffice.orders.labels import FUNDER_LABELS, PAYMENT_LABELS
from backoffice.orders.models import Order, RefundStatus
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import Settlement
from scrm.core.errors import NotFound
from scrm.core.money import from_fen


@dataclass
class Voucher:
    title: str
    number: str
    fields: list[tuple[str, str]]
    rows: list[tuple[str, str]]
    totals: list[tuple[str, str]]
    note: str = ""
    signatures: list[str] = field(default_factory=lambda: ["客户签字", "经办人", "财务"])


def _y(fen: int) -> str:
    return f"{from_fen(fen):,.2f}"


def _order_fields(order: Order) -> list[tuple[str, str]]:
    return [("客户", order.customer_name), ("协议编号", order.agreement_no), ("产品", order.product_code),
            ("资方类型", FUNDER_LABELS.get(order.funder_type.value, order.funder_type.value)),
            ("签单时间", f"{order.signed_at:%Y-%m-%d}")]


def settlement_voucher(session: Session, settlement: Settlement, *, internal: bool) -> Voucher:
    """The customer voucher lists what the customer pays; the internal one adds the expenses and the margin."""
    order = order_service.get_order(session, settlement.order_id)
    t = settlement_service.totals(session, settlement)
    fields = _order_fields(order) + [
        ("放款金额", f"{_y(order.disbursed_amount_fen or 0)} 元"), ("放款机构", order.funder_name or ""),
        ("放款日期", str(order.disbursed_on or "")),
        ("收款方式", PAYMENT_LABELS.get(settlement.payment_method.value, "") if settlement.payment_method else "未选择"),
        ("状态", {"open": "未结单", "closed": "已结单", "voided": "已作废"}[settlement.status.value])]
    rows = [("服务费", _y(t.service_fee_fen))]
    if t.discount_fen:
        rows.append(("优惠减免", "-" + _y(t.discount_fen)))
    if t.installment_fee_fen:
        rows.append(("分期费", _y(t.installment_fee_fen)))
    rows += [(f.name, _y(f.amount_fen)) for f in settlement_service.fees_of(session, settlement.id)]
    if t.borrowing_fen:
        rows += [("借款本金", _y(t.borrowing_principal_fen)), ("借款利息", _y(t.borrowing_interest_fen)),
                 ("借款成本", _y(t.borrowing_cost_fen))]
    totals = [("应收合计", _y(t.total_charges_fen)), ("已付定金抵扣", "-" + _y(t.deposit_applied_fen))]
    if t.collected_at_close_fen:
        totals.append(("结单实收", _y(t.collected_at_close_fen)))
    if t.paid_fen:
        totals.append(("代扣已收", _y(t.paid_fen)))
    totals.append(("尚欠金额", _y(t.amount_due_fen)))
    if not internal:
        return Voucher("客户凭证", f"结算单 {settlement.id}", fields, rows, totals)
    labels = settlement_service.expense_type_names(session)
    expense_rows = [(f"支出·{labels.get(e.kind, e.kind)}（{e.payee}）{'' if e.confirmed else '（未确认）'}", _y(e.amount_fen))
                    for e in settlement_service.expenses_of(session, settlement.id)]
    margin = t.total_charges_fen - t.borrowing_principal_fen - t.expenses_fen
    totals += [("支出合计", _y(t.expenses_fen)), ("本单毛利", _y(margin))]
    return Voucher("内部凭证", f"结算单 {settlement.id}", fields, rows + expense_rows, totals,
                   signatures=["经办人", "财务", "主管"])


def deposit_receipt(session: Session, order: Order) -> Voucher:
    """定金结算清单: the deposit received, each refund, and what is held."""
    deposit = order_service.deposit_of(session, order.id)
    if deposit is None:
        raise NotFound(f"订单 {order.agreement_no} 还没有确认定金")
    rows = [("定金（" + PAYMENT_LABELS.get(deposit.method, deposit.method) + f"，{deposit.received_at:%Y-%m-%d}）",
             _y(deposit.received_fen))]
    rows += [(f"退定（{r.reason}，{r.decided_at:%Y-%m-%d}）", "-" + _y(r.amount_fen))
             for r in order_service.refunds_of(session, deposit.id) if r.status == RefundStatus.confirmed]
    totals = [("已退合计", _y(deposit.refunded_fen)), ("定金余额", _y(deposit.received_fen - deposit.refunded_fen))]
    return Voucher("定金结算清单", f"定金 {deposit.id}", _order_fields(order), rows, totals)


@lru_cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]))


def to_html(voucher: Voucher) -> str:
    return _env().get_template("voucher.html").render(v=voucher)


CJK_FONT = "STSong-Light"


@lru_cache
def _register_font() -> None:
    # lazy: reportlab is needed for PDF vouchers only; the pages and the API never load it otherwise
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def to_pdf(voucher: Voucher) -> bytes:
    """An A4 PDF; labels in the built-in CID font STSong-Light, amounts in Helvetica (so they stay searchable)."""
    # lazy: reportlab is needed for PDF vouchers only (see _register_font)
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    _register_font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, pageCompression=0, invariant=1)
    pdf.setTitle(f"{voucher.title} {voucher.number}")
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm
    pdf.setFont(CJK_FONT, 16)
    pdf.drawCentredString(width / 2, y, voucher.title)
    y -= 7 * mm
    pdf.setFont(CJK_FONT, 9)
    pdf.drawRightString(right, y, voucher.number)
    y -= 8 * mm
    pdf.setFont(CJK_FONT, 10.5)
    for label, value in voucher.fields:
        pdf.drawString(left, y, f"{label}：{value}")
        y -= 6 * mm
    y -= 3 * mm
    pdf.line(left, y + 4 * mm, right, y + 4 * mm)
    for i, (label, amount) in enumerate(voucher.rows + voucher.totals):
        if y < 30 * mm:
            pdf.showPage()
            y = height - 25 * mm
        bold = i >= len(voucher.rows)
        pdf.setFont(CJK_FONT, 11 if bold else 10.5)
        pdf.drawString(left + 2 * mm, y, label)
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 10.5)
        pdf.drawRightString(right - 2 * mm, y, amount)
        y -= 7 * mm
    pdf.line(left, y + 4 * mm, right, y + 4 * mm)
    if voucher.note:
        pdf.setFont(CJK_FONT, 9)
        pdf.drawString(left, y - 2 * mm, voucher.note)
    y -= 18 * mm
    pdf.setFont(CJK_FONT, 10.5)
    step = (right - left) / max(len(voucher.signatures), 1)
    for i, who in enumerate(voucher.signatures):
        pdf.drawString(left + i * step, y, f"{who}：")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
