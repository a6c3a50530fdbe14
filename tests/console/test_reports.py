"""报表 in the console: the builder page shows a chart and table with names (never codes), refuses a definition
outside the whitelist next to the field, saves a report to the dashboard where it runs in the viewer's scope, and
the dashboards show the KPIs per product and channel."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from backoffice.reports.builder.models import SavedReport
from tests.console.conftest import csrf_of
from tests.factories.backoffice import signed

SAVE_FIELDS = {"measure": "signed_amount", "dimension": "product", "period": "30d"}


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", html, re.S)]


def test_the_builder_shows_names_and_saves_to_the_dashboard(db, client, world, sign_in):
    w = world
    signed(db, w, amount_applied_fen=1_234_500)
    signed(db, w, amount_applied_fen=100_000, product_code="house_mortgage")
    db.flush()
    sign_in(w.manager)
    page = client.get("/console/reports", params=SAVE_FIELDS)
    assert page.status_code == 200, page.text
    cells = _cells(page.text)
    assert "信用贷" in cells and "房抵贷" in cells and "12,345.00" in cells and "1,000.00" in cells
    assert "credit" not in cells and "<svg" in page.text

    bad = client.get("/console/reports", params={**SAVE_FIELDS, "dimension": "funder_type", "measure": "customers"})
    assert bad.status_code == 422
    assert re.search(r'id="err-dimension"[^>]*>客户数不能按资金方类型分组', bad.text)
    worse = client.get("/console/reports", params={**SAVE_FIELDS, "measure": "customer.phone"})
    assert worse.status_code == 422 and 'id="err-measure"' in worse.text

    token = csrf_of(page.text)
    nameless = client.post("/console/reports", data={**SAVE_FIELDS, "name": "", "csrf_token": token})
    assert nameless.status_code == 422 and 'id="err-name"' in nameless.text
    assert db.scalar(select(func.count()).select_from(SavedReport)) == 0
    saved = client.post("/console/reports", data={**SAVE_FIELDS, "name": "产品签单金额", "csrf_token": token},
                        follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("/console/dashboards?msg=report_saved")

    board = client.get("/console/dashboards?msg=report_saved")
    assert board.status_code == 200
    assert "报表已保存到看板" in board.text and "<h3>产品签单金额</h3>" in board.text
    kpis = client.get("/console/dashboards/kpis")
    assert kpis.status_code == 200
    assert "<h3>产品指标</h3>" in kpis.text and "<h3>渠道指标</h3>" in kpis.text
    cells = _cells(board.text)
    assert "12,345.00" in cells and "信用贷" in cells

    # another manager's dashboard does not show it, and they cannot remove it
    report = db.scalar(select(SavedReport))
    sign_in(w.finance)
    assert client.post(f"/console/reports/{report.id}/delete", data={"csrf_token": csrf_of(
        client.get("/console/reimbursements").text)}).status_code == 403  # finance has no dashboards
    sign_in(w.supervisor)
    other = client.get("/console/dashboards")
    assert "产品签单金额" not in other.text
    assert client.post(f"/console/reports/{report.id}/delete",
                       data={"csrf_token": csrf_of(other.text)}).status_code == 404
    sign_in(w.manager)
    board = client.get("/console/dashboards")
    gone = client.post(f"/console/reports/{report.id}/delete", data={"csrf_token": csrf_of(board.text)},
                       follow_redirects=False)
    assert gone.status_code == 303 and db.scalar(select(func.count()).select_from(SavedReport)) == 0


def test_a_saved_report_on_the_dashboard_shows_only_the_managers_centre(db, client, world, sign_in):
    w = world
    signed(db, w, amount_applied_fen=2_000_000)
    theirs = signed(db, w, amount_applied_fen=9_900_000)
    theirs.salesperson_id, theirs.department_id = w.other_sales.id, w.other_sales.department_id
    db.flush()
    sign_in(w.manager)
    page = client.get("/console/reports")
    assert client.post("/console/reports", data={"measure": "signed_amount", "dimension": "department",
                                                 "period": "30d", "name": "部门签单",
                                                 "csrf_token": csrf_of(page.text)}).status_code == 200
    cells = _cells(client.get("/console/dashboards").text)
    assert "20,000.00" in cells and "99,000.00" not in cells
    sign_in(w.admin)
    assert "99,000.00" in _cells(client.get("/console/reports", params={
        "measure": "signed_amount", "dimension": "department", "period": "30d"}).text)
