"""In a real headless Chromium: finance confirms a contract and its deposit and prints the deposit receipt."""

from __future__ import annotations

import re

from backoffice.orders import service as order_service
from backoffice.orders.models import OrderStatus
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.org.models import Role
from tests.console.test_browser import browser_page, signed_in  # noqa: F401  (fixture)
from tests.factories.backoffice import terms
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee

A4_CONTENT_WIDTH_PX = 180 / 25.4 * 96  # the receipt's max-width, inside A4's 210 mm less margins


def test_finance_confirms_contract_and_deposit_then_prints_the_receipt(committed_db, browser_page, console_server):
    db = committed_db
    customer_service.seed_products(db)
    dept = make_department(db)
    sales = make_employee(db, "小李", department=dept)
    supervisor = make_employee(db, "王主管", role=Role.supervisor, department=dept)
    finance = make_employee(db, "钱会计", role=Role.finance, department=dept)
    make_employee(db, "赵做单", role=Role.processor, department=dept)
    processor = make_employee(db, "孙做单", role=Role.processor, department=dept, mobile="13712345678")
    customer = make_customer(db, sales, "周八", stage=Stage.appointment, phone="13900002222")
    order = order_service.sign_order(db, sales, customer.id, terms(amount_applied_fen=30_000_000,
                                                                   deposit_fen=612_345))
    db.commit()

    page = browser_page
    signed_in(page, console_server, finance)
    page.goto("/console/finance/contracts")
    row = page.locator("#orders tbody tr", has_text=order.agreement_no)
    assert "周八" in row.inner_text() and "139****2222" in row.inner_text() and "300,000.00" in row.inner_text()
    row.locator(f"a:has-text('{order.agreement_no}')").click()
    page.wait_for_url(f"**/console/finance/orders/{order.id}")
    assert page.locator("#f-amount_applied").is_editable()
    page.click("button:has-text('合同确认')")  # the confirmation dialog is accepted
    page.wait_for_url(f"**/console/finance/orders/{order.id}?msg=contract_confirmed")
    assert "合同已确认，金额已锁定" in page.locator(".flash").inner_text()
    for name in ("amount_applied", "deposit", "service_fee_rate", "other_fees"):
        assert not page.locator(f"#f-{name}").is_editable()
    assert page.locator("button:has-text('保存修改')").count() == 0

    db.refresh(order)
    assert order.status == OrderStatus.confirmed
    order_service.review(db, supervisor, order, note="同意")
    db.commit()

    page.goto("/console/finance/deposits")
    page.click(f"#orders a:has-text('{order.agreement_no}')")
    page.select_option("#f-processor_id", label="孙做单")
    assert page.input_value("#f-amount") == "6123.45"
    page.click("button:has-text('确认定金')")
    page.wait_for_url(f"**/console/finance/orders/{order.id}?msg=deposit_confirmed")
    assert "6,123.45 元" in page.locator("#deposit-received").inner_text()
    assert "孙做单 137****5678" in page.locator("#customer").inner_text()
    db.refresh(order)
    assert order.status == OrderStatus.processing and order.processor_id == processor.id

    with page.context.expect_page() as opened:
        page.click("#receipt")
    receipt = opened.value
    receipt.wait_for_load_state()
    text = receipt.locator("body").inner_text()
    assert "定金结算清单" in text and order.agreement_no in text and "6,123.45" in text and "定金余额" in text
    assert receipt.evaluate("document.body.getBoundingClientRect().width") <= A4_CONTENT_WIDTH_PX + 1
    pdf = receipt.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 sheet
