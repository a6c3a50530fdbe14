"""The org tests' company: two centers with departments and staff of every role, made through the org service."""

from __future__ import annotations

import pytest

from scrm.org.models import Role
from tests.factories.org import new_center, new_department, new_employee


@pytest.fixture
def org(db):
    """Two centers; center A has departments A1 (with sub-team A1x) and A2; center B has B1."""
    a, b = new_center(db, "华东中心"), new_center(db, "华南中心")
    a1 = new_department(db, a, "营销一部")
    a1x = new_department(db, parent=a1, name="一部一组")
    a2 = new_department(db, a, "营销二部")
    b1 = new_department(db, b, "营销三部")

    class Org:
        pass

    o = Org()
    o.center_a, o.center_b, o.a1, o.a1x, o.a2, o.b1 = a, b, a1, a1x, a2, b1
    o.sales_a1 = new_employee(db, a1, Role.sales)
    o.sales_a1x = new_employee(db, a1x, Role.sales)
    o.sales_a2 = new_employee(db, a2, Role.sales)
    o.sales_b1 = new_employee(db, b1, Role.sales)
    o.supervisor_a1 = new_employee(db, a1, Role.supervisor)
    o.manager_a = new_employee(db, a1, Role.manager)
    o.finance = new_employee(db, b1, Role.finance)
    o.admin = new_employee(db, None, Role.admin)
    return o
