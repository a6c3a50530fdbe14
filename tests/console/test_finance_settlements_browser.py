"""Finance settles an order in a real headless Chromium against a real uvicorn server: from the red button in
the list, through the charges, both vouchers and closing, to the one-click debit through the sandbox WeChat
Pay and the Excel export."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import ExpenseKind, SettlementStatus
from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.customers.models import Customer
from tests.factories.backoffice import disbursed, make_world
from tests.factories.mandates import sign_papay
from tests.mandates.conftest import committed_client, pay_live  # noqa: F401


@pytest.fixture
def finance_page(chromium, console_server):
    context = chromium.new_context(base_url=console_server, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.dialogs = []

    def accept(dialog):
        page.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    try:
        yield page
    finally:
        context.close()


def test_finance_settles_prints_closes_debits_and_exports(committed_db, committed_client, sandbox_wechatpay,
                                                          finance_page, console_server, tmp_path):
    db = committed_db
    world = make_world(db)
    order, settlement = disbursed(db, world)  # 180,000 yuan disbursed at 3%: a 5,400 fee, 5,000 deposit held
    settlement_service.add_expense(db, world.finance, settlement, ExpenseKind.rebate, "渠道甲", 30_000)
    customer = db.get(Customer, order.customer_id)
    customer.mp_openid = "oSettleBrowser00000000000001"
    db.commit()
    sign_papay(committed_client, customer, {"scope_ref": order.agreement_no, "max_amount": "100000.00",
                                            "valid_until": "2030-01-01T00:00:00+08:00"})

    page = finance_page
    page.context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(world.finance.id),
                               "url": console_server, "httpOnly": True, "sameSite": "Lax"}])
    page.goto("/console/")
    page.click("nav.side >> text=结算")
    button = page.locator(f"#order-{order.id} a.settle-due")
    assert button.inner_text() == "结算"
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(217, 45, 32)"  # red
    button.click()
    page.wait_for_url(f"**/console/finance/settlements/{settlement.id}")

    page.select_option("#f-discount_kind", "percent")
    page.fill("#f-discount_value", "10")
    page.select_option("#f-payment_method", "direct_debit")
    page.click("button:has-text('保存费用')")
    page.wait_for_url("**?msg=charges_saved")
    page.fill("#f-fee_name", "下户费")
    page.fill("#f-fee_amount", "800.005")
    page.click("button:has-text('添加费用')")
    assert "两位小数" in page.locator("#err-fee_amount").inner_text()
    page.fill("#f-fee_amount", "800")
    page.click("button:has-text('添加费用')")
    page.wait_for_url("**?msg=fee_added")
    page.locator("#expenses button:has-text('确认')").click()
    page.wait_for_url("**?msg=expense_confirmed")
    # 5,400 − 10% + 800 下户费; 5,000 of deposit applied at closing
    assert page.locator("#total-charges").inner_text() == "5,660.00"
    assert "下户费" in page.locator("#fees").inner_text()

    with page.context.expect_page() as opened:
        page.click("#voucher-customer")
    customer_voucher = opened.value
    customer_voucher.wait_for_load_state()
    text = customer_voucher.locator("body").inner_text()
    assert "客户凭证" in text and "下户费" in text and "800.00" in text and "-540.00" in text and "5,660.00" in text
    assert "返点" not in text
    customer_voucher.close()
    with page.context.expect_page() as opened:
        page.click("#voucher-internal")
    internal = opened.value
    internal.wait_for_load_state()
    text = internal.locator("body").inner_text()
    assert "内部凭证" in text and "返点（渠道甲）" in text and "300.00" in text and "5,660.00" in text
    internal.close()

    page.click("button:has-text('结单')")
    page.wait_for_url("**?msg=settlement_closed")
    assert any(m.startswith("确定结单") for m in page.dialogs)
    assert page.locator("#settlement-status").inner_text() == "已结单"
    db.expire_all()
    assert settlement_service.get_settlement(db, settlement.id).status == SettlementStatus.closed

    assert page.locator("#debit-due").inner_text() == "660.00"
    assert "微信委托代扣" in page.locator("#mandates").inner_text()
    presses = []
    page.on("request", lambda r: presses.append(r) if r.method == "POST" and r.url.endswith("/debit") else None)
    page.dblclick("#debit-button")  # a double click sends one press: the button is off while it is in flight
    page.wait_for_url("**?msg=debit_started")
    assert len(presses) == 1
    assert [m for m in page.dialogs if "代扣 660.00 元" in m] == [page.dialogs[-1]]
    page.locator("#debits .debit-succeeded").wait_for()  # the page refreshes until the notification is in
    deductions = sandbox_wechatpay.deductions()
    assert len(deductions) == 1 and deductions[0]["total_fee"] == 66_000
    # the settlement is credited by the debit.succeeded subscriber just after; the page refreshes until then
    page.locator("#amount-due:text-is('0.00')").wait_for()
    assert page.locator("#debit-posting").count() == 0 and page.locator("#debit-button").count() == 0

    page.goto("/console/finance/settlements?status=settled")
    with page.expect_download() as download:
        page.click("#export")
    path = tmp_path / "export.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path, read_only=True)["已结算订单"].iter_rows(values_only=True))
    assert len(rows) == 2
    header, row = rows
    assert row[header.index("协议编号")] == order.agreement_no
    assert row[header.index("额外费用")] == 800 and row[header.index("应收合计")] == 5660
    assert row[header.index("收款方式")] == "代扣" and row[header.index("返点")] == 300
    page.locator("#export-wait").wait_for(state="hidden")
