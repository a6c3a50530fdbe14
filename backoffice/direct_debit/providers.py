"""The debit providers behind one interface: WeChat Pay papay (wechatpy) and the bank-card agreement API."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from scrm.core.clock import beijing_date
from scrm.core.money import to_fen
from scrm.mandates.models import Mandate, MandateKind
from scrm.wechatpay import bank as bank_api
from scrm.wechatpay.client import PayError, beijing_now, get_pay_client, notify_url, verify_notification

RETRYABLE_CODES = {"SYSTEMERROR", "SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANKERROR"}


@dataclass
class Outcome:
    """What the provider says about one order."""

    state: str  # "accepted" | "succeeded" | "failed" | "not_found"
    amount_fen: int | None = None
    txn_id: str | None = None
    reason: str | None = None
    err_code: str | None = None
    retryable: bool = False


@dataclass
class Notice:
    out_trade_no: str
    outcome: Outcome
    dedupe_key: str
    fields: dict


@dataclass
class BillRow:
    out_trade_no: str
    txn_id: str
    amount_fen: int


class Provider(Protocol):
    name: str
    window: bool  # deducts only inside papay's hours

    def prepare(self, mandate: Mandate, amount_fen: int) -> None: ...
    def submit(self, out_trade_no: str, amount_fen: int, description: str, mandate: Mandate) -> Outcome: ...
    def query(self, out_trade_no: str) -> Outcome: ...
    def parse_notification(self, body: bytes, headers: dict) -> Notice: ...
    def bill(self, day: date) -> list[BillRow]: ...


def failure(exc: PayError) -> Outcome:
    """A refused call as an outcome; raises again when the call timed out (the caller decides what unknown means)."""
    if exc.timeout:
        raise exc
    return Outcome("failed", reason=f"{exc.err_code}: {exc.err_msg or ''}".strip(), err_code=exc.err_code,
                   retryable=exc.err_code in RETRYABLE_CODES)


class PapayProvider:
    name = "papay"
    window = True

    def prepare(self, mandate: Mandate, amount_fen: int) -> None:
        get_pay_client().withhold.pre_deduct_notice(mandate.contract_id, amount_fen, beijing_now().strftime("%Y%m%d"))

    def submit(self, out_trade_no: str, amount_fen: int, description: str, mandate: Mandate) -> Outcome:
        try:
            get_pay_client().withhold.apply_deduct(description[:128], amount_fen, mandate.contract_id,
                                                   notify_url("papay"), out_trade_no=out_trade_no)
        except PayError as exc:
            return failure(exc)
        return Outcome("accepted")

    def query(self, out_trade_no: str) -> Outcome:
        try:
            order = get_pay_client().withhold.query_order(out_trade_no=out_trade_no)
        except PayError as exc:
            if exc.err_code == "ORDERNOTEXIST":
                return Outcome("not_found")
            raise  # a failed query says nothing about the deduction: ask again later
        return _papay_outcome(order)

    def parse_notification(self, body: bytes, headers: dict) -> Notice:
        fields = verify_notification(body)
        outcome = _papay_outcome(fields)
        key = f"papay:{fields.get('out_trade_no')}:{fields.get('transaction_id')}:{outcome.state}"
        return Notice(fields.get("out_trade_no", ""), outcome, key, fields)

    def bill(self, day: date) -> list[BillRow]:
        try:
            text = get_pay_client().tools.download_bill(day.strftime("%Y%m%d"))
        except PayError as exc:
            if exc.err_code == "20002" or "No Bill" in (exc.err_msg or ""):
                return []
            raise
        rows = []
        for line in text.splitlines()[1:]:
            cells = [c.lstrip("`") for c in line.split(",")]
            if len(cells) < 13 or not cells[0][:1].isdigit() or "-" not in cells[0]:
                break  # the summary block
            rows.append(BillRow(cells[6], cells[5], to_fen(Decimal(cells[12]))))
        return rows


def _papay_outcome(fields: dict) -> Outcome:
    amount = int(fields["total_fee"]) if fields.get("total_fee") not in (None, "") else None
    state = fields.get("trade_state") or ("SUCCESS" if fields.get("result_code") == "SUCCESS" else "PAY_FAIL")
    if state == "SUCCESS":
        return Outcome("succeeded", amount, fields.get("transaction_id"))
    if state in ("ACCEPT", "USERPAYING", "NOTPAY"):
        return Outcome("accepted", amount, fields.get("transaction_id"))
    return Outcome("failed", amount, fields.get("transaction_id"),
                   reason=fields.get("err_code_des") or fields.get("trade_state_desc") or state, err_code=state)


class BankProvider:
    name = "bank"
    window = False

    def prepare(self, mandate: Mandate, amount_fen: int) -> None:
        return None

    def submit(self, out_trade_no: str, amount_fen: int, description: str, mandate: Mandate) -> Outcome:
        try:
            bank_api.get_bank_client().call("debit", {"out_trade_no": out_trade_no, "agreement_no": mandate.agreement_no,
                                                      "amount_fen": amount_fen, "description": description[:128],
                                                      "notify_url": notify_url("bank")}, ref=out_trade_no)
        except PayError as exc:
            return failure(exc)
        return Outcome("accepted")

    def query(self, out_trade_no: str) -> Outcome:
        try:
            order = bank_api.get_bank_client().call("debit/query", {"out_trade_no": out_trade_no}, ref=out_trade_no)
        except PayError as exc:
            if exc.err_code == "ORDER_NOT_EXIST":
                return Outcome("not_found")
            raise
        return _bank_outcome(order)

    def parse_notification(self, body: bytes, headers: dict) -> Notice:
        fields = bank_api.verify_notification(body, headers.get("x-bank-sign"))
        outcome = _bank_outcome(fields)
        key = f"bank:{fields.get('out_trade_no')}:{fields.get('trade_no')}:{outcome.state}"
        return Notice(str(fields.get("out_trade_no", "")), outcome, key, fields)

    def bill(self, day: date) -> list[BillRow]:
        text = bank_api.get_bank_client().call("bill", {"date": day.isoformat()}, ref=day.isoformat())
        return [BillRow(r["out_trade_no"], r["trade_no"], int(r["amount_fen"]))
                for r in csv.DictReader(io.StringIO(text)) if r.get("status") == "SUCCESS"]


def _bank_outcome(fields: dict) -> Outcome:
    amount = int(fields["amount_fen"]) if fields.get("amount_fen") is not None else None
    status = fields.get("status")
    if status == "SUCCESS":
        return Outcome("succeeded", amount, fields.get("trade_no"))
    if status == "FAILED":
        return Outcome("failed", amount, fields.get("trade_no"), reason=fields.get("message") or "FAILED",
                       err_code="FAILED")
    return Outcome("accepted", amount, fields.get("trade_no"))


PROVIDERS: dict[str, Provider] = {"papay": PapayProvider(), "bank": BankProvider()}


def for_mandate(mandate: Mandate) -> Provider:
    return PROVIDERS["papay" if mandate.kind == MandateKind.papay else "bank"]


def bill_day(at: datetime) -> date:
    """The provider's bill date of a moment: its Beijing calendar day."""
    return beijing_date(at)
