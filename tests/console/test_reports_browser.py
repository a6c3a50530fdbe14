"""In a real headless Chromium against a real server: a manager opens 报表, builds 签单金额 by 产品 for the last
30 days, sees the chart and table, is refused a dimension the measure does not take, saves the report and finds it
on the dashboard."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.reports.builder.models import SavedReport
from scrm.auth import COOKIE_NAME, issue_staff_token
from tests.factories.backoffice import make_world, signed


def test_a_manager_builds_saves_and_sees_a_report_on_the_dashboard(chromium, console_server, committed_db):
    db = committed_db
    w = make_world(db)
    signed(db, w, amount_applied_fen=3_000_000)
    signed(db, w, amount_applied_fen=500_000, product_code="car_mortgage")
    db.commit()
    context = chromium.new_context(base_url=console_server, locale="zh-CN")
    context.set_default_timeout(15000)
    context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(w.manager.id), "url": console_server,
                          "httpOnly": True, "sameSite": "Lax"}])
    page = context.new_page()
    try:
        page.goto("/console/")
        page.click("nav.side >> text=报表")
        page.select_option("#f-measure", "customers")
        page.select_option("#f-dimension", "funder_type")
        page.click("#run-report")
        assert "客户数不能按资金方类型分组" in page.locator("#err-dimension").inner_text()

        page.select_option("#f-measure", "signed_amount")
        page.select_option("#f-dimension", "product")
        page.select_option("#f-period", "30d")
        page.click("#run-report")
        table = page.locator(".chart table").inner_text()
        assert "信用贷" in table and "30,000.00" in table and "车抵贷" in table and "5,000.00" in table
        assert page.locator(".chart svg").count() == 1

        page.fill("#f-name", "近30天各产品签单金额")
        page.click("#save-button")
        page.wait_for_url("**/console/dashboards?msg=report_saved")
        assert "报表已保存到看板" in page.locator(".flash").inner_text()
        saved = page.locator(".saved-report").filter(has_text="近30天各产品签单金额")
        assert saved.count() == 1
        assert "30,000.00" in saved.locator("table").inner_text()
        page.click("#kpi-tab")
        page.wait_for_url("**/console/dashboards/kpis**")
        assert "产品指标" in page.locator("main").inner_text() and "渠道指标" in page.locator("main").inner_text()
        db.expire_all()
        report = db.scalar(select(SavedReport))
        assert (report.owner_id, report.definition) == (w.manager.id, {
            "measure": "signed_amount", "dimension": "product", "filters": {"period": "30d"}})
    finally:
        context.close()
