"""Typed inputs: the API and the console build the same command, so bad input from either is the same 422 naming
the field, and nothing is written."""

from __future__ import annotations

from scrm.assignment.models import AssignmentRule
from scrm.customers.models import Stage
from scrm.org.models import Role
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee


def test_a_bad_loan_term_is_the_same_422_from_the_api_and_the_console(db, client, sign_in):
    sales = make_employee(db, department=make_department(db))
    customer = make_customer(db, sales, "赵六", stage=Stage.lead)
    api = client.patch(f"/api/customers/{customer.id}", json={"term_months": "三年"}, headers=auth(sales))
    assert api.status_code == 422 and api.json()["field"] == "term_months"
    sign_in(sales)
    page = client.get(f"/console/customers/{customer.id}")
    form = client.post(f"/console/customers/{customer.id}/need",
                       data={"term_months": "三年", "amount": "", "csrf_token": csrf_of(page.text)})
    assert form.status_code == 422 and 'id="err-term_months"' in form.text
    db.expire_all()
    assert db.get(type(customer), customer.id).term_months is None


def test_a_bad_assignment_rule_is_the_same_422_from_the_api_and_the_console(db, client, sign_in):
    manager = make_employee(db, role=Role.manager, department=make_department(db))
    body = {"name": "抽签", "strategy": "lottery", "team_employee_ids": [manager.id]}
    api = client.post("/api/assignment/rules", json=body, headers=auth(manager))
    assert api.status_code == 422 and api.json()["field"] == "strategy"
    sign_in(manager)
    page = client.get("/console/rules/assignment/new")
    form = client.post("/console/rules/assignment", data={**body, "action": "save", "csrf_token": csrf_of(page.text)})
    assert form.status_code == 422 and 'id="err-strategy"' in form.text
    assert db.query(AssignmentRule).count() == 0
