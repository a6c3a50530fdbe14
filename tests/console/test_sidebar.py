"""The sidebar's sign-in through WeCom OAuth (snsapi_base), its group page and its send endpoints' checks."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from scrm.auth import COOKIE_NAME, issue_staff_token, read_staff_token
from scrm.core.db import utcnow
from scrm.customers.models import CustomerFollow, DuplicateContact, FollowStatus
from scrm.groups.labels import TIER_NAMES
from scrm.groups.models import CustomerGroup, GroupMember, TierGroup
from scrm.materials import schemas
from scrm.materials import service as materials_service
from scrm.org.models import Role
from scrm.sop.models import SopTask
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def page_csrf(html: str) -> str:
    """The sidebar page hands its CSRF token to its script in ``data-csrf``."""
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


def test_a_salesperson_opening_the_sidebar_is_signed_in_by_wecom_oauth(client, db, sandbox_wecom):
    li = make_employee(db, "小李", wecom_userid="li")
    sandbox_wecom.seed_user("li", "小李")
    db.flush()

    first = client.get("/console/sidebar/customer", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/console/sidebar/oauth?next=")
    to_wecom = client.get(first.headers["location"], follow_redirects=False)
    authorize = urlsplit(to_wecom.headers["location"])
    query = parse_qs(authorize.query)
    # WeCom's 网页授权 URL: snsapi_base, our callback, our state, the app's agentid
    assert query["scope"] == ["snsapi_base"] and query["redirect_uri"][0].endswith("/console/sidebar/oauth/callback")
    assert query["appid"] == [sandbox_wecom.corp_id] and query["agentid"] == [str(sandbox_wecom.agent_id)]

    forged = client.get("/console/sidebar/oauth/callback", params={"code": sandbox_wecom.oauth_code("li"),
                                                                   "state": "not-ours"}, follow_redirects=False)
    assert forged.status_code == 401 and "登录已过期" in forged.text
    back = client.get("/console/sidebar/oauth/callback", params={"code": sandbox_wecom.oauth_code("li"),
                                                                 "state": query["state"][0]}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/console/sidebar/customer"
    assert read_staff_token(back.cookies[COOKIE_NAME]) == li.id
    page = client.get("/console/sidebar/customer")
    assert page.status_code == 200 and 'id="wecom-config"' in page.text


def test_the_group_sidebar_shows_tier_known_customers_and_recent_joiners(client, db):
    li = make_employee(db, "小李", wecom_userid="li")
    outsider = make_employee(db, "小赵", department=make_department(db), wecom_userid="zhao")
    known = make_customer(db, li, "老客户甲", wecom_external_userid="wmKnown")
    group = CustomerGroup(chat_id="wrTierA1", name="A类客户群", owner_employee_id=li.id, owner_userid="li",
                          member_count=3)
    db.add(group)
    db.flush()
    db.add(TierGroup(tier="A", chat_id="wrTierA1"))
    now = utcnow()
    db.add_all([GroupMember(group_id=group.id, member_userid="li", member_type=1, joined_at=now - timedelta(days=9)),
                GroupMember(group_id=group.id, member_userid="wmKnown", member_type=2, customer_id=known.id,
                            joined_at=now - timedelta(hours=1)),
                GroupMember(group_id=group.id, member_userid="wmStranger", member_type=2, joined_at=now)])
    db.flush()

    client.cookies.set(COOKIE_NAME, issue_staff_token(li.id))
    page = client.get("/console/sidebar/group", params={"chat": "wrTierA1"})
    assert page.status_code == 200
    assert "A类客户群" in page.text and f'<span class="pill">{TIER_NAMES["A"]}</span>' in page.text
    assert '<dd id="known-customers">1</dd>' in page.text and "老客户甲" in page.text
    assert page.text.index("外部成员</span>") < page.text.index("老客户甲")  # newest joiner first

    client.cookies.set(COOKIE_NAME, issue_staff_token(outsider.id))
    refused = client.get("/console/sidebar/group", params={"chat": "wrTierA1"})
    assert refused.status_code == 403 and "老客户甲" not in refused.text


def test_sending_needs_a_chat_the_salesperson_may_see(client, db):
    li = make_employee(db, "小李", wecom_userid="li")
    zhao = make_employee(db, "小赵", department=make_department(db), wecom_userid="zhao")
    manager = make_employee(db, role=Role.manager)
    make_customer(db, li, "王小明", gender=1, wecom_external_userid="wmWang")
    script = materials_service.create_material(db, manager, schemas.MaterialIn(
        kind="text", title="问候", content="{客户称呼}您好"))
    db.flush()

    client.cookies.set(COOKIE_NAME, issue_staff_token(li.id))
    csrf = page_csrf(client.get("/console/sidebar/materials").text)
    prepared = client.post(f"/console/sidebar/materials/{script.id}/prepare", data={"csrf_token": csrf, "ext": "wmWang"})
    assert prepared.json() == {"message": {"msgtype": "text", "text": {"content": "王先生您好"}}}
    nothing = client.post(f"/console/sidebar/materials/{script.id}/prepare", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and nothing.json()["field"] == "ext"
    no_csrf = client.post(f"/console/sidebar/materials/{script.id}/sent", data={"ext": "wmWang"})
    assert no_csrf.status_code == 403

    client.cookies.set(COOKIE_NAME, issue_staff_token(zhao.id))
    csrf = page_csrf(client.get("/console/sidebar/materials").text)
    refused = client.post(f"/console/sidebar/materials/{script.id}/sent", data={"csrf_token": csrf, "ext": "wmWang"})
    assert refused.status_code == 403 and "跟进人" in refused.json()["error"]
    assert materials_service.usage(db, manager) == []


def test_managers_keep_scripts_and_materials_and_read_their_use_in_the_console(db, sign_in):
    manager = make_employee(db, "周经理", role=Role.manager)
    li = make_employee(db, "小李")
    customer = make_customer(db, li, "王小明")
    db.flush()
    client = sign_in(manager)
    page = client.get("/console/materials")
    assert page.status_code == 200 and "{客户称呼}" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    bad = client.post("/console/materials", data={"csrf_token": token, "kind": "link", "title": "利率表",
                                                  "url": "ftp://x"})
    assert bad.status_code == 422 and "http://" in bad.text
    saved = client.post("/console/materials", data={"csrf_token": token, "kind": "text", "group_name": "开场白",
                                                     "title": "首次问候", "content": "{客户称呼}您好"},
                        follow_redirects=False)
    assert saved.status_code == 303
    poster = client.post("/console/materials", data={"csrf_token": token, "kind": "image", "title": "利率海报"},
                         files={"file": ("海报.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")},
                         follow_redirects=False)
    assert poster.status_code == 303
    rows = materials_service.list_materials(db)
    assert sorted(m.title for m in rows) == ["利率海报", "首次问候"]
    script = next(m for m in rows if m.title == "首次问候")
    materials_service.record_send(db, script, li, customer_id=customer.id)
    db.flush()
    listing = client.get("/console/materials").text
    row = re.search(r"<tr>\s*<td>开场白</td>.*?</tr>", listing, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "1", "1"]


def test_the_customer_sidebar_warns_of_a_duplicate_and_keeps_to_the_app_s_own_tags(db, sign_in):
    li = make_employee(db, "小李", wecom_userid="li")
    wang = make_employee(db, "老王", department=make_department(db), wecom_userid="wang")
    first = make_customer(db, wang, "张三（老王的）", phone="13900000001")
    second = make_customer(db, li, "张三", wecom_external_userid="wmZhang")
    db.add(CustomerFollow(customer_id=second.id, employee_id=li.id, status=FollowStatus.active))
    db.add(DuplicateContact(customer_id=second.id, existing_customer_id=first.id, phone_hash="h" * 64,
                            owner_id=wang.id, other_employee_id=li.id))
    db.flush()
    client = sign_in(li)
    page = client.get("/console/sidebar/customer", params={"ext": "wmZhang"})
    assert page.status_code == 200 and "已由 老王 负责" in page.text

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = client.post(f"/console/sidebar/customer/{second.id}/tags", data={"csrf_token": token, "tag": "随便打的",
                                                                              "on": "1"})
    assert refused.status_code == 422 and "不是系统标签" in refused.text
    added = client.post(f"/console/sidebar/customer/{second.id}/tags", data={"csrf_token": token, "tag": "企业主",
                                                                            "on": "1"}, follow_redirects=False)
    assert added.status_code == 303 and "企业主" in client.get(added.headers["location"]).text
    removed = client.post(f"/console/sidebar/customer/{second.id}/tags", data={"csrf_token": token, "tag": "企业主",
                                                                              "on": "0"})
    assert removed.status_code == 200 and "企业主</span>" not in removed.text

    client = sign_in(wang)  # 老王 owns the other record and neither follows nor sees this one
    assert client.get("/console/sidebar/customer", params={"ext": "wmZhang"}).status_code == 403
    token = page_csrf(client.get("/console/sidebar/materials").text)
    other = client.post(f"/console/sidebar/customer/{second.id}/tags", data={"csrf_token": token, "tag": "企业主",
                                                                            "on": "1"})
    assert other.status_code == 403 and "不是该客户的跟进人" in other.text


def test_a_task_is_snoozed_a_day_from_the_sidebar(db, sign_in):
    li = make_employee(db, "小李", wecom_userid="li")
    customer = make_customer(db, li, "王小明", wecom_external_userid="wmWang")
    due = utcnow() + timedelta(hours=1)
    task = SopTask(key=f"call:{customer.id}:x", kind="schedule", customer_id=customer.id,
                   assignee_employee_id=li.id, due_at=due, title="回访")
    db.add(task)
    db.flush()
    client = sign_in(li)
    token = page_csrf(client.get("/console/sidebar/materials").text)
    moved = client.post(f"/console/sidebar/tasks/{task.id}/snooze", data={"csrf_token": token}, follow_redirects=False)
    assert moved.status_code == 303 and "msg=task_snoozed" in moved.headers["location"]
    db.refresh(task)
    assert task.due_at == due + timedelta(days=1) and task.snoozes == 1
    assert client.post(f"/console/sidebar/tasks/{task.id}/drop", data={"csrf_token": token}).status_code == 404
