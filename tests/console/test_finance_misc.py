"""Reimbursement and referral-commission pages over HTTP: each action, errors next to the field, roles and
scope, lists kept in the URL; and the customers list's tier filter reading the tiering's own records."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from backoffice.ledger import service as ledger
from backoffice.reimbursements import service as reimbursement_service
from backoffice.reimbursements.models import CostType, Reimbursement, ReimbursementStatus
from scrm.auth import issue_customer_token
from scrm.customers.models import Stage
from scrm.groups import schemas as group_schemas
from scrm.groups import service as group_service
from scrm.org.models import Role
from scrm.referral import service as referral_service
from scrm.referral.models import Commission, CommissionState, Withdrawal, WithdrawalState
from tests.console.conftest import csrf_of
from tests.factories.backoffice import signed
from tests.factories.customers import make_customer
from tests.factories.org import make_employee
from tests.factories.referral import percent_rule, refer
from tests.miniprogram_api.helpers import bearer, settle

TODAY = date.today().isoformat()


def _err(html: str, name: str) -> str | None:
    match = re.search(rf'<small class="err" id="err-{re.escape(name)}" role="alert">([^<]*)</small>', html)
    return match.group(1) if match else None


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Reimbursement))


def _form(client, path: str = "/console/reimbursements/new") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def _claim(db, w, customer, staff, amount_fen=1000, **kw):
    return reimbursement_service.submit(db, staff, reimbursement_service.Claim(
        customer_id=customer.id, cost_type=kw.pop("cost_type", CostType.processing), category=kw.pop("category", "交通"),
        amount_fen=amount_fen, spent_on=date.today(), **kw))


def test_enter_with_field_errors_then_confirm_and_pay(db, client, sign_in, world):
    w = world
    order = signed(db, w)
    sales = sign_in(w.sales)
    token = _form(sales)
    base = {"csrf_token": token, "customer_id": str(order.customer_id), "order_id": str(order.id),
            "cost_type": "processing", "category": "交通", "amount": "86.505", "spent_on": TODAY, "remark": "去银行面签"}

    bad = sales.post("/console/reimbursements", data=base)
    assert bad.status_code == 422 and _err(bad.text, "amount") == "金额最多两位小数（精确到分）"
    assert 'value="86.505"' in bad.text and 'value="交通"' in bad.text  # what was typed stays
    both = sales.post("/console/reimbursements", data=base | {"amount": "八十", "category": " ", "customer_id": ""})
    assert both.status_code == 422  # every bad field at once, each next to its input
    assert _err(both.text, "amount") == "金额请填写数字，例如 1234.50"
    assert _err(both.text, "category") == "请填写报销类别，例如 交通、办公用品"
    assert _err(both.text, "customer_id") == "请选择客户"
    zero = sales.post("/console/reimbursements", data=base | {"amount": "0"})
    assert zero.status_code == 422 and _err(zero.text, "amount") == "报销金额必须大于 0"
    wrong_order = sales.post("/console/reimbursements", data=base | {"amount": "1", "order_id": "999999"})
    assert wrong_order.status_code == 422 and _err(wrong_order.text, "order_id") == "没有编号为 999999 的订单"
    future = sales.post("/console/reimbursements", data=base | {"amount": "1", "spent_on": "2099-01-01"})
    assert future.status_code == 422 and _err(future.text, "spent_on") == "发生日期不能晚于今天"
    assert _count(db) == 0

    ok = sales.post("/console/reimbursements", data=base | {"amount": "1,086.50"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/console/reimbursements?msg=reimbursement_saved"
    item = db.scalars(select(Reimbursement)).one()
    assert (item.amount_fen, item.category, item.entered_by_id) == (108650, "交通", w.sales.id)
    listing = sales.get("/console/reimbursements?msg=reimbursement_saved")
    row = listing.text.split(f'id="r-{item.id}"')[1].split("</tr>")[0]
    assert "报销单已提交" in listing.text
    for shown in (order.agreement_no, "银行", "1,086.50", "交通", "做单成本", "未确认", w.sales.name, "待确认", "去银行面签"):
        assert shown in row, shown
    assert "/confirm" not in row and "/void" in row  # the salesperson may void, not confirm

    token = csrf_of(listing.text)
    assert sales.post(f"/console/reimbursements/{item.id}/confirm", data={"csrf_token": token}).status_code == 403
    finance = sign_in(w.finance)
    token = csrf_of(finance.get("/console/reimbursements").text)
    r = finance.post(f"/console/reimbursements/{item.id}/confirm?status=submitted&sort=amount&evil=1",
                     data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303  # back to the list as it was
    assert r.headers["location"] == "/console/reimbursements?msg=reimbursement_confirmed&status=submitted&sort=amount"
    again = finance.post(f"/console/reimbursements/{item.id}/confirm", data={"csrf_token": token})
    assert again.status_code == 409
    bad_payer = finance.post(f"/console/reimbursements/{item.id}/pay", data={"csrf_token": token, "payer": "gold"})
    assert bad_payer.status_code == 422 and "付款方式只能是" in _err(bad_payer.text, f"payer_{item.id}")
    db.expire_all()
    assert db.get(Reimbursement, item.id).status == ReimbursementStatus.confirmed
    paid = finance.post(f"/console/reimbursements/{item.id}/pay", data={"csrf_token": token, "payer": "online_bank"})
    assert paid.status_code == 200 and "报销单已付款" in paid.text
    row = paid.text.split(f'id="r-{item.id}"')[1].split("</tr>")[0]
    assert "已付款" in row and "网银" in row and "已确认" in row
    assert ledger.balances(db)["reimbursement_expense"] == 108650
    assert finance.post(f"/console/reimbursements/{item.id}/pay",
                        data={"csrf_token": token, "payer": "cash"}).status_code == 409  # paid once


def test_void_needs_a_reason_then_resubmit_corrected(db, client, sign_in, world):
    w = world
    customer = w.customer(db)
    item = _claim(db, w, customer, w.sales)
    sales = sign_in(w.sales)
    token = csrf_of(sales.get("/console/reimbursements").text)
    empty = sales.post(f"/console/reimbursements/{item.id}/void", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422 and _err(empty.text, f"reason_{item.id}") == "请填写作废原因"
    assert 'class="inline has-error"' in empty.text
    assert sales.get(f"/console/reimbursements/{item.id}/resubmit").status_code == 409
    early = sales.post(f"/console/reimbursements/{item.id}/resubmit",
                       data={"csrf_token": token, "category": "交通", "amount": "20", "spent_on": TODAY})
    assert early.status_code == 409  # only a voided claim can be entered again
    voided = sales.post(f"/console/reimbursements/{item.id}/void", data={"csrf_token": token, "reason": "金额录错"})
    assert voided.status_code == 200 and "报销单已作废" in voided.text
    assert f'href="/console/reimbursements/{item.id}/resubmit"' in voided.text

    form = sales.get(f"/console/reimbursements/{item.id}/resubmit")
    assert 'value="10.00"' in form.text and "重新提交报销单" in form.text
    bad = sales.post(f"/console/reimbursements/{item.id}/resubmit",
                     data={"csrf_token": token, "category": "交通", "amount": "-5", "spent_on": TODAY})
    assert bad.status_code == 422 and _err(bad.text, "amount") == "金额不能为负数"
    assert _count(db) == 1
    ok = sales.post(f"/console/reimbursements/{item.id}/resubmit", follow_redirects=False,
                    data={"csrf_token": token, "category": "办公用品", "amount": "45.5", "spent_on": TODAY, "remark": ""})
    assert ok.status_code == 303 and ok.headers["location"].endswith("msg=reimbursement_resubmitted")
    new = db.scalars(select(Reimbursement).where(Reimbursement.resubmits_id == item.id)).one()
    assert (new.amount_fen, new.category, new.customer_id, new.status) == (4550, "办公用品", customer.id,
                                                                         ReimbursementStatus.submitted)


def test_scope_filters_sorting_and_pages_in_the_url(db, client, sign_in, world):
    w = world
    mine = w.customer(db)
    theirs = w.customer(db, owner=w.other_sales)
    a = _claim(db, w, mine, w.sales, amount_fen=3000)
    b = _claim(db, w, mine, w.sales, amount_fen=1000, cost_type=CostType.marketing, category="办公用品")
    c = _claim(db, w, theirs, w.other_sales, amount_fen=2000)

    sales = sign_in(w.sales)
    page = sales.get("/console/reimbursements")
    assert f'id="r-{a.id}"' in page.text and f'id="r-{b.id}"' in page.text and f'id="r-{c.id}"' not in page.text
    assert "录入人" not in page.text.split('role="search"')[1].split("</form>")[0]  # a salesperson has no one else's claims to filter by
    token = csrf_of(page.text)
    assert sales.post(f"/console/reimbursements/{c.id}/void", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert sales.get(f"/console/reimbursements/{c.id}/resubmit").status_code == 404
    not_mine = sales.post("/console/reimbursements", data={
        "csrf_token": token, "customer_id": str(theirs.id), "cost_type": "processing", "category": "交通",
        "amount": "10", "spent_on": TODAY})
    assert not_mine.status_code == 422 and _err(not_mine.text, "customer_id") == f"找不到你可见的客户 #{theirs.id}"

    supervisor = sign_in(w.supervisor)  # same department as the salesperson, not the other one
    page = supervisor.get("/console/reimbursements")
    assert f'id="r-{a.id}"' in page.text and f'id="r-{c.id}"' not in page.text
    finance = sign_in(w.finance)
    by_amount = finance.get("/console/reimbursements?sort=amount")
    order = [int(m) for m in re.findall(r'<tr id="r-(\d+)">', by_amount.text)]
    assert order == [b.id, c.id, a.id]
    assert "sort=-amount" in by_amount.text  # the header now sorts the other way
    marketing = finance.get("/console/reimbursements?cost_type=marketing&sort=-amount")
    assert re.findall(r'<tr id="r-(\d+)">', marketing.text) == [str(b.id)]
    assert 'href="/console/reimbursements?cost_type=marketing&amp;sort=amount"' in marketing.text
    bad_filter = finance.get("/console/reimbursements?spent_from=yesterday")
    assert _err(bad_filter.text, "spent_from") == "请选择有效的日期（年-月-日）"

    for _ in range(20):
        _claim(db, w, mine, w.sales)
    first = finance.get("/console/reimbursements?status=submitted")
    assert len(re.findall(r'<tr id="r-', first.text)) == 20 and "共 23 条" in first.text
    assert 'href="/console/reimbursements?status=submitted&amp;sort=-created_at&amp;page=2"' in first.text
    second = finance.get("/console/reimbursements?status=submitted&sort=-created_at&page=2")
    assert re.findall(r'<tr id="r-(\d+)">', second.text) == [str(c.id), str(b.id), str(a.id)]


def _referral_world(db, settings_env):
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="0", SCRM_REFERRAL_WITHDRAW_MIN_FEN="1000")
    referrer = make_customer(db, name="钱推荐", phone="13812345678", mp_openid="o_qian")
    percent_rule(db, "10")
    db.commit()
    return referrer


def _withdraw(db, client, referrer, request_id: str, fee_fen: int, **body) -> Withdrawal:
    settle(db, refer(db, referrer, name="孙朋友").id, fee_fen=fee_fen)
    referral_service.release_withdrawable(db)
    db.commit()
    r = client.post("/mp/referral/withdrawals", headers=bearer(issue_customer_token(referrer.id)),
                    json={"request_id": request_id, **(body or {"method": "wechat"})})
    assert r.status_code == 201, r.text
    return db.get(Withdrawal, r.json()["id"])


def test_withdrawal_roles_reject_with_reason_and_bank_payment_once(db, client, sign_in, settings_env):
    referrer = _referral_world(db, settings_env)
    wd = _withdraw(db, client, referrer, "wd-1", 100_000, method="bank", account_name="钱推荐", bank_name="招商银行",
                   bank_card="6225880137716003")
    finance_staff = make_employee(db, role=Role.finance)
    manager_staff = make_employee(db, role=Role.manager)
    sales_staff = make_employee(db, role=Role.sales)

    sales = sign_in(sales_staff)
    assert sales.get("/console/referral").status_code == 403
    assert "推荐佣金" not in sales.get("/console").text
    manager = sign_in(manager_staff)
    page = manager.get(f"/console/referral/withdrawals/{wd.id}")
    assert page.status_code == 200 and "审核通过" not in page.text  # managers read, finance acts
    assert manager.post(f"/console/referral/withdrawals/{wd.id}/approve",
                        data={"csrf_token": csrf_of(page.text)}).status_code == 403

    finance = sign_in(finance_staff)
    listing = finance.get("/console/referral?state=requested")
    row = listing.text.split('<table id="withdrawals">')[1]
    assert "钱**" in row and "138****5678" in row and "钱推荐" not in row and "100.00" in row
    assert "**** 6003" in row and "待审核" in row
    token = csrf_of(finance.get(f"/console/referral/withdrawals/{wd.id}").text)
    r = finance.post(f"/console/referral/withdrawals/{wd.id}/approve", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("msg=withdrawal_approved")
    no_ref = finance.post(f"/console/referral/withdrawals/{wd.id}/pay", data={"csrf_token": token, "bank_reference": ""})
    assert no_ref.status_code == 422 and _err(no_ref.text, "bank_reference")
    db.expire_all()
    assert db.get(Withdrawal, wd.id).state == WithdrawalState.approved
    paid = finance.post(f"/console/referral/withdrawals/{wd.id}/pay",
                        data={"csrf_token": token, "bank_reference": "CMB20261130001"})
    assert paid.status_code == 200 and "提现已付款" in paid.text and '<span class="pill" id="state">已付款</span>' in paid.text
    assert "CMB20261130001" in paid.text
    assert finance.post(f"/console/referral/withdrawals/{wd.id}/pay",
                        data={"csrf_token": token, "bank_reference": "again"}).status_code == 409
    history = paid.text.split('<table id="history">')[1]
    assert [s for s in ("待审核", "待付款", "已付款") if s in history] == ["待审核", "待付款", "已付款"]

    second = _withdraw(db, client, referrer, "wd-2", 50_000)
    empty = finance.post(f"/console/referral/withdrawals/{second.id}/reject", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422 and _err(empty.text, "reason") == "请填写驳回原因"
    rejected = finance.post(f"/console/referral/withdrawals/{second.id}/reject",
                            data={"csrf_token": token, "reason": "账户信息与实名不符"})
    assert rejected.status_code == 200 and "提现已驳回" in rejected.text and "账户信息与实名不符" in rejected.text
    db.expire_all()
    assert db.get(Withdrawal, second.id).state == WithdrawalState.rejected
    assert referral_service.balance(db, referrer.id)["available"] == 5_000


def test_commissions_list_and_history(db, client, sign_in, settings_env):
    referrer = _referral_world(db, settings_env)
    friend = refer(db, referrer, name="孙朋友")
    settle(db, friend.id, fee_fen=80_000, settlement_id=771)
    referral_service.release_withdrawable(db)
    db.commit()
    commission = db.scalars(select(Commission)).one()
    finance = sign_in(make_employee(db, role=Role.finance))
    page = finance.get("/console/referral/commissions?state=withdrawable")
    row = page.text.split('<table id="commissions">')[1]
    assert "钱**" in row and "138****5678" in row and "孙**" in row and "80.00" in row and "结算 #771" in row
    assert "可提现" in row
    assert "没有符合条件的佣金" in finance.get("/console/referral/commissions?state=paid").text
    detail = finance.get(f"/console/referral/commissions/{commission.id}")
    history = detail.text.split('<table id="history">')[1]
    assert commission.state == CommissionState.withdrawable
    assert "冷静期" in history and "可提现" in history
    assert finance.get("/console/referral/commissions/999999").status_code == 404


def test_the_tier_filter_reads_the_tiering_not_a_custom_field(db, client, sign_in, world):
    w = world
    tiered = w.customer(db, stage=Stage.signed)
    only_field = w.customer(db)
    only_field.custom_fields = {"tier": "A"}
    group_service.create_rule(db, group_schemas.TierRuleIn(name="已签约", tier="A", position=1,
                                                           conditions={"stages_in": ["signed"]}))
    group_service.retier(db, [tiered.id, only_field.id])
    assert group_service.tier_of(db, tiered.id) == "A" and group_service.tier_of(db, only_field.id) == "C"

    sales = sign_in(w.sales)
    page = sales.get("/console/customers?tier=A")
    assert f'/console/customers/{tiered.id}"' in page.text and f'/console/customers/{only_field.id}"' not in page.text
    assert "A 类" in page.text.split("<tbody>")[1]
    c_page = sales.get("/console/customers?tier=C")
    assert f'/console/customers/{only_field.id}"' in c_page.text and f'/console/customers/{tiered.id}"' not in c_page.text
    detail = sales.get(f"/console/customers/{only_field.id}")
    assert "<dt>分层</dt><dd>C 类</dd>" in detail.text
