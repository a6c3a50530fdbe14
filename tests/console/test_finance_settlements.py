"""Finance's settlement and direct-debit pages over HTTP: the list with its red button and URL filters, the
charges form with errors next to the field, fees, expenses, closing, void, vouchers, the Excel export with
the list's filters, the one-click debit through the sandbox WeChat Pay, and the roles refused."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook

from backoffice.direct_debit.events import DebitSucceeded
from backoffice.direct_debit.models import DebitOrder, DebitStatus
from backoffice.orders.models import FunderType
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import ExpenseKind, PaymentMethod, SettlementFee, SettlementPayment, SettlementStatus
from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.core.clock import BEIJING
from tests.backoffice.conftest import world  # noqa: F401  (fixture)
from tests.console.conftest import csrf_of
from tests.factories.backoffice import disbursed
from tests.factories.mandates import sign_papay
from tests.mandates.conftest import pay_client, pay_live  # noqa: F401

LIST = "/console/finance/settlements"


def page_of(settlement_id: int) -> str:
    return f"{LIST}/{settlement_id}"


def closed(db, w, **kw):
    order, settlement = disbursed(db, w, **kw)
    settlement_service.set_charges(db, w.finance, settlement, payment_method=PaymentMethod.cash)
    settlement_service.close(db, w.finance, settlement)
    return order, settlement


def post(client, path: str, data: dict | None = None, page: str | None = None):
    token = csrf_of(client.get(page or path.rsplit("/", 1)[0]).text)
    return client.post(path, data={**(data or {}), "csrf_token": token}, follow_redirects=False)


def row_of(html: str, order_id: int) -> str:
    match = re.search(rf'<tr id="order-{order_id}">(.*?)</tr>', html, re.S)
    assert match, f"order {order_id} is not in the list"
    return match.group(1)


def test_list_marks_only_disbursed_orders_waiting_for_settlement_and_keeps_filters_in_the_url(db, world, sign_in):
    waiting, open_settlement = disbursed(db, world)
    done, done_settlement = closed(db, world, funder_type=FunderType.microloan)
    client = sign_in(world.finance)
    page = client.get(LIST)
    assert page.status_code == 200
    red = row_of(page.text, waiting.id)
    assert "settle-due" in red and "button danger" in red and f"/finance/settlements/{open_settlement.id}" in red
    assert "待结算" in red and world.sales.name not in red
    assert waiting.customer_phone_masked in red and "****" in waiting.customer_phone_masked
    settled = row_of(page.text, done.id)
    assert "settle-due" not in settled and "已结算" in settled and "小贷" in settled
    assert 'href="/console/finance/settlements"' in page.text  # menu item 结算
    assert ">代扣<" in page.text

    only_settled = client.get(LIST, params={"status": "settled"})
    assert f'id="order-{done.id}"' in only_settled.text and f'id="order-{waiting.id}"' not in only_settled.text
    banks = client.get(LIST, params={"funder_type": "bank"})
    assert f'id="order-{waiting.id}"' in banks.text and f'id="order-{done.id}"' not in banks.text
    later = client.get(LIST, params={"disbursed_from": "2026-11-21"})
    assert "没有符合条件的订单" in later.text
    on_day = client.get(LIST, params={"disbursed_from": "2026-11-20", "disbursed_to": "2026-11-20",
                                      "sort": "agreement_no"})
    assert on_day.text.index(f'id="order-{waiting.id}"') < on_day.text.index(f'id="order-{done.id}"')
    # the sort link keeps the filters; the export link carries them
    assert "disbursed_from=2026-11-20" in on_day.text and "sort=-agreement_no" in on_day.text
    assert "export.xlsx?disbursed_from=2026-11-20&amp;disbursed_to=2026-11-20" in on_day.text
    bad = client.get(LIST, params={"disbursed_from": "2026-13-40"})
    assert bad.status_code == 200 and 'id="err-disbursed_from"' in bad.text


def test_settle_with_discount_fee_and_expenses_then_close_print_and_void(db, world, sign_in):
    order, settlement = disbursed(db, world)  # 180,000 disbursed at 3% → service fee 5,400
    settlement_service.add_expense(db, world.finance, settlement, ExpenseKind.rebate, "渠道甲", 30_000)
    client = sign_in(world.finance)
    url = page_of(settlement.id)
    page = client.get(url)
    assert page.status_code == 200 and 'value="5400.00"' in page.text and order.agreement_no in page.text

    # a percentage with three decimals and an amount in fen fractions come back next to their field
    wrong = post(client, f"{url}/charges", {"service_fee": "5400", "discount_kind": "percent",
                                            "discount_value": "10.125", "installment_fee": "", "payment_method": ""},
                 page=url)
    assert wrong.status_code == 422 and 'id="err-discount_value"' in wrong.text
    assert "百分比" in wrong.text and 'value="10.125"' in wrong.text
    db.expire_all()
    assert settlement_service.get_settlement(db, settlement.id).discount_value == 0
    ok = post(client, f"{url}/charges", {"service_fee": "5,400", "discount_kind": "percent", "discount_value": "10",
                                         "installment_fee": "200.50", "payment_method": "wechat"}, page=url)
    assert ok.status_code == 303 and ok.headers["location"] == f"{url}?msg=charges_saved"

    bad_fee = post(client, f"{url}/fees", {"fee_name": "下户费", "fee_amount": "12.345"}, page=url)
    assert bad_fee.status_code == 422 and 'id="err-fee_amount"' in bad_fee.text and "两位小数" in bad_fee.text
    assert db.query(SettlementFee).filter_by(settlement_id=settlement.id).count() == 0
    no_name = post(client, f"{url}/fees", {"fee_name": " ", "fee_amount": "10"}, page=url)
    assert no_name.status_code == 422 and 'id="err-fee_name"' in no_name.text
    assert post(client, f"{url}/fees", {"fee_name": "下户费", "fee_amount": "800"}, page=url).status_code == 303
    assert post(client, f"{url}/fees", {"fee_name": "渠道管理费", "fee_amount": "99.99"}, page=url).status_code == 303
    fee = db.query(SettlementFee).filter_by(settlement_id=settlement.id, name="渠道管理费").one()
    assert post(client, f"{url}/fees/{fee.id}/remove", page=url).status_code == 303

    db.expire_all()
    t = settlement_service.totals(db, settlement)
    assert (t.service_fee_fen, t.discount_fen, t.installment_fee_fen, t.extra_fees_fen) == (540_000, 54_000, 20_050, 80_000)
    shown = client.get(url).text
    total = re.search(r'id="total-charges">([^<]+)<', shown).group(1)
    assert total == "5,860.50" == f"{t.total_charges_fen / 100:,.2f}"

    # closing waits for the rebate to be confirmed
    blocked = post(client, f"{url}/close", page=url)
    assert blocked.status_code == 422 and "未确认" in blocked.text
    expense = settlement_service.expenses_of(db, settlement.id)[0]
    wrong_fix = post(client, f"{url}/expenses/{expense.id}/confirm", {f"correct_{expense.id}": "-3"}, page=url)
    assert wrong_fix.status_code == 422 and f'id="err-correct_{expense.id}"' in wrong_fix.text
    fixed = post(client, f"{url}/expenses/{expense.id}/confirm", {f"correct_{expense.id}": "250"}, page=url)
    assert fixed.status_code == 303
    db.expire_all()
    expense = settlement_service.expenses_of(db, settlement.id)[0]
    assert expense.confirmed and expense.amount_fen == 25_000 and expense.corrected_from_fen == 30_000

    assert post(client, f"{url}/close", page=url).headers["location"] == f"{url}?msg=settlement_closed"
    db.expire_all()
    assert settlement_service.get_settlement(db, settlement.id).status == SettlementStatus.closed
    closed_page = client.get(url).text
    assert 'action="/console/finance/settlements/%d/charges"' % settlement.id in closed_page
    assert "保存费用" not in closed_page and "已结单" in closed_page

    customer_voucher = client.get(f"{url}/vouchers/customer.html")
    assert customer_voucher.status_code == 200 and "客户凭证" in customer_voucher.text
    assert "下户费" in customer_voucher.text and "5,860.50" in customer_voucher.text and "返点" not in customer_voucher.text
    assert "@page { size: A4" in customer_voucher.text
    internal = client.get(f"{url}/vouchers/internal.html")
    assert "内部凭证" in internal.text and "返点（渠道甲）" in internal.text and "250.00" in internal.text
    pdf = client.get(f"{url}/vouchers/internal.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"

    no_reason = post(client, f"{url}/void", {"reason": ""}, page=url)
    assert no_reason.status_code == 422 and 'id="err-reason"' in no_reason.text
    voided = post(client, f"{url}/void", {"reason": "收款方式录错"}, page=url)
    fresh = settlement_service.current_settlement(db, order.id)
    assert voided.status_code == 303 and voided.headers["location"] == f"{page_of(fresh.id)}?msg=settlement_voided"
    assert fresh.id != settlement.id and fresh.status == SettlementStatus.open


def test_a_fixed_discount_larger_than_the_fee_is_refused_and_nothing_is_saved(db, world, sign_in):
    _, settlement = disbursed(db, world)
    client = sign_in(world.finance)
    url = page_of(settlement.id)
    answer = post(client, f"{url}/charges", {"service_fee": "5400", "discount_kind": "fixed",
                                             "discount_value": "5400.01", "installment_fee": "100",
                                             "payment_method": "cash"}, page=url)
    assert answer.status_code == 422 and 'id="err-discount_value"' in answer.text and "不能超过服务费" in answer.text
    db.expire_all()
    s = settlement_service.get_settlement(db, settlement.id)
    assert s.installment_fee_fen == 0 and s.payment_method is None
    ok = post(client, f"{url}/charges", {"service_fee": "5400", "discount_kind": "fixed", "discount_value": "400.5",
                                         "installment_fee": "", "payment_method": "cash"}, page=url)
    assert ok.status_code == 303
    db.expire_all()
    assert settlement_service.totals(db, s).discount_fen == 40_050


def test_roles_other_than_finance_manager_and_admin_are_refused(db, world, sign_in):
    _, settlement = disbursed(db, world)
    url = page_of(settlement.id)
    for employee in (world.sales, world.processor, world.supervisor):
        client = sign_in(employee)
        for path in (LIST, url, f"{LIST}/export.xlsx", f"{url}/vouchers/internal.html", "/console/finance/debits",
                     "/console/finance/debits/mandates"):
            assert client.get(path).status_code == 403, (employee.role, path)
        assert ">结算<" not in client.get("/console/").text
    manager = sign_in(world.manager)
    assert manager.get(url).status_code == 200 and "保存费用" not in manager.get(url).text
    token = csrf_of(manager.get(url).text)
    refused = manager.post(f"{url}/charges", data={"csrf_token": token, "service_fee": "1", "discount_kind": "none",
                                                   "discount_value": "", "installment_fee": "", "payment_method": ""})
    assert refused.status_code == 403
    assert manager.post("/console/finance/debits/reconcile", data={"csrf_token": token, "provider": "papay",
                                                                   "day": "2026-11-20"}).status_code == 403
    admin = sign_in(world.admin)
    assert admin.get(LIST).status_code == 200


def test_export_uses_the_list_filters(db, world, sign_in):
    bank_order, _ = closed(db, world)
    micro_order, _ = closed(db, world, funder_type=FunderType.microloan)
    disbursed(db, world)  # not settled: never exported
    client = sign_in(world.manager)
    answer = client.get(f"{LIST}/export.xlsx", params={"funder_type": "microloan", "dl": "abc123"})
    assert answer.status_code == 200 and "scrm_download=abc123" in answer.headers["set-cookie"]
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = list(book["已结算订单"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == micro_order.agreement_no and rows[1][7] == "小贷"
    used = dict(list(book["筛选条件"].iter_rows(values_only=True))[1:])
    assert used["funder_type"] == "microloan" and used["行数"] == 1
    everything = load_workbook(io.BytesIO(client.get(f"{LIST}/export.xlsx").content), read_only=True)
    numbers = [r[0] for r in list(everything["已结算订单"].iter_rows(values_only=True))[1:]]
    assert sorted(numbers) == sorted([bank_order.agreement_no, micro_order.agreement_no])
    none = client.get(f"{LIST}/export.xlsx", params={"disbursed_from": "2026-12-01"})
    assert len(list(load_workbook(io.BytesIO(none.content), read_only=True)["已结算订单"].iter_rows())) == 1


def test_one_click_debit_through_the_sandbox_then_the_debit_pages(db, world, pay_client, sandbox_wechatpay):
    order, settlement = disbursed(db, world)
    settlement_service.set_charges(db, world.finance, settlement, payment_method=PaymentMethod.direct_debit)
    settlement_service.close(db, world.finance, settlement)
    due = settlement_service.amount_due_fen(db, settlement.id)
    customer = _customer(db, order.customer_id)
    customer.mp_openid = "oSettleDebit0000000000000001"
    db.flush()
    client = pay_client
    client.cookies.set(COOKIE_NAME, issue_staff_token(world.finance.id))
    url = page_of(settlement.id)
    before = client.get(url).text
    assert "客户还没有代扣授权" in before and 'id="debit-button"' not in before

    sign_papay(client, customer, {"scope_ref": order.agreement_no, "max_amount": "100000.00",
                                  "valid_until": "2030-01-01T00:00:00+08:00"})
    page = client.get(url).text
    assert "微信委托代扣" in page and "有效" in page and f"一键代扣 {due / 100:,.2f} 元" in page
    assert 'data-confirm="确定从客户的授权中代扣' in page
    made = client.post(f"{url}/debit", data={"csrf_token": csrf_of(page), "mandate_id": ""}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == f"{url}?msg=debit_started"
    deductions = sandbox_wechatpay.deductions()
    assert len(deductions) == 1 and deductions[0]["total_fee"] == due
    db.expire_all()
    debit = db.query(DebitOrder).filter_by(due_key=f"settlement:{settlement.id}").one()
    assert debit.status == DebitStatus.succeeded
    after = client.get(url).text
    assert "扣款成功" in after and 'id="debit-button"' not in after and 'http-equiv="refresh"' not in after
    assert re.search(r'id="amount-due">([^<]+)<', after).group(1) == "0.00"

    listed = client.get("/console/finance/debits", params={"status": "succeeded"}).text
    assert f'href="/console/finance/debits/{debit.id}"' in listed and customer.name in listed
    assert "没有代扣单" in client.get("/console/finance/debits", params={"status": "failed"}).text
    detail = client.get(f"/console/finance/debits/{debit.id}").text
    assert "扣款成功" in detail and debit.description in detail and "向渠道查询结果" not in detail
    assert re.search(r'<table id="attempts">.*?<td>1</td>', detail, re.S)
    assert detail.count("<tr><td>") >= 3  # an attempt and at least two state changes
    mandates = client.get("/console/finance/debits/mandates").text
    assert "微信委托代扣" in mandates and order.agreement_no in mandates

    day = sandbox_wechatpay.now().astimezone(BEIJING).date().isoformat()
    listing = client.get("/console/finance/debits").text
    bad_day = client.post("/console/finance/debits/reconcile", data={"csrf_token": csrf_of(listing),
                                                                     "provider": "papay", "day": "not-a-day"})
    assert bad_day.status_code == 422 and 'id="err-day"' in bad_day.text
    rec = client.post("/console/finance/debits/reconcile", data={"csrf_token": csrf_of(listing), "provider": "papay",
                                                                 "day": day})
    assert rec.status_code == 200 and "对账完成" in rec.text
    assert re.search(r'一致 <b>1</b> 笔，差异 <b[^>]*>0</b> 笔', rec.text)
    db.expire_all()
    assert db.get(DebitOrder, debit.id).status == DebitStatus.reconciled
    assert date.fromisoformat(day)

    # the state between the debit's commit and the debit.succeeded subscriber crediting the settlement
    db.delete(db.query(SettlementPayment).filter_by(source=f"debit:{debit.id}").one())
    db.flush()
    waiting = client.get(url).text
    assert 'id="debit-posting"' in waiting and 'http-equiv="refresh"' in waiting and 'id="debit-button"' not in waiting
    settlement_service.on_debit_succeeded(db, DebitSucceeded(
        debit_id=debit.id, due_key=debit.due_key, customer_id=debit.customer_id, amount_fen=debit.amount_fen,
        provider=debit.provider, succeeded_at=debit.succeeded_at))
    db.flush()
    credited = client.get(url).text
    assert 'id="debit-posting"' not in credited and 'http-equiv="refresh"' not in credited
    assert re.search(r'id="amount-due">([^<]+)<', credited).group(1) == "0.00"


def _customer(db, customer_id):
    from scrm.customers.models import Customer

    return db.get(Customer, customer_id)
