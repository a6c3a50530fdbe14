"""The four standard examples (issue #19), written through the API by a manager, fire on the customers with those
facts and on no other, each with the facts that fired it; on PostgreSQL and on the embedded SQLite default."""

from __future__ import annotations

from sqlalchemy import select

from scrm.bot.models import Notification
from scrm.customers.models import TimelineEntry
from scrm.tagging.models import CustomerProfile
from tests.factories.customers import make_customer
from tests.factories.org import auth
from tests.risk.conftest import FULL, make_staff, write_seed_rules

# customer -> facts a salesperson enters; under the built-in scorecard (base 60, 社保 ≥ 24 +15, 资料齐全 +10,
# 查询 > 6 −15, M3 −40, 负债率 > 70% −20) each meets exactly one rule, and 正常 none
FACTS = {
    "查询多": {"inquiries_1m": 4, "inquiries_3m": 12, "inquiries_6m": 14, "materials": FULL,
               "social_security_months": 30},  # score 70
    "负债高": {"total_debt_fen": 30_000_000, "monthly_income_fen": 2_500_000, "materials": FULL,
               "social_security_months": 30},  # 300,000 元 over 12 × 25,000 元: 100%; score 65
    "缺资料": {"materials": ["id_card"], "social_security_months": 30, "inquiries_3m": 2},  # score 75
    "资质差": {"worst_overdue": "m3_plus", "overdue_count": 5, "materials": FULL},  # score 30
    "正常": {"inquiries_3m": 10, "total_debt_fen": 10_000_000, "monthly_income_fen": 2_500_000, "materials": FULL,
             "social_security_months": 30, "worst_overdue": "none"},  # 10 queries is not over 10; 33.33%; 70
}


def test_the_four_seed_rules_fire_on_their_customers_only_with_evidence(committed_any, any_client):
    db, client = committed_any, any_client
    staff = make_staff(db)
    customers = {name: make_customer(db, staff.sales, name) for name in FACTS}
    ids = {name: c.id for name, c in customers.items()}
    db.commit()
    write_seed_rules(client, staff)

    for name, facts in FACTS.items():
        answer = client.patch(f"/api/customers/{ids[name]}/risk/facts", json=facts, headers=auth(staff.sales))
        assert answer.status_code == 200, answer.text

    risk = {name: client.get(f"/api/customers/{i}/risk", headers=auth(staff.sales)).json() for name, i in ids.items()}
    fired = {name: [f["rule_name"] for f in r["firings"]] for name, r in risk.items()}
    assert fired == {"查询多": ["征信查询过多"], "负债高": ["负债率过高"], "缺资料": ["资料缺少关键项"],
                     "资质差": ["资质评分不足"], "正常": []}
    assert {name: r["facts"]["score"] for name, r in risk.items()} == {
        "查询多": 70, "负债高": 65, "缺资料": 75, "资质差": 30, "正常": 70}

    # 征信近三个月查询超过10次 → 高风险 + 预警 (the owner and, with no risk reviewer set, the team group)
    heavy = risk["查询多"]["firings"][0]
    assert heavy["evidence"] == {"inquiries_3m": 12}
    assert [d["type"] for d in heavy["done"]] == ["add_tag", "alert"]
    db.expire_all()
    tags = db.scalar(select(CustomerProfile.tags).where(CustomerProfile.customer_id == ids["查询多"]))
    assert "高风险" in tags and "高风险" in risk["查询多"]["profile"]["tags"]
    alerts = db.execute(select(Notification.employee_id, Notification.text)
                        .where(Notification.kind == "risk_alert")).all()
    assert sorted(a.employee_id or 0 for a in alerts) == [0, staff.sales.id]
    assert all("查询多" in a.text and "征信查询过多" in a.text and "12" in a.text for a in alerts)

    # 负债率超过70% → 审批流转至风控总监: a recorded state, and the director told
    debt = risk["负债高"]
    assert debt["facts"]["debt_ratio"] == "100.00"
    assert debt["firings"][0]["evidence"] == {"debt_ratio": "100.00"}
    assert debt["awaiting_approval"]["title"] == "风控总监"
    assert debt["awaiting_approval"]["employee_id"] == staff.director.id
    assert debt["awaiting_approval"]["because"]["rule_name"] == "负债率过高"
    assert db.scalar(select(Notification.text).where(Notification.kind == "risk_approval",
                                                     Notification.employee_id == staff.director.id))

    # 资料缺少关键项 → 自动驳回并通知业务员补充, naming what is missing
    short = risk["缺资料"]
    assert short["returned"]["missing"] == ["credit_report", "bank_statement"]
    assert short["firings"][0]["evidence"] == {"materials": ["id_card"],
                                               "materials_missing": ["credit_report", "bank_statement"]}
    notice = db.scalar(select(Notification.text).where(Notification.kind == "risk_return",
                                                       Notification.employee_id == staff.sales.id))
    assert "征信报告、银行流水" in notice

    # 资质评分低于60分 → 终止并归入拒绝池, and the page says why
    weak = risk["资质差"]
    assert weak["reject_pool"] is True
    assert weak["reject_pool_because"]["rule_name"] == "资质评分不足"
    assert weak["reject_pool_because"]["evidence"] == {"score": 30}
    assert {b["label"] for b in weak["score_bands"]} == {"基础资料齐全", "严重逾期（M3 及以上）"}
    assert [r["reject_pool"] for n, r in risk.items() if n != "资质差"] == [False] * 4

    # every change is on the customer's timeline with who made it
    entries = db.execute(select(TimelineEntry.customer_id, TimelineEntry.actor_employee_id, TimelineEntry.summary)
                         .where(TimelineEntry.kind == "risk_facts_changed")).all()
    assert sorted(e.customer_id for e in entries) == sorted(ids.values())
    assert {e.actor_employee_id for e in entries} == {staff.sales.id}
    fired_entries = db.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "risk_rule_fired",
                                                                   TimelineEntry.customer_id == ids["资质差"])).all()
    assert len(fired_entries) == 1 and "拒绝池" in fired_entries[0]
