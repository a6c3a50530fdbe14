"""The console's session cookie never authorises a change through the API on its own (CSRF, issue 15 item 3):
a page on another port of the same host can make the browser send the cookie, never a bearer header."""

from __future__ import annotations

from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.org.models import Employee, EmployeeStatus, Role
from tests.factories.org import make_department, make_employee


def _changes(target: Employee) -> list[tuple[str, str, dict | None]]:
    return [
        ("post", f"/api/org/employees/{target.id}/depart", None),
        ("patch", f"/api/org/employees/{target.id}", {"region": "被改了"}),
        ("put", f"/api/org/employees/{target.id}/role", {"role": "supervisor"}),
        ("post", "/api/auth/logout-all", None),
    ]


def _send(client, method, path, body, **kwargs):
    if body is not None:
        kwargs["json"] = body
    return client.request(method.upper(), path, **kwargs)


def test_the_cookie_alone_changes_nothing_through_the_api(db, client):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    target = make_employee(db, department=dept)
    client.cookies.set(COOKIE_NAME, issue_staff_token(manager.id))
    for method, path, body in _changes(target):
        answer = _send(client, method, path, body)
        assert answer.status_code in (401, 403), (method, path, answer.status_code)
        if answer.status_code == 403:
            assert "Bearer" in answer.json()["message"]
    db.expire_all()
    assert (target.status, target.region, target.role) == (EmployeeStatus.active, None, Role.sales)
    assert manager.sessions_valid_after is None
    assert client.get("/api/auth/me").status_code == 200  # reading with the cookie stays possible


def test_the_same_changes_with_a_bearer_token_work(db, client):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    target = make_employee(db, department=dept)
    headers = {"Authorization": f"Bearer {issue_staff_token(manager.id)}"}
    for method, path, body in _changes(target)[:3]:
        answer = _send(client, method, path, body, headers=headers)
        assert answer.status_code == 200, (method, path, answer.text)
    db.expire_all()
    assert (target.status, target.region, target.role) == (EmployeeStatus.departed, "被改了", Role.supervisor)
    assert _send(client, "post", "/api/auth/logout-all", None, headers=headers).status_code == 204


def test_a_bearer_header_wins_over_a_cookie(db, client):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    sales = make_employee(db, department=dept)
    client.cookies.set(COOKIE_NAME, issue_staff_token(manager.id))
    answer = client.get("/api/auth/me", headers={"Authorization": f"Bearer {issue_staff_token(sales.id)}"})
    assert answer.json()["id"] == sales.id
