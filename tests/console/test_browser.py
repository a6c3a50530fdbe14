"""End to end in a real headless Chromium against a real uvicorn server: what staff do with the console."""

from __future__ import annotations

import pytest

from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.customers.models import FollowUp
from scrm.handover.models import HandoverCase
from scrm.org import service as org_service
from scrm.org.models import Role
from tests.factories.customers import make_customer
from tests.factories.handover import build_world
from tests.factories.org import make_department, make_employee


@pytest.fixture
def browser_page(chromium, console_server):
    context = chromium.new_context(base_url=console_server, locale="zh-CN")
    context.set_default_timeout(15000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations before irreversible actions
    try:
        yield page
    finally:
        context.close()


def signed_in(page, console_server: str, employee) -> None:
    page.context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(employee.id), "url": console_server,
                               "httpOnly": True, "sameSite": "Lax"}])


def test_salesperson_signs_in_and_sees_only_their_customers(committed_db, browser_page, console_server):
    db = committed_db
    dept = make_department(db)
    li = make_employee(db, "小李", department=dept, username="xiaoli")
    org_service.set_password(db, li.id, "xiaoli-pass-1")
    zhao = make_employee(db, "小赵", department=dept)
    make_customer(db, li, "我的客户甲", phone="13900001111")
    theirs = make_customer(db, zhao, "别人的客户乙")
    db.commit()

    page = browser_page
    page.goto("/console/customers")
    page.fill("#f-username", "xiaoli")
    page.fill("#f-password", "xiaoli-pass-1")
    page.click("button:has-text('登录')")
    page.wait_for_url("**/console/customers")
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "我的客户甲" in rows.first.inner_text() and "139****1111" in rows.first.inner_text()
    assert page.locator("nav.side >> text=离职交接").count() == 0

    answer = page.goto(f"/console/customers/{theirs.id}")
    assert answer.status == 404 and "找不到页面" in page.content()
    page.goto("/console/customers")
    page.fill("#f-q", "别人")
    page.click("button:has-text('查询')")
    page.wait_for_url("**/console/customers?q=*")
    assert page.locator("tbody tr").inner_text() == "没有符合条件的客户"


def test_follow_up_with_a_field_error_then_correct(committed_db, browser_page, console_server):
    db = committed_db
    sales = make_employee(db, "小王", department=make_department(db))
    customer = make_customer(db, sales, "王五")
    db.commit()
    page = browser_page
    signed_in(page, console_server, sales)
    page.goto(f"/console/customers/{customer.id}")
    page.fill("#f-content", "   ")
    page.click("button:has-text('添加跟进')")
    error = page.locator("#err-content")
    assert error.inner_text() == "请填写跟进内容"
    assert page.locator("label.has-error #f-content").count() == 1
    page.fill("#f-content", "客户有一套全款房，想抵押贷 50 万")
    page.click("button:has-text('添加跟进')")
    page.wait_for_url(f"**/console/customers/{customer.id}?msg=follow_up_added")
    assert "已添加跟进记录" in page.locator(".flash").inner_text()
    assert "客户有一套全款房" in page.locator("#follow-ups table").inner_text()
    assert db.query(FollowUp).filter_by(customer_id=customer.id).count() == 1


def test_manager_runs_a_handover_to_the_end(committed_db, browser_page, console_server, wecom_client, sandbox_wecom):
    db = committed_db
    w = build_world(db, sandbox_wecom, 3, 2, departed=False)
    sandbox_wecom.user_deleted("giver")
    db.commit()
    page = browser_page
    signed_in(page, console_server, w.manager)
    page.goto("/console/handover")
    page.select_option("#f-employee_id", str(w.giver.id))
    page.click("button:has-text('标记离职')")
    page.wait_for_url("**/console/handover/*?msg=departed")
    for taker in w.takers:
        page.check(f"input[name=taker_ids][value='{taker.id}']")
    page.click("button:has-text('预览')")
    assert "预览（未保存）：3 项" in page.locator("#preview").inner_text()
    page.click("button:has-text('保存计划')")
    page.wait_for_url("**msg=planned")
    page.click("button:has-text('执行转接')")
    page.wait_for_url("**msg=running")
    assert "等待客户接受 3" in page.locator("#progress-text").inner_text()
    sandbox_wecom.complete_transfers(1)
    page.click("button:has-text('刷新转接结果')")
    page.wait_for_url("**msg=tracking")
    assert "已接替 3" in page.locator("#progress-text").inner_text()
    db.expire_all()
    assert db.query(HandoverCase).one().status.value == "closed"


def test_rule_edit_with_preview(committed_db, browser_page, console_server, products):
    db = committed_db
    dept = make_department(db)
    manager = make_employee(db, "周经理", role=Role.manager, department=dept)
    seller = make_employee(db, "小孙", department=dept)
    make_customer(db, None, "济南客户", city="济南")
    make_customer(db, None, "青岛客户", city="青岛")
    db.commit()
    page = browser_page
    signed_in(page, console_server, manager)
    page.goto("/console/rules")
    page.click("text=新建规则")
    page.fill("#f-name", "济南线索")
    page.fill("#f-cities", "济南")
    page.click("button:has-text('预览')")
    assert "规则至少需要一名成员" in page.locator("#err-team_employee_ids").inner_text()
    page.check(f"input[name=team_employee_ids][value='{seller.id}']")
    page.click("button:has-text('预览')")
    preview = page.locator("#preview")
    assert page.locator("#matched").inner_text() == "1" and "济南客户" in preview.inner_text()
    assert "青岛客户" not in preview.inner_text()
    page.click("button:has-text('保存')")
    page.wait_for_url("**/console/rules?msg=rule_saved")
    assert "济南线索" in page.locator("table").first.inner_text()


def test_a_post_without_the_csrf_token_is_refused(committed_db, browser_page, console_server):
    db = committed_db
    sales = make_employee(db, department=make_department(db))
    customer = make_customer(db, sales, "赵六")
    db.commit()
    page = browser_page
    signed_in(page, console_server, sales)
    page.goto(f"/console/customers/{customer.id}")
    status = page.evaluate("""async (url) => {
        const body = new URLSearchParams({kind: 'call', content: '没有令牌'});
        return (await fetch(url, {method: 'POST', body})).status;
    }""", f"/console/customers/{customer.id}/follow-ups")
    assert status == 403
    page.evaluate("document.querySelector('#follow-ups input[name=csrf_token]').remove()")
    page.fill("#f-content", "表单里没有令牌")
    page.click("button:has-text('添加跟进')")
    assert "CSRF" in page.locator("main").inner_text()
    assert db.query(FollowUp).filter_by(customer_id=customer.id).count() == 0
