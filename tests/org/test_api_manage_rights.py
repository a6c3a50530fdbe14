"""Who may change whose account: nobody changes an account wider than their own (role or data scope), grants
more than they hold, or reaches outside their data scope; an admin may do everything (issue 15, item 2)."""

from __future__ import annotations

import pytest

from scrm.org import service as org_service
from scrm.org.models import DataScope, Employee, EmployeeStatus, Role
from tests.factories.org import auth, new_employee

PASSWORD = "old-pass-1"
CHANGES = {
    "password": ("post", "/api/org/employees/{id}/password", {"password": "t4ken-over"}),
    "role": ("put", "/api/org/employees/{id}/role", {"role": "sales"}),
    "scope": ("put", "/api/org/employees/{id}/role", {"role": "manager", "scope": "own"}),
    "wecom_userid": ("patch", "/api/org/employees/{id}", {"wecom_userid": "attacker{id}"}),
    "username": ("patch", "/api/org/employees/{id}", {"username": "attacker{id}"}),
    "department": ("patch", "/api/org/employees/{id}", {"department_id": None}),
    "depart": ("post", "/api/org/employees/{id}/depart", None),
}


def _change(client, actor: Employee, target: Employee, what: str):
    method, path, body = CHANGES[what]
    kwargs = {"headers": auth(actor)}
    if body is not None:
        kwargs["json"] = {k: v.format(id=target.id) if isinstance(v, str) else v for k, v in body.items()}
    return getattr(client, method)(path.format(id=target.id), **kwargs)


def _unchanged(client, db, target: Employee, role: Role, scope: DataScope) -> None:
    db.expire_all()
    fresh = db.get(Employee, target.id)
    assert (fresh.role, fresh.scope, fresh.status) == (role, scope, EmployeeStatus.active)
    assert fresh.wecom_userid is None and fresh.username == target.username
    login = client.post("/api/auth/login", json={"username": target.username, "password": PASSWORD})
    assert login.status_code == 200, "the target's own password must still sign in"


@pytest.fixture
def company_manager(db, org) -> Employee:
    """A company-wide manager whose desk happens to be in center A (so center A's manager can see them)."""
    return new_employee(db, org.a1, Role.manager, scope=DataScope.all, password=PASSWORD)


@pytest.mark.parametrize("what", list(CHANGES))
def test_center_manager_cannot_change_the_company_wide_manager(db, client, org, company_manager, what):
    answer = _change(client, org.manager_a, company_manager, what)
    assert answer.status_code == 403, answer.text
    assert "wider" in answer.json()["message"]
    _unchanged(client, db, company_manager, Role.manager, DataScope.all)


@pytest.mark.parametrize("what", list(CHANGES))
def test_manager_cannot_change_an_admin(db, client, org, what):
    admin_in_center = new_employee(db, org.a1, Role.admin, password=PASSWORD)
    wide = new_employee(db, org.a1, Role.manager, scope=DataScope.all)
    for actor in (org.manager_a, wide):
        answer = _change(client, actor, admin_in_center, what)
        assert answer.status_code == 403, answer.text
        assert "admin" in answer.json()["message"]
    _unchanged(client, db, admin_in_center, Role.admin, DataScope.all)


@pytest.mark.parametrize("what", list(CHANGES))
def test_company_wide_manager_cannot_take_over_finance(db, client, org, what):
    """Finance's powers (payouts, debits) are not a manager's, whatever the manager's scope."""
    wide = new_employee(db, org.a1, Role.manager, scope=DataScope.all)
    finance = new_employee(db, org.b1, Role.finance, password=PASSWORD)
    answer = _change(client, wide, finance, what)
    assert answer.status_code == 403, answer.text
    assert "finance" in answer.json()["message"]
    _unchanged(client, db, finance, Role.finance, DataScope.all)


@pytest.mark.parametrize("what", list(CHANGES))
def test_manager_cannot_reach_someone_in_another_center(db, client, org, what):
    target = new_employee(db, org.b1, Role.sales, password=PASSWORD)
    answer = _change(client, org.manager_a, target, what)
    assert answer.status_code == 404, answer.text  # as for reading it: outside the scope nothing is there
    _unchanged(client, db, target, Role.sales, DataScope.own)


def test_nobody_grants_more_than_they_hold(db, client, org, company_manager):
    target = new_employee(db, org.a2, Role.sales, password=PASSWORD)
    for body in ({"role": "manager", "scope": "all"}, {"role": "supervisor", "scope": "all"},
                 {"role": "finance", "scope": "center"}, {"role": "admin"}):
        answer = client.put(f"/api/org/employees/{target.id}/role", json=body, headers=auth(org.manager_a))
        assert answer.status_code == 403, (body, answer.text)
    finance = client.put(f"/api/org/employees/{target.id}/role", json={"role": "finance"},
                         headers=auth(company_manager))
    assert finance.status_code == 403 and finance.json()["field"] == "role"
    created = client.post("/api/org/employees", headers=auth(company_manager),
                          json={"name": "新财务", "department_id": org.a2.id, "role": "finance"})
    assert created.status_code == 403 and created.json()["field"] == "role"
    _unchanged(client, db, target, Role.sales, DataScope.own)


def test_a_manager_cannot_reset_their_own_password_without_the_current_one(db, client, org):
    manager = new_employee(db, org.a1, Role.manager, password=PASSWORD)
    answer = _change(client, manager, manager, "password")
    assert answer.status_code == 403 and "/api/auth/password" in answer.json()["message"]
    _unchanged(client, db, manager, Role.manager, DataScope.center)


@pytest.mark.parametrize("what", ["role", "scope"])
def test_nobody_changes_their_own_role_or_scope_not_even_an_admin(db, client, org, what):
    """An admin demoting themselves could leave the company with no admin (found by API fuzzing: the fuzzer's admin
    demoted itself and every later request was a 403); another admin or `scrm user add` does it."""
    admin = new_employee(db, None, Role.admin, password=PASSWORD)
    manager = new_employee(db, org.a1, Role.manager, password=PASSWORD)
    for actor, role, scope in ((admin, Role.admin, DataScope.all), (manager, Role.manager, DataScope.center)):
        answer = _change(client, actor, actor, what)
        assert answer.status_code == 403 and answer.json()["field"] == "role", answer.text
        _unchanged(client, db, actor, role, scope)
    assert _change(client, org.admin, admin, what).status_code == 200


@pytest.mark.parametrize("what", ["password", "role", "wecom_userid", "username", "depart"])
def test_allowed_changes_still_work(db, client, org, company_manager, what):
    center_peer = new_employee(db, org.a2, Role.manager, password=PASSWORD)
    for actor, target in ((org.manager_a, new_employee(db, org.a2, Role.supervisor, password=PASSWORD)),
                          (org.manager_a, center_peer),
                          (company_manager, new_employee(db, org.b1, Role.manager, password=PASSWORD)),
                          (org.admin, new_employee(db, org.b1, Role.finance, password=PASSWORD)),
                          (org.admin, new_employee(db, org.b1, Role.admin, password=PASSWORD))):
        answer = _change(client, actor, target, what)
        assert answer.status_code in (200, 204), (actor.name, target.role, answer.text)
    db.expire_all()
    if what == "password":
        assert client.post("/api/auth/login", json={"username": center_peer.username,
                                                    "password": "t4ken-over"}).status_code == 200
    if what == "depart":
        assert org_service.get_employee(db, center_peer.id).status == EmployeeStatus.departed
