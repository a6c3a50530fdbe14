"""Vouchers read back: the HTML shows the amounts, the PDF parses and its page carries them."""

from __future__ import annotations

import re
import zlib

from backoffice.orders import service as order_service
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, ExpenseKind, PaymentMethod
from tests.factories.backoffice import disbursed, processing
from tests.factories.org import auth


def pdf_text(data: bytes) -> str:
    """The strings drawn on the PDF's pages: literal strings of the content streams, Chinese (UTF-16BE in the
    CID font) and ASCII (Helvetica) decoded, one per line."""
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        raw = m.group(1)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        for lit in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", raw, re.S):
            value = re.sub(rb"\\([0-7]{1,3}|.)", lambda e: bytes([int(e.group(1), 8)]) if e.group(1)[:1].isdigit()
                           else e.group(1), lit.group(1))
            ascii_ = all(32 <= c < 127 for c in value)
            out.append(value.decode("ascii") if ascii_ else value.decode("utf-16-be", "replace"))
    return "\n".join(out)


def test_customer_and_internal_vouchers_html_and_pdf(db, client, world):
    w = world
    order, s = disbursed(db, w, amount_fen=18_000_000)
    settlement_service.set_charges(db, w.finance, s, discount_kind=DiscountKind.fixed, discount_value=40_000,
                                   payment_method=PaymentMethod.online_bank)
    settlement_service.add_fee(db, w.finance, s, "下户费", 20_000)
    e = settlement_service.add_expense(db, w.finance, s, ExpenseKind.rebate, "渠道甲", 66_600)
    settlement_service.confirm_expense(db, w.finance, s, e.id)
    settlement_service.close(db, w.finance, s)
    db.flush()

    html = client.get(f"/api/backoffice/settlements/{s.id}/vouchers/customer.html", headers=auth(w.sales))
    assert html.status_code == 200 and "客户凭证" in html.text and order.agreement_no in html.text
    assert "5,400.00" in html.text and "-400.00" in html.text and "下户费" in html.text
    assert "返点" not in html.text and "size: A4" in html.text

    r = client.get(f"/api/backoffice/settlements/{s.id}/vouchers/internal.pdf", headers=auth(w.finance))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    for amount in ("5,400.00", "-400.00", "200.00", "5,200.00", "-5,000.00", "666.00", "4,534.00"):
        assert amount in text.splitlines(), amount
    assert "内部凭证" in text and "返点（渠道甲）" in text
    assert client.get(f"/api/backoffice/settlements/{s.id}/vouchers/internal.html",
                      headers=auth(w.sales)).status_code == 403
    assert client.get(f"/api/backoffice/settlements/{s.id}/vouchers/customer.pdf",
                      headers=auth(w.other_sales)).status_code == 404


def test_deposit_receipt_shows_refunds_and_balance(db, client, world):
    w = world
    order = processing(db, w)
    refund = order_service.file_refund(db, w.processor, order, 120_000, "部分退定")
    order_service.confirm_refund(db, w.finance, refund)
    db.flush()
    r = client.get(f"/api/backoffice/orders/{order.id}/deposit-receipt.pdf", headers=auth(w.processor))
    text = pdf_text(r.content)
    lines = text.splitlines()
    assert {"5,000.00", "-1,200.00", "3,800.00", "定金结算清单", "定金余额"} <= set(lines)
    html = client.get(f"/api/backoffice/orders/{order.id}/deposit-receipt.html", headers=auth(w.sales)).text
    assert "定金余额" in html and "3,800.00" in html
