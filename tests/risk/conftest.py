"""The people of the risk tests and the four standard rules (issue #19's examples), as a manager writes them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from loan_scrm.app import create_app
from scrm.org.models import Employee, Role
from tests.factories.org import auth, make_department, make_employee


@dataclass
class Staff:
    manager: Employee
    sales: Employee
    other_sales: Employee
    director: Employee  # 风控总监, a named person approvals are routed to


def make_staff(db) -> Staff:
    dept = make_department(db)
    return Staff(manager=make_employee(db, "王经理", role=Role.manager, department=dept),
                 sales=make_employee(db, "张三", department=dept),
                 other_sales=make_employee(db, "李四", department=make_department(db)),
                 director=make_employee(db, "赵总监", role=Role.supervisor, department=dept))


@pytest.fixture
def staff(db) -> Staff:
    return make_staff(db)


@pytest.fixture
def any_client(committed_any):
    """The app on PostgreSQL, then on the embedded SQLite default, over committed data."""
    with TestClient(create_app()) as test_client:
        yield test_client


def seed_rules(director_id: int) -> list[dict]:
    """The four standard examples, as written through the API."""
    return [
        {"name": "征信查询过多", "condition": {"fact": "inquiries_3m", "op": ">", "value": 10},
         "actions": [{"type": "add_tag", "tag": "高风险"}, {"type": "alert"}]},
        {"name": "负债率过高", "condition": {"fact": "debt_ratio", "op": ">", "value": 70},
         "actions": [{"type": "route_approval", "employee_id": director_id, "title": "风控总监"}]},
        {"name": "资料缺少关键项", "condition": {"fact": "materials", "op": "missing_any",
                                           "value": ["id_card", "credit_report", "bank_statement"]},
         "actions": [{"type": "return"}]},
        {"name": "资质评分不足", "condition": {"fact": "score", "op": "<", "value": 60},
         "actions": [{"type": "reject_pool", "reason": "资质评分低于60分"}]},
    ]


def write_seed_rules(client, staff: Staff) -> dict[str, int]:
    ids = {}
    for rule in seed_rules(staff.director.id):
        answer = client.post("/api/risk/rules", json=rule, headers=auth(staff.manager))
        assert answer.status_code == 201, answer.text
        ids[rule["name"]] = answer.json()["id"]
    return ids


FULL = ["id_card", "credit_report", "bank_statement"]
