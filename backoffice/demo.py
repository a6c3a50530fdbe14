"""The back-office part of the demo, driven through the HTTP API: orders signed, confirmed, reviewed, deposits
taken, loans processed and disbursed, settlements closed (with a discount and an extra fee), a refund, a void
and a settlement voided and closed again; two settlements are left to direct debit (collected by
``backoffice.direct_debit.demo``); then the trial balance."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from scrm.auth import issue_staff_token
from scrm.core.config import get_settings


def _h(employee_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_staff_token(employee_id)}"}


def _ok(answer: httpx.Response) -> dict | list:
    if answer.status_code >= 400:
        raise SystemExit(f"demo step failed: {answer.request.method} {answer.request.url.path} -> "
                         f"{answer.status_code} {answer.text}")
    return answer.json() if answer.content else {}


def run(api: httpx.Client, employees: dict[str, dict], rng: random.Random, *, salesperson: str = "lina",
        supervisor: str = "wanglei", finance: str = "luoxia", processor: str = "hejie", orders: int = 6) -> dict:
    """Work ``orders`` of the salesperson's customers through the back-office; returns what the summary prints."""
    sales, sup, fin, proc = (_h(employees[u]["id"]) for u in (salesperson, supervisor, finance, processor))
    processor_id = employees[processor]["id"]
    customers = _ok(api.get("/api/customers", params={"owner_id": employees[salesperson]["id"], "page_size": orders},
                            headers=sales))["items"]
    done = {"signed": 0, "settled": 0, "refunded": 0, "voided": 0, "settlement_voided": 0, "to_debit": []}
    beijing_today = datetime.now(ZoneInfo(get_settings().timezone)).date()  # the day the contracts were signed
    for i, customer in enumerate(customers):
        # the customer came in for an appointment (预约到访); only then can they be signed
        _ok(api.patch(f"/api/customers/{customer['id']}", json={"stage": "appointment"}, headers=sales))
        amount = rng.choice([100_000, 200_000, 300_000, 500_000])
        order = _ok(api.post("/api/backoffice/orders", headers=sales, json={
            "customer_id": customer["id"], "product_code": rng.choice(["credit", "house_mortgage", "business"]),
            "funder_type": rng.choice(["bank", "consumer_finance", "credit_insurance", "microloan"]),
            "amount_applied": str(amount), "deposit": "2000"}))  # the fee comes from the product's fee rule
        done["signed"] += 1
        oid = order["id"]
        if i == 0:  # entered wrongly: the salesperson voids it
            _ok(api.post(f"/api/backoffice/orders/{oid}/void", json={"reason": "产品选错，重新录入"}, headers=sales))
            done["voided"] += 1
            continue
        if i % 3 == 2:  # finance agrees a lower rate with the customer before confirming the contract
            _ok(api.patch(f"/api/backoffice/orders/{oid}", headers=fin, json={"service_fee_rate": "2.5"}))
        _ok(api.post(f"/api/backoffice/orders/{oid}/confirm", headers=fin))
        _ok(api.post(f"/api/backoffice/orders/{oid}/review", json={"note": "资料齐全"}, headers=sup))
        _ok(api.post(f"/api/backoffice/orders/{oid}/deposit", json={"processor_id": processor_id, "method": "wechat"},
                     headers=fin))
        _ok(api.post(f"/api/backoffice/orders/{oid}/follow-ups", json={"kind": "submitted", "content": "资料已提交资方"},
                     headers=proc))
        if i == 1:  # the funder declines: full refund of the deposit
            _ok(api.post(f"/api/backoffice/orders/{oid}/follow-ups", json={"kind": "rejected", "content": "资方拒贷"},
                         headers=proc))
            deposit = _ok(api.post(f"/api/backoffice/orders/{oid}/deposit/refunds", headers=proc,
                                   json={"amount": "2000", "reason": "资方拒贷，全额退定"}))
            _ok(api.post(f"/api/backoffice/refunds/{deposit['refunds'][0]['id']}/confirm", json={"method": "wechat"},
                         headers=fin))
            done["refunded"] += 1
            continue
        _ok(api.post(f"/api/backoffice/orders/{oid}/follow-ups", headers=proc,
                     json={"kind": "disbursed_pending", "content": "已放款待结算"}))
        settlement = _ok(api.post(f"/api/backoffice/orders/{oid}/disburse", headers=proc, json={
            "amount": str(amount * rng.choice([8, 9, 10]) // 10), "disbursed_on": str(beijing_today),
            "funder_name": rng.choice(["招商银行", "建设银行", "马上消费金融"]), "term_months": 36,
            "repayment_day": 15}))
        if i == len(customers) - 1:
            continue  # left disbursed: the settle button shows red in the list
        sid = settlement["id"]
        # two customers will not come in to pay: finance collects the amount due by direct debit (代扣)
        by_debit = i in (3, 4)
        _ok(api.patch(f"/api/backoffice/settlements/{sid}", headers=fin, json={
            "discount_kind": "percent", "discount_percent": "10",
            "payment_method": "direct_debit" if by_debit else "online_bank"}))
        _ok(api.post(f"/api/backoffice/settlements/{sid}/fees", json={"name": "下户费", "amount": "300"}, headers=fin))
        rebate = _ok(api.post(f"/api/backoffice/settlements/{sid}/expenses", headers=fin,
                              json={"kind": "rebate", "payee": "地铁站海报渠道", "amount": "500"}))
        _ok(api.post(f"/api/backoffice/settlements/{sid}/expenses/{rebate['expenses'][0]['id']}/confirm", json={},
                     headers=fin))
        _ok(api.post(f"/api/backoffice/settlements/{sid}/close", json={}, headers=fin))
        done["settled"] += 1
        if by_debit:
            done["to_debit"].append({"settlement_id": sid, "customer": customer})
        if i == 2:  # a wrong discount: void the settlement and close it again with a fixed reduction
            fresh = _ok(api.post(f"/api/backoffice/settlements/{sid}/void", json={"reason": "折扣应为固定减免"},
                                 headers=fin))
            _ok(api.patch(f"/api/backoffice/settlements/{fresh['id']}", headers=fin,
                          json={"discount_kind": "fixed", "discount_amount": "200"}))
            for expense in fresh["expenses"]:
                _ok(api.post(f"/api/backoffice/settlements/{fresh['id']}/expenses/{expense['id']}/confirm", json={},
                             headers=fin))
            _ok(api.post(f"/api/backoffice/settlements/{fresh['id']}/close", json={}, headers=fin))
            done["settlement_voided"] += 1
    pending = _ok(api.get("/api/backoffice/orders", params={"status": "disbursed"}, headers=fin))["total"]
    return done | {"awaiting_settlement": pending}


def trial_balance(api: httpx.Client, finance: dict[str, str]) -> dict:
    """The ledger's trial balance, read once every step of the demo (the direct debits too) has posted."""
    return _ok(api.get("/api/backoffice/ledger/trial-balance", headers=finance))


def summary_lines(s: dict) -> list[str]:
    """The back-office lines of the demo summary, the trial balance included."""
    t = s["trial_balance"]
    lines = [f"back-office orders           : {s['signed']} signed, {s['settled']} settled, {s['refunded']} refunded, "
             f"{s['voided']} voided, {s['settlement_voided']} settlement voided and re-closed, "
             f"{s['awaiting_settlement']} awaiting settlement",
             f"ledger trial balance         : debits {t['total_debit']} = credits {t['total_credit']} "
             f"({'balanced' if t['balanced'] else 'NOT BALANCED'})"]
    for row in t["rows"]:
        if row["debit"] != "0.00" or row["credit"] != "0.00":
            lines.append(f"  {row['name']:<10} {row['account']:<22} debit {row['debit']:>10}  credit "
                         f"{row['credit']:>10}  balance {row['balance']:>10}")
    return lines
