"""Our WeChat Pay client: every call recorded with request and result, transient failures of safe calls
retried, timeouts reported as such, and notifications verified (MD5 and HMAC-SHA256) before use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scrm.wechatpay import signing
from scrm.wechatpay.client import PayError, get_pay_client, verify_notification
from scrm.wechatpay.models import PayCall


def calls(db, endpoint):
    return db.scalars(select(PayCall).where(PayCall.endpoint == endpoint).order_by(PayCall.id)).all()


def test_calls_are_recorded_with_request_and_result(sandbox_wechatpay, db):
    pay = get_pay_client()
    with pytest.raises(PayError):
        pay.withhold.query_order(out_trade_no="NOPE1")
    sandbox_wechatpay.inject("mmpaymkttransfers/promotion/transfers", err_code="SYSTEMERROR")
    pay.transfer.transfer("oU", 500, "佣金", out_trade_no="W9", client_ip="127.0.0.1", real_name="张三",
                          check_name="FORCE_CHECK")
    [missing] = calls(db, "pay/paporderquery")
    assert missing.errcode == "ORDERNOTEXIST" and missing.ref == "NOPE1" and missing.request["out_trade_no"] == "NOPE1"
    [paid] = calls(db, "mmpaymkttransfers/promotion/transfers")
    assert paid.errcode is None and paid.attempts == 2 and paid.response["partner_trade_no"] == "W9"
    assert "张三" not in str(paid.request)  # names and ID numbers stay out of the log
    assert "sign" not in paid.request and "sign" not in paid.response


def test_a_call_that_never_answers_is_a_timeout(sandbox_wechatpay, db, settings_env):
    settings_env(SCRM_WECHATPAY_TIMEOUT_S="0.2")
    sandbox_wechatpay.inject("pay/paporderquery", delay_s=0.5, times=3)
    with pytest.raises(PayError) as lost:
        get_pay_client().withhold.query_order(out_trade_no="SLOW")
    assert lost.value.timeout and lost.value.err_code == "TIMEOUT"
    [row] = calls(db, "pay/paporderquery")
    assert row.errcode == "TIMEOUT" and row.attempts == 3


def test_notifications_are_verified(sandbox_wechatpay, db):
    key = sandbox_wechatpay.api_key
    fields = {"out_trade_no": "X1", "total_fee": "100", "result_code": "SUCCESS", "nonce_str": "n"}
    assert verify_notification(signing.to_xml(fields, key))["total_fee"] == "100"
    hmac_signed = signing.to_xml({**fields, "sign_type": "HMAC-SHA256"}, key)
    assert verify_notification(hmac_signed)["out_trade_no"] == "X1"
    tampered = signing.to_xml(fields, key).replace("<total_fee>100</total_fee>", "<total_fee>1</total_fee>")
    for bad in (tampered, signing.to_xml(fields), signing.to_xml(fields, "other-key"), "not xml", "<xml></xml>"):
        with pytest.raises(signing.BadSignature):
            verify_notification(bad)
