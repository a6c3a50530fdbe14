"""The loan products pages over HTTP: a manager creates and edits a product, errors stand next to their inputs,
salespeople are refused, and a customer's page keeps showing the form version they filled."""

from __future__ import annotations

from sqlalchemy import select

from scrm.customers import service as customer_service
from scrm.customers.models import LoanProduct
from scrm.customers.schemas import CustomerUpdate, ProductChanges
from scrm.org.models import Role
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee

ROW = {"f0_key": "bank", "f0_label": "续贷银行", "f0_type": "text", "f0_required": "on", "f0_options": "", "f0_min": "",
       "f0_max": "", "f0_max_length": "32", "f0_unit": "",
       "f1_key": "collateral", "f1_label": "抵押物", "f1_type": "choice", "f1_options": "house=房产\nnone=无",
       "f1_min": "", "f1_max": "", "f1_max_length": "", "f1_unit": "",
       "f2_key": "", "f2_label": "", "f2_type": "text", "f2_options": "", "f2_min": "", "f2_max": "",
       "f2_max_length": "", "f2_unit": ""}


def post_form(client, path: str, page_path: str, data: dict):
    token = csrf_of(client.get(page_path).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def test_manager_creates_and_edits_a_product_with_errors_next_to_their_inputs(db, sign_in):
    customer_service.seed_products(db)
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    client = sign_in(manager)
    listing = client.get("/console/products")
    assert listing.status_code == 200 and "信用贷" in listing.text and "征信报告" in listing.text
    assert "贷款产品</a>" in listing.text.split("<main>")[0]  # in the manager's menu

    bad = post_form(client, "/console/products", "/console/products/new", {
        **ROW, "code": "bridge", "name": "过桥贷", "f1_options": "", "f2_key": "bank", "f2_label": "重复",
        "fee_kind": "rate", "fee_rate": "0.125", "fee_fixed": "", "fee_min": "abc", "materials": ["id_card"]})
    assert bad.status_code == 422
    assert 'id="err-f1_options" role="alert">单选字段至少需要一个选项' in bad.text
    assert 'id="err-f2_key" role="alert">字段代码 bank 重复' in bad.text
    assert 'id="err-fee_rate" role="alert">费率最多精确到 0.01%' in bad.text
    assert 'id="err-fee_min" role="alert">' in bad.text
    assert 'value="重复"' in bad.text  # what was typed stays
    assert db.scalar(select(LoanProduct).where(LoanProduct.code == "bridge")) is None

    done = post_form(client, "/console/products", "/console/products/new", {
        **ROW, "code": "bridge", "name": "过桥贷", "fee_kind": "rate", "fee_rate": "1.25", "fee_fixed": "",
        "fee_min": "2,000", "materials": ["id_card", "credit_report"]})
    assert done.status_code == 303 and done.headers["location"].endswith("/products/bridge?msg=product_saved")
    product = customer_service.product_by_code(db, "bridge")
    assert [f["key"] for f in product.form_fields] == ["bank", "collateral"]
    assert product.form_fields[1]["options"] == [{"value": "house", "label": "房产"}, {"value": "none", "label": "无"}]
    assert (product.fee_rate_bp, product.fee_min_fen, product.required_materials) == (
        125, 200_000, ["id_card", "credit_report"])

    edit = {**ROW, "name": "过桥贷", "fee_kind": "fixed", "fee_rate": "", "fee_fixed": "3000", "fee_min": "0",
            "materials": ["id_card"], "f0_label": "原贷款银行"}
    done = post_form(client, "/console/products/bridge", "/console/products/bridge", edit)
    assert done.status_code == 303 and done.headers["location"].endswith("msg=product_form_saved")
    db.refresh(product)
    assert product.form_version == 2 and product.fee_fixed_fen == 300_000
    page = client.get("/console/products/bridge")
    assert "第 2 版" in page.text and "第 1 版" in page.text and "续贷银行" in page.text  # both versions listed

    retired = post_form(client, "/console/products/bridge/retire", "/console/products/bridge", {})
    assert retired.status_code == 303
    db.refresh(product)
    assert product.active is False


def test_salespeople_cannot_open_or_post_the_products_pages(db, sign_in):
    customer_service.seed_products(db)
    dept = make_department(db)
    sales = make_employee(db, department=dept)
    client = sign_in(sales)
    assert client.get("/console/products").status_code == 403
    assert client.get("/console/products/credit").status_code == 403
    token = csrf_of(client.get("/console/").text)
    r = client.post("/console/products/credit/retire", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 403
    assert customer_service.product_by_code(db, "credit").active is True


def test_a_customer_page_keeps_the_form_version_they_filled(db, sign_in):
    customer_service.seed_products(db)
    dept = make_department(db)
    sales = make_employee(db, department=dept)
    manager = make_employee(db, role=Role.manager, department=dept)
    customer = make_customer(db, sales, "周八")
    customer_service.update_customer(db, sales, customer, CustomerUpdate(product_code="credit", custom_fields={
        "employer_type": "state_owned", "monthly_salary": "18000", "social_security_months": 48,
        "credit_overdue": "none"}))
    credit = customer_service.product_by_code(db, "credit")
    fields = [f for f in credit.form_fields if f["key"] != "credit_overdue"]
    customer_service.update_product(db, manager, credit, ProductChanges(form_fields=fields))

    page = sign_in(sales).get(f"/console/customers/{customer.id}")
    assert page.status_code == 200
    old = page.text.split('id="filled-form"')[1].split("</div>")[0]
    assert "第 1 版表单" in old and "近两年逾期情况" in old and "无逾期" in old
    assert "尚缺：征信报告、身份证" in page.text
