"""Managers editing one product's form at once, and creating one product code at once, through the served app on
PostgreSQL and on the embedded default: every form version is written once and the product shows the newest;
a code is created once."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from scrm.customers import service as customer_service
from scrm.customers.models import LoanProduct, LoanProductForm
from scrm.org.models import Role
from tests.conftest import race
from tests.factories.org import auth, make_department, make_employee


def test_six_form_edits_at_once_make_six_versions(committed_any, served_any):
    db = committed_any
    customer_service.seed_products(db)
    manager = make_employee(db, role=Role.manager, department=make_department(db))
    db.commit()
    url = f"{served_any.url}/api/customers/products/credit/form"

    answers = race(6, lambda i: httpx.put(url, headers=auth(manager), timeout=60, json={"form_fields": [
        {"key": "monthly_salary", "label": f"税后月收入（第 {i} 稿）", "type": "money", "required": True}]}))

    assert all(isinstance(a, httpx.Response) for a in answers), answers
    # the product row is locked for the edit, so they queue rather than collide
    assert [a.status_code for a in answers] == [200] * 6, [(a.status_code, a.text[:160]) for a in answers]
    db.expire_all()
    product = db.scalar(select(LoanProduct).where(LoanProduct.code == "credit"))
    versions = list(db.scalars(select(LoanProductForm).where(LoanProductForm.product_id == product.id)
                               .order_by(LoanProductForm.version)))
    assert [v.version for v in versions] == list(range(1, 8))
    assert product.form_version == versions[-1].version and product.form_fields == versions[-1].fields


def test_one_code_created_six_times_at_once_is_created_once(committed_any, served_any):
    db = committed_any
    customer_service.seed_products(db)
    manager = make_employee(db, role=Role.manager, department=make_department(db))
    db.commit()

    url = f"{served_any.url}/api/customers/products"
    answers = race(6, lambda i: httpx.post(url, headers=auth(manager), timeout=60,
                                           json={"code": "bridge", "name": f"过桥贷{i}", "form_fields": [],
                                                 "fee_rule": {"kind": "rate", "rate_bp": 100}}))

    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 1 and set(codes) <= {201, 409, 422}, [(a.status_code, a.text[:160]) for a in answers]
    db.expire_all()
    assert len(list(db.scalars(select(LoanProduct).where(LoanProduct.code == "bridge")))) == 1
