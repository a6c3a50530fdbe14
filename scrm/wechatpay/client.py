"""WeChat Pay v2 through wechatpy's ``WeChatPay``, pointed at ``SCRM_WECHATPAY_API_BASE``.

- Every call is a ``PayCall`` row written in a transaction of its own (the WeCom client's call log).
- Queries and idempotent calls (same ``out_trade_no``/``partner_trade_no``) are retried with backoff on
  timeouts, connection errors and SYSTEMERROR; ``pay/pappayapply`` is never retried here: a timed-out
  deduction is resolved by querying it (``backoffice.direct_debit``).
- ``withhold.apply_deduct`` invents an ``out_trade_no`` when none is given, so a retry would charge again:
  ``apply_deduct`` here refuses to run without one.
- Notifications are verified by ``verify_notification`` in constant time.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import requests
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay
from wechatpy.pay.api.withhold import WeChatWithhold

from scrm.core.clock import BEIJING
from scrm.core.config import get_settings
from scrm.core.errors import ExternalServiceError
from scrm.wechatpay import signing
from scrm.wechatpay.models import PayCall
from scrm.wecom.client import CallLog, WecomClient

log = logging.getLogger(__name__)

PAPAY_HOURS = (7, 22)
RETRYABLE = {"pay/paporderquery", "pay/orderquery", "papay/querycontract", "papay/predeductnotify",
             "pay/downloadbill", "mmpaymkttransfers/promotion/transfers", "mmpaymkttransfers/gettransferinfo"}
RETRY_ATTEMPTS = 3
RETRY_BASE_S = 0.2
# fields never recorded in full: numbers keep their last four digits, codes and names nothing
SENSITIVE = {"creid", "mobile", "re_user_name", "card_no", "id_no", "phone", "name", "holder_name", "sms_code",
             "verify_code", "verification_code", "cvv", "cvn2", "expire_date", "bank_card_no", "account_no"}
SECRET = {"sms_code", "verify_code", "verification_code", "cvv", "cvn2", "expire_date"}

call_log = CallLog(PayCall)


class PayError(ExternalServiceError):
    """A provider answered with an error (``err_code``), or could not be reached (``timeout``)."""

    code = "pay_error"

    def __init__(self, message: str, *, err_code: str | None = None, err_msg: str | None = None,
                 timeout: bool = False, response: Any = None):
        super().__init__(message, pay_err_code=err_code)
        self.err_code, self.err_msg, self.timeout, self.response = err_code, err_msg, timeout, response


def _redact(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (_mask(str(k), str(v)) if str(k).lower() in SENSITIVE and v else _redact(v))
                for k, v in data.items() if k not in ("sign", "nonce_str")}
    if isinstance(data, (list, tuple)):
        return [_redact(v) for v in data]
    return data


def _mask(key: str, value: str) -> str:
    digits = "".join(c for c in value if c.isdigit() or c in "Xx")
    if key.lower() in SECRET or len(digits) <= 8:
        return "***"
    return "***" + digits[-4:]


def record(provider: str, endpoint: str, ref: str | None, request: dict, errcode: str | None, errmsg: str | None,
           response: Any, attempts: int, started: float) -> None:
    call_log.write(dict(provider=provider, endpoint=endpoint[:120], ref=ref, request=_redact(request),
                        errcode=errcode, errmsg=(errmsg or "")[:255] or None,
                        response=_redact(response) if isinstance(response, dict) else None, attempts=attempts,
                        duration_ms=int((time.monotonic() - started) * 1000)))


def with_retries(endpoint: str, call: Callable[[], Any], is_retryable: Callable[[Exception], bool]) -> tuple[Any, int]:
    """Run ``call``; retry with backoff when ``endpoint`` is safe to repeat and the failure is transient."""
    attempts = 0
    while True:
        attempts += 1
        try:
            return call(), attempts
        except Exception as exc:
            if endpoint not in RETRYABLE or not is_retryable(exc) or attempts >= RETRY_ATTEMPTS:
                exc.attempts = attempts  # type: ignore[attr-defined]
                raise
            delay = WecomClient._backoff(attempts, RETRY_BASE_S)
            log.warning("payment call %s failed (%s); retry in %.2fs", endpoint, exc, delay)
            time.sleep(delay)


class _Withhold(WeChatWithhold):
    def apply_deduct(self, body, total_fee, contract_id, notify_url, out_trade_no=None, **kwargs):
        if not out_trade_no:
            raise ValueError("apply_deduct needs the out_trade_no saved before the call")
        return super().apply_deduct(body, total_fee, contract_id, notify_url, out_trade_no=out_trade_no, **kwargs)

    def pre_deduct_notice(self, contract_id: str, estimated_amount: int, deduct_date: str):
        """预扣费通知: tell the user what will be deducted and when, before a periodic deduction."""
        return self._post("papay/predeductnotify", data={"appid": self.appid, "mch_id": self.mch_id,
                                                         "contract_id": contract_id, "estimated_amount": estimated_amount,
                                                         "deduct_date": deduct_date})


class PayClient(WeChatPay):
    withhold = _Withhold()

    def __init__(self, *, appid: str, api_key: str, mch_id: str, api_base: str, timeout: float):
        super().__init__(appid, api_key, mch_id, timeout=timeout)
        self.API_BASE_URL = api_base if api_base.endswith("/") else api_base + "/"

    def _request(self, method, url_or_endpoint, **kwargs):
        endpoint = url_or_endpoint
        base = kwargs.get("api_base_url") or self.API_BASE_URL
        if endpoint.startswith(base):
            endpoint = endpoint[len(base):]
        data = dict(kwargs.get("data") or {}) if isinstance(kwargs.get("data"), dict) else {}
        ref = data.get("out_trade_no") or data.get("partner_trade_no") or data.get("contract_code") \
            or data.get("contract_id") or data.get("bill_date")

        def once():
            fresh = dict(kwargs)
            if isinstance(fresh.get("data"), dict):
                fresh["data"] = dict(fresh["data"])
            try:
                return super(PayClient, self)._request(method, url_or_endpoint, **fresh)
            except WeChatPayException as exc:
                err = str(exc.errcode or exc.return_code or "FAIL")
                msg = exc.errmsg or exc.return_msg
                raise PayError(f"WeChat Pay {endpoint} failed: {err} {msg or ''}".strip(), err_code=err,
                               err_msg=msg, response=_answer(exc)) from exc

        return recorded_call("wechatpay", endpoint, endpoint, ref, data, once, _transient)


def recorded_call(provider: str, endpoint: str, retry_as: str, ref: str | None, request: dict,
                  call: Callable[[], Any], is_transient: Callable[[Exception], bool]) -> Any:
    """Make a provider call (retried as ``retry_as`` allows) and record it, whatever the outcome; a call that
    never answered is a ``PayError`` with ``timeout`` set."""
    started = time.monotonic()
    try:
        result, attempts = with_retries(retry_as, call, is_transient)
    except PayError as exc:
        record(provider, endpoint, ref, request, exc.err_code, exc.err_msg, exc.response,
               getattr(exc, "attempts", 1), started)
        raise
    except (requests.Timeout, requests.ConnectionError) as exc:
        record(provider, endpoint, ref, request, "TIMEOUT", f"{type(exc).__name__}: {exc}", None,
               getattr(exc, "attempts", 1), started)
        raise PayError(f"{provider} {endpoint} did not answer: {type(exc).__name__}", err_code="TIMEOUT",
                       timeout=True) from exc
    record(provider, endpoint, ref, request, None, "OK", result if isinstance(result, dict) else {"text": "(bill)"},
           attempts, started)
    return result


def _transient(exc: Exception) -> bool:
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return True
    return isinstance(exc, PayError) and exc.err_code == "SYSTEMERROR"


def _answer(exc: WeChatPayException) -> dict | None:
    try:
        return signing.parse_xml(exc.response.text) if exc.response is not None else None
    except (signing.BadSignature, signing.RefusedXml, AttributeError):
        return None


def get_pay_client() -> PayClient:
    """A ``WeChatPay`` for the configured merchant, pointed at ``SCRM_WECHATPAY_API_BASE``."""
    s = get_settings()
    if not (s.wechatpay_mch_id and s.wechatpay_api_key):
        raise PayError("WeChat Pay is not configured: set SCRM_WECHATPAY_MCH_ID and SCRM_WECHATPAY_API_KEY")
    key = (s.wechatpay_appid, s.wechatpay_api_key, s.wechatpay_mch_id, s.wechatpay_api_base, s.wechatpay_timeout_s)
    client = _clients.get(key)
    if client is None:
        client = _clients.setdefault(key, PayClient(appid=key[0], api_key=key[1], mch_id=key[2], api_base=key[3],
                                                    timeout=key[4]))
    return client


_clients: dict[tuple, PayClient] = {}  # one per configuration, so its HTTP connections are reused


def notify_url(kind: str) -> str:
    """Where WeChat Pay (or the bank) sends notifications of ``kind`` (``papay``, ``papay/contract``, ``bank``)."""
    return f"{get_settings().wechatpay_notify_base.rstrip('/')}/pay/notify/{kind}"


def verify_notification(body: bytes | str) -> dict:
    """The fields of a WeChat Pay notification whose signature checks out (constant time); else ``BadSignature``."""
    return signing.parse_signed(body, get_settings().wechatpay_api_key)


def beijing_now() -> datetime:
    """Now in Beijing, moved by ``SCRM_WECHATPAY_CLOCK_OFFSET_S`` (sandboxes and tests)."""
    offset = get_settings().wechatpay_clock_offset_s
    return datetime.now(timezone.utc).astimezone(BEIJING) + timedelta(seconds=offset)


def papay_window_opens(at: datetime) -> datetime | None:
    """None when ``at`` is inside papay's 07:00–22:00 Beijing window; else when the window next opens."""
    local = at.astimezone(BEIJING)
    if PAPAY_HOURS[0] <= local.hour < PAPAY_HOURS[1]:
        return None
    day = local.date() if local.hour < PAPAY_HOURS[0] else local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, PAPAY_HOURS[0], tzinfo=BEIJING)
