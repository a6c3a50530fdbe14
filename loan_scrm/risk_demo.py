"""The demo's risk step: the four standard risk rules written through the API by the manager, facts entered for a
few customers (one missing key materials, one with a score under 60, one with a high debt ratio) and a chat that
states a count of credit inquiries; the summary shows who was rejected by which rule with its evidence. Called from
``loan_scrm.demo``."""

from __future__ import annotations

import httpx

FULL = ["id_card", "credit_report", "bank_statement"]
CHAT = "我近3个月征信查询了12次，还能贷吗？"


def _ok(answer: httpx.Response):
    if answer.status_code >= 400:
        raise SystemExit(f"demo step failed: {answer.request.method} {answer.request.url.path} -> "
                         f"{answer.status_code} {answer.text}")
    return answer.json() if answer.content else {}


def rules(director_id: int) -> list[dict]:
    return [
        {"name": "征信查询过多", "condition": {"fact": "inquiries_3m", "op": ">", "value": 10},
         "actions": [{"type": "add_tag", "tag": "高风险"}, {"type": "alert"}]},
        {"name": "负债率过高", "condition": {"fact": "debt_ratio", "op": ">", "value": 70},
         "actions": [{"type": "route_approval", "employee_id": director_id, "title": "风控总监"}]},
        {"name": "资料缺少关键项", "condition": {"fact": "materials", "op": "missing_any", "value": FULL},
         "actions": [{"type": "return"}]},
        {"name": "资质评分不足", "condition": {"fact": "score", "op": "<", "value": 60},
         "actions": [{"type": "reject_pool", "reason": "资质评分低于60分"}]},
    ]


def run(api: httpx.Client, manager: dict, employees: dict) -> dict:
    """Write the rules, enter facts, read back each customer's risk; returns what the summary prints."""
    written = {r["name"] for r in _ok(api.get("/api/risk/rules", headers=manager))}  # another step may have one
    for rule in rules(employees["wanglei"]["id"]):
        if rule["name"] not in written:
            _ok(api.post("/api/risk/rules", json=rule, headers=manager))
    listed = _ok(api.get("/api/customers", params={"page_size": 30, "status": "active"}, headers=manager))["items"]
    customers = [c for c in listed  # customers no earlier step gave risk facts
                 if _ok(api.get(f"/api/customers/{c['id']}/risk", headers=manager))["facts"] is None][:4]
    if len(customers) < 4:
        return {"rules": 4, "customers": []}
    weak, short, indebted, chatty = customers
    facts = {weak["id"]: {"worst_overdue": "m3_plus", "overdue_count": 4, "materials": FULL},
             short["id"]: {"materials": ["id_card"], "social_security_months": 30, "inquiries_3m": 2},
             indebted["id"]: {"total_debt_fen": 40_000_000, "monthly_income_fen": 2_000_000, "materials": FULL,
                              "social_security_months": 30},
             chatty["id"]: {"materials": FULL, "social_security_months": 30}}
    for customer_id, body in facts.items():
        _ok(api.patch(f"/api/customers/{customer_id}/risk/facts", json=body, headers=manager))
    _ok(api.post(f"/api/customers/{chatty['id']}/follow-ups", json={"kind": "wechat", "content": CHAT},
                 headers=manager))
    return {"rules": 4, "customers": [(c["name"], _ok(api.get(f"/api/customers/{c['id']}/risk", headers=manager)))
                                      for c in customers]}


def _evidence(firing: dict) -> str:
    evidence = firing["evidence"]
    said = evidence.get("from_text") or {}
    parts = []
    for name, value in evidence.items():
        if name == "from_text":
            continue
        quote = said.get(name, {}).get("phrase")
        parts.append(f"{name}={value}" + (f"（聊天：“{quote}”）" if quote else ""))
    return "，".join(parts)


def summary_lines(result: dict) -> list[str]:
    lines = [f"risk rules (风控)             : {result['rules']} written through the API"]
    for name, risk in result["customers"]:
        if risk["reject_pool"]:
            why = risk["reject_pool_because"]
            lines.append(f"  rejected 拒绝池            : {name}, rule「{why['rule_name']}」, evidence {_evidence(why)}, "
                         f"score {risk['facts']['score']} ("
                         + "，".join(f"{b['label']} {b['points']:+d}" for b in risk["score_bands"]) + ")")
        elif risk["firings"]:
            firing = risk["firings"][-1]
            lines.append(f"  {name:<8} fired          : rule「{firing['rule_name']}」, evidence {_evidence(firing)}")
    return lines
