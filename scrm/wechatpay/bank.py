"""The bank-card agreement-payment API (协议支付): JSON bodies signed with HMAC-SHA256 (``X-Bank-Sign``),
recorded in the same call log as WeChat Pay and retried the same way."""

from __future__ import annotations

import json
from typing import Any

import requests

from scrm.core.config import get_settings
from scrm.wechatpay import signing
from scrm.wechatpay.client import PayError, recorded_call

BANK_RETRYABLE_CODES = {"SYSTEM_ERROR", "SYSTEMERROR"}


class BankPayClient:
    def __init__(self, *, api_base: str, merchant_id: str, key: str, timeout: float):
        self.api_base = api_base if api_base.endswith("/") else api_base + "/"
        self.merchant_id, self.key, self.timeout = merchant_id, key, timeout
        self._http = requests.Session()

    def call(self, endpoint: str, payload: dict, *, ref: str | None = None) -> Any:
        """POST ``payload`` to ``endpoint``; the answer's fields (or text, for the bill) when its code is SUCCESS."""
        body = json.dumps({"merchant_id": self.merchant_id, **payload}, ensure_ascii=False).encode()
        headers = {"content-type": "application/json", "x-bank-sign": signing.body_signature(body, self.key)}
        def once():
            res = self._http.post(self.api_base + endpoint, data=body, headers=headers, timeout=self.timeout)
            if res.status_code >= 500:
                raise requests.ConnectionError(f"HTTP {res.status_code}")
            if not signing.verify_body(res.content, self.key, res.headers.get("x-bank-sign")):
                raise PayError(f"bank {endpoint}: the answer's signature does not match", err_code="SIGN_ERROR")
            if res.headers.get("content-type", "").startswith("text/csv"):
                return res.text
            answer = res.json()
            if answer.get("code") != "SUCCESS":
                raise PayError(f"bank {endpoint} failed: {answer.get('code')} {answer.get('message', '')}",
                               err_code=answer.get("code"), err_msg=answer.get("message"), response=answer)
            return answer

        retry_as = {"debit/query": "pay/paporderquery", "bill": "pay/downloadbill",
                    "agreement/query": "papay/querycontract"}.get(endpoint, endpoint)
        return recorded_call("bank", endpoint, retry_as, ref, payload, once, _transient)


def _transient(exc: Exception) -> bool:
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return True
    return isinstance(exc, PayError) and exc.err_code in BANK_RETRYABLE_CODES


def get_bank_client() -> BankPayClient:
    s = get_settings()
    if not (s.bankpay_api_base and s.bankpay_merchant_id and s.bankpay_key):
        raise PayError("the bank agreement API is not configured: set SCRM_BANKPAY_API_BASE, _MERCHANT_ID and _KEY")
    return BankPayClient(api_base=s.bankpay_api_base, merchant_id=s.bankpay_merchant_id, key=s.bankpay_key,
                         timeout=s.wechatpay_timeout_s)


def verify_notification(body: bytes, given_sign: str | None) -> dict:
    """A bank notification's fields when its body signature checks out (constant time); else ``BadSignature``."""
    if not signing.verify_body(body, get_settings().bankpay_key, given_sign):
        raise signing.BadSignature("signature does not match")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise signing.BadSignature("not JSON") from exc
