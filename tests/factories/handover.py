"""A giver with customers in the sandbox WeCom and in our records, and takers."""

from __future__ import annotations

from dataclasses import dataclass, field

from scrm.org import service as org_service
from scrm.org.models import Employee, Role
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


@dataclass
class World:
    giver: Employee
    takers: list[Employee]
    manager: Employee
    customers: list = field(default_factory=list)
    externals: list[str] = field(default_factory=list)


def build_world(db, sandbox, n_customers: int, n_takers: int = 2, *, departed: bool = True, prefix: str = "") -> World:
    """A giver with ``n_customers`` customers on the sandbox WeCom and locally, takers, a manager."""
    dept = make_department(db)
    manager = make_employee(db, f"{prefix}经理", role=Role.manager, department=dept)
    giver = make_employee(db, f"{prefix}老王", department=dept, wecom_userid=f"{prefix}giver")
    sandbox.seed_user(f"{prefix}giver", "老王")
    takers = []
    for t in range(n_takers):
        userid = f"{prefix}taker{t}"
        sandbox.seed_user(userid, f"接替{t}")
        takers.append(make_employee(db, f"{prefix}接替{t}", department=dept, wecom_userid=userid))
    world = World(giver, takers, manager)
    for i in range(n_customers):
        ext = sandbox.seed_external_contact(f"客户{i}", [f"{prefix}giver"])
        world.externals.append(ext)
        world.customers.append(make_customer(db, giver, f"客户{i}", wecom_external_userid=ext))
    if departed:
        sandbox.user_deleted(f"{prefix}giver")
        org_service.mark_departed(db, giver.id, source="manual")
    db.flush()
    return world
