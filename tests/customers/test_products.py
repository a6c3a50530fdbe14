"""Loan products and their forms: created and edited by managers through the API, every form change a new
version that applications already made keep, required materials, retiring, the standard five from the
migrations, and bad definitions refused by name."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, select

from scrm.customers.models import LoanProduct
from scrm.migrations import upgrade
from scrm.org.models import Role
from tests.factories.org import auth, make_department, make_employee
from tests.miniprogram_api.helpers import application, login

STANDARD = {"house_mortgage": "房抵贷", "credit": "信用贷", "car_mortgage": "车抵贷", "business": "经营贷",
            "provident_fund": "公积金贷"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(2000) + b"\xff\xd9"

BRIDGE = {
    "code": "bridge", "name": "过桥贷",
    "form_fields": [
        {"key": "bank", "label": "续贷银行", "type": "text", "required": True, "max_length": 32},
        {"key": "due_amount", "label": "到期本金", "type": "money", "required": True, "min": 10000, "unit": "元"},
        {"key": "collateral", "label": "抵押物", "type": "choice", "required": False,
         "options": [{"value": "house", "label": "房产"}, {"value": "none", "label": "无"}]},
    ],
    "required_materials": ["id_card", "credit_report"],
    "fee_rule": {"kind": "rate", "rate_bp": 80, "min_fen": 200000},
}


@pytest.fixture
def staff(db, products):
    """Staff of each role, with the standard products present (a test before may have emptied the tables)."""
    dept = make_department(db)
    return {role: make_employee(db, role=role, department=dept)
            for role in (Role.sales, Role.supervisor, Role.manager, Role.admin)}


def create(client, who, body=None):
    return client.post("/api/customers/products", json=body or BRIDGE, headers=auth(who))


def test_a_product_made_through_the_api_takes_applications_from_staff_and_the_mini_program(
        db, client, staff, sandbox_wxa, settings_env, tmp_path):
    settings_env(SCRM_DATA_DIR=str(tmp_path))
    manager, sales = staff[Role.manager], staff[Role.sales]
    r = create(client, manager)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["form_version"] == 1 and made["active"] is True
    assert made["required_materials"] == [{"kind": "id_card", "label": "身份证"},
                                          {"kind": "credit_report", "label": "征信报告"}]
    assert made["fee_rule"] == {"kind": "rate", "rate_bp": 80, "fixed_fen": None, "min_fen": 200000}
    assert "bridge" in {p["code"] for p in client.get("/api/customers/products", headers=auth(sales)).json()}

    # staff enter a customer with the product's form
    r = client.post("/api/customers", headers=auth(sales), json={
        "name": "王五", "phone": "13911112222", "product_code": "bridge", "amount": "800000",
        "custom_fields": {"bank": "工商银行", "due_amount": "750000.50", "collateral": "house"}})
    assert r.status_code == 201, r.text
    detail = client.get(f"/api/customers/{r.json()['id']}", headers=auth(sales)).json()
    assert detail["custom_fields"] == {"bank": "工商银行", "due_amount": "750000.50", "collateral": "house"}
    assert detail["form_version"] == 1 and [f["key"] for f in detail["form_fields"]] == ["bank", "due_amount",
                                                                                         "collateral"]
    assert [m["kind"] for m in detail["missing_materials"]] == ["id_card", "credit_report"]
    # a field the form does not have is named
    r = client.post("/api/customers", headers=auth(sales), json={
        "name": "赵六", "phone": "13911113333", "product_code": "bridge", "amount": "1",
        "custom_fields": {"bank": "工商银行", "due_amount": "20000", "colour": "red"}})
    assert r.status_code == 422 and "custom_fields.colour" in {e["field"] for e in r.json()["errors"]}

    # and a customer applies through the mini-program, then sends their ID card
    headers, _ = login(client, sandbox_wxa)
    listed = {p["code"]: p for p in client.get("/mp/products", headers=headers).json()}
    assert listed["bridge"]["required_materials"] == made["required_materials"]
    r = client.post("/mp/applications", headers=headers, json=application(
        product_code="bridge", fields={"bank": "建设银行", "due_amount": "300000"}))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["product_code"] == "bridge" and app["fields"] == {"bank": "建设银行", "due_amount": "300000.00"}
    assert app["form_version"] == 1
    assert [m["label"] for m in app["missing_materials"]] == ["身份证", "征信报告"]
    sent = client.post("/mp/attachments", headers=headers, files={"file": ("身份证.jpg", JPEG, "image/jpeg")},
                       data={"kind": "id_card"})
    assert sent.status_code == 201, sent.text
    again = client.get(f"/mp/applications/{app['id']}", headers=headers).json()
    assert again["missing_materials"] == [{"kind": "credit_report", "label": "征信报告"}]


def test_an_old_application_keeps_showing_the_form_it_was_filled_with(db, client, staff, sandbox_wxa):
    manager, sales = staff[Role.manager], staff[Role.sales]
    assert create(client, manager).status_code == 201
    headers, _ = login(client, sandbox_wxa)
    old = client.post("/mp/applications", headers=headers, json=application(
        product_code="bridge", fields={"bank": "建设银行", "due_amount": "300000", "collateral": "house"})).json()
    staffed = client.post("/api/customers", headers=auth(sales), json={
        "name": "王五", "phone": "13911112222", "product_code": "bridge",
        "custom_fields": {"bank": "工商银行", "due_amount": "750000", "collateral": "none"}}).json()

    # the manager renames a field, drops one, adds a required one and changes the choice's options
    new_fields = [
        {"key": "bank", "label": "原贷款银行", "type": "text", "required": True},
        {"key": "due_amount", "label": "到期本金", "type": "money", "required": True, "unit": "元"},
        {"key": "due_date", "label": "到期日", "type": "date", "required": True},
    ]
    r = client.patch("/api/customers/products/bridge", headers=auth(manager),
                     json={"form_fields": new_fields, "required_materials": ["id_card"]})
    assert r.status_code == 200, r.text
    assert r.json()["form_version"] == 2 and [f["key"] for f in r.json()["form_fields"]] == [
        "bank", "due_amount", "due_date"]
    # a change of name or fee only is not a new form version
    r = client.patch("/api/customers/products/bridge", headers=auth(manager), json={"name": "过桥贷（新）"})
    assert r.json()["form_version"] == 2 and r.json()["name"] == "过桥贷（新）"
    versions = client.get("/api/customers/products/bridge/forms", headers=auth(sales)).json()
    assert [v["version"] for v in versions] == [2, 1]

    shown = client.get(f"/mp/applications/{old['id']}", headers=headers).json()
    assert shown["form_version"] == 1
    assert [(f["key"], f["label"]) for f in shown["form_fields"]] == [
        ("bank", "续贷银行"), ("due_amount", "到期本金"), ("collateral", "抵押物")]
    assert shown["fields"] == {"bank": "建设银行", "due_amount": "300000.00", "collateral": "house"}
    assert [m["kind"] for m in shown["required_materials"]] == ["id_card", "credit_report"]
    detail = client.get(f"/api/customers/{staffed['id']}", headers=auth(sales)).json()
    assert detail["form_version"] == 1 and detail["custom_fields"]["collateral"] == "none"
    assert "collateral" in {f["key"] for f in detail["form_fields"]}

    # a new application is checked against version 2
    r = client.post("/mp/applications", headers=headers, json=application(
        product_code="bridge", fields={"bank": "建设银行", "due_amount": "300000", "collateral": "house"}))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"custom_fields.collateral", "custom_fields.due_date"}
    r = client.post("/mp/applications", headers=headers, json=application(
        product_code="bridge", fields={"bank": "建设银行", "due_amount": "300000", "due_date": "2027-01-31"}))
    assert r.status_code == 201 and r.json()["form_version"] == 2
    assert [m["kind"] for m in r.json()["required_materials"]] == ["id_card"]


def test_retiring_hides_a_product_from_new_applications_but_not_from_old_ones(db, client, staff, sandbox_wxa):
    manager, sales = staff[Role.manager], staff[Role.sales]
    assert create(client, manager).status_code == 201
    headers, me = login(client, sandbox_wxa)
    old = client.post("/mp/applications", headers=headers, json=application(
        product_code="bridge", fields={"bank": "建设银行", "due_amount": "300000"})).json()

    assert client.post("/api/customers/products/bridge/retire", headers=auth(sales)).status_code == 403
    r = client.post("/api/customers/products/bridge/retire", headers=auth(manager))
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["retired_at"]
    assert "bridge" not in {p["code"] for p in client.get("/mp/products", headers=headers).json()}
    assert "bridge" not in {p["code"] for p in client.get("/api/customers/products", headers=auth(sales)).json()}
    assert "bridge" in {p["code"] for p in client.get("/api/customers/products?include_retired=true",
                                                      headers=auth(sales)).json()}
    # the same customer applying again, and a new customer, are both refused
    r = client.post("/mp/applications", headers=headers, json=application(
        product_code="bridge", fields={"bank": "建设银行", "due_amount": "300000"}))
    assert r.status_code == 422 and r.json()["field"] == "product_code"
    r = client.post("/api/customers", headers=auth(sales), json={
        "name": "王五", "phone": "13911112222", "product_code": "bridge",
        "custom_fields": {"bank": "工商银行", "due_amount": "750000"}})
    assert r.status_code == 422 and r.json()["field"] == "product_code"
    # what was made with it still shows it
    shown = client.get(f"/mp/applications/{old['id']}", headers=headers).json()
    assert shown["product_code"] == "bridge" and shown["fields"]["bank"] == "建设银行"
    assert client.get(f"/api/customers/{me['customer']['id']}", headers=auth(manager)).json()[
        "product_code"] == "bridge"
    assert client.post("/api/customers/products/bridge/reinstate", headers=auth(manager)).json()["active"] is True


def test_salespeople_and_supervisors_may_not_edit_products(db, client, staff):
    for role in (Role.sales, Role.supervisor):
        assert create(client, staff[role]).status_code == 403
        r = client.patch("/api/customers/products/credit", headers=auth(staff[role]), json={"name": "x"})
        assert r.status_code == 403
    assert create(client, staff[Role.admin]).status_code == 201


@pytest.mark.parametrize("change, field", [
    ({"code": "Bad Code"}, "code"),
    ({"code": "credit"}, "code"),  # taken by a standard product
    ({"name": "信用贷"}, "name"),
    ({"form_fields": [{"key": "a", "label": "甲", "type": "text"}, {"key": "a", "label": "乙", "type": "text"}]},
     "form_fields[1].key"),
    ({"form_fields": [{"key": "a", "label": "甲", "type": "colour"}]}, "form_fields[0].type"),
    ({"form_fields": [{"key": "a", "label": "甲", "type": "choice", "options": []}]}, "form_fields[0].options"),
    ({"form_fields": [{"key": "a", "label": "甲", "type": "choice"}]}, "form_fields[0].options"),
    ({"form_fields": [{"key": "a", "label": "", "type": "text"}]}, "form_fields[0].label"),
    ({"form_fields": [{"key": "a", "label": "甲", "type": "number", "min": 10, "max": 1}]}, "form_fields[0].max"),
    ({"required_materials": ["passport"]}, "required_materials[0]"),
    ({"required_materials": ["id_card", "id_card"]}, "required_materials[1]"),
    ({"fee_rule": {"kind": "rate", "rate_bp": 9000}}, "fee_rule.rate_bp"),
    ({"fee_rule": {"kind": "fixed"}}, "fee_rule.fixed_fen"),
    ({"fee_rule": {"kind": "rate", "rate_bp": 100, "min_fen": -1}}, "fee_rule.min_fen"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_written(db, client, staff, change, field):
    manager = staff[Role.manager]
    r = create(client, manager, {**BRIDGE, **change})
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json().get("errors", [])} | {r.json()["field"]}
    db.expire_all()
    assert db.scalar(select(LoanProduct).where(LoanProduct.code == "bridge")) is None
    # the same definition as an edit: refused, the form unchanged
    if "form_fields" in change:
        before = client.get("/api/customers/products/credit", headers=auth(manager)).json()
        r = client.put("/api/customers/products/credit/form", headers=auth(manager),
                       json={"form_fields": change["form_fields"]})
        assert r.status_code == 422 and field in {e["field"] for e in r.json()["errors"]}
        after = client.get("/api/customers/products/credit", headers=auth(manager)).json()
        assert after["form_version"] == before["form_version"] and after["form_fields"] == before["form_fields"]


def test_a_freshly_migrated_database_lists_the_five_standard_products(tmp_path):
    """On a new embedded database (no demo, no seeding): what `scrm migrate` leaves behind."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(LoanProduct.code, LoanProduct.name, LoanProduct.active, LoanProduct.form_version,
                                   LoanProduct.required_materials, LoanProduct.fee_kind, LoanProduct.fee_rate_bp,
                                   LoanProduct.fee_fixed_fen, LoanProduct.fee_min_fen)).all()
    engine.dispose()
    assert {r.code: r.name for r in rows} == STANDARD
    by_code = {r.code: r for r in rows}
    assert all(r.active and r.form_version == 1 for r in rows)
    assert {"credit_report", "id_card"} <= set(by_code["credit"].required_materials)
    assert "property_deed" in by_code["house_mortgage"].required_materials
    assert (by_code["credit"].fee_kind, by_code["credit"].fee_rate_bp, by_code["credit"].fee_min_fen) == (
        "rate", 300, 100000)
    assert (by_code["provident_fund"].fee_kind, by_code["provident_fund"].fee_fixed_fen) == ("fixed", 150000)


def test_the_standard_products_are_served_with_their_forms_and_materials(db, client, staff):
    listed = {p["code"]: p for p in client.get("/api/customers/products", headers=auth(staff[Role.sales])).json()}
    assert {code: p["name"] for code, p in listed.items() if code in STANDARD} == STANDARD
    credit = listed["credit"]
    assert {"kind": "credit_report", "label": "征信报告"} in credit["required_materials"]
    assert {"kind": "id_card", "label": "身份证"} in credit["required_materials"]
    assert "monthly_salary" in {f["key"] for f in credit["form_fields"]}
