from datetime import timedelta

from sqlalchemy import select

from scrm.auth import issue_staff_token
from scrm.core.db import utcnow
from scrm.core.events import OutboxEvent
from scrm.org import service as org_service
from scrm.org.models import Role
from tests.factories.org import auth, new_employee


def test_login_returns_token_that_signs_in(db, client):
    employee = new_employee(db, role=Role.supervisor, password="s3cret-pass", mobile="+86 138 0013 8000")
    answer = client.post("/api/auth/login", json={"username": employee.username, "password": "s3cret-pass"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["employee"]["id"] == employee.id
    assert body["employee"]["mobile"] == "138****8000"
    assert "password_hash" not in body["employee"]
    assert body["expires_in"] > 0
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "supervisor" and me.json()["scope"] == "department"


def test_login_failures_are_401_and_alike(db, client):
    employee = new_employee(db, password="s3cret-pass")
    wrong = client.post("/api/auth/login", json={"username": employee.username, "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": "ghost", "password": "s3cret-pass"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "unauthorized", "message": "wrong username or password"}


def test_login_refuses_extra_and_missing_fields(db, client):
    extra = client.post("/api/auth/login", json={"username": "a", "password": "b", "role": "admin"})
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["type"] == "extra_forbidden"
    assert client.post("/api/auth/login", json={"username": "a"}).status_code == 422
    nameless = client.post("/api/auth/login", json={"username": "a", "password": "b", "": None})
    assert nameless.status_code == 422
    assert nameless.json()["field"] == '""'
    assert nameless.json()["message"].startswith('"": ')
    assert extra.json()["field"] == "role"


def test_requests_without_a_valid_token_are_401(db, client):
    employee = new_employee(db)
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": "Bearer s1.2.3"}).status_code == 401
    forged = issue_staff_token(employee.id).rsplit(".", 1)[0] + ".0000"
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_expired_token_is_refused(db, client):
    employee = new_employee(db)
    expired = issue_staff_token(employee.id, ttl_s=-1)
    answer = client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401
    assert "expired" in answer.json()["message"]


def test_departed_employee_is_locked_out_at_once(db, client):
    employee = new_employee(db, password="s3cret-pass")
    headers = auth(employee)
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    org_service.mark_departed(db, employee.id)
    db.flush()
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    login = client.post("/api/auth/login", json={"username": employee.username, "password": "s3cret-pass"})
    assert login.status_code == 401
    assert login.json()["message"] == "this account is no longer active"
    events = db.scalars(select(OutboxEvent).where(OutboxEvent.name == "employee.departed")).all()
    assert [e.payload["employee_id"] for e in events] == [employee.id]


def test_change_own_password_over_http(db, client):
    employee = new_employee(db, password="s3cret-pass")
    bad = client.post("/api/auth/password", headers=auth(employee),
                      json={"current_password": "wrong-one", "new_password": "n3w-password"})
    assert bad.status_code == 422 and bad.json()["field"] == "current_password"
    ok = client.post("/api/auth/password", headers=auth(employee),
                     json={"current_password": "s3cret-pass", "new_password": "n3w-password"})
    assert ok.status_code == 204
    login = client.post("/api/auth/login", json={"username": employee.username, "password": "n3w-password"})
    assert login.status_code == 200


def test_changing_the_password_ends_every_earlier_session(db, client):
    employee = new_employee(db, password="s3cret-pass")
    old = auth(employee)
    ok = client.post("/api/auth/password", headers=old,
                     json={"current_password": "s3cret-pass", "new_password": "n3w-password"})
    assert ok.status_code == 204
    refused = client.get("/api/auth/me", headers=old)
    assert refused.status_code == 401 and "ended" in refused.json()["message"]
    fresh = client.post("/api/auth/login", json={"username": employee.username, "password": "n3w-password"})
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {fresh.json()['token']}"}).status_code == 200


def test_sign_out_everywhere(db, client):
    employee = new_employee(db, password="s3cret-pass")
    phone, laptop = auth(employee), auth(employee)
    assert client.post("/api/auth/logout-all", headers=phone).status_code == 204
    assert client.get("/api/auth/me", headers=laptop).status_code == 401


def test_repeated_wrong_passwords_are_rate_limited_per_username(db, client):
    employee = new_employee(db, password="s3cret-pass")
    for _ in range(org_service.LOGIN_FAILURES_PER_USER):
        assert client.post("/api/auth/login", json={"username": employee.username, "password": "guess-1234"}).status_code == 401
    blocked = client.post("/api/auth/login", json={"username": employee.username, "password": "s3cret-pass"})
    assert blocked.status_code == 429 and "failed sign-ins" in blocked.json()["message"]
    other = new_employee(db, password="s3cret-pass")  # another username from the same address still signs in
    assert client.post("/api/auth/login", json={"username": other.username, "password": "s3cret-pass"}).status_code == 200


def test_sign_in_limits_are_shared_through_redis(db, client, redis_url):
    from scrm.core import ratelimit

    employee = new_employee(db, password="s3cret-pass")
    for _ in range(org_service.LOGIN_FAILURES_PER_USER):
        client.post("/api/auth/login", json={"username": employee.username, "password": "guess-1234"})
    ratelimit.reset()  # another API process has no memory of these: the count is in Redis
    assert client.post("/api/auth/login", json={"username": employee.username,
                                                "password": "s3cret-pass"}).status_code == 429


def test_logout_ends_just_this_session(db, client):
    employee = new_employee(db, password="s3cret-pass")
    phone = {"Authorization": f"Bearer {issue_staff_token(employee.id, ttl_s=3600)}"}
    laptop = auth(employee)
    assert client.post("/api/auth/logout", headers=phone).status_code == 204
    refused = client.get("/api/auth/me", headers=phone)
    assert refused.status_code == 401 and "signed out" in refused.json()["message"]
    assert client.post("/api/auth/logout", headers=phone).status_code == 401
    assert client.get("/api/auth/me", headers=laptop).status_code == 200


def test_ended_sessions_are_forgotten_once_they_would_have_expired(db, client):
    employee = new_employee(db, password="s3cret-pass")
    token = issue_staff_token(employee.id, ttl_s=60)
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert org_service.purge_revoked_sessions(db) == 0  # still within its lifetime: kept
    assert org_service.purge_revoked_sessions(db, now=utcnow() + timedelta(minutes=2)) == 1
