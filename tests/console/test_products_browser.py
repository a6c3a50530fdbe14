"""In a real headless Chromium: a manager creates a loan product through the page, fixes what the page says is
wrong, then edits its form into a second version."""

from __future__ import annotations

from scrm.customers import service as customer_service
from scrm.org.models import Role
from tests.console.test_browser import browser_page, signed_in  # noqa: F401  (fixture)
from tests.factories.org import make_department, make_employee


def test_manager_creates_a_product_through_the_page(committed_db, browser_page, console_server):
    db = committed_db
    customer_service.seed_products(db)
    manager = make_employee(db, "刘经理", role=Role.manager, department=make_department(db))
    db.commit()

    page = browser_page
    signed_in(page, console_server, manager)
    page.goto("/console/")
    page.click("nav.side >> text=贷款产品")
    page.wait_for_url("**/console/products")
    assert "信用贷" in page.inner_text("#products") and "征信报告" in page.inner_text("#products")
    page.click("text=新建产品")
    page.wait_for_url("**/console/products/new")
    page.fill("#f-code", "bridge")
    page.fill("#f-name", "过桥贷")
    page.fill("#f-f0_key", "bank")
    page.fill("#f-f0_label", "续贷银行")
    page.check("input[name=f0_required]")
    page.fill("#f-f1_key", "collateral")
    page.fill("#f-f1_label", "抵押物")
    page.select_option("#f-f1_type", "choice")  # and no options yet: the page says so
    page.select_option("#f-fee_kind", "rate")
    page.fill("#f-fee_rate", "1.25")
    page.fill("#f-fee_min", "2000")
    page.check("input[name=materials][value=id_card]")
    page.check("input[name=materials][value=credit_report]")
    page.click("button:has-text('保存')")
    assert page.inner_text("#err-f1_options") == "单选字段至少需要一个选项"
    assert page.input_value("#f-f1_label") == "抵押物" and page.input_value("#f-fee_rate") == "1.25"
    page.fill("#f-f1_options", "house=房产\nnone=无")
    page.click("button:has-text('保存')")
    page.wait_for_url("**/console/products/bridge?msg=product_saved")
    assert "产品已保存" in page.inner_text(".flash")
    assert "第 1 版" in page.inner_text("#versions")

    db.expire_all()
    product = customer_service.product_by_code(db, "bridge")
    assert (product.name, product.fee_rate_bp, product.fee_min_fen, product.required_materials) == (
        "过桥贷", 125, 200_000, ["id_card", "credit_report"])
    assert product.form_fields == [
        {"key": "bank", "label": "续贷银行", "type": "text", "required": True},
        {"key": "collateral", "label": "抵押物", "type": "choice", "required": False,
         "options": [{"value": "house", "label": "房产"}, {"value": "none", "label": "无"}]}]

    page.fill("#f-f2_key", "due_date")
    page.fill("#f-f2_label", "到期日")
    page.select_option("#f-f2_type", "date")
    page.click("button:has-text('保存')")
    page.wait_for_url("**/console/products/bridge?msg=product_form_saved")
    assert "第 2 版" in page.inner_text("#versions") and "第 1 版" in page.inner_text("#versions")
    page.goto("/console/products")
    assert "过桥贷" in page.inner_text("#products") and "1.25%" in page.inner_text("#products")
