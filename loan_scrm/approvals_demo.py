"""The demo's approvals step: the seed risk rule 负债率超过70% routes an application to the 风控总监; the supervisor
approves 资质初审 and the 风控总监 approves 风控复审, each by pressing 同意 on the WeCom template card the app sent
(the sandbox sends the signed, encrypted template_card_event to the app). Called from ``loan_scrm.demo``."""

from __future__ import annotations

import httpx

DIRECTOR = "maojun"  # 毛军, routed to as 风控总监 unless the risk step wrote the rule first
SALES, SUPERVISOR = "lina", "wanglei"
HIGH_DEBT = {"total_debt_fen": 102_000_000, "monthly_income_fen": 10_000_000}  # 85%


def _ok(answer: httpx.Response):
    if answer.status_code >= 400:
        raise SystemExit(f"demo step failed: {answer.request.method} {answer.request.url.path} -> "
                         f"{answer.status_code} {answer.text}")
    return answer.json() if answer.content else {}


def _press(sandbox, userid: str) -> str:
    """The user presses 同意 on the newest card the app sent them; returns the card's task_id."""
    task_id = [t for t, c in sandbox.template_cards.items() if userid in c["touser"] and not c["clicks"]][-1]
    delivery = sandbox.card_clicked(userid, task_id, "approve").delivery
    if delivery is None or not delivery.ok:
        raise SystemExit(f"demo step failed: the card click of {userid} was not delivered")
    return task_id


def run(sandbox, api: httpx.Client, manager: dict, employees: dict) -> dict:
    """Route one of 李娜's customers to the 风控总监 and approve it from the cards; returns the summary's figures."""
    rules = {r["name"]: r for r in _ok(api.get("/api/risk/rules", headers=manager))}  # the risk step may have it
    if "负债率过高" not in rules:
        rules["负债率过高"] = _ok(api.post("/api/risk/rules", headers=manager, json={
            "name": "负债率过高", "condition": {"fact": "debt_ratio", "op": ">", "value": 70},
            "actions": [{"type": "route_approval", "employee_id": employees[DIRECTOR]["id"], "title": "风控总监"}]}))
    routed_id = next(a["employee_id"] for a in rules["负债率过高"]["actions"] if a["type"] == "route_approval")
    director = next(userid for userid, e in employees.items() if e["id"] == routed_id)
    owner_id = employees[SALES]["id"]
    customers = _ok(api.get("/api/customers", params={"page_size": 100, "status": "active"}, headers=manager))["items"]
    customer = next(c for c in customers if (c.get("owner") or {}).get("id") == owner_id
                    and _ok(api.get(f"/api/customers/{c['id']}/risk", headers=manager))["facts"] is None)
    risk = _ok(api.patch(f"/api/customers/{customer['id']}/risk/facts", json=HIGH_DEBT, headers=manager))
    history = _ok(api.get("/api/approvals/history", params={"subject_kind": "application",
                                                           "subject_id": customer["id"]}, headers=manager))
    instance_id = history[0]["id"]
    _press(sandbox, SUPERVISOR)  # 资质初审 from 王磊's card
    waiting = _ok(api.get(f"/api/approvals/instances/{instance_id}", headers=manager))
    task_id = _press(sandbox, director)  # 风控复审 from the 风控总监's card
    done = _ok(api.get(f"/api/approvals/instances/{instance_id}", headers=manager))
    return {"customer": done["customer_name"], "routed_to": risk["awaiting_approval"]["title"],
            "waited_for": waiting["waiting_for"], "status": done["status_name"],
            "via": [d["via_name"] for d in done["decisions"] if d["step"]],
            "card_update": (sandbox.template_cards[task_id]["updates"] or [{}])[0].get("replace_name")}


def summary_line(s: dict) -> str:
    return (f"approval from the WeCom card : application of {s['customer']} routed to {s['routed_to']}, waited for "
            f"{s['waited_for']}, {s['status']} ({' → '.join(s['via'])}); card now shows 「{s['card_update']}」")
