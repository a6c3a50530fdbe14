"""The sandbox WeChat Pay through the real wechatpy client: papay contract, pre-deduction notice, the
07:00–22:00 window, deductions idempotent on out_trade_no, queries, bills, transfers, signatures and
notifications with WeChat's retries; and the bank agreement-payment API."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from scrm.core.clock import BEIJING
from scrm.wechatpay import signing
from scrm.wechatpay.bank import get_bank_client
from scrm.wechatpay.client import PayError, get_pay_client


@pytest.fixture
def pay(sandbox_wechatpay, db):
    return get_pay_client()


def sign_contract(sandbox, pay, code: str = "C-1") -> dict:
    signing_page = pay.withhold.apply_signing(plan_id=sandbox.plan_id, contract_code=code,
                                              contract_display_account="张三", notify_url="")
    answer = httpx.get(signing_page["base_url"], params=signing_page["data"])
    assert answer.status_code == 200, answer.text
    return next(c for c in sandbox.contracts.values() if c["contract_code"] == code)


def test_contract_notice_deduct_query_and_bill(sandbox_wechatpay, pay):
    contract = sign_contract(sandbox_wechatpay, pay)
    found = pay.withhold.query_signing(plan_id=sandbox_wechatpay.plan_id, contract_code="C-1")
    assert found["contract_state"] == "0" and found["contract_id"] == contract["contract_id"]

    with pytest.raises(PayError) as no_notice:
        pay.withhold.apply_deduct("服务费", 12345, contract["contract_id"], "", out_trade_no="D1")
    assert no_notice.value.err_code == "RULELIMIT" and "预扣费通知" in no_notice.value.err_msg

    today = sandbox_wechatpay.now().astimezone(BEIJING).strftime("%Y%m%d")
    pay.withhold.pre_deduct_notice(contract["contract_id"], 12345, today)
    pay.withhold.apply_deduct("服务费", 12345, contract["contract_id"], "", out_trade_no="D1")
    pay.withhold.apply_deduct("服务费", 12345, contract["contract_id"], "", out_trade_no="D1")  # the same order
    assert len(sandbox_wechatpay.deductions()) == 1
    with pytest.raises(PayError) as reused:
        pay.withhold.apply_deduct("服务费", 999, contract["contract_id"], "", out_trade_no="D1")
    assert reused.value.err_code == "OUT_TRADE_NO_USED"

    order = pay.withhold.query_order(out_trade_no="D1")
    assert order["trade_state"] == "SUCCESS" and order["total_fee"] == "12345"
    with pytest.raises(PayError) as missing:
        pay.withhold.query_order(out_trade_no="nope")
    assert missing.value.err_code == "ORDERNOTEXIST"

    bill = pay.tools.download_bill(today)
    assert "`D1," in bill and "`123.45" in bill

    with pytest.raises(ValueError):
        pay.withhold.apply_deduct("服务费", 100, contract["contract_id"], "")  # never a made-up out_trade_no


def test_papay_window_is_beijing_daytime(sandbox_wechatpay, pay):
    contract = sign_contract(sandbox_wechatpay, pay)
    sandbox_wechatpay.notice_required = False
    sandbox_wechatpay.set_clock(datetime(2026, 12, 1, 22, 30, tzinfo=BEIJING))
    with pytest.raises(PayError) as late:
        pay.withhold.apply_deduct("服务费", 100, contract["contract_id"], "", out_trade_no="N1")
    assert late.value.err_code == "RULELIMIT"
    sandbox_wechatpay.set_clock(datetime(2026, 12, 2, 7, 0, 1, tzinfo=BEIJING))
    pay.withhold.apply_deduct("服务费", 100, contract["contract_id"], "", out_trade_no="N1")
    assert [o["out_trade_no"] for o in sandbox_wechatpay.deductions(succeeded_only=True)] == ["N1"]


def test_bad_signature_and_system_error(sandbox_wechatpay, pay):
    body = signing.to_xml({"appid": pay.appid, "mch_id": pay.mch_id, "out_trade_no": "x", "nonce_str": "n"}, "wrong-key")
    answer = signing.parse_xml(httpx.post(sandbox_wechatpay.base_url + "pay/paporderquery", content=body).text)
    assert answer["return_code"] == "FAIL" and answer["return_msg"] == "签名错误"

    contract = sign_contract(sandbox_wechatpay, pay)
    sandbox_wechatpay.inject("papay/querycontract", err_code="SYSTEMERROR", times=1)
    assert pay.withhold.query_signing(contract_id=contract["contract_id"])["contract_state"] == "0"  # retried
    assert sandbox_wechatpay.call_count("papay/querycontract") == 2


def test_transfer_to_balance_is_idempotent(sandbox_wechatpay, pay):
    first = pay.transfer.transfer("oUser1", 5000, "推荐佣金", out_trade_no="W1", client_ip="127.0.0.1")
    again = pay.transfer.transfer("oUser1", 5000, "推荐佣金", out_trade_no="W1", client_ip="127.0.0.1")
    assert first["payment_no"] == again["payment_no"] and len(sandbox_wechatpay.transfers) == 1
    info = pay.transfer.query("W1")
    assert info["status"] == "SUCCESS" and info["payment_amount"] == "5000"
    with pytest.raises(PayError) as small:
        pay.transfer.transfer("oUser1", 10, "太少", out_trade_no="W2", client_ip="127.0.0.1")
    assert small.value.err_code == "AMOUNT_LIMIT"


def test_notification_is_retried_until_acknowledged(sandbox_wechatpay):
    hits = []

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from scrm.sandbox.loopback import LoopbackServer

    async def endpoint(request):
        hits.append(await request.body())
        code = "SUCCESS" if len(hits) >= 2 else "FAIL"
        return Response(f"<xml><return_code>{code}</return_code></xml>", media_type="text/xml")

    server = LoopbackServer(Starlette(routes=[Route("/n", endpoint, methods=["POST"])]), "receiver")
    port = server.start()
    try:
        note = sandbox_wechatpay.notify_pay_raw(f"http://127.0.0.1:{port}/n", {"out_trade_no": "Z", "total_fee": 1})
    finally:
        server.stop()
    assert note.ok and note.attempts == 2
    assert signing.verify(signing.parse_xml(hits[0]), sandbox_wechatpay.api_key)


def test_bank_agreement_sign_debit_query_bill(sandbox_wechatpay, db):
    bank = get_bank_client()
    req = bank.call("agreement/sign-request", {"request_no": "R1", "name": "张三", "id_no": "110101199003074477",
                                               "card_no": "6222021234567890128", "phone": "13800138000"})
    with pytest.raises(PayError) as wrong:
        bank.call("agreement/confirm", {"sign_request_id": req["sign_request_id"], "sms_code": "000000x"})
    assert wrong.value.err_code == "SMS_MISMATCH"
    code = sandbox_wechatpay.last_sms_code("13800138000")
    agreement = bank.call("agreement/confirm", {"sign_request_id": req["sign_request_id"], "sms_code": code})
    assert agreement["card_last4"] == "0128"
    bank.call("debit", {"out_trade_no": "B1", "agreement_no": agreement["agreement_no"], "amount_fen": 500})
    bank.call("debit", {"out_trade_no": "B1", "agreement_no": agreement["agreement_no"], "amount_fen": 500})
    assert len(sandbox_wechatpay.bank_debits(succeeded_only=True)) == 1
    assert bank.call("debit/query", {"out_trade_no": "B1"})["status"] == "SUCCESS"
    day = sandbox_wechatpay.now().astimezone(BEIJING).strftime("%Y-%m-%d")
    assert "B1," in bank.call("bill", {"date": day})
    forged = httpx.post(sandbox_wechatpay.bank_base_url + "debit/query", json={"out_trade_no": "B1"},
                        headers={"x-bank-sign": "00"})
    assert forged.status_code == 401
