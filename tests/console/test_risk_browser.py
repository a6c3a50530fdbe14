"""In a real headless Chromium: a manager writes a risk rule in the structured editor, previews how many and which
customers it would fire on (nothing saved), saves it, and sees on a customer's page the firing with its evidence —
including the words of the customer's chat that gave the count."""

from __future__ import annotations

from sqlalchemy import func, select

from scrm.org.models import Role
from scrm.risk import service as risk_service
from scrm.risk.models import RiskFiring, RiskRule
from scrm.risk.schemas import FactsIn
from scrm.tagging import service as tagging_service
from tests.console.test_browser import browser_page, signed_in  # noqa: F401  (fixture)
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def test_manager_writes_previews_saves_a_risk_rule_and_reads_a_firings_evidence(committed_db, browser_page,
                                                                                 console_server):
    db = committed_db
    dept = make_department(db)
    manager = make_employee(db, "刘经理", role=Role.manager, department=dept)
    seller = make_employee(db, "小吴", department=dept)
    chatty = make_customer(db, seller, "聊天里说查询多")
    entered = make_customer(db, seller, "录入查询多")
    calm = make_customer(db, seller, "查询正常")
    tagging_service.tag_text(db, chatty.id, "我近3个月征信查询了12次，还能贷吗", source="message", source_key="m1")
    risk_service.take_stated_counts(db, chatty.id)
    risk_service.set_facts(db, seller, entered.id, FactsIn(inquiries_3m=14))
    risk_service.set_facts(db, seller, calm.id, FactsIn(inquiries_3m=2))
    db.commit()

    page = browser_page
    signed_in(page, console_server, manager)
    page.goto("/console/")
    page.click("nav >> text=风控")
    page.wait_for_url("**/console/risk")
    page.click("text=新建风控规则")
    page.fill("#f-name", "征信查询过多")
    page.select_option("#f-c0_fact", "inquiries_3m")
    page.select_option("#f-c0_op", ">")
    page.fill("#f-c0_value", "10")
    page.check("input[name=do_add_tag]")
    page.fill("#f-tag", "高风险")
    page.check("input[name=do_alert]")
    page.click("button:has-text('预览')")
    page.wait_for_selector("#preview")
    assert page.inner_text("#preview-matching") == "2" and page.inner_text("#preview-evaluated") == "3"
    sample = page.inner_text("#preview-sample")
    assert "聊天里说查询多" in sample and "录入查询多" in sample and "查询正常" not in sample
    assert "近3个月征信查询了12次" in sample  # the preview already quotes the chat
    assert db.scalar(select(func.count()).select_from(RiskRule)) == 0

    page.click("button:has-text('保存')")
    page.wait_for_url("**/console/risk?msg=risk_rule_saved")
    assert "征信查询过多" in page.inner_text("#risk-rules")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(RiskFiring)) == 2  # evaluated after the save's commit

    page.goto(f"/console/customers/{chatty.id}")
    page.wait_for_selector("#risk-summary", timeout=60_000)  # the server may still be delivering the firings' events
    assert "征信查询过多" in page.inner_text("#risk-summary")
    page.click("#risk-summary a")
    page.wait_for_url(f"**/console/customers/{chatty.id}/risk")
    firing = page.inner_text("#risk-firings")
    assert "征信查询过多" in firing and "征信近3个月查询次数：12" in firing
    assert "客户在聊天中说：“近3个月征信查询了12次”" in firing
    assert "打标签「高风险」" in firing and "预警" in firing
