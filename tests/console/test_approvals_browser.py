"""审批 in Chromium: the supervisor sees the application waiting for them, a reject without a comment is refused on the
page, a return with one is taken, the flows editor names a bad step, and the customer page shows the history."""

from __future__ import annotations

from scrm.approvals import service as approval_service
from scrm.approvals.schemas import SubmitIn
from scrm.customers import service as customer_service
from scrm.pipeline import service as pipeline_service
from tests.approvals.conftest import applicant, make_team
from tests.console.test_browser import browser_page, signed_in  # noqa: F401  (fixture)


def test_supervisor_returns_an_application_from_the_console(committed_db, browser_page, console_server):
    db = committed_db
    products = {p.code: p for p in customer_service.seed_products(db)}
    pipeline_service.seed_stages(db)  # the customer page places the customer in the sales pipeline
    team = make_team(db)
    customer = applicant(db, team, "吴小姐", product=products["credit"])
    instance = approval_service.submit_application(db, team.sales, SubmitIn(customer_id=customer.id))
    db.commit()
    page = browser_page
    signed_in(page, console_server, team.supervisor)
    page.goto("/console/approvals")
    row = page.locator(f"#pending tr[data-id='{instance.id}']")
    assert "吴**" in row.inner_text() and "资质初审" in row.inner_text() and "200,000.00" in row.inner_text()
    row.locator("button:has-text('驳回')").click()
    assert "驳回时请填写意见" in page.locator("#problem").inner_text()
    row = page.locator(f"#pending tr[data-id='{instance.id}']")
    row.locator("textarea[name=comment]").fill("请补充近半年银行流水")
    row.locator("button:has-text('退回')").click()
    page.wait_for_url("**/console/approvals?done=return*")
    assert f"审批 #{instance.id} 已退回" in page.locator(".flash").inner_text()
    assert "没有等待您审批的事项" in page.locator("#pending").inner_text()

    page.goto(f"/console/customers/{customer.id}")
    history = page.locator("#approvals").inner_text()
    assert "已退回" in history and "请补充近半年银行流水" in history and "钱主管 退回" in history


def test_flows_editor_names_the_bad_step(committed_db, browser_page, console_server):
    db = committed_db
    customer_service.seed_products(db)
    team = make_team(db)
    db.commit()
    page = browser_page
    signed_in(page, console_server, team.manager)
    page.goto("/console/approvals/flows")
    page.click("text=为产品新建审批流")
    page.select_option("#f-subject_kind", "contract")
    page.select_option("#f-product_code", "credit")
    page.fill("#f-name", "信用贷合同审核")
    page.fill("input[name=s0_name]", "主管审核")
    page.fill("input[name=s1_name]", "经理复核")
    page.select_option("select[name=s1_kind]", "role")
    page.fill("input[name=s1_min]", "500000")
    page.click("button:has-text('保存')")
    assert "按角色审批时写 role" in page.locator(".flash.bad").inner_text()
    assert "invalid" in (page.locator("select[name=s1_role]").get_attribute("class") or "")
    page.select_option("select[name=s1_role]", "manager")
    page.click("button:has-text('保存')")
    page.wait_for_url("**/console/approvals/flows?saved=1")
    assert "经理复核：经理（金额 ≥ 500,000.00 元）" in page.locator("#flows").inner_text()
