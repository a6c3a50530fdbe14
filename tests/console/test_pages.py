"""Console pages over HTTP: sign-in, roles and scope, CSRF, field errors, lists kept in the URL."""

from __future__ import annotations

import pytest

from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.core import ratelimit
from scrm.customers.models import FollowUp, Stage
from scrm.org import service as org_service
from scrm.org.models import Role
from scrm.privacy.models import PiiView
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def test_password_sign_in_sets_an_httponly_cookie_and_sign_out_clears_it(db, client):
    dept = make_department(db)
    alice = make_employee(db, "艾丽", department=dept, username="alice")
    org_service.set_password(db, alice.id, "correct-horse-9")
    page = client.get("/console/customers")
    assert page.status_code == 200 and "登录控制台" in page.text  # redirected to the sign-in form
    token = csrf_of(page.text)

    wrong = client.post("/console/login", data={"username": "alice", "password": "nope-nope-1", "csrf_token": token,
                                                "next": "/console/customers"})
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text

    ok = client.post("/console/login", data={"username": "alice", "password": "correct-horse-9", "csrf_token": token,
                                             "next": "/console/customers"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/console/customers"
    cookie = ok.headers["set-cookie"]
    assert "scrm_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/console")
    assert "你好，艾丽" in home.text and "离职交接" not in home.text  # a salesperson's menu
    assert "script-src 'self'" in home.headers["content-security-policy"] and home.headers["cache-control"] == "no-store"

    out = client.post("/console/logout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and 'scrm_session=""' in out.headers["set-cookie"]


def test_sign_in_never_redirects_outside_the_console(db, client):
    alice = make_employee(db, department=make_department(db), username="alice2")
    org_service.set_password(db, alice.id, "correct-horse-9")
    token = csrf_of(client.get("/console/login").text)
    ok = client.post("/console/login", data={"username": "alice2", "password": "correct-horse-9", "csrf_token": token,
                                             "next": "https://evil.example/"}, follow_redirects=False)
    assert ok.headers["location"] == "/console/"


def test_wecom_oauth_sign_in_checks_the_state_and_signs_the_member_in(db, client, wecom_client, sandbox_wecom):
    dept = make_department(db)
    make_employee(db, "企微小王", department=dept, wecom_userid="xiaowang")
    sandbox_wecom.seed_user("xiaowang", "企微小王")
    start = client.get("/console/login/wecom", params={"next": "/console/customers"}, follow_redirects=False)
    assert start.status_code == 303 and "open.weixin.qq.com/connect/oauth2/authorize" in start.headers["location"]
    assert "console%2Flogin%2Fwecom%2Fcallback" in start.headers["location"]
    state = start.headers["location"].split("state=")[1].split("&")[0].split("#")[0]

    forged = client.get("/console/login/wecom/callback", params={"code": sandbox_wecom.oauth_code("xiaowang"),
                                                                 "state": "forged"}, follow_redirects=False)
    assert forged.status_code == 401
    done = client.get("/console/login/wecom/callback", params={"code": sandbox_wecom.oauth_code("xiaowang"),
                                                               "state": state}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/console/customers"
    assert "你好，企微小王" in client.get("/console/").text


def test_post_without_or_with_a_foreign_csrf_token_is_refused(db, client, sign_in):
    dept = make_department(db)
    sales = make_employee(db, department=dept)
    other = make_employee(db, department=dept)
    customer = make_customer(db, sales, "张三")
    sign_in(other)
    foreign_token = csrf_of(client.get("/console/").text)
    sign_in(sales)
    client.get("/console/")
    url = f"/console/customers/{customer.id}/follow-ups"
    assert client.post(url, data={"kind": "call", "content": "打过电话"}).status_code == 403
    assert client.post(url, data={"kind": "call", "content": "打过电话", "csrf_token": foreign_token}).status_code == 403
    db.expire_all()
    assert db.query(FollowUp).filter_by(customer_id=customer.id).count() == 0


def test_a_salesperson_sees_only_their_customers_and_others_are_404(db, client, sign_in):
    dept = make_department(db)
    mine = make_employee(db, "小李", department=dept)
    theirs = make_employee(db, "小赵", department=dept)
    a = make_customer(db, mine, "我的客户甲")
    b = make_customer(db, theirs, "别人的客户乙")
    sign_in(mine)
    page = client.get("/console/customers")
    assert "我的客户甲" in page.text and "别人的客户乙" not in page.text
    assert client.get(f"/console/customers/{a.id}").status_code == 200
    denied = client.get(f"/console/customers/{b.id}")
    assert denied.status_code == 404 and "找不到页面" in denied.text
    assert client.get("/console/handover").status_code == 403
    assert client.get("/console/dashboards").status_code == 403


def test_follow_up_field_error_is_shown_next_to_the_field_then_saved(db, client, sign_in):
    sales = make_employee(db, department=make_department(db))
    customer = make_customer(db, sales, "王五", stage=Stage.lead)
    sign_in(sales)
    page = client.get(f"/console/customers/{customer.id}")
    url = f"/console/customers/{customer.id}/follow-ups"
    bad = client.post(url, data={"kind": "call", "content": "  ", "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 422 and 'id="err-content"' in bad.text and "请填写跟进内容" in bad.text
    ok = client.post(url, data={"kind": "call", "content": "客户说下周来面谈", "csrf_token": csrf_of(bad.text)})
    assert ok.status_code == 200 and "已添加跟进记录" in ok.text and "客户说下周来面谈" in ok.text
    db.expire_all()
    assert db.get(type(customer), customer.id).stage == Stage.contacted


def test_full_phone_only_for_allowed_roles_and_each_view_is_recorded(db, client, sign_in):
    dept = make_department(db)
    owner = make_employee(db, department=dept)
    supervisor = make_employee(db, role=Role.supervisor, department=dept)
    customer = make_customer(db, owner, "赵六", phone="13912345678")
    sign_in(supervisor)
    page = client.get(f"/console/customers/{customer.id}")
    assert "139****5678" in page.text and "查看完整号码" not in page.text
    assert client.post(f"/console/customers/{customer.id}/pii",
                       data={"reason": "核对", "csrf_token": csrf_of(page.text)}).status_code == 403
    sign_in(owner)
    page = client.get(f"/console/customers/{customer.id}")
    full = client.post(f"/console/customers/{customer.id}/pii", data={"reason": "回电核对", "csrf_token": csrf_of(page.text)})
    assert full.status_code == 200 and "13912345678" in full.text
    assert db.query(PiiView).filter_by(customer_id=customer.id, employee_id=owner.id).count() == 1


def test_list_filters_sort_and_page_stay_in_the_links(db, client, sign_in):
    dept = make_department(db)
    sales = make_employee(db, department=dept)
    for i in range(25):
        make_customer(db, sales, f"客户{i:02d}", stage=Stage.contacted if i % 2 else Stage.lead)
    sign_in(sales)
    page = client.get("/console/customers", params={"stage": "contacted", "sort": "name"})
    assert page.text.count('href="/console/customers/') == 12
    assert "共 12 条" in page.text
    first = client.get("/console/customers", params={"sort": "name"})
    assert "共 25 条" in first.text and "page=2" in first.text and "sort=name" in first.text
    second = client.get("/console/customers", params={"sort": "name", "page": 2})
    assert "客户24" in second.text and "客户00" not in second.text and "共 25 条" in second.text
    beyond = client.get("/console/customers", params={"sort": "name", "page": 5})
    assert "共 25 条" in beyond.text and "没有符合条件的客户" in beyond.text


def test_tag_search_finds_profile_tags_and_the_customer_page_shows_their_evidence(db, client, sign_in):
    from scrm.tagging import service as tagging_service

    sales = make_employee(db, department=make_department(db))
    house = make_customer(db, sales, "有房的客户")
    make_customer(db, sales, "没房的客户")
    tagging_service.tag_text(db, house.id, "我在济南有一套全款房，想抵押贷 80 万", source="follow_up", source_key="f1")
    sign_in(sales)
    page = client.get("/console/customers", params={"tag": "有房产"})
    assert "有房的客户" in page.text and "没房的客户" not in page.text and "共 1 条" in page.text
    detail = client.get(f"/console/customers/{house.id}")
    evidence = detail.text.split("画像标签")[1].split("</section>")[0]
    assert "有房产" in evidence and "依据：“我在济南有一套全款房" in evidence


def _console_sign_in(client, username: str, password: str):
    token = csrf_of(client.get("/console/login").text)
    return client.post("/console/login", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=False)


def test_sign_out_ends_that_session_on_the_server(db, client):
    alice = make_employee(db, "艾丽", department=make_department(db), username="alice3")
    org_service.set_password(db, alice.id, "correct-horse-9")
    assert _console_sign_in(client, "alice3", "correct-horse-9").status_code == 303
    session_cookie = client.cookies.get(COOKIE_NAME)
    other_device = issue_staff_token(alice.id, ttl_s=3600)
    home = client.get("/console/")
    out = client.post("/console/logout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303

    client.cookies.set(COOKIE_NAME, session_cookie)  # someone kept a copy of the cookie
    replay = client.get("/console/", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/console/login")
    client.cookies.clear()
    as_bearer = client.get("/api/auth/me", headers={"Authorization": f"Bearer {session_cookie}"})
    assert as_bearer.status_code == 401 and "signed out" in as_bearer.json()["message"]
    # only that session ended: the same person signed in elsewhere stays signed in
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {other_device}"}).status_code == 200


@pytest.fixture
def fresh_sign_in_limits():
    """The embedded limiter counts in process memory: start from nothing and leave nothing for later tests."""
    ratelimit.reset()
    yield
    ratelimit.reset()


def test_console_sign_in_failures_are_limited_per_address(db, client, fresh_sign_in_limits):
    alice = make_employee(db, "艾丽", department=make_department(db), username="alice4")
    org_service.set_password(db, alice.id, "correct-horse-9")
    for n in range(org_service.LOGIN_FAILURES_PER_CLIENT):
        assert _console_sign_in(client, f"guess{n}", "nope-nope-1").status_code == 401
    blocked = _console_sign_in(client, "alice4", "correct-horse-9")
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text
    assert COOKIE_NAME not in blocked.cookies
