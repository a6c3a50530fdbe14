"""The chat sidebar in a real headless Chromium against a real server and the sandbox WeCom.

WeCom's JS bridge exists only inside WeCom, so each test injects a stand-in ``wx`` before the page's own script
runs (``add_init_script``). It records what the page calls and answers as WeCom documents: ``err_msg``
"<api>:ok" or "<api>:fail …" (JS-SDK 返回说明), ``getCurExternalContact`` with ``userId`` (document 92375),
``getCurExternalChat`` with ``chatId`` (92095), ``sendChatMessage`` (94354) with "fail no permission" before a
successful agentConfig and "without context of external contact" outside a chat toolbar. The page's own code
is the production code; WeCom's real SDK scripts are blocked.
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.core.db import utcnow
from scrm.customers import service as customer_service
from scrm.customers.models import CustomerFollow, FollowStatus
from scrm.materials import schemas
from scrm.materials import service as materials_service
from scrm.materials.models import MaterialSend
from scrm.org.models import Role
from scrm.sop.models import SopTask
from scrm.tagging import service as tagging_service
from scrm.tagging.models import CustomerTag, Tag, TagGroup
from scrm.wecom import jsapi
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SCREENSHOTS = os.environ.get("SCRM_SIDEBAR_SCREENSHOTS")  # a folder: save the phone-size screenshots there

BRIDGE = """
(function (s) {
  // kept across the page's own navigations (the entry page moves to the customer's URL)
  var calls = JSON.parse(window.sessionStorage.getItem("wecom-calls") || "[]");
  window.__wecom = {calls: calls};
  var push = calls.push;
  calls.push = function (c) {
    push.call(calls, c);
    window.sessionStorage.setItem("wecom-calls", JSON.stringify(calls));
  };
  var readyCbs = [], errorCbs = [];
  function later(cb, res) { setTimeout(function () { if (cb) { cb(res); } }, 0); }
  function copy(args) {
    var out = {};
    Object.keys(args || {}).forEach(function (k) { if (typeof args[k] !== "function") { out[k] = args[k]; } });
    return out;
  }
  var agentOk = false;
  window.wx = {
    config: function (c) {
      calls.push({api: "config", args: copy(c)});
      setTimeout(function () { readyCbs.forEach(function (f) { f(); }); }, 0);
    },
    ready: function (f) { readyCbs.push(f); },
    error: function (f) { errorCbs.push(f); },
    agentConfig: function (c) {
      calls.push({api: "agentConfig", args: copy(c)});
      if (s.agentConfigFail) { later(c.fail, {errMsg: "agentConfig:" + s.agentConfigFail}); return; }
      agentOk = true;
      later(c.success, {errMsg: "agentConfig:ok"});
    },
    invoke: function (name, args, cb) {
      calls.push({api: name, args: copy(args)});
      if (!agentOk) { later(cb, {err_msg: name + ":fail no permission"}); return; }
      var fail = (s.fail || {})[name];
      if (fail) { later(cb, {err_msg: name + ":" + fail}); return; }
      if (name === "getCurExternalContact") {
        later(cb, s.userId ? {err_msg: name + ":ok", userId: s.userId}
                           : {err_msg: name + ":fail without context of external contact"});
      } else if (name === "getCurExternalChat") {
        later(cb, s.chatId ? {err_msg: name + ":ok", chatId: s.chatId}
                           : {err_msg: name + ":fail without context of external contact"});
      } else if (name === "sendChatMessage") {
        later(cb, (s.userId || s.chatId) ? {err_msg: name + ":ok"}
                                         : {err_msg: name + ":fail without context of external contact"});
      } else {
        later(cb, {err_msg: name + ":fail not support"});
      }
    }
  };
})(%s);
"""


@pytest.fixture
def sidebar(committed_db, sandbox_wecom, console_server, chromium):
    """A salesperson (小李) following 王小明 on the sandbox WeCom, with a profile, a WeCom tag set by hand, an open
    task, a script with placeholders and an image; 小赵 in another department follows nobody."""
    db = committed_db
    products = {p.code: p for p in customer_service.seed_products(db)}
    sandbox_wecom.seed_user("li", "小李")
    sandbox_wecom.seed_user("zhao", "小赵")
    sandbox_wecom.seed_tag_group("客户等级", ["VIP"])
    ext = sandbox_wecom.seed_external_contact("王小明", [{"userid": "li", "tags": ["VIP"]}], gender=1)
    li = make_employee(db, "小李", department=make_department(db), wecom_userid="li")
    zhao = make_employee(db, "小赵", department=make_department(db), wecom_userid="zhao")
    manager = make_employee(db, "周经理", role=Role.manager, wecom_userid="zhou")
    customer = make_customer(db, li, "王小明", phone="13812345678", gender=1, wecom_external_userid=ext,
                             product_id=products["house_mortgage"].id, amount_fen=50_000_000)
    db.add(CustomerFollow(customer_id=customer.id, employee_id=li.id, status=FollowStatus.active))
    group = TagGroup(name="客户等级", wecom_group_id="grp-level")
    db.add(group)
    db.flush()
    vip = Tag(group_id=group.id, name="VIP", wecom_tag_id=sandbox_wecom.tag_id("VIP"))
    db.add(vip)
    db.flush()
    db.add(CustomerTag(customer_id=customer.id, tag_id=vip.id, source=tagging_service.WECOM_MANUAL))
    tagging_service.tag_text(db, customer.id, "想做房抵贷50万，有房", source="follow_up", source_key="seed:1")
    db.add(SopTask(key=f"call:{customer.id}:1", kind="schedule", customer_id=customer.id,
                   assignee_employee_id=li.id, due_at=utcnow() + timedelta(hours=2), title="A 类客户回访：今天打个电话"))
    script = materials_service.create_material(db, manager, schemas.MaterialIn(
        kind="text", group_name="开场白", title="首次问候", content="{客户称呼}您好，您咨询的{产品}{金额}今天就可以提交资料。"))
    poster = materials_service.create_material(db, manager, schemas.MaterialIn(
        kind="image", group_name="产品资料", title="房抵贷利率海报"), ("rates.png", PNG))
    db.commit()

    contexts = []

    def open_page(employee, *, user_id=None, chat_id=None, **scenario):
        context = chromium.new_context(base_url=console_server, locale="zh-CN", viewport={"width": 375, "height": 812},
                                       device_scale_factor=2, is_mobile=True, has_touch=True)
        context.set_default_timeout(15000)
        context.route(re.compile(r"https://(res\.wx\.qq\.com|open\.work\.weixin\.qq\.com)/.*"),
                      lambda route: route.abort())
        context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(employee.id), "url": console_server,
                              "httpOnly": True, "sameSite": "Lax"}])
        context.add_init_script(BRIDGE % json.dumps({"userId": user_id, "chatId": chat_id, **scenario}))
        contexts.append(context)
        return context.new_page()

    class World:
        pass

    w = World()
    w.db, w.sandbox, w.server, w.open = db, sandbox_wecom, console_server, open_page
    w.li, w.zhao, w.manager, w.customer, w.ext, w.script, w.poster = li, zhao, manager, customer, ext, script, poster
    try:
        yield w
    finally:
        for context in contexts:
            context.close()


def calls(page, api=None):
    recorded = page.evaluate("window.__wecom.calls")
    return [c for c in recorded if api is None or c["api"] == api]


def shoot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=False)


def test_the_sidebar_opens_for_the_customer_of_the_chat_with_profile_tags_and_tasks(sidebar):
    page = sidebar.open(sidebar.li, user_id=sidebar.ext)
    page.goto("/console/sidebar/customer")
    page.wait_for_url(re.compile(r"/console/sidebar/customer\?ext="))
    head = page.locator("#customer-head").inner_text()
    assert "王小明" in head and "138****5678" in head and "13812345678" not in page.content()
    assert "小李" in head
    assert "房抵贷" in page.locator("#profile").inner_text() and "500000 元" in page.locator("#profile").inner_text()
    assert "有房产" in page.locator("#tags").inner_text() and "VIP" in page.locator("#tags").inner_text()
    assert "A 类客户回访：今天打个电话" in page.locator("#tasks").inner_text()

    # the entry page was signed as WeCom documents, for its own URL, with each ticket the sandbox handed out
    entry_url = sidebar.server + "/console/sidebar/customer"
    config, agent = calls(page, "config")[0]["args"], calls(page, "agentConfig")[0]["args"]
    tickets = sidebar.sandbox.jsapi_tickets
    assert config["signature"] == jsapi.signature(tickets["corp"], config["nonceStr"], config["timestamp"], entry_url)
    assert agent["signature"] == jsapi.signature(tickets["agent_config"], agent["nonceStr"], agent["timestamp"],
                                                 entry_url)
    assert config["appId"] == agent["corpid"] == sidebar.sandbox.corp_id and "sendChatMessage" in agent["jsApiList"]
    shoot(page, "sidebar-customer.png")


def test_a_tag_added_in_the_sidebar_shows_in_the_console_and_reaches_wecom(sidebar):
    page = sidebar.open(sidebar.li, user_id=sidebar.ext)
    page.goto(f"/console/sidebar/customer?ext={sidebar.ext}")
    page.select_option("#add-tag", "有社保")
    page.click("button:has-text('添加标签')")
    page.wait_for_url(re.compile(r"msg=tag_added"))
    assert "有社保" in page.locator("#tags").inner_text()

    console = page.context.new_page()
    console.goto(f"/console/customers/{sidebar.customer.id}")
    assert "有社保" in console.content()

    follow = sidebar.sandbox.contact(sidebar.ext)["follow_user"][0]
    names = {t["tag_name"] for t in follow["tags"]}
    assert {"有社保", "有房产", "房抵贷", "VIP"} <= names  # synced by mark_tag; the hand-set VIP left alone
    marks = [r for r in sidebar.sandbox.request_log("externalcontact/mark_tag") if r["errcode"] == 0]
    assert marks and all(sidebar.sandbox.tag_id("VIP") not in (r["body"].get("remove_tag") or []) for r in marks)


def test_a_follow_up_logged_in_the_sidebar_changes_the_profile(sidebar):
    page = sidebar.open(sidebar.li, user_id=sidebar.ext)
    page.goto(f"/console/sidebar/customer?ext={sidebar.ext}")
    page.fill("#f-content", "客户改主意了，想做车抵贷，30万，急用")
    page.click("button:has-text('记录跟进')")
    page.wait_for_url(re.compile(r"msg=follow_up_added"))
    profile = page.locator("#profile").inner_text()
    assert "车抵贷" in profile and "300000 元" in profile and "高" in profile
    assert "客户改主意了" in page.locator("#follow-ups").inner_text()

    page.click("#tasks button:has-text('完成')")
    page.wait_for_url(re.compile(r"msg=task_done"))
    assert "没有待办任务" in page.locator("#tasks").inner_text()


def test_a_script_goes_out_filled_and_an_image_by_one_uploaded_media_id(sidebar):
    page = sidebar.open(sidebar.li, user_id=sidebar.ext)
    page.goto("/console/sidebar/materials")
    page.wait_for_function("window.__wecom.calls.some(c => c.api === 'getCurExternalContact')")
    page.click(f"li[data-id='{sidebar.script.id}'] button.send")
    page.wait_for_selector("#notice:has-text('已发送到当前聊天')")
    text = calls(page, "sendChatMessage")[0]["args"]
    assert text == {"msgtype": "text", "text": {"content": "王先生您好，您咨询的房抵贷50万元今天就可以提交资料。"}}
    shoot(page, "sidebar-materials.png")

    poster = page.locator(f"li[data-id='{sidebar.poster.id}'] button.send")
    for n in (1, 2):
        poster.click()
        page.wait_for_selector(f"li[data-id='{sidebar.poster.id}'] button.send[data-sends='{n}']")
    images = [c["args"] for c in calls(page, "sendChatMessage")[1:]]
    media_ids = {i["image"]["mediaid"] for i in images}
    assert [i["msgtype"] for i in images] == ["image", "image"] and len(media_ids) == 1
    assert sidebar.sandbox.call_count("media/upload") == 1 and media_ids <= set(sidebar.sandbox.media)

    # each send WeCom confirmed is counted: who, to which customer, which script
    db = sidebar.db
    db.expire_all()
    sends = db.execute(select(MaterialSend.material_id, func.count()).where(
        MaterialSend.customer_id == sidebar.customer.id, MaterialSend.employee_id == sidebar.li.id)
        .group_by(MaterialSend.material_id)).all()
    assert dict(sends) == {sidebar.script.id: 1, sidebar.poster.id: 2}


def test_a_salesperson_who_does_not_follow_the_customer_is_refused(sidebar):
    page = sidebar.open(sidebar.zhao, user_id=sidebar.ext)
    page.goto("/console/sidebar/customer")
    page.wait_for_url(re.compile(r"ext="))
    assert "无法查看" in page.locator("h1").inner_text()
    assert "王小明" not in page.content() and "5678" not in page.content()
    answer = page.goto(f"/console/sidebar/customer?ext={sidebar.ext}")
    assert answer.status == 403

    # nor can they send into that chat by naming the customer
    page.goto("/console/sidebar/materials")
    page.wait_for_function("window.__wecom.calls.some(c => c.api === 'getCurExternalContact')")
    page.click(f"li[data-id='{sidebar.script.id}'] button.send")
    page.wait_for_selector("#notice.bad")
    assert "不是该客户的跟进人" in page.locator("#notice").inner_text()
    assert calls(page, "sendChatMessage") == []


def test_bridge_failures_are_told_in_words_a_salesperson_understands(sidebar):
    page = sidebar.open(sidebar.li, user_id=sidebar.ext, fail={"getCurExternalContact": "fail no permission"})
    page.goto("/console/sidebar/customer")
    page.wait_for_selector("#notice.bad")
    assert "没有权限" in page.locator("#notice").inner_text() and "管理员" in page.locator("#notice").inner_text()

    outside = sidebar.open(sidebar.li)  # opened from the app's workbench, not beside a chat
    outside.goto("/console/sidebar/materials")
    outside.wait_for_selector("#notice.bad")
    assert "聊天工具栏" in outside.locator("#notice").inner_text()
    outside.click(f"li[data-id='{sidebar.script.id}'] button.send")
    assert "聊天工具栏" in outside.locator("#notice").inner_text() and calls(outside, "sendChatMessage") == []

    refused = sidebar.open(sidebar.li, user_id=sidebar.ext, fail={"sendChatMessage": "fail no permission"})
    refused.goto("/console/sidebar/materials")
    refused.wait_for_function("window.__wecom.calls.some(c => c.api === 'getCurExternalContact')")
    refused.click(f"li[data-id='{sidebar.script.id}'] button.send")
    refused.wait_for_selector("#notice:has-text('没有权限')")
    assert refused.locator(f"li[data-id='{sidebar.script.id}'] button.send").inner_text() == "发送"


WW_BRIDGE = """
(function (s) {
  var calls = JSON.parse(window.sessionStorage.getItem("wecom-calls") || "[]");
  function record(c) { calls.push(c); window.sessionStorage.setItem("wecom-calls", JSON.stringify(calls)); }
  window.__wecom = {calls: calls};
  // @wecom/jsapi's ww: register() with signature callbacks, then promise-returning calls
  window.ww = {
    register: function (o) {
      var config = o.getConfigSignature(window.location.href), agent = o.getAgentConfigSignature(window.location.href);
      record({api: "register", args: {corpId: o.corpId, agentId: o.agentId, config: config, agentConfig: agent}});
      setTimeout(function () { o.onAgentConfigSuccess && o.onAgentConfigSuccess({errMsg: "agentConfig:ok"}); }, 0);
    },
    getCurExternalContact: function () {
      record({api: "getCurExternalContact", args: {}});
      return Promise.resolve({errMsg: "getCurExternalContact:ok", userId: s.userId});
    }
  };
})(%s);
"""


def test_the_newer_ww_sdk_is_registered_with_both_signatures(sidebar):
    page = sidebar.open(sidebar.li)
    page.context.add_init_script(WW_BRIDGE % json.dumps({"userId": sidebar.ext}))
    page.goto("/console/sidebar/customer")
    page.wait_for_url(re.compile(r"ext="))
    assert "王小明" in page.locator("#customer-head").inner_text()
    register = calls(page, "register")[0]["args"]
    url, tickets = sidebar.server + "/console/sidebar/customer", sidebar.sandbox.jsapi_tickets
    for which, kind in (("config", "corp"), ("agentConfig", "agent_config")):
        signed = register[which]
        assert signed["signature"] == jsapi.signature(tickets[kind], signed["nonceStr"], signed["timestamp"], url)
