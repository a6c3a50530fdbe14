"""In a real headless Chromium: a manager edits a tiering rule, previews who would move, saves and re-tiers."""

from __future__ import annotations

from scrm.customers.models import Stage
from scrm.groups.models import TierRule
from scrm.org.models import Role
from tests.console.test_browser import browser_page, signed_in  # noqa: F401  (fixture)
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def test_manager_edits_previews_saves_and_retiers_a_tiering_rule(committed_db, browser_page, console_server):
    db = committed_db
    dept = make_department(db)
    manager = make_employee(db, "刘经理", role=Role.manager, department=dept)
    seller = make_employee(db, "小吴", department=dept)
    for i in range(3):
        make_customer(db, seller, f"已放款客户{i}", stage=Stage.disbursed)
    make_customer(db, seller, "线索客户", stage=Stage.lead)
    rule = TierRule(name="优质客户", tier="A", position=10, conditions={"stages_in": ["settled"]}, active=True)
    db.add(rule)
    db.commit()

    page = browser_page
    signed_in(page, console_server, manager)
    page.goto("/console/rules")
    page.click("text=客户分层规则")
    page.wait_for_url("**/console/rules/tiers")
    page.click("a:has-text('优质客户')")
    page.wait_for_url(f"**/console/rules/tiers/{rule.id}")
    page.check("input[name=stages_in][value=disbursed]")
    page.click("button:has-text('预览')")
    page.wait_for_selector("#preview")
    assert page.inner_text("#total-moving") == "4"
    moves = page.inner_text("#preview tbody")
    assert "A 类\t3" in moves and "C 类\t1" in moves and "已放款客户0" in moves
    db.expire_all()
    assert db.get(TierRule, rule.id).conditions == {"stages_in": ["settled"]}

    page.click("button:has-text('保存')")
    page.wait_for_url("**/console/rules/tiers?msg=tier_rule_saved")
    assert "分层规则已保存" in page.content()
    page.click("button:has-text('立即重新分层')")  # the confirmation is accepted by the fixture
    page.wait_for_url("**msg=retiered**")
    assert page.inner_text("td[data-tier=A]") == "3" and page.inner_text("td[data-tier=C]") == "1"
