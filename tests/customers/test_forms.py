"""Loan products' custom fields: each product's form is enforced field by field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scrm.core.errors import ValidationFailed
from scrm.customers import forms
from scrm.customers import service as customer_service
from scrm.customers.schemas import CustomerUpdate
from tests.factories.customers import phone
from tests.factories.org import make_employee

VALID = {
    "house_mortgage": {"property_city": "上海", "property_type": "residential", "property_area": 89.5,
                       "property_value": "3500000", "mortgage_status": "first", "remaining_mortgage": 800000,
                       "property_age_years": 12},
    "credit": {"employer_type": "state_owned", "monthly_salary": "18000.50", "social_security_months": 36,
               "salary_by_bank": True},
    "car_mortgage": {"car_brand": "丰田凯美瑞", "car_price": 220000, "car_year": 2019, "plate_city": "苏州",
                     "car_loan_status": "paid_off", "mileage_km": 60000},
    "business": {"company_name": "杭州某某贸易有限公司", "role_in_company": "legal_rep", "business_years": 5,
                 "annual_revenue": "8000000", "license_date": "2019-06-01"},
    "provident_fund": {"fund_city": "南京", "fund_monthly": "2400", "fund_months": 48},
}


def test_every_seeded_product_has_a_well_formed_form(db):
    products = customer_service.seed_products(db)
    assert {p.code: p.name for p in products} == {
        "house_mortgage": "房抵贷", "credit": "信用贷", "car_mortgage": "车抵贷", "business": "经营贷",
        "provident_fund": "公积金贷"}
    for p in products:
        forms.check_definition(p.form_fields)
    # seeding twice adds nothing
    assert [p.id for p in customer_service.seed_products(db)] == [p.id for p in products]


@pytest.mark.parametrize("code", sorted(VALID))
def test_valid_fields_are_accepted_per_product(db, products, code):
    sales = make_employee(db)
    customer = customer_service.create_customer(
        db, sales, name="客户", phone=phone(sorted(VALID).index(code)), product_code=code, amount=Decimal("300000"),
        term_months=36, purpose="周转", custom_fields=VALID[code])
    assert customer.product_id == products[code].id
    shown = customer_service.custom_fields_for_display(db, customer)
    assert set(shown) == set(VALID[code])


def test_money_fields_are_stored_in_fen_and_shown_in_yuan(db, products):
    sales = make_employee(db)
    customer = customer_service.create_customer(db, sales, name="客户", phone=phone(77), product_code="credit",
                                                custom_fields=VALID["credit"])
    assert customer.custom_fields["monthly_salary"] == 1800050
    assert customer_service.custom_fields_for_display(db, customer)["monthly_salary"] == Decimal("18000.50")


@pytest.mark.parametrize("code,values,field,words", [
    ("house_mortgage", {**VALID["house_mortgage"], "property_city": ""}, "custom_fields.property_city", "请填写"),
    ("house_mortgage", {**VALID["house_mortgage"], "property_area": 5}, "custom_fields.property_area", "不能小于"),
    ("house_mortgage", {**VALID["house_mortgage"], "mortgage_status": "third"}, "custom_fields.mortgage_status",
     "只能是"),
    ("house_mortgage", {**VALID["house_mortgage"], "property_value": "很多"}, "custom_fields.property_value", "数字"),
    ("credit", {**VALID["credit"], "social_security_months": 12.5}, "custom_fields.social_security_months", "整数"),
    ("credit", {**VALID["credit"], "social_security_months": 601}, "custom_fields.social_security_months", "不能大于"),
    ("credit", {**VALID["credit"], "salary_by_bank": "yes"}, "custom_fields.salary_by_bank", "是或否"),
    ("credit", {**VALID["credit"], "monthly_salary": "100.005"}, "custom_fields.monthly_salary", "分"),
    ("car_mortgage", {k: v for k, v in VALID["car_mortgage"].items() if k != "car_year"}, "custom_fields.car_year",
     "请填写"),
    ("car_mortgage", {**VALID["car_mortgage"], "car_year": 1980}, "custom_fields.car_year", "不能小于"),
    ("business", {**VALID["business"], "license_date": "2019/06/01"}, "custom_fields.license_date", "日期"),
    ("business", {**VALID["business"], "company_name": 42}, "custom_fields.company_name", "文字"),
    ("provident_fund", {**VALID["provident_fund"], "favourite_colour": "red"}, "custom_fields.favourite_colour",
     "没有字段"),
])
def test_bad_fields_are_named(db, products, code, values, field, words):
    sales = make_employee(db)
    with pytest.raises(ValidationFailed) as info:
        customer_service.create_customer(db, sales, name="客户", phone=phone(88), product_code=code,
                                         custom_fields=values)
    assert info.value.field == field
    assert words in info.value.message
    assert {"field": field, "message": info.value.message} in info.value.extra["errors"]


def test_all_bad_fields_are_listed_at_once(db, products):
    sales = make_employee(db)
    with pytest.raises(ValidationFailed) as info:
        customer_service.create_customer(db, sales, name="客户", phone=phone(89), product_code="car_mortgage",
                                         custom_fields={"car_price": -1})
    fields = {e["field"] for e in info.value.extra["errors"]}
    assert {"custom_fields.car_brand", "custom_fields.car_price", "custom_fields.car_year",
            "custom_fields.plate_city", "custom_fields.car_loan_status"} <= fields


def test_custom_fields_need_a_product_and_a_new_product_rechecks_them(db, products):
    sales = make_employee(db)
    with pytest.raises(ValidationFailed) as info:
        customer_service.create_customer(db, sales, name="客户", phone=phone(90), custom_fields={"x": 1})
    assert info.value.field == "product_code"
    customer = customer_service.create_customer(db, sales, name="客户", phone=phone(91), product_code="credit",
                                                custom_fields=VALID["credit"])
    with pytest.raises(ValidationFailed) as info:
        customer_service.update_customer(db, sales, customer, CustomerUpdate(product_code="car_mortgage"))
    assert info.value.field.startswith("custom_fields.")
    customer_service.update_customer(db, sales, customer, CustomerUpdate(product_code="car_mortgage",
                                                                         custom_fields=VALID["car_mortgage"]))
    assert customer.product_id == products["car_mortgage"].id
    assert customer.custom_fields["car_price"] == 22000000


def test_loan_need_amount_and_term_are_checked(db, products):
    sales = make_employee(db)
    with pytest.raises(ValidationFailed) as info:
        customer_service.create_customer(db, sales, name="客户", phone=phone(92), amount=Decimal("0"))
    assert info.value.field == "amount"
    with pytest.raises(ValidationFailed) as info:
        customer_service.create_customer(db, sales, name="客户", phone=phone(92), term_months=400)
    assert info.value.field == "term_months"
    customer = customer_service.create_customer(db, sales, name="客户", phone=phone(92), amount=Decimal("123456.78"))
    assert customer.amount_fen == 12345678
    assert customer_service.amount_yuan(customer) == Decimal("123456.78")
