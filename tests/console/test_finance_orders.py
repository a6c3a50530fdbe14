"""Finance console pages for contract confirmation and deposits, over HTTP with a signed-in client."""

from __future__ import annotations

from backoffice.orders import service as order_service
from backoffice.orders.models import Borrowing, BorrowingStatus, DepositRefund, Order, OrderStatus, RefundStatus
from tests.console.conftest import csrf_of
from tests.factories.backoffice import processing, signed, terms


def page_token(client, order_id: int) -> str:
    page = client.get(f"/console/finance/orders/{order_id}")
    return csrf_of(page.text if page.status_code == 200 else client.get("/console/").text)


def act(client, order: Order, path: str, **data):
    data["csrf_token"] = page_token(client, order.id)
    return client.post(f"/console/finance/orders/{order.id}/{path}", data=data, follow_redirects=False)


def reviewed(db, world) -> Order:
    order = signed(db, world)
    order_service.confirm_contract(db, world.finance, order)
    order_service.review(db, world.supervisor, order)
    return order


def test_finance_confirms_the_contract_and_the_amounts_become_read_only(db, world, sign_in):
    order = signed(db, world)
    client = sign_in(world.finance)
    listing = client.get("/console/finance/contracts")
    assert order.agreement_no in listing.text and order.customer_phone_masked in listing.text
    assert "合同确认" in listing.text and "200,000.00" in listing.text and "3.00%" in listing.text
    detail = client.get(f"/console/finance/orders/{order.id}")
    assert 'name="amount_applied"' in detail.text and "保存修改" in detail.text and "确认合同？" in detail.text

    done = act(client, order, "confirm")
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"/finance/orders/{order.id}?msg=contract_confirmed")
    db.refresh(order)
    assert order.status == OrderStatus.confirmed and order.confirmed_by_id == world.finance.id
    after = client.get(done.headers["location"])
    assert "合同已确认，金额已锁定" in after.text and "保存修改" not in after.text
    assert 'id="f-amount_applied" value="200000.00"  readonly' in after.text
    assert "合同确认" in after.text and "待主管审核" in after.text  # the history and the new status

    again = act(client, order, "amend", product_code="credit", funder_type="bank", amount_applied="1.00",
                deposit="0", service_fee_rate="3", service_fee="", other_fees="0")
    assert again.status_code == 409 and "不能执行「修改条款」（仅允许在以下状态执行：待合同确认）" in again.text
    db.refresh(order)
    assert order.amount_applied_fen == 20_000_000


def test_a_bad_amount_is_shown_next_to_its_field_and_nothing_changes(db, world, sign_in):
    order = signed(db, world)
    client = sign_in(world.finance)
    bad = act(client, order, "amend", product_code="credit", funder_type="bank", amount_applied="12.345",
              deposit="abc", service_fee_rate="3", service_fee="", other_fees="0")
    assert bad.status_code == 422
    assert 'id="err-amount_applied" role="alert">申请金额最多两位小数' in bad.text
    assert 'id="err-deposit" role="alert">定金请填写数字' in bad.text
    assert 'value="12.345"' in bad.text  # what was typed stays in the form
    db.refresh(order)
    assert order.amount_applied_fen == 20_000_000 and order.deposit_fen == 500_000

    ok = act(client, order, "amend", product_code="credit", funder_type="consumer_finance", amount_applied="150,000.5",
             deposit="3000", service_fee_rate="", service_fee="4500.25", other_fees="0")
    assert ok.status_code == 303
    db.refresh(order)
    assert (order.amount_applied_fen, order.deposit_fen, order.service_fee_fen, order.service_fee_rate_bp) == (
        15_000_050, 300_000, 450_025, None)


def test_supervisor_reviews_and_finance_may_not(db, world, sign_in):
    order = signed(db, world)
    order_service.confirm_contract(db, world.finance, order)
    refused = act(sign_in(world.finance), order, "review", note="")
    assert refused.status_code == 403 and "没有权限" in refused.text
    client = sign_in(world.supervisor)
    assert "合同确认" in client.get("/console/").text  # the supervisor's menu
    done = act(client, order, "review", note="资料齐全")
    assert done.status_code == 303
    db.refresh(order)
    assert order.status == OrderStatus.reviewed and order.reviewed_by_id == world.supervisor.id
    page = client.get(f"/console/finance/orders/{order.id}")
    assert "资料齐全" in page.text and "主管审核" in page.text


def test_roles_that_may_not_act_get_403(db, world, sign_in):
    order = signed(db, world)
    assert act(sign_in(world.sales), order, "confirm").status_code == 403
    ready = reviewed(db, world)
    assert act(sign_in(world.processor), ready, "deposit", processor_id=str(world.processor.id)).status_code == 403
    denied = act(sign_in(world.supervisor), ready, "deposit", processor_id=str(world.processor.id))
    assert denied.status_code == 403
    db.refresh(order), db.refresh(ready)
    assert order.status == OrderStatus.signed and ready.status == OrderStatus.reviewed


def test_a_salesperson_sees_only_their_own_orders(db, world, sign_in):
    mine = signed(db, world)
    theirs = order_service.sign_order(db, world.other_sales, world.customer(db, owner=world.other_sales).id,
                                      terms())
    client = sign_in(world.sales)
    page = client.get("/console/finance/contracts")
    assert mine.agreement_no in page.text and theirs.agreement_no not in page.text
    assert "合同确认</a>" in page.text.split("<main>")[0]  # a salesperson follows their sign-ups here
    assert sign_in(world.sales).get("/console/finance/deposits").status_code == 403
    assert client.get(f"/console/finance/orders/{theirs.id}").status_code == 404


def test_list_filters_sort_and_paging_live_in_the_url(db, world, sign_in):
    orders = [signed(db, world, amount_applied_fen=(i + 1) * 1_000_000) for i in range(3)]
    order_service.confirm_contract(db, world.finance, orders[0])
    client = sign_in(world.finance)
    only = client.get("/console/finance/contracts", params={"agreement_no": orders[1].agreement_no})
    assert orders[1].agreement_no in only.text and orders[2].agreement_no not in only.text
    confirmed = client.get("/console/finance/contracts", params={"status": "confirmed"})
    assert orders[0].agreement_no in confirmed.text and orders[1].agreement_no not in confirmed.text
    by_amount = client.get("/console/finance/contracts", params={"sort": "amount_applied"}).text
    assert by_amount.index(orders[0].agreement_no) < by_amount.index(orders[2].agreement_no)
    assert "sort=-amount_applied" in by_amount
    bad = client.get("/console/finance/contracts", params={"signed_from": "2026-13-40"})
    assert 'id="err-signed_from"' in bad.text


def test_finance_confirms_the_deposit_choosing_a_processing_specialist(db, world, sign_in):
    world.processor.mobile = "13812345678"
    db.flush()
    order = reviewed(db, world)
    client = sign_in(world.finance)
    assert order.agreement_no in client.get("/console/finance/deposits").text
    missing = act(client, order, "deposit", processor_id="", amount="5000", method="cash")
    assert missing.status_code == 422 and 'id="err-processor_id" role="alert">请选择做单专员' in missing.text
    bad = act(client, order, "deposit", processor_id=str(world.processor.id), amount="5000.001", method="cash")
    assert bad.status_code == 422 and 'id="err-amount" role="alert">实收定金最多两位小数' in bad.text
    assert order_service.deposit_of(db, order.id) is None

    done = act(client, order, "deposit", processor_id=str(world.processor.id), amount="4,999.99", method="wechat")
    assert done.status_code == 303
    db.refresh(order)
    assert order.status == OrderStatus.processing and order.processor_id == world.processor.id
    assert order_service.deposit_of(db, order.id).received_fen == 499_999
    page = client.get(f"/console/finance/orders/{order.id}").text
    assert "4,999.99 元" in page and world.processor.name in page and "138****5678" in page
    assert "13812345678" not in page
    assert (f'href="/api/backoffice/orders/{order.id}/deposit-receipt.html" target="_blank"') in page
    receipt = client.get(f"/api/backoffice/orders/{order.id}/deposit-receipt.html")
    assert receipt.status_code == 200 and "4,999.99" in receipt.text and "size: A4" in receipt.text
    row = client.get("/console/finance/deposits").text
    assert world.processor.name in row and "做单中" in row


def test_borrowing_added_then_repaid(db, world, sign_in):
    order = processing(db, world)
    client = sign_in(world.finance)
    bad = act(client, order, "borrowings", principal="10000", lent_on="2026-11-01", annual_rate="12.5%", cost="0",
              lend_method="online_bank")
    assert bad.status_code == 422 and 'id="err-annual_rate"' in bad.text
    too_high = act(client, order, "borrowings", principal="10000", lent_on="2026-11-01", annual_rate="40", cost="0",
                   lend_method="online_bank")
    assert too_high.status_code == 422 and "年利率须在 0 到 36% 之间" in too_high.text
    assert order_service.borrowings_of(db, order.id) == []
    done = act(client, order, "borrowings", principal="10000", lent_on="2026-11-01", annual_rate="12", cost="50.5",
               lend_method="online_bank")
    assert done.status_code == 303
    borrowing = order_service.borrowings_of(db, order.id)[0]
    assert (borrowing.principal_fen, borrowing.annual_rate_bp, borrowing.cost_fen) == (1_000_000, 1200, 5050)
    repaid = act(client, order, f"borrowings/{borrowing.id}/repay", repaid_on="2026-12-01", repay_method="online_bank")
    assert repaid.status_code == 303
    db.refresh(borrowing)
    assert borrowing.status == BorrowingStatus.repaid and borrowing.interest_fen == 9863  # 10000 × 12% × 30/365


def test_refunds_filed_by_the_processor_confirmed_or_rejected_by_finance(db, world, sign_in):
    order = processing(db, world)  # deposit 5,000.00
    processor = sign_in(world.processor)
    assert "定金" in processor.get("/console/").text
    too_much = act(processor, order, "refunds", refund_amount="6000", refund_reason="客户放弃")
    assert too_much.status_code == 422 and 'id="err-refund_amount" role="alert">退定金额超过可退金额' in too_much.text
    assert act(processor, order, "refunds", refund_amount="1000", refund_reason="部分退还").status_code == 303
    assert act(sign_in(world.other_processor), order, "refunds", refund_amount="1",
               refund_reason="x").status_code == 404  # not their file

    finance = sign_in(world.finance)
    assert act(finance, order, "refunds", refund_amount="1", refund_reason="x").status_code == 403
    first = db.query(DepositRefund).one()
    assert act(finance, order, f"refunds/{first.id}/confirm", refund_method="cash").status_code == 303
    db.refresh(first)
    assert first.status == RefundStatus.confirmed and order_service.deposit_of(db, order.id).refunded_fen == 100_000

    act(sign_in(world.processor), order, "refunds", refund_amount="4000", refund_reason="全部退还")
    second = db.query(DepositRefund).filter_by(status=RefundStatus.filed).one()
    finance = sign_in(world.finance)
    blank = act(finance, order, f"refunds/{second.id}/reject", note="")
    assert blank.status_code == 422 and 'id="err-note" role="alert">请填写驳回原因' in blank.text
    assert act(finance, order, f"refunds/{second.id}/reject", note="客户撤回").status_code == 303
    db.refresh(second)
    assert second.status == RefundStatus.rejected

    act(sign_in(world.processor), order, "refunds", refund_amount="4000", refund_reason="全部退还")
    third = db.query(DepositRefund).filter_by(status=RefundStatus.filed).one()
    assert act(sign_in(world.finance), order, f"refunds/{third.id}/confirm", refund_method="alipay").status_code == 303
    db.refresh(order)
    assert order.status == OrderStatus.refunded


def test_void_needs_a_reason_and_correct_signs_a_new_order(db, world, sign_in):
    order = signed(db, world)
    order_service.confirm_contract(db, world.finance, order)
    client = sign_in(world.finance)
    blank = act(client, order, "void", reason="")
    assert blank.status_code == 422 and 'id="err-reason" role="alert">请填写作废原因' in blank.text
    bad = act(client, order, "correct", c_product_code="credit", c_funder_type="bank", c_amount_applied="-5",
              c_deposit="5000", c_service_fee_rate="3", c_service_fee="", c_other_fees="0", c_reason="金额录错")
    assert bad.status_code == 422 and 'id="err-c_amount_applied"' in bad.text
    db.refresh(order)
    assert order.status == OrderStatus.confirmed

    done = act(client, order, "correct", c_product_code="credit", c_funder_type="bank", c_amount_applied="180000",
               c_deposit="5000", c_service_fee_rate="3", c_service_fee="", c_other_fees="0", c_reason="金额录错")
    assert done.status_code == 303
    db.refresh(order)
    new = db.query(Order).filter_by(replaces_order_id=order.id).one()
    assert order.status == OrderStatus.voided and new.amount_applied_fen == 18_000_000
    assert done.headers["location"].endswith(f"/finance/orders/{new.id}?msg=order_corrected")

    other = signed(db, world)
    assert act(client, other, "void", reason="客户重复录入").status_code == 303
    db.refresh(other)
    assert other.status == OrderStatus.voided and other.void_reason == "客户重复录入"
    assert act(client, other, "void", reason="再来一次").status_code == 409
