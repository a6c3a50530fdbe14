"""Rules edited through the API without code changes; the pool and hand assignment."""

from __future__ import annotations

from scrm.org.models import Role
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee


def test_managers_edit_rules_and_the_next_lead_follows_them(db, client):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    sales = make_employee(db, role=Role.sales, department=dept)
    a, b = make_employee(db, department=dept), make_employee(db, department=dept)
    h = auth(manager)
    body = {"name": "上海线索", "priority": 10, "strategy": "round_robin", "team_employee_ids": [a.id, b.id],
            "conditions": {"cities": ["上海"]}, "max_open_leads": 50}
    assert client.post("/api/assignment/rules", json=body, headers=auth(sales)).status_code == 403
    r = client.post("/api/assignment/rules", json=body, headers=h)
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    assert r.json()["conditions"] == {"cities": ["上海"]}

    r = client.post("/api/assignment/rules", json={**body, "conditions": {"planet": ["mars"]}}, headers=h)
    assert r.status_code == 422

    r = client.post("/api/customers", headers=h, json={"name": "线索一", "phone": "13911110001", "city": "上海"})
    assert r.json()["owner"]["id"] == a.id

    r = client.patch(f"/api/assignment/rules/{rule_id}", json={"strategy": "fixed", "team_employee_ids": [b.id]},
                     headers=h)
    assert r.status_code == 200 and r.json()["strategy"] == "fixed"
    r = client.post("/api/customers", headers=h, json={"name": "线索二", "phone": "13911110002", "city": "上海"})
    assert r.json()["owner"]["id"] == b.id

    assert [x["id"] for x in client.get("/api/assignment/rules", headers=h).json()] == [rule_id]
    assert client.delete(f"/api/assignment/rules/{rule_id}", headers=h).status_code == 204
    r = client.post("/api/customers", headers=h, json={"name": "线索三", "phone": "13911110003", "city": "上海"})
    assert r.json()["owner"] is None


def test_supervisor_sees_the_pool_and_hands_out_leads(db, client):
    dept, other = make_department(db), make_department(db)
    supervisor = make_employee(db, role=Role.supervisor, department=dept)
    sales = make_employee(db, "小王", department=dept)
    outsider = make_employee(db, department=other)
    pooled = make_customer(db, None, "池中客户")
    make_customer(db, sales, "已分配")
    h = auth(supervisor)

    page = client.get("/api/assignment/pool", headers=h).json()
    assert [c["id"] for c in page["items"]] == [pooled.id]
    assert client.get("/api/assignment/pool", headers=auth(sales)).status_code == 403

    r = client.post(f"/api/assignment/customers/{pooled.id}/assign", json={"employee_id": outsider.id}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "employee_id"
    r = client.post(f"/api/assignment/customers/{pooled.id}/assign", json={}, headers=h)
    assert r.json()["owner_id"] is None  # no rule
    r = client.post(f"/api/assignment/customers/{pooled.id}/assign", json={"employee_id": sales.id}, headers=h)
    assert r.json() == {"customer_id": pooled.id, "owner_id": sales.id, "owner_name": "小王"}
    assert client.get("/api/assignment/pool", headers=h).json()["total"] == 0
    assert client.get(f"/api/customers/{pooled.id}", headers=auth(sales)).status_code == 200


def test_ids_and_numbers_no_column_holds_are_a_422_naming_the_field_and_write_no_rule(db, client):
    """Found by API fuzzing: a team member's id past 2^63 was a 500 on SQLite; a priority past 2^31 is refused
    by PostgreSQL's INTEGER column without a field."""
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    member = make_employee(db, department=dept)
    h = auth(manager)
    body = {"name": "上海线索", "strategy": "round_robin", "team_employee_ids": [member.id]}
    for change, field in (({"team_employee_ids": [-904, -52368492, -5034526299667797377024]}, "team_employee_ids.0"),
                          ({"team_employee_ids": [member.id, 2**63]}, "team_employee_ids.1"),
                          ({"conditions": {"channel_ids": [2**64]}}, "conditions.channel_ids.0"),
                          ({"priority": 2**31}, "priority"),
                          ({"max_open_leads": 2**40}, "max_open_leads")):
        r = client.post("/api/assignment/rules", json={**body, **change}, headers=h)
        assert r.status_code == 422 and r.json()["field"] == field, (change, r.text)
    assert client.get("/api/assignment/rules", headers=h).json() == []
    rule_id = client.post("/api/assignment/rules", json=body, headers=h).json()["id"]
    r = client.patch(f"/api/assignment/rules/{rule_id}", json={"team_employee_ids": [2**63]}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "team_employee_ids.0"
    assert client.get("/api/assignment/rules", headers=h).json()[0]["team_employee_ids"] == [member.id]
    pooled = make_customer(db, owner=None)
    r = client.post(f"/api/assignment/customers/{pooled.id}/assign", json={"employee_id": 2**63}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "employee_id"


def test_a_pool_page_whose_offset_no_database_holds_is_a_422_naming_the_page(db, client):
    supervisor = make_employee(db, role=Role.supervisor, department=make_department(db))
    answer = client.get(f"/api/assignment/pool?page={2**62}&page_size=100", headers=auth(supervisor))
    assert answer.status_code == 422 and answer.json()["field"] == "page", answer.text
    last = client.get(f"/api/assignment/pool?page={2**31 - 1}&page_size=200", headers=auth(supervisor))
    assert last.status_code == 200 and last.json()["items"] == []
