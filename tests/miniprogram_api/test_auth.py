"""Sign-in through code2session, the verified phone, session expiry, and customers kept apart."""

from __future__ import annotations

from sqlalchemy import text

from scrm.auth import issue_customer_token
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerSource, CustomerStatus
from scrm.customers.schemas import ContactInfo, FollowInfo
from tests.factories.customers import make_customer, phone
from tests.factories.org import auth, make_employee
from tests.miniprogram_api.helpers import application, bearer, bind_phone, login


def test_first_sign_in_creates_a_lead_and_the_second_finds_it(db, client, sandbox_wxa):
    headers, first = login(client, sandbox_wxa, openid="o_alice", unionid="u_alice")
    assert first["new_customer"] is True and first["customer"]["stage"] == "not_applied"
    customer = db.get(Customer, first["customer"]["id"])
    assert customer.source == CustomerSource.miniprogram and customer.mp_openid == "o_alice"
    _, second = login(client, sandbox_wxa, openid="o_alice", unionid="u_alice")
    assert second["new_customer"] is False and second["customer"]["id"] == customer.id
    assert client.get("/mp/me", headers=headers).json()["id"] == customer.id
    # the session_key never leaves the server, and the call is recorded without it
    assert "session_key" not in first


def test_a_wecom_contact_signing_in_is_the_same_customer_by_unionid(db, client, sandbox_wxa):
    sales = make_employee(db)
    result = customer_service.upsert_wecom_contact(
        db, ContactInfo(external_userid="wm_bob", name="鲍勃", unionid="u_bob"),
        [FollowInfo(userid=sales.wecom_userid)], event_key="add:bob")
    db.commit()
    _, answer = login(client, sandbox_wxa, openid="o_bob", unionid="u_bob")
    assert answer["new_customer"] is False and answer["customer"]["id"] == result.customer.id
    db.expire_all()
    assert db.get(Customer, result.customer.id).mp_openid == "o_bob"


def test_a_spent_or_expired_code_is_refused(db, client, sandbox_wxa):
    code = sandbox_wxa.login_code(openid="o_carol")
    assert client.post("/mp/auth/login", json={"code": code}).status_code == 200
    again = client.post("/mp/auth/login", json={"code": code})
    assert again.status_code == 401 and again.json()["wx_errcode"] == 40163
    stale = sandbox_wxa.login_code(openid="o_carol")
    sandbox_wxa.advance(301)
    r = client.post("/mp/auth/login", json={"code": stale})
    assert r.status_code == 401 and r.json()["wx_errcode"] == 40029 and r.json()["field"] == "code"


def test_an_expired_session_must_sign_in_again(db, client, sandbox_wxa):
    _, answer = login(client, sandbox_wxa)
    expired = bearer(issue_customer_token(answer["customer"]["id"], ttl_s=-1))
    r = client.get("/mp/me", headers=expired)
    assert r.status_code == 401 and "expired" in r.json()["message"]
    assert client.get("/mp/me").status_code == 401


def test_staff_tokens_do_not_open_the_mini_program(db, client, sandbox_wxa):
    assert client.get("/mp/me", headers=auth(make_employee(db))).status_code == 401


def test_phone_is_stored_encrypted_and_shown_masked(db, client, sandbox_wxa):
    headers, answer = login(client, sandbox_wxa)
    headers, bound = bind_phone(client, sandbox_wxa, headers, "13800138000")
    assert bound["customer"]["phone"] == "138****8000" and bound["customer"]["has_phone"]
    stored = db.execute(text("SELECT phone FROM customer WHERE id = :id"), {"id": answer["customer"]["id"]}).scalar()
    assert "13800138000" not in stored
    code = sandbox_wxa.phone_code("13800138001")
    assert client.post("/mp/auth/phone", json={"code": code}, headers=headers).status_code == 200
    r = client.post("/mp/auth/phone", json={"code": code}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "code"


def test_a_phone_a_salesperson_entered_merges_into_that_record(db, client, sandbox_wxa):
    sales = make_employee(db)
    entered = make_customer(db, sales, name="王五", phone=phone(501))
    db.commit()
    headers, answer = login(client, sandbox_wxa, openid="o_wang")
    new_headers, bound = bind_phone(client, sandbox_wxa, headers, phone(501))
    assert bound["customer"]["id"] == entered.id
    db.expire_all()
    assert db.get(Customer, answer["customer"]["id"]).status == CustomerStatus.merged
    assert db.get(Customer, entered.id).mp_openid == "o_wang"
    # the old token belonged to the merged record
    assert client.get("/mp/me", headers=headers).status_code == 401
    assert client.get("/mp/me", headers=new_headers).json()["name"] == "王五"


def test_a_phone_bound_to_another_wechat_user_is_a_conflict(db, client, sandbox_wxa):
    first, _ = login(client, sandbox_wxa, openid="o_one")
    bind_phone(client, sandbox_wxa, first, phone(777))
    second, _ = login(client, sandbox_wxa, openid="o_two")
    r = client.post("/mp/auth/phone", json={"code": sandbox_wxa.phone_code(phone(777))}, headers=second)
    assert r.status_code == 409 and r.json()["field"] == "code"


def test_another_customers_application_is_not_found(db, client, sandbox_wxa, products):
    alice, _ = login(client, sandbox_wxa)
    bob, _ = login(client, sandbox_wxa)
    r = client.post("/mp/applications", json=application(), headers=alice)
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert client.get(f"/mp/applications/{app_id}", headers=alice).status_code == 200
    assert client.get(f"/mp/applications/{app_id}", headers=bob).status_code == 404
    assert client.get("/mp/applications", headers=bob).json() == []
    assert client.get(f"/mp/applications/{app_id}").status_code == 401


def test_a_unionid_already_signed_in_under_another_openid_is_a_conflict(db, client, sandbox_wxa):
    """WeChat gives one user one openid per mini-program and one unionid per open-platform account
    (developers.weixin.qq.com, UnionID 机制说明), so a known unionid with a new openid is not a second
    person: the record stays the one customer, and the sign-in is refused with 409."""
    _, first = login(client, sandbox_wxa, openid="o_dave", unionid="u_dave")
    answer = client.post("/mp/auth/login", json={"code": sandbox_wxa.login_code(openid="o_dave_2", unionid="u_dave")})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "conflict" and "unionid" in answer.json()["message"]
    assert db.scalar(text("select count(*) from customer where unionid = 'u_dave'")) == 1
    assert db.scalar(text("select count(*) from customer where mp_openid = 'o_dave_2'")) == 0
    _, again = login(client, sandbox_wxa, openid="o_dave", unionid="u_dave")  # the original still signs in
    assert again["customer"]["id"] == first["customer"]["id"]
