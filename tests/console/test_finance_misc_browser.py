"""In a real headless Chromium against a real server: finance enters a reimbursement (a bad amount first),
confirms it, then approves a referral withdrawal and pays it by WeChat Pay transfer through the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.reimbursements.models import Reimbursement, ReimbursementStatus
from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.org.models import Role
from scrm.referral import service as referral_service
from scrm.referral.models import Withdrawal, WithdrawalMethod, WithdrawalState
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee
from tests.factories.referral import percent_rule, refer
from tests.miniprogram_api.helpers import settle


@pytest.fixture
def finance_page(chromium, console_server, committed_db):
    finance = make_employee(committed_db, "财务小陈", role=Role.finance, department=make_department(committed_db))
    committed_db.commit()
    context = chromium.new_context(base_url=console_server, locale="zh-CN")
    context.set_default_timeout(15000)
    context.add_cookies([{"name": COOKIE_NAME, "value": issue_staff_token(finance.id), "url": console_server,
                          "httpOnly": True, "sameSite": "Lax"}])
    page = context.new_page()
    questions: list[str] = []

    def accept(dialog):  # the confirmations before irreversible actions
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.questions = questions
    try:
        yield page
    finally:
        context.close()


def test_finance_enters_and_confirms_a_reimbursement_then_pays_a_withdrawal_by_wechat(
        committed_db, settings_env, sandbox_wechatpay, finance_page):
    db = committed_db
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="0", SCRM_REFERRAL_WITHDRAW_MIN_FEN="1000")
    sales = make_employee(db, "小周", department=make_department(db))
    customer = make_customer(db, sales, "周客户")
    referrer = make_customer(db, name="钱推荐", phone="13812345678", mp_openid="o_qian")
    percent_rule(db, "10")
    friend = refer(db, referrer)
    db.commit()
    settle(db, friend.id, fee_fen=80_000)  # 800 yuan fee, 80 yuan commission
    referral_service.release_withdrawable(db)
    withdrawal, _ = referral_service.request_withdrawal(db, referrer, request_id="wx-1", method=WithdrawalMethod.wechat)
    db.commit()
    page = finance_page

    page.goto("/console/reimbursements")
    page.click("text=新增报销")
    page.select_option("#f-customer_id", str(customer.id))
    page.fill("#f-category", "交通")
    page.fill("#f-amount", "36.555")
    page.fill("#f-remark", "陪客户去银行面签")
    page.click("button:has-text('提交报销')")
    assert page.locator("#err-amount").inner_text() == "金额最多两位小数（精确到分）"
    assert page.locator("label.has-error #f-amount").count() == 1
    assert page.input_value("#f-remark") == "陪客户去银行面签"  # nothing typed is lost
    assert db.scalar(select(Reimbursement.id)) is None
    page.fill("#f-amount", "36.50")
    page.click("button:has-text('提交报销')")
    page.wait_for_url("**/console/reimbursements?msg=reimbursement_saved")
    item = db.scalars(select(Reimbursement)).one()
    row = page.locator(f"#r-{item.id}")
    assert "36.50" in row.inner_text() and "待确认" in row.inner_text() and "周客户" in row.inner_text()
    row.locator("button:has-text('确认')").click()
    page.wait_for_url("**/console/reimbursements?msg=reimbursement_confirmed*")
    assert page.questions[-1] == f"确认报销单 #{item.id}（36.50 元）？"
    assert "已确认" in page.locator(f"#r-{item.id} td.status").inner_text()
    db.expire_all()
    assert db.get(Reimbursement, item.id).status == ReimbursementStatus.confirmed

    page.click("nav.side >> text=推荐佣金")
    page.wait_for_url("**/console/referral")
    listing = page.locator("#withdrawals tbody tr").first
    assert "钱**" in listing.inner_text() and "80.00" in listing.inner_text() and "待审核" in listing.inner_text()
    listing.locator(f"text=#{withdrawal.id}").click()
    page.click("button:has-text('审核通过')")
    page.wait_for_url(f"**/console/referral/withdrawals/{withdrawal.id}?msg=withdrawal_approved")
    assert page.locator("#state").inner_text() == "待付款"
    page.click("button:has-text('微信付款')")
    page.wait_for_url(f"**/console/referral/withdrawals/{withdrawal.id}?msg=withdrawal_paid")
    assert "微信支付" in page.questions[-1]
    assert page.locator(".flash").inner_text() == "提现已付款"
    assert page.locator("#state").inner_text() == "已付款"
    assert page.locator("#actions").count() == 0  # nothing left to press: paid once
    transfer = sandbox_wechatpay.transfers[f"wd{withdrawal.id}"]
    assert transfer["openid"] == "o_qian" and int(transfer["amount"]) == 8_000
    assert len(sandbox_wechatpay.transfers) == 1
    page.goto("/console/referral?state=paid")
    assert "已付款" in page.locator("#withdrawals tbody tr").first.inner_text()
    db.expire_all()
    assert db.get(Withdrawal, withdrawal.id).state == WithdrawalState.paid
