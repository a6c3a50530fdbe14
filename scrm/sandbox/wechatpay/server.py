"""``SandboxWechatPay``: WeChat Pay v2 (papay 委托代扣, orders, bills, 企业付款到零钱) and a bank-card
agreement-payment (协议支付) API on loopback, with a settable clock, fault injection and notifications.

WeChat Pay speaks XML signed with the merchant key; the bank API speaks JSON whose body is signed with
HMAC-SHA256 in the ``X-Bank-Sign`` header. Both POST signed notifications to the notify URL given with
each order and retry until the receiver acknowledges (WeChat: XML ``return_code`` SUCCESS; bank: ``SUCCESS``).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from scrm.core.clock import BEIJING
from scrm.core.config import SANDBOX_BANKPAY, SANDBOX_WECHATPAY
from scrm.sandbox.loopback import LoopbackSandbox, take_fault
from scrm.wechatpay import signing

PAPAY_HOURS = (7, 22)  # deductions only from 07:00 to 22:00 Beijing time
SMS_TTL_S = 300
SMS_MAX_TRIES = 5


class PayError(Exception):
    def __init__(self, err_code: str, des: str):
        super().__init__(des)
        self.err_code, self.des = err_code, des


@dataclass
class Fault:
    err_code: str | None = None  # answer result_code FAIL with this err_code, doing nothing
    http_status: int | None = None
    delay_s: float | None = None  # wait before answering (after doing the work, unless err_code/http_status)
    notify: str | None = None  # "never" | "before" (deliver before answering) | "twice" | "hold" (stay ACCEPT)
    remaining: int = 1


@dataclass
class Notification:
    kind: str  # "pay" | "contract" | "bank"
    url: str
    body: bytes
    headers: dict
    attempts: int = 0
    ok: bool = False
    errors: list[str] = field(default_factory=list)
    future: Future | None = None

    def wait(self, timeout: float = 10.0) -> "Notification":
        if self.future is not None:
            self.future.result(timeout)
        return self


class SandboxWechatPay(LoopbackSandbox):
    """``start()`` returns the WeChat Pay API base (``http://127.0.0.1:PORT/``); the bank API is at
    ``bank_base_url`` (``http://127.0.0.1:PORT/bank/``). The clock starts at the wall clock; ``set_clock``
    moves it (the papay window and bill dates follow it)."""

    def __init__(self, appid: str | None = None, mch_id: str | None = None, api_key: str | None = None,
                 plan_id: str | None = None, *, bank_merchant_id: str | None = None, bank_key: str | None = None,
                 notify_retry_intervals_s: tuple[float, ...] = (0.05, 0.2, 0.5), notify_timeout_s: float = 5.0,
                 notice_required: bool = True):
        self.appid = appid or SANDBOX_WECHATPAY["appid"]
        self.mch_id = mch_id or SANDBOX_WECHATPAY["mch_id"]
        self.api_key = api_key or SANDBOX_WECHATPAY["api_key"]
        self.plan_id = str(plan_id or SANDBOX_WECHATPAY["plan_id"])
        self.bank_merchant_id = bank_merchant_id or SANDBOX_BANKPAY["merchant_id"]
        self.bank_key = bank_key or SANDBOX_BANKPAY["key"]
        # WeChat retries 15s/15s/30s/3m/10m/…; the sandbox keeps the count and shortens the waits
        self.notify_retry_intervals_s = notify_retry_intervals_s
        self.notify_timeout_s = notify_timeout_s
        self.notice_required = notice_required
        # True: payment notifications are delivered before the API call answers (tests sharing one connection)
        self.notify_inline = False
        self.clock_offset_s = 0.0
        self._lock = threading.RLock()
        self._faults: dict[str, list[Fault]] = {}
        self._log: list[dict] = []
        self._seq = 0
        self.contracts: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.notices: list[dict] = []
        self.notifications: list[Notification] = []
        self.failing_contracts: dict[str, str] = {}  # contract_id -> err_code_des of a failed deduction
        self.bank_sign_requests: dict[str, dict] = {}
        self.bank_agreements: dict[str, dict] = {}
        self.bank_orders: dict[str, dict] = {}
        self.failing_agreements: dict[str, str] = {}
        self.sms: list[dict] = []
        self.app = self._build_app()

    name = "sandbox WeChat Pay"

    # ------------------------------------------------------------------ lifecycle

    @property
    def bank_base_url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}/bank/" if self.port else None

    # ------------------------------------------------------------------ clock, faults, log

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.clock_offset_s)

    def set_clock(self, when: datetime) -> None:
        """Make the sandbox's clock read ``when`` now (and run on from there)."""
        self.clock_offset_s = (when - datetime.now(timezone.utc)).total_seconds()

    def inject(self, path: str, *, err_code: str | None = None, http_status: int | None = None,
               delay_s: float | None = None, notify: str | None = None, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` (``"*"`` for any) fail with ``err_code``/``http_status``, or do
        their work and answer after ``delay_s``, with the order's notification ``never`` sent, sent
        ``before`` the answer, sent ``twice``, or held (``hold``: the order stays ACCEPT until ``settle``).
        ``inject("notify", notify="never", times=n)`` drops the next ``n`` notifications of any kind
        (payment, bank, contract): WeChat Pay never notifying."""
        with self._lock:
            self._faults.setdefault(path.strip("/"), []).append(Fault(err_code, http_status, delay_s, notify, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> Fault | None:
        return take_fault(self._lock, self._faults, path)

    def request_log(self, path: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._log if path is None or e["path"] == path.strip("/")]

    def call_count(self, path: str) -> int:
        return len(self.request_log(path))

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._seq += 1
            return f"{prefix}{self.now().astimezone(BEIJING):%Y%m%d}{self._seq:010d}"

    def _stamp(self, when: datetime | None = None) -> str:
        return (when or self.now()).astimezone(BEIJING).strftime("%Y%m%d%H%M%S")

    # ------------------------------------------------------------------ test and demo controls

    def fail_deductions(self, contract_id: str, reason: str = "余额不足") -> None:
        """Deductions on this contract fail (PAY_FAIL) until ``heal_deductions``."""
        self.failing_contracts[contract_id] = reason

    def heal_deductions(self, contract_id: str) -> None:
        self.failing_contracts.pop(contract_id, None)

    def deductions(self, contract_id: str | None = None, succeeded_only: bool = False) -> list[dict]:
        """The papay orders as WeChat Pay holds them (one per out_trade_no)."""
        with self._lock:
            return [dict(o) for o in self.orders.values() if o["trade_type"] == "PAP"
                    and (contract_id is None or o["contract_id"] == contract_id)
                    and (not succeeded_only or o["trade_state"] == "SUCCESS")]

    def settle(self, out_trade_no: str, success: bool = True, reason: str = "余额不足") -> Notification | None:
        """Finish a held papay order (``notify="hold"``) and notify."""
        with self._lock:
            order = self.orders[out_trade_no]
            self._finish(order, success, reason)
        return self._notify_order(order, wait=True)

    def last_sms_code(self, phone: str) -> str | None:
        """The code the bank last "texted" to ``phone``."""
        with self._lock:
            sent = [m for m in self.sms if m["phone"] == phone]
            return sent[-1]["code"] if sent else None

    def bank_debits(self, agreement_no: str | None = None, succeeded_only: bool = False) -> list[dict]:
        with self._lock:
            return [dict(o) for o in self.bank_orders.values()
                    if (agreement_no is None or o["agreement_no"] == agreement_no)
                    and (not succeeded_only or o["status"] == "SUCCESS")]

    def fail_bank_debits(self, agreement_no: str, reason: str = "余额不足") -> None:
        self.failing_agreements[agreement_no] = reason

    def resend_notification(self, index: int = -1) -> Notification:
        """Send one of the notifications already sent once more, as WeChat does when it doubts the first."""
        first = self.notifications[index]
        return self._send(first.kind, first.url, first.body, first.headers, wait=True)

    def notify_pay_raw(self, url: str, fields: dict, key: str | None = None) -> Notification:
        """POST arbitrary payment-notification fields (signed with ``key``, the merchant key by default)."""
        body = signing.to_xml(fields, key or self.api_key).encode()
        return self._send("pay", url, body, {"content-type": "text/xml"}, wait=True)

    def notify_bank_raw(self, url: str, fields: dict, key: str | None = None) -> Notification:
        body = json.dumps(fields, ensure_ascii=False).encode()
        headers = {"content-type": "application/json", "x-bank-sign": signing.body_signature(body, key or self.bank_key)}
        return self._send("bank", url, body, headers, wait=True)

    def reset(self) -> None:
        with self._lock:
            for store in (self.contracts, self.orders, self.transfers, self.failing_contracts, self._faults,
                          self.bank_sign_requests, self.bank_agreements, self.bank_orders, self.failing_agreements):
                store.clear()
            for seq in (self.notices, self.notifications, self._log, self.sms):
                seq.clear()

    # ------------------------------------------------------------------ notifications

    def _send(self, kind: str, url: str, body: bytes, headers: dict, wait: bool) -> Notification:
        note = Notification(kind, url, body, headers)
        with self._lock:
            self.notifications.append(note)
            dropped = self._faults.get("notify")
            if dropped and dropped[0].notify == "never":
                take_fault(self._lock, {"notify": dropped}, "notify")
                note.errors.append("dropped (fault on notify)")
                return note
        if wait:
            self._deliver(note)
        else:
            note.future = self._pool().submit(self._deliver, note)
        return note

    def _deliver(self, note: Notification) -> None:
        for attempt, pause in enumerate((0.0, *self.notify_retry_intervals_s)):
            if pause:
                time.sleep(pause)
            note.attempts = attempt + 1
            try:
                res = httpx.post(note.url, content=note.body, headers=note.headers, timeout=self.notify_timeout_s)
            except httpx.HTTPError as exc:
                note.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if res.status_code == 200 and _acknowledged(note.kind, res.text):
                note.ok = True
                return
            note.errors.append(f"HTTP {res.status_code}: {res.text[:200]}")

    def _notify_order(self, order: dict, wait: bool) -> Notification | None:
        if not order.get("notify_url"):
            return None
        if order["trade_type"] == "BANK":
            fields = {k: order[k] for k in ("merchant_id", "out_trade_no", "trade_no", "agreement_no", "amount_fen",
                                            "status", "message", "finished_at")}
            body = json.dumps(fields, ensure_ascii=False).encode()
            return self._send("bank", order["notify_url"], body,
                              {"content-type": "application/json",
                               "x-bank-sign": signing.body_signature(body, self.bank_key)}, wait)
        success = order["trade_state"] == "SUCCESS"
        fields = {"return_code": "SUCCESS", "appid": self.appid, "mch_id": self.mch_id,
                  "nonce_str": secrets.token_hex(16), "result_code": "SUCCESS" if success else "FAIL",
                  "err_code": None if success else "PAY_FAIL", "err_code_des": None if success else order["trade_state_desc"],
                  "openid": order["openid"], "is_subscribe": "N", "trade_type": "PAP", "bank_type": "CMB_DEBIT",
                  "total_fee": order["total_fee"], "cash_fee": order["total_fee"] if success else None, "fee_type": "CNY",
                  "transaction_id": order["transaction_id"], "out_trade_no": order["out_trade_no"],
                  "attach": order.get("attach"), "time_end": order["time_end"], "contract_id": order["contract_id"],
                  "trade_state": order["trade_state"]}
        body = signing.to_xml(fields, self.api_key).encode()
        return self._send("pay", order["notify_url"], body, {"content-type": "text/xml"}, wait)

    def _notify_contract(self, contract: dict, change_type: str, wait: bool = True) -> Notification | None:
        if not contract.get("notify_url"):
            return None
        fields = {"return_code": "SUCCESS", "result_code": "SUCCESS", "mch_id": self.mch_id, "appid": self.appid,
                  "contract_code": contract["contract_code"], "plan_id": contract["plan_id"], "openid": contract["openid"],
                  "change_type": change_type, "operate_time": self.now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                  "contract_id": contract["contract_id"], "contract_expired_time": contract["contract_expired_time"],
                  "request_serial": contract["request_serial"],
                  "contract_termination_mode": contract.get("contract_termination_mode")}
        return self._send("contract", contract["notify_url"], signing.to_xml(fields, self.api_key).encode(),
                          {"content-type": "text/xml"}, wait)

    # ------------------------------------------------------------------ papay

    def _in_window(self) -> bool:
        hour = self.now().astimezone(BEIJING).hour
        return PAPAY_HOURS[0] <= hour < PAPAY_HOURS[1]

    def sign_contract(self, params: dict) -> dict:
        """The user agrees on the signing page: the contract exists and its notification is sent (and awaited)."""
        with self._lock:
            if params.get("plan_id") != self.plan_id:
                raise PayError("PARAM_ERROR", "plan_id 不存在")
            for c in self.contracts.values():
                if c["contract_code"] == params["contract_code"] and c["contract_state"] == "0":
                    return c
            contract = {"contract_id": self._next_id("2026"), "plan_id": self.plan_id,
                        "contract_code": params["contract_code"], "request_serial": params.get("request_serial", ""),
                        "contract_display_account": params.get("contract_display_account", ""),
                        "openid": params.get("openid") or "o" + secrets.token_hex(13),
                        "contract_state": "0", "contract_signed_time": self.now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                        "contract_expired_time": "2099-12-31 23:59:59", "notify_url": params.get("notify_url")}
            self.contracts[contract["contract_id"]] = contract
        self._notify_contract(contract, "ADD")
        return contract

    def _contract(self, data: dict) -> dict:
        if data.get("contract_id"):
            contract = self.contracts.get(data["contract_id"])
        else:
            contract = next((c for c in self.contracts.values() if c["plan_id"] == data.get("plan_id")
                             and c["contract_code"] == data.get("contract_code")), None)
        if contract is None:
            raise PayError("CONTRACT_NOT_EXIST", "签约协议不存在")
        return contract

    def _querycontract(self, data: dict, fault: Fault | None) -> dict:
        c = self._contract(data)
        keys = ("contract_id", "plan_id", "request_serial", "contract_code", "contract_display_account",
                "contract_state", "contract_signed_time", "contract_expired_time", "openid",
                "contract_terminated_time", "contract_termination_mode")
        return {k: c.get(k) for k in keys}

    def _deletecontract(self, data: dict, fault: Fault | None) -> dict:
        with self._lock:
            c = self._contract(data)
            if c["contract_state"] == "1":
                raise PayError("CONTRACT_NOT_EXIST", "签约协议已解约")
            c.update(contract_state="1", contract_termination_mode="3",
                     contract_terminated_time=self.now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"))
        self._notify_contract(c, "DELETE")
        return {"contract_id": c["contract_id"], "plan_id": c["plan_id"], "contract_code": c["contract_code"]}

    def _predeductnotify(self, data: dict, fault: Fault | None) -> dict:
        c = self._contract(data)
        if c["contract_state"] != "0":
            raise PayError("CONTRACT_NOT_EXIST", "签约协议已解约")
        notice = {"contract_id": c["contract_id"], "estimated_amount": int(data.get("estimated_amount") or 0),
                  "deduct_date": data.get("deduct_date", ""), "at": self.now()}
        with self._lock:
            self.notices.append(notice)
        return {"contract_id": c["contract_id"]}

    def _noticed(self, contract_id: str, amount: int) -> bool:
        today = self.now().astimezone(BEIJING).strftime("%Y%m%d")
        return any(n["contract_id"] == contract_id and n["estimated_amount"] >= amount
                   and n["deduct_date"] <= today for n in self.notices)

    def _pappayapply(self, data: dict, fault: Fault | None) -> dict:
        with self._lock:
            existing = self.orders.get(data["out_trade_no"])
            if existing is not None:
                if existing["total_fee"] != int(data["total_fee"]) or existing["contract_id"] != data["contract_id"]:
                    raise PayError("OUT_TRADE_NO_USED", "商户订单号重复")
                return {}
            contract = self._contract(data)
            if contract["contract_state"] != "0":
                raise PayError("CONTRACT_NOT_EXIST", "签约协议已解约")
            if not self._in_window():
                raise PayError("RULELIMIT", "委托代扣只能在北京时间07:00-22:00发起")
            total_fee = int(data["total_fee"])
            if self.notice_required and not self._noticed(contract["contract_id"], total_fee):
                raise PayError("RULELIMIT", "扣款前未发送预扣费通知")
            order = {"trade_type": "PAP", "out_trade_no": data["out_trade_no"], "total_fee": total_fee,
                     "contract_id": contract["contract_id"], "openid": contract["openid"], "body": data.get("body", ""),
                     "attach": data.get("attach"), "notify_url": data.get("notify_url"), "trade_state": "ACCEPT",
                     "trade_state_desc": "已接收，等待扣款", "transaction_id": self._next_id("4200"), "time_end": None,
                     "created_at": self.now()}
            self.orders[order["out_trade_no"]] = order
            hold = fault is not None and fault.notify == "hold"
            if not hold:
                reason = self.failing_contracts.get(contract["contract_id"])
                self._finish(order, reason is None, reason or "")
        if not hold:
            mode = fault.notify if fault else None
            if mode == "before":
                self._notify_order(order, wait=True)
            elif mode == "twice":
                self._notify_order(order, wait=True)
                self._notify_order(order, wait=False)
            elif mode != "never":
                self._notify_order(order, wait=self.notify_inline)
        return {}

    def _finish(self, order: dict, success: bool, reason: str) -> None:
        order["time_end"] = self._stamp()
        order["finished_at"] = self.now()
        if order["trade_type"] == "BANK":
            order.update(status="SUCCESS" if success else "FAILED", message="" if success else reason,
                         finished_at=order["finished_at"].isoformat())
            return
        order["trade_state"] = "SUCCESS" if success else "PAY_FAIL"
        order["trade_state_desc"] = "支付成功" if success else reason

    def _orderquery(self, data: dict, fault: Fault | None) -> dict:
        with self._lock:
            order = self.orders.get(data.get("out_trade_no") or "")
            if order is None and data.get("transaction_id"):
                order = next((o for o in self.orders.values() if o["transaction_id"] == data["transaction_id"]), None)
            if order is None:
                raise PayError("ORDERNOTEXIST", "此交易订单号不存在")
            keys = ("out_trade_no", "transaction_id", "trade_state", "trade_state_desc", "total_fee", "contract_id",
                    "openid", "time_end", "attach")
            answer = {k: order.get(k) for k in keys}
            answer.update(trade_type=order["trade_type"], fee_type="CNY",
                          cash_fee=order["total_fee"] if order["trade_state"] == "SUCCESS" else None)
            return answer

    def _downloadbill(self, data: dict, fault: Fault | None) -> str:
        day = data.get("bill_date", "")
        with self._lock:
            rows = [o for o in self.orders.values() if o["trade_state"] == "SUCCESS"
                    and o["finished_at"].astimezone(BEIJING).strftime("%Y%m%d") == day]
        if not rows:
            raise PayError("20002", "No Bill Exist")
        lines = ["交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
                 "货币种类,应结订单总金额,代金券金额,商品名称,商户数据包,手续费,费率"]
        total = 0
        for o in rows:
            total += o["total_fee"]
            fee = o["total_fee"] * 6 // 1000
            cells = [o["finished_at"].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), self.appid, self.mch_id, "0", "",
                     o["transaction_id"], o["out_trade_no"], o["openid"], o["trade_type"], "SUCCESS", "CMB_DEBIT", "CNY",
                     _yuan(o["total_fee"]), "0.00", o["body"], o.get("attach") or "", _yuan(fee), "0.60%"]
            lines.append(",".join("`" + c for c in cells))
        lines.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        lines.append(",".join("`" + c for c in [str(len(rows)), _yuan(total), "0.00", "0.00", "0.00", _yuan(total), "0.00"]))
        return "\r\n".join(lines) + "\r\n"

    # ------------------------------------------------------------------ 企业付款到零钱

    def _transfers(self, data: dict, fault: Fault | None) -> dict:
        if data.get("mchid") != self.mch_id or data.get("mch_appid") != self.appid:
            raise PayError("PARAM_ERROR", "商户号或appid不正确")
        amount = int(data.get("amount") or 0)
        if amount < 30:
            raise PayError("AMOUNT_LIMIT", "付款金额不能小于最低限额")
        if data.get("check_name") == "FORCE_CHECK" and not data.get("re_user_name"):
            raise PayError("PARAM_ERROR", "收款用户姓名必填")
        with self._lock:
            existing = self.transfers.get(data["partner_trade_no"])
            if existing is not None:
                if existing["amount"] != amount or existing["openid"] != data.get("openid"):
                    raise PayError("PARAM_ERROR", "商户订单号重复，参数不一致")
                transfer = existing
            else:
                transfer = {"partner_trade_no": data["partner_trade_no"], "openid": data.get("openid"), "amount": amount,
                            "desc": data.get("desc", ""), "re_user_name": data.get("re_user_name"),
                            "payment_no": self._next_id("1000"), "status": "SUCCESS",
                            "payment_time": self.now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")}
                self.transfers[transfer["partner_trade_no"]] = transfer
        return {"mch_appid": self.appid, "mchid": self.mch_id, "partner_trade_no": transfer["partner_trade_no"],
                "payment_no": transfer["payment_no"], "payment_time": transfer["payment_time"]}

    def _gettransferinfo(self, data: dict, fault: Fault | None) -> dict:
        transfer = self.transfers.get(data.get("partner_trade_no") or "")
        if transfer is None:
            raise PayError("NOT_FOUND", "指定单号数据不存在")
        return {"partner_trade_no": transfer["partner_trade_no"], "detail_id": transfer["payment_no"],
                "status": transfer["status"], "openid": transfer["openid"], "payment_amount": transfer["amount"],
                "transfer_time": transfer["payment_time"], "payment_time": transfer["payment_time"],
                "transfer_name": transfer.get("re_user_name"), "desc": transfer["desc"], "appid": self.appid,
                "mch_id": self.mch_id}

    # ------------------------------------------------------------------ the WeChat Pay HTTP side

    async def _pay(self, request: Request) -> Response:
        path = request.path_params["path"].strip("/")
        raw = await request.body()
        if path in ("papay/entrustweb", "papay/h5entrustweb"):
            return await self._entrustweb(request, path, raw)
        handler = PAY_ENDPOINTS.get(path)
        if handler is None:
            return PlainTextResponse("unknown api", status_code=404)
        try:
            data = signing.parse_xml(raw)
        except signing.BadSignature:
            return self._xml_answer(path, {}, {"return_code": "FAIL", "return_msg": "XML格式错误"})
        entry = {"path": path, "body": {k: v for k, v in data.items() if k != "sign"}, "time": time.time()}
        with self._lock:
            self._log.append(entry)
        if not signing.verify(data, self.api_key):
            return self._xml_answer(path, entry, {"return_code": "FAIL", "return_msg": "签名错误"})
        fault = self._take_fault(path)
        if fault is not None and fault.http_status:
            entry["answer"] = f"HTTP {fault.http_status}"
            return PlainTextResponse("fault", status_code=fault.http_status)
        if fault is not None and fault.err_code:
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            return self._xml_answer(path, entry, {"return_code": "SUCCESS", "result_code": "FAIL",
                                                  "err_code": fault.err_code, "err_code_des": "系统繁忙，请稍后再试"})
        try:
            result = await run_in_threadpool(getattr(self, handler), data, fault)
        except PayError as exc:
            answer: Any = {"return_code": "SUCCESS", "result_code": "FAIL", "err_code": exc.err_code,
                           "err_code_des": exc.des}
            if path == "pay/downloadbill":
                answer = {"return_code": "FAIL", "return_msg": exc.des, "error_code": exc.err_code}
        else:
            answer = result if isinstance(result, str) else {"return_code": "SUCCESS", "return_msg": "OK",
                                                             "result_code": "SUCCESS", **result}
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if isinstance(answer, str):
            entry["answer"] = "bill"
            return PlainTextResponse(answer)
        return self._xml_answer(path, entry, answer)

    def _xml_answer(self, path: str, entry: dict, fields: dict) -> Response:
        entry["answer"] = {k: v for k, v in fields.items() if v is not None}
        fields = {"appid": self.appid, "mch_id": self.mch_id, "nonce_str": secrets.token_hex(16), **fields} \
            if fields.get("return_code") == "SUCCESS" and not path.startswith("mmpaymkttransfers") else fields
        key = self.api_key if fields.get("return_code") == "SUCCESS" else None
        return Response(signing.to_xml(fields, key), media_type="text/xml")

    async def _entrustweb(self, request: Request, path: str, raw: bytes) -> Response:
        params = dict(request.query_params)
        if request.method == "POST" and raw:

            params.update(parse_qsl(raw.decode()))
        with self._lock:
            self._log.append({"path": path, "body": {k: v for k, v in params.items() if k != "sign"}, "time": time.time()})
        if not signing.verify(params, self.api_key):
            return HTMLResponse("<h1>签名错误</h1>", status_code=400)
        try:
            contract = await run_in_threadpool(self.sign_contract, params)
        except PayError as exc:
            return HTMLResponse(f"<h1>{exc.des}</h1>", status_code=400)
        return HTMLResponse(f"<h1>签约成功</h1><p>contract_id={contract['contract_id']}</p>")

    # ------------------------------------------------------------------ the bank agreement-payment API

    def _bank_sign_request(self, d: dict) -> dict:
        for name in ("request_no", "name", "id_no", "card_no", "phone"):
            if not d.get(name):
                raise PayError("PARAM_ERROR", f"{name} 必填")
        code = f"{secrets.randbelow(10**6):06d}"
        req = {"sign_request_id": self._next_id("SR"), "request_no": d["request_no"], "name": d["name"],
               "id_no": d["id_no"], "card_no": d["card_no"], "phone": d["phone"], "code": code,
               "expires": time.monotonic() + SMS_TTL_S, "tries": 0, "agreement_no": None}
        with self._lock:
            self.bank_sign_requests[req["sign_request_id"]] = req
            self.sms.append({"phone": d["phone"], "code": code, "at": self.now()})
        return {"sign_request_id": req["sign_request_id"], "sms_sent_to": d["phone"][:3] + "****" + d["phone"][-4:]}

    def _bank_confirm(self, d: dict) -> dict:
        with self._lock:
            req = self.bank_sign_requests.get(d.get("sign_request_id") or "")
            if req is None:
                raise PayError("NOT_FOUND", "签约请求不存在")
            if req["agreement_no"]:
                return {"agreement_no": req["agreement_no"]}
            if time.monotonic() > req["expires"] or req["tries"] >= SMS_MAX_TRIES:
                raise PayError("SMS_EXPIRED", "验证码已失效，请重新获取")
            req["tries"] += 1
            if not secrets.compare_digest(str(d.get("sms_code", "")), req["code"]):
                raise PayError("SMS_MISMATCH", "验证码错误")
            agreement = {"agreement_no": self._next_id("AG"), "card_no": req["card_no"], "name": req["name"],
                         "phone": req["phone"], "status": "ACTIVE"}
            req["agreement_no"] = agreement["agreement_no"]
            self.bank_agreements[agreement["agreement_no"]] = agreement
        return {"agreement_no": agreement["agreement_no"], "card_last4": req["card_no"][-4:]}

    def _bank_agreement_query(self, d: dict) -> dict:
        agreement = self.bank_agreements.get(d.get("agreement_no") or "")
        if agreement is None:
            raise PayError("NOT_FOUND", "协议不存在")
        return {"agreement_no": agreement["agreement_no"], "status": agreement["status"],
                "card_last4": agreement["card_no"][-4:]}

    def _bank_agreement_cancel(self, d: dict) -> dict:
        with self._lock:
            agreement = self.bank_agreements.get(d.get("agreement_no") or "")
            if agreement is None:
                raise PayError("NOT_FOUND", "协议不存在")
            agreement["status"] = "CANCELLED"
        return {"agreement_no": agreement["agreement_no"], "status": "CANCELLED"}

    def _bank_debit(self, d: dict, fault: Fault | None = None) -> dict:
        with self._lock:
            existing = self.bank_orders.get(d.get("out_trade_no") or "")
            if existing is not None:
                if existing["amount_fen"] != int(d.get("amount_fen") or 0):
                    raise PayError("OUT_TRADE_NO_USED", "商户订单号重复")
                return {"out_trade_no": existing["out_trade_no"], "trade_no": existing["trade_no"],
                        "status": existing["status"]}
            agreement = self.bank_agreements.get(d.get("agreement_no") or "")
            if agreement is None or agreement["status"] != "ACTIVE":
                raise PayError("AGREEMENT_INVALID", "协议不存在或已解约")
            amount = int(d.get("amount_fen") or 0)
            if amount <= 0:
                raise PayError("PARAM_ERROR", "amount_fen 必须大于0")
            order = {"trade_type": "BANK", "merchant_id": self.bank_merchant_id, "out_trade_no": d["out_trade_no"],
                     "trade_no": self._next_id("BK"), "agreement_no": agreement["agreement_no"], "amount_fen": amount,
                     "status": "PROCESSING", "message": "", "notify_url": d.get("notify_url"), "finished_at": None,
                     "created_at": self.now()}
            self.bank_orders[order["out_trade_no"]] = order
            hold = fault is not None and fault.notify == "hold"
            if not hold:
                reason = self.failing_agreements.get(agreement["agreement_no"])
                self._finish(order, reason is None, reason or "")
        if not hold:
            mode = fault.notify if fault else None
            if mode in ("before", "twice"):
                self._notify_order(order, wait=True)
            if mode == "twice" or mode is None:
                self._notify_order(order, wait=self.notify_inline and mode is None)
        return {"out_trade_no": order["out_trade_no"], "trade_no": order["trade_no"], "status": "PROCESSING"}

    def _bank_debit_query(self, d: dict) -> dict:
        order = self.bank_orders.get(d.get("out_trade_no") or "")
        if order is None:
            raise PayError("ORDER_NOT_EXIST", "订单不存在")
        return {k: order[k] for k in ("out_trade_no", "trade_no", "agreement_no", "amount_fen", "status", "message",
                                      "finished_at")}

    def _bank_bill(self, d: dict) -> str:
        day = d.get("date", "")
        rows = ["out_trade_no,trade_no,amount_fen,status,finished_at"]
        with self._lock:
            for o in self.bank_orders.values():
                if o["status"] == "SUCCESS" and o["finished_at"] and \
                        datetime.fromisoformat(o["finished_at"]).astimezone(BEIJING).strftime("%Y-%m-%d") == day:
                    rows.append(f"{o['out_trade_no']},{o['trade_no']},{o['amount_fen']},SUCCESS,{o['finished_at']}")
        return "\n".join(rows) + "\n"

    async def _bank(self, request: Request) -> Response:
        path = request.path_params["path"].strip("/")
        handler = BANK_ENDPOINTS.get(path)
        if handler is None:
            return JSONResponse({"code": "NOT_FOUND", "message": "unknown api"}, status_code=404)
        raw = await request.body()
        entry = {"path": "bank/" + path, "body": None, "time": time.time()}
        with self._lock:
            self._log.append(entry)
        if not signing.verify_body(raw, self.bank_key, request.headers.get("x-bank-sign")):
            return self._bank_answer(entry, {"code": "SIGN_ERROR", "message": "签名错误"}, status=401)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return self._bank_answer(entry, {"code": "PARAM_ERROR", "message": "JSON格式错误"}, status=400)
        entry["body"] = {k: (v[:3] + "***" + v[-4:] if k in ("card_no", "id_no", "phone") and isinstance(v, str)
                             else v) for k, v in data.items()}
        if data.get("merchant_id") != self.bank_merchant_id:
            return self._bank_answer(entry, {"code": "PARAM_ERROR", "message": "merchant_id 不正确"})
        fault = self._take_fault("bank/" + path)
        if fault is not None and fault.http_status:
            return PlainTextResponse("fault", status_code=fault.http_status)
        if fault is not None and fault.err_code:
            return self._bank_answer(entry, {"code": fault.err_code, "message": "系统繁忙"})
        try:
            if path == "debit":
                result = await run_in_threadpool(self._bank_debit, data, fault)
            else:
                result = await run_in_threadpool(getattr(self, handler), data)
        except PayError as exc:
            answer: Any = {"code": exc.err_code, "message": exc.des}
        else:
            answer = result if isinstance(result, str) else {"code": "SUCCESS", "message": "OK", **result}
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if isinstance(answer, str):
            entry["answer"] = "bill"
            return Response(answer.encode(), media_type="text/csv",
                            headers={"x-bank-sign": signing.body_signature(answer.encode(), self.bank_key)})
        return self._bank_answer(entry, answer)

    def _bank_answer(self, entry: dict, payload: dict, status: int = 200) -> Response:
        entry["answer"] = payload
        body = json.dumps(payload, ensure_ascii=False).encode()
        return Response(body, status_code=status, media_type="application/json",
                        headers={"x-bank-sign": signing.body_signature(body, self.bank_key)})

    # ------------------------------------------------------------------ /sandbox/ controls over HTTP

    async def _http_clock(self, request: Request) -> Response:
        body = json.loads((await request.body()) or b"{}")
        if body.get("beijing"):
            self.set_clock(datetime.fromisoformat(body["beijing"]).replace(tzinfo=BEIJING))
        return JSONResponse({"now": self.now().astimezone(BEIJING).isoformat()})

    async def _http_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear_faults()
        else:
            spec = json.loads(await request.body())
            self.inject(spec.pop("path"), **spec)
        return JSONResponse({"ok": True})

    async def _http_state(self, request: Request) -> Response:
        with self._lock:
            return JSONResponse(json.loads(json.dumps({
                "contracts": list(self.contracts.values()), "orders": list(self.orders.values()),
                "transfers": list(self.transfers.values()), "bank_orders": list(self.bank_orders.values()),
                "notifications": [{"kind": n.kind, "url": n.url, "attempts": n.attempts, "ok": n.ok}
                                  for n in self.notifications]}, default=str)))

    async def _http_sms(self, request: Request) -> Response:
        return JSONResponse({"code": self.last_sms_code(request.query_params.get("phone", ""))})

    def _build_app(self) -> Starlette:
        return Starlette(routes=[
            Route("/bank/{path:path}", self._bank, methods=["GET", "POST"]),
            Route("/sandbox/clock", self._http_clock, methods=["POST"]),
            Route("/sandbox/faults", self._http_faults, methods=["POST", "DELETE"]),
            Route("/sandbox/state", self._http_state, methods=["GET"]),
            Route("/sandbox/sms", self._http_sms, methods=["GET"]),
            Route("/{path:path}", self._pay, methods=["GET", "POST"]),
        ])


PAY_ENDPOINTS = {
    "papay/querycontract": "_querycontract",
    "papay/deletecontract": "_deletecontract",
    "papay/predeductnotify": "_predeductnotify",
    "pay/pappayapply": "_pappayapply",
    "pay/paporderquery": "_orderquery",
    "pay/orderquery": "_orderquery",
    "pay/downloadbill": "_downloadbill",
    "mmpaymkttransfers/promotion/transfers": "_transfers",
    "mmpaymkttransfers/gettransferinfo": "_gettransferinfo",
}

BANK_ENDPOINTS = {
    "agreement/sign-request": "_bank_sign_request",
    "agreement/confirm": "_bank_confirm",
    "agreement/query": "_bank_agreement_query",
    "agreement/cancel": "_bank_agreement_cancel",
    "debit": "_bank_debit",
    "debit/query": "_bank_debit_query",
    "bill": "_bank_bill",
}


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _acknowledged(kind: str, text: str) -> bool:
    if kind == "bank":
        return text.strip().strip('"') == "SUCCESS"
    try:
        return signing.parse_xml(text).get("return_code") == "SUCCESS"
    except signing.BadSignature:
        return False
