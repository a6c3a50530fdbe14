import pytest
from sqlalchemy import func, select

from scrm.core.events import OutboxEvent
from scrm.org import service as org_service
from scrm.org.models import Department, Employee, EmployeeStatus, Role
from tests.factories.org import auth, new_employee

READ_ENDPOINTS = [
    ("get", "/api/org/employees", None),
    ("get", "/api/org/employees/{sales_a1}", None),
    ("get", "/api/org/centers", None),
    ("get", "/api/org/departments", None),
]
WRITE_ENDPOINTS = [
    ("post", "/api/org/employees", {"name": "新人", "department_id": "{a1}"}),
    ("patch", "/api/org/employees/{sales_a1}", {"region": "上海"}),
    ("put", "/api/org/employees/{sales_a1}/role", {"role": "supervisor"}),
    ("post", "/api/org/employees/{sales_a1}/password", {"password": "n3w-password"}),
    ("post", "/api/org/employees/{sales_a1}/depart", None),
    ("post", "/api/org/centers", {"name": "新中心"}),
    ("patch", "/api/org/centers/{center_a}", {"name": "新名字"}),
    ("post", "/api/org/departments", {"name": "新部门", "center_id": "{center_a}"}),
    ("patch", "/api/org/departments/{a1}", {"name": "新名字"}),
    ("post", "/api/org/wecom-sync", None),
]


def _fill(org, value):
    ids = {"sales_a1": org.sales_a1.id, "a1": org.a1.id, "center_a": org.center_a.id}
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and "/" not in value:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(org, v) for k, v in value.items()}
    return value


def _call(client, org, who, method, path, body):
    kwargs = {"headers": auth(who)}
    if body is not None:
        kwargs["json"] = _fill(org, body)
    return getattr(client, method)(_fill(org, path), **kwargs)


@pytest.mark.parametrize("method, path, body", READ_ENDPOINTS + WRITE_ENDPOINTS)
@pytest.mark.parametrize("who", ["sales_a1", "finance"])
def test_staff_outside_management_get_403(db, client, org, who, method, path, body):
    answer = _call(client, org, getattr(org, who), method, path, body)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "forbidden"


@pytest.mark.parametrize("method, path, body", WRITE_ENDPOINTS)
def test_supervisors_cannot_manage(db, client, org, method, path, body):
    assert _call(client, org, org.supervisor_a1, method, path, body).status_code == 403


@pytest.mark.parametrize("method, path, body", READ_ENDPOINTS + WRITE_ENDPOINTS)
def test_anonymous_gets_401(db, client, org, method, path, body):
    kwargs = {"json": _fill(org, body)} if body is not None else {}
    assert getattr(client, method)(_fill(org, path), **kwargs).status_code == 401


@pytest.mark.parametrize("path, body", [
    ("/api/org/employees", {"name": "新人", "salary": 1}),
    ("/api/org/centers", {"name": "新中心", "boss": "x"}),
    ("/api/org/departments", {"name": "新部门", "center": 1}),
])
def test_write_models_refuse_extra_fields(db, client, org, path, body):
    answer = client.post(path, json=body, headers=auth(org.admin))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "extra_forbidden"


def test_extra_fields_refused_on_update_and_role(db, client, org):
    patch = client.patch(f"/api/org/employees/{org.sales_a1.id}", json={"status": "active"}, headers=auth(org.admin))
    assert patch.status_code == 422
    role = client.put(f"/api/org/employees/{org.sales_a1.id}/role", json={"role": "sales", "x": 1},
                      headers=auth(org.admin))
    assert role.status_code == 422


def test_employee_list_follows_the_data_scope(db, client, org):
    supervisor = client.get("/api/org/employees", headers=auth(org.supervisor_a1)).json()
    assert {e["id"] for e in supervisor["items"]} == {
        org.sales_a1.id, org.sales_a1x.id, org.supervisor_a1.id, org.manager_a.id}
    assert supervisor["total"] == 4
    manager = client.get("/api/org/employees", headers=auth(org.manager_a)).json()
    assert org.sales_b1.id not in {e["id"] for e in manager["items"]}
    admin = client.get("/api/org/employees", params={"limit": 3}, headers=auth(org.admin)).json()
    assert admin["total"] == 8 and len(admin["items"]) == 3


def test_employee_outside_scope_is_404(db, client, org):
    answer = client.get(f"/api/org/employees/{org.sales_b1.id}", headers=auth(org.manager_a))
    assert answer.status_code == 404
    assert client.patch(f"/api/org/employees/{org.sales_b1.id}", json={"region": "x"},
                        headers=auth(org.manager_a)).status_code == 404


def test_manager_creates_employee_in_own_center_with_masked_mobile(db, client, org):
    answer = client.post("/api/org/employees", headers=auth(org.manager_a), json={
        "name": "孙八", "department_id": org.a2.id, "username": "sunba", "password": "s3cret-pass",
        "mobile": "13700001111", "max_open_leads": 30})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["mobile"] == "137****1111"
    assert body["role"] == "sales" and body["scope"] == "own"
    login = client.post("/api/auth/login", json={"username": "sunba", "password": "s3cret-pass"})
    assert login.status_code == 200


def test_manager_cannot_reach_outside_or_above(db, client, org):
    other_center = client.post("/api/org/employees", headers=auth(org.manager_a),
                               json={"name": "x", "department_id": org.b1.id})
    assert other_center.status_code == 403 and other_center.json()["field"] == "department_id"
    admin = client.post("/api/org/employees", headers=auth(org.manager_a),
                        json={"name": "x", "department_id": org.a1.id, "role": "admin"})
    assert admin.status_code == 403 and admin.json()["field"] == "role"
    wide = client.post("/api/org/employees", headers=auth(org.manager_a),
                       json={"name": "x", "department_id": org.a1.id, "role": "finance"})
    assert wide.status_code == 403 and wide.json()["field"] == "scope"
    move_out = client.patch(f"/api/org/employees/{org.sales_a1.id}", headers=auth(org.manager_a),
                            json={"department_id": org.b1.id})
    assert move_out.status_code == 403
    own_role = client.put(f"/api/org/employees/{org.manager_a.id}/role", headers=auth(org.manager_a),
                          json={"role": "manager", "scope": "all"})
    assert own_role.status_code == 403
    assert db.scalar(select(func.count()).select_from(Employee).where(Employee.name == "x")) == 0


@pytest.mark.parametrize("body, field", [
    ({"name": "  "}, "name"),
    ({"name": "x", "mobile": "12345"}, "mobile"),
    ({"name": "x", "username": "a b"}, "username"),
    ({"name": "x", "username": "newbie", "password": "short"}, "password"),
    ({"name": "x", "password": "s3cret-pass"}, "username"),
    ({"name": "x", "department_id": 999999}, "department_id"),
    ({"name": "x", "department_id": 2**63}, "department_id"),
    ({"name": "x", "max_open_leads": -1}, "max_open_leads"),
])
def test_invalid_employee_names_the_field(db, client, org, body, field):
    answer = client.post("/api/org/employees", json=body, headers=auth(org.admin))
    assert answer.status_code in (404, 422), answer.text
    assert answer.json()["field"] == field


def test_duplicates_are_409(db, client, org):
    new_employee(db, org.a1, username="taken", mobile="13600000000")
    username = client.post("/api/org/employees", headers=auth(org.admin), json={"name": "x", "username": "TAKEN"})
    assert username.status_code == 409 and username.json()["field"] == "username"
    mobile = client.post("/api/org/employees", headers=auth(org.admin), json={"name": "x", "mobile": "13600000000"})
    assert mobile.status_code == 409 and mobile.json()["field"] == "mobile"


def test_role_change_resets_scope_unless_given(db, client, org):
    headers = auth(org.manager_a)
    promoted = client.put(f"/api/org/employees/{org.sales_a1.id}/role", json={"role": "supervisor"}, headers=headers)
    assert promoted.status_code == 200
    assert promoted.json()["scope"] == "department"
    narrowed = client.put(f"/api/org/employees/{org.sales_a1.id}/role", json={"role": "supervisor", "scope": "own"},
                          headers=headers)
    assert narrowed.json()["scope"] == "own"
    admin_target = client.put(f"/api/org/employees/{org.admin.id}/role", json={"role": "sales"}, headers=headers)
    assert admin_target.status_code == 404  # outside a center manager's scope


def test_only_admin_changes_an_admin(db, client, org):
    second_admin = new_employee(db, org.a1, Role.admin)
    answer = client.patch(f"/api/org/employees/{second_admin.id}", json={"region": "x"}, headers=auth(org.manager_a))
    assert answer.status_code == 403
    answer = client.patch(f"/api/org/employees/{second_admin.id}", json={"region": "x"}, headers=auth(org.admin))
    assert answer.status_code == 200 and answer.json()["region"] == "x"


def test_depart_over_http_is_idempotent_and_emits_once(db, client, org):
    headers = auth(org.manager_a)
    first = client.post(f"/api/org/employees/{org.sales_a2.id}/depart", headers=headers)
    assert first.status_code == 200 and first.json()["status"] == "departed"
    again = client.post(f"/api/org/employees/{org.sales_a2.id}/depart", headers=headers)
    assert again.status_code == 200 and again.json()["departed_at"] == first.json()["departed_at"]
    events = db.scalars(select(OutboxEvent).where(OutboxEvent.name == "employee.departed")).all()
    assert len(events) == 1
    assert events[0].payload["employee_id"] == org.sales_a2.id
    assert events[0].payload["by"] == org.manager_a.id
    assert client.post(f"/api/org/employees/{org.manager_a.id}/depart", headers=headers).status_code == 403
    assert client.get("/api/org/employees", params={"status": "departed"}, headers=headers).json()["total"] == 1


def test_password_reset_by_manager(db, client, org):
    target = new_employee(db, org.a2, password="old-pass-1")
    assert client.post(f"/api/org/employees/{target.id}/password", json={"password": "n3w-pass-2"},
                       headers=auth(org.manager_a)).status_code == 204
    assert client.post("/api/auth/login", json={"username": target.username, "password": "n3w-pass-2"}).status_code == 200


def test_centers_need_scope_all(db, client, org):
    assert client.post("/api/org/centers", json={"name": "西南中心"}, headers=auth(org.manager_a)).status_code == 403
    created = client.post("/api/org/centers", json={"name": "西南中心"}, headers=auth(org.admin))
    assert created.status_code == 201
    duplicate = client.post("/api/org/centers", json={"name": "西南中心"}, headers=auth(org.admin))
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "name"
    names = [c["name"] for c in client.get("/api/org/centers", headers=auth(org.manager_a)).json()]
    assert names == ["华东中心"]


def test_departments_by_manager(db, client, org):
    headers = auth(org.manager_a)
    created = client.post("/api/org/departments", json={"name": "营销四部", "center_id": org.center_a.id},
                          headers=headers)
    assert created.status_code == 201 and created.json()["center_id"] == org.center_a.id
    team = client.post("/api/org/departments", json={"name": "四部一组", "parent_id": created.json()["id"]},
                       headers=headers)
    assert team.status_code == 201 and team.json()["center_id"] == org.center_a.id
    assert client.post("/api/org/departments", json={"name": "x", "center_id": org.center_b.id},
                       headers=headers).status_code == 403
    loop = client.patch(f"/api/org/departments/{created.json()['id']}", json={"parent_id": team.json()["id"]},
                        headers=headers)
    assert loop.status_code == 422 and loop.json()["field"] == "parent_id"
    listed = {d["id"] for d in client.get("/api/org/departments", headers=headers).json()}
    assert org.b1.id not in listed and created.json()["id"] in listed


@pytest.mark.parametrize("body, field", [
    ({"name": "营销九部", "parent_id": 10895809284293250761043075923968}, "parent_id"),  # found by API fuzzing
    ({"name": "营销九部", "center_id": 2**63}, "center_id"),
    ({"name": "营销九部", "parent_id": 0}, "parent_id"),
])
def test_a_department_id_no_row_can_have_is_a_422_naming_it_and_writes_nothing(db, client, org, body, field):
    """Past 64 bits the embedded SQLite refused the number with a 500 (PostgreSQL looked for it: a 404); an id no
    row can have is the payload's shape, the same 422 on both."""
    before = db.scalar(select(func.count()).select_from(Department))
    created = client.post("/api/org/departments", json=body, headers=auth(org.admin))
    moved = client.patch(f"/api/org/departments/{org.a1.id}", json={field: body[field]}, headers=auth(org.admin))
    for answer in (created, moved):
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    assert db.scalar(select(func.count()).select_from(Department)) == before
    db.refresh(org.a1)
    assert (org.a1.parent_id, org.a1.center_id) == (None, org.center_a.id)


def test_moving_a_department_moves_its_subtree_to_the_new_center(db, client, org):
    answer = client.patch(f"/api/org/departments/{org.a1.id}", json={"center_id": org.center_b.id},
                          headers=auth(org.admin))
    assert answer.status_code == 200
    db.expire_all()
    assert org_service.get_department(db, org.a1x.id).center_id == org.center_b.id


def test_wecom_owned_fields_are_refused(db, client, org):
    linked = new_employee(db, org.a1, wecom_userid="zhangsan")
    answer = client.patch(f"/api/org/employees/{linked.id}", json={"name": "改名"}, headers=auth(org.admin))
    assert answer.status_code == 409 and answer.json()["field"] == "name"
    ok = client.patch(f"/api/org/employees/{linked.id}", json={"username": "zhangsan", "max_open_leads": 5},
                      headers=auth(org.admin))
    assert ok.status_code == 200 and ok.json()["username"] == "zhangsan"


def test_clearing_username_removes_password_sign_in(db, client, org):
    target = new_employee(db, org.a1, password="s3cret-pass")
    answer = client.patch(f"/api/org/employees/{target.id}", json={"username": None}, headers=auth(org.admin))
    assert answer.status_code == 200
    db.expire_all()
    assert db.get(Employee, target.id).password_hash is None
    assert db.get(Employee, target.id).status == EmployeeStatus.active
