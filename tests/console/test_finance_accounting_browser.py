"""In a real headless Chromium against a real server: finance maps an account, exports November for 用友 U8, is
warned on exporting it again, confirms 仍然导出 and downloads the file."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.accounting.models import AccountingExport, AccountMapping
from scrm.auth import COOKIE_NAME, issue_staff_token
from tests.backoffice.accounting.helpers import entries_of, map_accounts, move_to, settled_order, vouchers
from tests.factories.backoffice import make_world


def test_finance_exports_a_month_twice_on_purpose(chromium, console_server, committed_db, tmp_path):
    db = committed_db
    world = make_world(db)
    map_accounts(db, world.finance, skip=("bank",))
    entries = entries_of(db, settled_order(db, world).id)
    move_to(db, entries, "2026-11-18")
    db.commit()
    context = chromium.new_context(base_url=console_server, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(world.finance.id), "url": console_server,
                          "httpOnly": True, "sameSite": "Lax"}])
    page = context.new_page()
    questions: list[str] = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    try:
        page.goto("/console/finance/accounting")
        page.click("nav.side >> text=凭证导出")
        page.select_option("#f-target", "yonyou_u8")
        page.fill("#f-month", "2026-11")
        page.click("button:has-text('导出')")
        assert "银行存款（bank）" in page.locator(".flash.bad").inner_text()

        page.fill("#f-code_bank", "1002")
        page.click("button:has-text('保存科目对照')")
        page.wait_for_url("**/console/finance/accounting?msg=mapping_saved")
        db.expire_all()
        assert db.get(AccountMapping, "bank").code == "1002"

        page.select_option("#f-target", "yonyou_u8")
        page.fill("#f-month", "2026-11")
        page.click("button:has-text('导出')")
        page.wait_for_url("**msg=vouchers_exported*")
        assert page.locator("#exports tbody tr").count() == 1

        page.select_option("#f-target", "yonyou_u8")
        page.fill("#f-month", "2026-11")
        page.click("form.filters button:has-text('导出')")
        assert "已经导出过" in page.locator("#earlier").inner_text()
        page.screenshot(path=str(tmp_path / "accounting.png"), full_page=True)
        with page.expect_navigation(url="**msg=vouchers_exported*"):
            page.click("button:has-text('仍然导出')")
        assert questions and "重复记账" in questions[-1]
        assert "重新导出" in page.locator("#exports tbody tr").first.inner_text()

        with page.expect_download() as info:
            page.locator("#exports a:has-text('下载')").first.click()
        info.value.save_as(tmp_path / "file.xlsx")
        n = len(entries)
        assert sorted(vouchers((tmp_path / "file.xlsx").read_bytes(), "凭证编号")) == list(range(n + 1, 2 * n + 1))
    finally:
        context.close()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AccountingExport)) == 2
