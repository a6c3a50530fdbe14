"""The demo's mini-program step: customers sign in through the mini-program (the sandbox plays WeChat),
apply, one refers two friends; their settlements close (the back-office's event, simulated here);
the commissions become withdrawable and finance pays a bank withdrawal. All through the HTTP API."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import httpx

from backoffice.settlements.events import SettlementClosed
from scrm.core import events
from scrm.core.config import SANDBOX_WXA, reset_settings
from scrm.core.db import session_scope
from scrm.referral import tasks as referral_tasks
from scrm.sandbox.wxa import SandboxWxa

FINANCE_PASSWORD = "Demo-finance-2026"
REFERRER = ("陈静", "13811110001")
FRIENDS = [("李雷", "13811110002", "house_mortgage", "800000", {
    "property_city": "济南", "property_type": "residential", "property_area": "118", "property_value": "2600000",
    "mortgage_status": "none"}),
           ("韩梅梅", "13811110003", "car_mortgage", "100000", {
    "car_brand": "大众帕萨特", "car_price": "220000", "car_year": 2021, "plate_city": "济南",
    "car_loan_status": "paid_off", "keep_driving": True})]
OTHER = ("赵敏", "13811110004", "provident_fund", "300000", {
    "fund_city": "济南", "fund_monthly": "1800", "fund_months": 48})
CREDIT = {"employer_type": "state_owned", "monthly_salary": "15000", "social_security_months": 60}


def start_sandbox():
    """The sandbox mini-program API on loopback, and the service's settings pointed at it."""
    sandbox = SandboxWxa(**SANDBOX_WXA)
    base = sandbox.start()
    os.environ.update({"SCRM_WXA_API_BASE": base, "SCRM_WXA_APPID": SANDBOX_WXA["appid"],
                       "SCRM_WXA_SECRET": SANDBOX_WXA["secret"],
                       # the demo's day has no week to wait: commissions are withdrawable at once
                       "SCRM_REFERRAL_COOLING_OFF_HOURS": "0"})
    reset_settings()
    return sandbox


def _ok(answer: httpx.Response):
    if answer.status_code >= 400:
        raise SystemExit(f"demo step failed: {answer.request.method} {answer.request.url.path} -> "
                         f"{answer.status_code} {answer.text}")
    if not answer.content:
        return {}
    return answer.json() if answer.headers.get("content-type", "").startswith("application/json") else answer.content


def _customer(api: httpx.Client, sandbox, name: str, phone: str, product: str, amount: str, fields: dict,
              scene: str | None = None) -> tuple[dict, dict]:
    """Sign in (through a share code when ``scene``), bind the phone, apply; returns (headers, login answer)."""
    body = {"code": sandbox.login_code(unionid=f"u_demo_{phone}")}
    if scene:
        body["scene"] = scene
    signed = _ok(api.post("/mp/auth/login", json=body))
    headers = {"Authorization": f"Bearer {signed['token']}"}
    bound = _ok(api.post("/mp/auth/phone", json={"code": sandbox.phone_code(phone)}, headers=headers))
    headers = {"Authorization": f"Bearer {bound['token']}"}
    _ok(api.post("/mp/applications", headers=headers, json={
        "request_id": str(uuid.uuid4()), "product_code": product, "amount": amount, "term_months": 36,
        "name": name, "city": "济南", "fields": fields, "consent": {"accepted": True, "version": "2026-11"}}))
    return headers, signed


def _simulate_settlements(customer_ids: list[int]) -> None:
    """The back-office's ``settlement.closed`` for the referred customers (it lands separately; the demo
    announces the settlements it would make)."""
    closed = [SettlementClosed(settlement_id=70000 + i, order_id=80000 + i, customer_id=customer_id,
                               product_code=product, funder_type="bank", service_fee_collected_fen=fee_fen,
                               disbursed_amount_fen=fee_fen * 30, salesperson_employee_id=None,
                               closed_at=datetime.now(timezone.utc))
              for i, (customer_id, fee_fen, product) in enumerate(zip(customer_ids, (2_400_000, 450_000),
                                                                      ("house_mortgage", "car_mortgage")), start=1)]
    with session_scope() as session:
        for event in closed:
            events.emit(session, event)


def replay(api: httpx.Client, sandbox, *, admin: dict, manager: dict, employees: dict) -> dict:
    finance_id = employees["luoxia"]["id"]
    _ok(api.patch(f"/api/org/employees/{finance_id}", json={"username": "luoxia"}, headers=admin))
    _ok(api.post(f"/api/org/employees/{finance_id}/password", json={"password": FINANCE_PASSWORD}, headers=admin))
    login = _ok(api.post("/api/auth/login", json={"username": "luoxia", "password": FINANCE_PASSWORD}))
    finance = {"Authorization": f"Bearer {login['token']}"}

    _ok(api.post("/api/referral/rules", headers=manager, json={
        "name": "推荐返佣 实收服务费 10%（封顶 2000 元）", "kind": "percent", "rate_percent": "10", "cap_amount": "2000"}))
    _ok(api.post("/api/referral/rules", headers=manager, json={
        "name": "车抵贷推荐 固定 300 元", "kind": "fixed", "fixed_amount": "300", "product_code": "car_mortgage"}))

    referrer, _ = _customer(api, sandbox, *REFERRER, "credit", "200000", CREDIT)
    centre = _ok(api.get("/mp/referral", headers=referrer))
    share_png = _ok(api.get("/mp/referral/qrcode", headers=referrer))
    friend_ids = []
    for name, phone, product, amount, fields in FRIENDS:
        _, signed = _customer(api, sandbox, name, phone, product, amount, fields, scene=centre["scene"])
        friend_ids.append(signed["customer"]["id"])
    _customer(api, sandbox, *OTHER)

    _simulate_settlements(friend_ids)

    released = referral_tasks.release_withdrawable()
    before = _ok(api.get("/mp/referral", headers=referrer))
    withdrawal = _ok(api.post("/mp/referral/withdrawals", headers=referrer, json={
        "request_id": f"wd-{uuid.uuid4()}", "method": "bank", "account_name": REFERRER[0], "bank_name": "招商银行",
        "bank_card": "6225880137716003"}))
    _ok(api.post(f"/api/referral/withdrawals/{withdrawal['id']}/approve", headers=finance))
    paid = _ok(api.post(f"/api/referral/withdrawals/{withdrawal['id']}/pay", headers=finance,
                        json={"bank_reference": "CMB-DEMO-0001"}))
    return {
        "friends": _ok(api.get("/mp/referral/friends", headers=referrer)),
        "commissions": _ok(api.get("/mp/referral/commissions", headers=referrer)),
        "released": released, "balance_before": before["balance"],
        "balance_after": _ok(api.get("/mp/referral", headers=referrer))["balance"],
        "withdrawal": paid, "share_png_bytes": len(share_png),
        "leaderboard": _ok(api.get("/api/referral/leaderboard", headers=manager)),
        "cost": _ok(api.get("/api/referral/cost-by-channel", headers=manager)),
        "progress": _ok(api.get("/mp/progress", headers=referrer)),
        "wx_calls": {path: sandbox.call_count(path) for path in ("cgi-bin/token", "sns/jscode2session",
                                                                  "wxa/business/getuserphonenumber",
                                                                  "wxa/getwxacodeunlimit")},
    }


def print_summary(r: dict) -> None:
    friends = ", ".join(f"{f['name']} {f['stage']}" for f in r["friends"])
    print(f"mini-program                 : 4 customers signed in and applied; WeChat API calls "
          + ", ".join(f"{k} {v}" for k, v in r["wx_calls"].items()))
    print(f"referral                     : 陈静 referred {len(r['friends'])} ({friends}); share code PNG "
          f"{r['share_png_bytes']} bytes")
    print("commissions                  : " + ", ".join(f"{c['friend']} {c['amount']} 元 {c['state']}"
                                                        for c in r["commissions"])
          + f"  (settlements simulated as the back-office's settlement.closed; {r['released']} released)")
    w = r["withdrawal"]
    print(f"withdrawal                   : {w['amount']} 元 by {w['method']} to {w['bank_card']} {w['state']}; "
          f"available {r['balance_before']['available']} → {r['balance_after']['available']} 元")
    print("referral leaderboard         : " + ", ".join(f"{b['name']} {b['earned']} 元 ({b['referred']} friends)"
                                                        for b in r["leaderboard"]))
    print("commission cost by channel   : " + ", ".join(f"{c['channel']} {c['cost']} 元" for c in r["cost"]))
    print(f"\nfinance: luoxia / {FINANCE_PASSWORD}")
