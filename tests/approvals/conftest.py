"""The people of the approval tests: a salesperson and their supervisor, a manager, and the 风控总监 a risk rule
routes applications to, each with a WeCom account in the sandbox."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from scrm.customers.models import Stage
from scrm.org.models import Employee, Role
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee
from tests.wecom.conftest import live_service  # noqa: F401


@dataclass
class Team:
    manager: Employee
    supervisor: Employee
    sales: Employee
    other_sales: Employee
    director: Employee  # 风控总监
    other_supervisor: Employee


def make_team(db, sandbox=None) -> Team:
    dept, other = make_department(db), make_department(db)
    people = {}
    for key, name, role, where in [("manager", "王经理", Role.manager, dept), ("supervisor", "钱主管", Role.supervisor, dept),
                                   ("sales", "张三", Role.sales, dept), ("other_sales", "李四", Role.sales, other),
                                   ("director", "赵总监", Role.manager, other),
                                   ("other_supervisor", "孙主管", Role.supervisor, other)]:
        userid = f"{key}-{dept.id}"
        if sandbox is not None:
            sandbox.seed_user(userid, name)
        people[key] = make_employee(db, name, role=role, department=where, wecom_userid=userid)
    return Team(**people)


@pytest.fixture
def team(db) -> Team:
    return make_team(db)


def applicant(db, team: Team, name: str = "周大福", amount_fen: int = 20_000_000, product=None):
    return make_customer(db, team.sales, name, stage=Stage.appointment, amount_fen=amount_fen,
                         product_id=product.id if product is not None else None)


def route_rule(director_id: int) -> dict:
    """The seed rule 负债率超过70% → 审批流转至风控总监, as a manager writes it (README "Risk control")."""
    return {"name": "负债率过高", "condition": {"fact": "debt_ratio", "op": ">", "value": 70},
            "actions": [{"type": "route_approval", "employee_id": director_id, "title": "风控总监"}]}


# total debt 1,020,000 yuan over a year of 100,000 a month: 85% (> 70%)
HIGH_DEBT = {"total_debt_fen": 102_000_000, "monthly_income_fen": 10_000_000}
