"""The demo's direct-debit step, through the real HTTP API: two settlements the back-office demo closed
with the amount due left to direct debit. One customer binds a card with the bank's SMS code, the other
signs a WeChat papay contract; finance presses each settlement's debit button (twice), a failed debit is
pressed again after the customer tops up, and the day's bills are reconciled."""

from __future__ import annotations

import atexit
import os
import time
from datetime import datetime
from decimal import Decimal

import httpx

from scrm.auth import issue_customer_token
from scrm.core.clock import BEIJING
from scrm.core.config import SANDBOX_BANKPAY, SANDBOX_WECHATPAY, reset_settings
from scrm.sandbox.wechatpay import SandboxWechatPay


def start_sandbox(port: int):
    """The WeChat Pay / bank sandbox beside the WeCom one, its clock at 10:00 Beijing (inside papay's
    window), the service's settings pointed at it and its notifications at the service on ``port``."""

    sandbox = SandboxWechatPay(**SANDBOX_WECHATPAY)
    base = sandbox.start()
    sandbox.set_clock(datetime.now(BEIJING).replace(hour=10, minute=0, second=0, microsecond=0))
    os.environ.update({
        "SCRM_WECHATPAY_API_BASE": base, "SCRM_WECHATPAY_APPID": SANDBOX_WECHATPAY["appid"],
        "SCRM_WECHATPAY_MCH_ID": SANDBOX_WECHATPAY["mch_id"], "SCRM_WECHATPAY_API_KEY": SANDBOX_WECHATPAY["api_key"],
        "SCRM_WECHATPAY_PAPAY_PLAN_ID": SANDBOX_WECHATPAY["plan_id"],
        "SCRM_WECHATPAY_NOTIFY_BASE": f"http://127.0.0.1:{port}",
        "SCRM_WECHATPAY_CLOCK_OFFSET_S": str(int(sandbox.clock_offset_s)),
        "SCRM_BANKPAY_API_BASE": sandbox.bank_base_url, "SCRM_BANKPAY_MERCHANT_ID": SANDBOX_BANKPAY["merchant_id"],
        "SCRM_BANKPAY_KEY": SANDBOX_BANKPAY["key"],
    })
    reset_settings()
    atexit.register(sandbox.stop)
    return sandbox


def _ok(answer: httpx.Response) -> dict | list:
    if answer.status_code >= 400:
        raise SystemExit(f"demo step failed: {answer.request.method} {answer.request.url.path} -> "
                         f"{answer.status_code} {answer.text}")
    return answer.json()


def replay(api: httpx.Client, finance: dict, sandbox, to_debit: list[dict]) -> dict:
    """Two closed settlements left to direct debit: one customer binds a bank card, the other signs papay;
    finance presses each settlement's debit button twice. The papay card is short the first time (the
    debit fails), the customer tops up, and finance presses again."""

    (card_due, card_holder), (papay_due, papay_signer) = ((d["settlement_id"], d["customer"]) for d in to_debit)
    # mini-program sessions for the two customers (sign-in itself belongs to the mini-program API)
    as_holder = {"Authorization": f"Bearer {issue_customer_token(card_holder['id'])}"}
    as_signer = {"Authorization": f"Bearer {issue_customer_token(papay_signer['id'])}"}
    scope = {"scope_ref": "HT-DEMO-0001", "max_amount": "50000.00", "valid_until": "2030-12-31T23:59:59+08:00"}

    bound = _ok(api.post("/mp/mandates/bank-card", headers=as_holder, json={
        "holder_name": card_holder["name"] or "张三", "id_no": "110101199003074477",
        "card_no": "6222021234567890128", "phone": "13800138000"}))
    _ok(api.post(f"/mp/mandates/{bound['id']}/sms-confirm", headers=as_holder,
                 json={"code": sandbox.last_sms_code("13800138000")}))
    card = _ok(api.post(f"/mp/mandates/{bound['id']}/sign", headers=as_holder, json=scope))

    page = _ok(api.post("/mp/mandates/papay", headers=as_signer, json=scope))
    httpx.get(page["signing_url"], params=page["params"]).raise_for_status()  # the customer agrees in WeChat
    papay = next(m for m in _ok(api.get("/mp/mandates", headers=as_signer)) if m["id"] == page["mandate"]["id"])

    def due(settlement_id: int) -> Decimal:
        return Decimal(_ok(api.get(f"/api/backoffice/settlements/{settlement_id}/amount-due",
                                   headers=finance))["amount_due"])

    def press_twice(settlement_id: int) -> list[int]:
        """Finance presses the debit button twice. The second press answers the same order, or 409 when
        nothing is left due, or, when the first order had already failed for good, starts the next round:
        which one depends on how fast the provider answered, so the demo checks the money instead."""
        url = f"/api/backoffice/settlements/{settlement_id}/debit"
        made = _ok(api.post(url, headers=finance, json={}))
        again = api.post(url, headers=finance, json={})
        return [made["id"]] + ([] if again.status_code == 409 or _ok(again)["id"] == made["id"] else [again.json()["id"]])

    def settled(debit_ids: list[int]) -> list[dict]:
        deadline = time.monotonic() + 15
        while True:
            debits = [_ok(api.get(f"/api/backoffice/debits/{i}", headers=finance)) for i in debit_ids]
            if all(d["status"] not in ("created", "submitted", "unknown") for d in debits) or time.monotonic() > deadline:
                return debits
            time.sleep(0.2)

    owed = {sid: due(sid) for sid in (card_due, papay_due)}
    sandbox.fail_deductions(papay["contract_id"], "余额不足")
    first = settled(press_twice(card_due) + press_twice(papay_due))
    sandbox.heal_deductions(papay["contract_id"])  # the customer tops up; finance presses again
    retried = settled(press_twice(papay_due))
    day = sandbox.now().astimezone(BEIJING).date().isoformat()
    reconciled = [_ok(api.post("/api/backoffice/debits/reconcile", headers=finance,
                               json={"provider": p, "date": day})) for p in ("papay", "bank")]
    for sid, amount in owed.items():  # what a finance user checks: each amount due collected once, in full
        collected = sum(Decimal(d["amount"]) for d in first + retried
                        if d["status"] in ("succeeded", "reconciled") and d["due_key"].split("#")[0] == f"settlement:{sid}")
        if collected != amount or due(sid) != 0:
            raise SystemExit(f"demo step failed: settlement {sid} owed {amount}, collected {collected}, "
                             f"still due {due(sid)}")
    still_due = [_ok(api.get(f"/api/backoffice/settlements/{sid}/amount-due", headers=finance))["amount_due"]
                 for sid in (card_due, papay_due)]
    return {"mandates": [card, papay], "debits": first + retried, "reconciled": reconciled, "still_due": still_due,
            "deductions": len(sandbox.deductions(succeeded_only=True)) + len(sandbox.bank_debits(succeeded_only=True))}


def print_summary(p: dict) -> None:
    card, papay = p["mandates"]
    print(f"direct-debit authorisations : card ****{card['card_last4']} {card['status']}, "
          f"papay contract {papay['status']}")
    for d in p["debits"]:
        print(f"  debit {d['id']:<3} {d['provider']:<5} {d['amount']:>9} yuan  {d['status']:<10} "
              f"attempts {d['attempts']}  ({d['due_key']})")
    print(f"deductions at the providers : {p['deductions']} (each button pressed twice, each amount collected once); still due on the two "
          f"settlements: {' / '.join(p['still_due'])} yuan; reconciled: "
          + ", ".join(f"{r['provider']} {r['matched']} matched / {len(r['mismatches'])} mismatches" for r in p["reconciled"]))
