"""``scrm screenshots --out DIR``: replay the demo on the embedded default, serve it, and save PNGs of the
console's main pages from Debian's chromium (through Playwright), for reviewers to look at."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from sqlalchemy import select

from backoffice.settlements.models import Settlement, SettlementStatus
from loan_scrm import demo
from loan_scrm.app import create_app
from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.customers.models import Customer, FollowUp
from scrm.core.db import session_scope
from scrm.handover.models import HandoverCase
from scrm.org.models import Employee
from scrm.tagging.models import CustomerProfile

VIEWPORT = {"width": 1366, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int):


    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    threading.Thread(target=server.run, daemon=True, name="console-screenshots").start()
    while not server.started:
        time.sleep(0.05)
    return server


def _chromium() -> str:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("chromium is needed: apt-get install chromium (scripts/test installs it)")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout if shutil.which("fc-list") \
        else ""
    if not fonts.strip():
        print("warning: no Chinese font installed; text will show as boxes (apt-get install fonts-wqy-microhei)")
    return executable


def run(out: Path, customers: int = 150) -> list[Path]:


    executable = _chromium()
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="scrm-screenshots-"))
    demo.run(serve=False, port=_free_port(), customers=customers, data_dir=data_dir)
    with session_scope() as db:
        manager = db.scalar(select(Employee.id).where(Employee.username == "zhoujing"))
        sales = db.scalar(select(Employee.id).where(Employee.username == "lina"))
        finance = db.scalar(select(Employee.id).where(Employee.username == "luoxia"))
        settlement = db.scalar(select(Settlement.id).where(Settlement.status == SettlementStatus.closed)
                               .order_by(Settlement.id))
        case = db.scalar(select(HandoverCase.id).order_by(HandoverCase.id))
        customer = db.scalar(select(Customer.id).join(CustomerProfile, CustomerProfile.customer_id == Customer.id)
                             .join(FollowUp, FollowUp.customer_id == Customer.id)
                             .where(CustomerProfile.product.is_not(None)).order_by(Customer.id))
    port = _free_port()
    server = _serve(port)
    base = f"http://127.0.0.1:{port}"
    saved: list[Path] = []
    try:
        # lazy: Playwright comes with the test extras; only this command needs it
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"])

            def session(employee_id: int | None):
                context = browser.new_context(base_url=base, viewport=VIEWPORT, locale="zh-CN")
                if employee_id:
                    context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(employee_id), "url": base}])
                return context.new_page()

            def shot(page, name: str) -> None:
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=True)
                saved.append(path)

            page = session(None)
            page.goto("/console/login")
            shot(page, "01-login")
            page = session(manager)
            page.goto("/console/")
            shot(page, "02-home-manager")
            page.goto("/console/customers")
            shot(page, "03-customers")
            if customer:
                page.goto(f"/console/customers/{customer}")
                shot(page, "04-customer")
            if case:
                page.goto("/console/handover?status=all")
                shot(page, "05-handover-cases")
                page.goto(f"/console/handover/{case}")
                boxes = page.locator("input[name=taker_ids]")
                for i in range(min(3, boxes.count())):
                    boxes.nth(i).check()
                if boxes.count():
                    page.click("button:has-text('预览')")
                shot(page, "06-handover-plan-preview")
            page.goto("/console/rules")
            shot(page, "07-rules")
            link = page.locator("table a[href*='/rules/assignment/']").first
            if link.count():
                link.click()
                page.click("button:has-text('预览')")
                shot(page, "08-assignment-rule-preview")
            page.goto("/console/rules/tagging")
            page.click("button:has-text('试算')")
            shot(page, "09-tagging-trial")
            page.goto("/console/dashboards?since=2000-01-01")
            shot(page, "10-dashboards")
            page = session(sales)
            page.goto("/console/customers")
            shot(page, "11-customers-salesperson")
            page = session(finance)
            for name, path in (("12-finance-contracts", "/console/finance/contracts?status=confirmed"),
                               ("13-finance-deposits", "/console/finance/deposits"),
                               ("14-finance-settlements", "/console/finance/settlements"),
                               ("15-finance-settlement", f"/console/finance/settlements/{settlement}"),
                               ("16-finance-debits", "/console/finance/debits"),
                               ("17-finance-reimbursements", "/console/reimbursements"),
                               ("21-finance-performance", "/console/finance/performance?group_by=center&date_from="
                                + time.strftime("%Y-%m-%d", time.localtime(time.time() - 365 * 86400))),
                               ("22-finance-expenses", "/console/finance/expenses")):
                page.goto(path)
                shot(page, name)
            page = session(manager)
            page.goto("/console/rules/tiers")
            shot(page, "18-tiering-rules")
            page.goto("/console/reports?measure=signed_amount&dimension=product&period=12m")
            page.fill("#f-name", "近12个月各产品签单金额")
            shot(page, "19-report-builder")
            page.click("#save-button")
            page.wait_for_url("**/console/dashboards?msg=report_saved")
            path = out / "20-saved-report.png"
            page.locator(".saved-report").last.screenshot(path=str(path))
            saved.append(path)
            browser.close()
    finally:
        server.should_exit = True
        shutil.rmtree(data_dir, ignore_errors=True)
    return saved
