"""Input the database cannot hold is the caller's mistake: a 422 that says so, never a 500."""


from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loan_scrm.app import create_app
from scrm.org.models import Department, Role
from tests.factories.org import auth, make_employee


def test_an_id_past_what_the_database_holds_is_a_422(db):
    admin = make_employee(db, role=Role.admin)
    with TestClient(create_app()) as client:
        answer = client.get(f"/api/customers/{2**63}", headers=auth(admin))
    assert answer.status_code == 422
    assert answer.json() == {"error": "invalid", "field": "customer_id",
                             "message": f"customer_id: out of range, must be between {-2**63} and {2**63 - 1}"}


def test_numbers_past_64_bits_are_refused_on_both_databases_and_write_nothing(committed_any):
    """PostgreSQL refuses them with a DataError; the sqlite3 driver raised a bare OverflowError, a 500 on the
    embedded default (found by API fuzzing: an id, an offset and a parent department past 2^63)."""
    db = committed_any
    admin = make_employee(db, role=Role.admin)
    db.commit()
    with TestClient(create_app()) as client:
        for path, field in ((f"/api/broadcasts/{2**63}", "mass_id"),
                            (f"/api/referral/commissions?offset={2**78}", "offset"),
                            (f"/api/sop/tasks?limit=5&offset={2**76}", "offset")):
            answer = client.get(path, headers=auth(admin))
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["field"] == field, (path, answer.text)
            assert answer.json()["message"].startswith(f"{field}: out of range"), (path, answer.text)
        answer = client.post("/api/org/departments", json={"name": "营销九部", "parent_id": 2**106}, headers=auth(admin))
    assert 400 <= answer.status_code < 500, answer.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Department)) == 0


def test_text_with_a_nul_character_is_a_422_naming_the_field_on_both_databases_and_writes_nothing(committed_any):
    """PostgreSQL cannot store U+0000 in text and refused it naming no field ("out of range"), after the service
    had run; SQLite stored it. Now both refuse it before routing, naming where it was."""
    db = committed_any
    admin = make_employee(db, role=Role.admin)
    db.commit()
    with TestClient(create_app()) as client:
        for method, path, body, field in (
                ("post", "/api/org/departments", {"name": "营销\x00部"}, "name"),
                ("post", "/api/org/centers", {"name": "中心\x00"}, "name"),
                ("post", "/api/customers", {"name": "甲", "phone": "13800138003", "custom_fields": {"a\x00": 1}},
                 "custom_fields.a\\u0000"),
                ("post", "/api/customers/search", {"q": "王", "stage": None, "phone_tail": "\x001234"}, "phone_tail"),
                ("post", "/api/assignment/rules", {"name": "规则", "strategy": "fixed", "team_employee_ids": [admin.id],
                                                   "conditions": {"cities": ["上海", "北\x00京"]}},
                 "conditions.cities.1"),
                ("get", "/api/customers?stage=lead&q=%00abc", None, "q"),
                ("get", "/api/customers?=%F1%AE%A6%AC%00", None, "query"),  # found by API fuzzing: named ""
                ("post", "/api/auth/login", {"username": "admin\x00", "password": "x"}, "username")):
            answer = client.request(method, path, json=body, headers=auth(admin))
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["field"] == field, (path, answer.text)
            assert "NUL" in answer.json()["message"], (path, answer.text)
        kept = client.post("/api/org/departments", json={"name": "营销\\u0000部"}, headers=auth(admin))
        assert kept.status_code == 201 and kept.json()["name"] == "营销\\u0000部"
    db.expire_all()
    assert db.scalars(select(Department.name)).all() == ["营销\\u0000部"]
