"""In a real headless Chromium against a real server: finance opens 财务业绩 from the menu, narrows it to one
funder type, then to one product, and groups it by centre; the figures change with each filter, and the Excel
link carries the same filters."""

from __future__ import annotations

from datetime import date

from backoffice.orders.models import FunderType
from scrm.auth import COOKIE_NAME, issue_staff_token
from tests.factories.backoffice import make_world
from tests.factories.performance import Case, beijing, drive


def _total(page, group: str) -> list[str]:
    return page.locator(f'table[data-group="{group}"] tr.total td').all_inner_texts()


def test_filters_change_the_figures(chromium, console_server, committed_db):
    db = committed_db
    w = make_world(db)
    for c in (Case(w.sales, "credit", FunderType.bank, 20_000_000, beijing(2026, 11, 2), 18_000_000,
                   date(2026, 11, 20), settle=True, discount_per_loan_fen=15_000, loans=2),
              Case(w.sales, "house_mortgage", FunderType.microloan, 100_000_000, beijing(2026, 11, 5), 90_000_000,
                   date(2026, 11, 25)),
              Case(w.other_sales, "credit", FunderType.consumer_finance, 5_000_000, beijing(2026, 11, 8))):
        drive(db, w, c)
    db.commit()
    context = chromium.new_context(base_url=console_server, locale="zh-CN")
    context.set_default_timeout(15000)
    context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(w.finance.id), "url": console_server,
                          "httpOnly": True, "sameSite": "Lax"}])
    page = context.new_page()
    try:
        page.goto("/console/")
        page.click("nav.side >> text=财务业绩")
        page.fill("#f-date_from", "2026-11-01")
        page.click("#apply")
        page.wait_for_url("**date_from=2026-11-01*")
        everything = _total(page, "employee")
        assert everything[2:5] == ["3", "1,250,000.00", "2"]  # sign-ups, amount signed, loans disbursed

        page.select_option("#f-funder_type", "microloan")
        page.click("#apply")
        page.wait_for_url("**funder_type=microloan*")
        assert _total(page, "employee")[2:7] == ["1", "1,000,000.00", "1", "900,000.00", "0.00"]
        assert page.locator("#table-funder_type tbody tr").first.locator("td").nth(1).inner_text() == "小贷"

        page.select_option("#f-funder_type", "")
        page.select_option("#f-product_code", "credit")
        page.select_option("#f-group_by", "center")
        page.click("#apply")
        page.wait_for_url("**group_by=center*")
        assert page.locator("#table-center h2").inner_text() == "按中心"
        assert page.locator('table[data-group="center"] tbody tr').count() == 3  # two centres and the total
        assert _total(page, "center")[2:7] == ["2", "250,000.00", "1", "180,000.00", "5,100.00"]
        assert page.locator("#table-center svg").count() == 1
        href = page.get_attribute("#export", "href")
        assert "product_code=credit" in href and "group_by=center" in href
    finally:
        context.close()
