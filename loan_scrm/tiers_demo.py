"""The demo's tiers step: rules made through the API, a preview, re-tiering, customers moving tier after
follow-ups, tier groups with a join-way QR code, today's tasks and salespeople asking the bot through
real WeCom callbacks. Called from ``loan_scrm.demo``."""

from __future__ import annotations

import random
from collections import Counter

import httpx
from sqlalchemy import func, select

from scrm.bot import tasks as bot_tasks
from scrm.bot.models import BotMessage
from scrm.broadcast import tasks as broadcast_tasks
from scrm.core.db import session_scope
from scrm.groups import service as group_service
from scrm.org.models import Employee, EmployeeStatus
from scrm.sop import tasks as sop_tasks
from scrm.sop.models import SopTask

RULES = [
    {"name": "风险：征信查询多或负债高", "tier": "blocked", "position": 1,
     "conditions": {"tags_any": ["查询过多", "负债过高", "征信逾期"]}},
    {"name": "高意向且额度 50 万以上", "tier": "A", "position": 10,
     "conditions": {"intent_in": ["high"], "amount_min_yuan": "500000"}},
    {"name": "有房有车", "tier": "A", "position": 20, "conditions": {"tags_all": ["有房产", "有车辆"]}},
    {"name": "高意向", "tier": "B", "position": 30, "conditions": {"intent_in": ["high"]}},
    {"name": "一周内联系过", "tier": "B", "position": 40, "conditions": {"contacted_within_days": 7}},
]
HOT_FOLLOW_UPS = ["客户名下有全款房和一辆车，急需资金周转，想贷 80 万，下周来签约",
                  "客户很着急，已经准备好房产证，想尽快办房抵贷 100 万"]


def _ok(answer: httpx.Response):
    if answer.status_code >= 400:
        raise SystemExit(f"demo step failed: {answer.request.method} {answer.request.url.path} -> "
                         f"{answer.status_code} {answer.text}")
    return answer.json() if answer.content else {}


def _counts(api: httpx.Client, manager: dict) -> dict[str, int]:
    return {row["tier"]: row["customers"] for row in _ok(api.get("/api/tiers/counts", headers=manager))}


def run(sandbox, api: httpx.Client, manager: dict, rng: random.Random) -> dict:
    """Drive tiers, SOP and the bot; returns the figures for the summary."""
    for rule in RULES:
        _ok(api.post("/api/tiers/rules", json=rule, headers=manager))
    preview = _ok(api.post("/api/tiers/preview", json={"rules": RULES, "sample_size": 3}, headers=manager))
    first = _ok(api.post("/api/tiers/retier", headers=manager))
    before = _counts(api, manager)

    for chat in sandbox.state()["group_chats"]:
        if chat.get("status") == 0 and chat["name"][:1] in "ABC" and chat["name"][1:3] == "类客":
            _ok(api.post("/api/tiers/groups", json={"tier": chat["name"][0], "chat_id": chat["chat_id"]},
                         headers=manager))
    qr = api.post("/api/tiers/groups/A/join-way", headers=manager)

    # follow-ups that reveal a hot, well-secured need: tagging updates the profile, the customer moves tier
    candidates = _ok(api.get("/api/customers", params={"page_size": 60, "status": "active", "stage": "contacted"},
                             headers=manager))["items"]
    moved = 0
    lookups = []
    for customer in rng.sample(candidates, min(6, len(candidates))):
        tier_before = _tier_of(customer["id"])
        _ok(api.post(f"/api/customers/{customer['id']}/follow-ups", headers=manager,
                     json={"kind": "call", "content": rng.choice(HOT_FOLLOW_UPS)}))
        moved += _tier_of(customer["id"]) != tier_before
        if customer.get("owner"):
            lookups.append((customer["owner"]["id"], customer["name"]))
    after = _counts(api, manager)

    _ok(api.post("/api/sop/schedules", headers=manager, json={
        "name": "B 类每周回访", "tier": "B", "every_days": 7, "hour": 10, "title": "B 类客户每周问候"}))
    invites = broadcast_tasks.invite()  # the scheduler's periodic jobs, run once here
    created = sop_tasks.generate()
    replies = 0
    userids = _wecom_userids([owner for owner, _ in lookups])
    for owner_id, name in lookups[:3]:
        userid = userids.get(owner_id)
        if not userid:
            continue
        for text in ("今日任务", f"查客户 {name}"):
            before_n = len(sandbox.messages)
            sandbox.app_message(userid, text)
            replies += len(sandbox.messages) - before_n
    digests = bot_tasks.flush()
    return {"rules": len(RULES), "preview_moving": preview["total_moving"], "first_run": first["changed"],
            "before": before, "after": after, "moved_after_follow_ups": moved, "tasks": created,
            "bot_replies": replies, "bot_digests": digests, "join_way": qr.status_code == 200, "invites": invites,
            "tier_groups": len(_ok(api.get("/api/tiers/groups", headers=manager)))}


def _tier_of(customer_id: int) -> str | None:

    with session_scope() as session:
        return group_service.tier_of(session, customer_id)


def _wecom_userids(employee_ids: list[int]) -> dict[int, str]:


    with session_scope() as session:
        return dict(session.execute(select(Employee.id, Employee.wecom_userid).where(
            Employee.id.in_(employee_ids), Employee.status == EmployeeStatus.active)).all())


def summary_lines(s: dict) -> list[str]:


    with session_scope() as session:
        tasks = Counter(dict(session.execute(select(SopTask.kind, func.count()).group_by(SopTask.kind)).all()))
        messages = Counter(dict(session.execute(select(BotMessage.kind, func.count())
                                                .where(BotMessage.sent_at.is_not(None))
                                                .group_by(BotMessage.kind)).all()))

    def tiers(counts: dict) -> str:
        return ", ".join(f"{t} {counts.get(t, 0)}" for t in ("A", "B", "C", "blocked"))

    return [
        f"tiering                      : {s['rules']} rules via the API; preview {s['preview_moving']} moving; "
        f"first run tiered {s['first_run']}",
        f"tiers before / after calls   : {tiers(s['before'])} / {tiers(s['after'])} "
        f"({s['moved_after_follow_ups']} moved after follow-ups)",
        f"tier groups                  : {s['tier_groups']} groups, A join-way QR {'ready' if s['join_way'] else 'none'}, "
        f"{s['invites']} invitation mass-sends to customers who moved",
        "follow-up tasks (SOP)        : " + ", ".join(f"{k} {v}" for k, v in sorted(tasks.items())),
        f"bot messages                 : {messages.get('reply', 0)} command replies, "
        f"{messages.get('digest', 0)} digests ({s['bot_replies']} replies in this step)",
    ]
