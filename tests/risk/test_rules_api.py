"""Rules through the API: only managers and admins write them, a bad one is a 422 naming the field and the problem,
a preview counts and samples without writing, and a rule fires once per match."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loan_scrm.models import metadata
from scrm.bot.models import Notification
from scrm.customers.models import TimelineEntry
from scrm.org.models import Role
from scrm.risk import service as risk_service
from scrm.risk.models import RiskFiring
from scrm.risk.schemas import FactsIn
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_employee
from tests.risk.conftest import FULL, seed_rules

INQUIRIES = {"name": "征信查询过多", "condition": {"fact": "inquiries_3m", "op": ">", "value": 10},
             "actions": [{"type": "add_tag", "tag": "高风险"}, {"type": "alert"}]}


def test_only_managers_and_admins_write_rules_and_the_scorecard(client, db, staff):
    admin = make_employee(db, "管理员", role=Role.admin)
    for who in (staff.sales, staff.director):
        assert client.post("/api/risk/rules", json=INQUIRIES, headers=auth(who)).status_code == 403
        assert client.post("/api/risk/rules/preview", json={"condition": INQUIRIES["condition"]},
                           headers=auth(who)).status_code == 403
        assert client.post("/api/risk/scorecard/preview", json={"base": 60, "bands": []},
                           headers=auth(who)).status_code == 403
        assert client.put("/api/risk/scorecard", json={"base": 60, "bands": []}, headers=auth(who)).status_code == 403
    assert client.post("/api/risk/rules", json=INQUIRIES, headers=auth(admin)).status_code == 201
    assert "inquiries_3m" in client.get("/api/risk/labels", headers=auth(staff.sales)).json()["facts"]
    rule_id = client.get("/api/risk/rules", headers=auth(staff.sales)).json()[0]["id"]
    assert client.patch(f"/api/risk/rules/{rule_id}", json={"active": False},
                        headers=auth(staff.sales)).status_code == 403
    assert client.patch(f"/api/risk/rules/{rule_id}", json={"active": False},
                        headers=auth(staff.manager)).json()["active"] is False


@pytest.mark.parametrize("rule, field, words", [
    ({"condition": {"fact": "inquiries_9m", "op": ">", "value": 1}}, "condition.fact", "未知的资料项"),
    ({"condition": {"fact": "inquiries_3m", "op": "~", "value": 1}}, "condition.op", "数值比较"),
    ({"condition": {"fact": "inquiries_3m", "op": ">", "value": "十"}}, "condition.value", "整数"),
    ({"condition": {"all": [{"fact": "score", "op": "<", "value": 60},
                            {"any": [{"fact": "worst_overdue", "op": "in", "value": ["m9"]}]}]}},
     "condition.all[1].any[0].value", "未知的逾期等级"),
    ({"condition": {"all": [{"any": [{"all": [{"fact": "score", "op": "<", "value": 1}]}]}]}},
     "condition.all[0].any[0].all", "最多嵌套一层"),
    ({"condition": {"fact": "debt_ratio", "op": ">", "value": "70.125"}}, "condition.value", "两位小数"),
    ({"condition": {"fact": "materials", "op": "present"}}, "condition.op", "has_all"),
    ({"condition": {"fact": "materials", "op": "missing_any", "value": ["passport"]}}, "condition.value", "未知的资料"),
    ({"condition": {"fact": "score", "op": "<", "value": 160}}, "condition.value", "0 到 100"),
    ({"actions": []}, "actions", "至少要有一个动作"),
    ({"actions": [{"type": "explode"}]}, "actions[0].type", "未知的动作"),
    ({"actions": [{"type": "add_tag"}]}, "actions[0].tag", "标签"),
    ({"actions": [{"type": "route_approval", "role": "ceo"}]}, "actions[0].role", "未知的角色"),
    ({"actions": [{"type": "route_approval"}]}, "actions[0]", "role"),
    ({"actions": [{"type": "route_approval", "employee_id": 999999}]}, "actions[0].employee_id", "没有在职的员工"),
    ({"actions": [{"type": "return"}]}, "actions[0].materials", "驳回要列出"),
    ({"actions": [{"type": "alert"}, {"type": "alert"}]}, "actions[1].type", "只能写一次"),
    # shapes nobody would write, answered as calmly
    ({"condition": {"fact": ["score"], "op": "<", "value": 1}}, "condition.fact", "未知的资料项"),
    ({"condition": {"fact": "worst_overdue", "op": "in", "value": [{"m1": 1}]}}, "condition.value", "未知的逾期等级"),
    ({"condition": {"fact": "debt_ratio", "op": ">", "value": [70]}}, "condition.value", "百分数"),
    ({"condition": {"fact": "online_loans", "op": ">", "value": 10**30}}, "condition.value", "太大"),
    ({"condition": []}, "condition", "条件要写成"),
    ({"actions": [{"type": {"x": 1}}]}, "actions[0].type", "未知的动作"),
    ({"actions": [{"type": "alert", "role": ["manager"]}]}, "actions[0].role", "未知的角色"),
    ({"actions": [{"type": "return", "materials": [["id_card"]]}]}, "actions[0].materials", "资料从这些里选"),
    ({"actions": "alert"}, "actions", "至少要有一个动作"),
])
def test_a_bad_rule_is_a_422_naming_the_field_and_the_problem(client, db, staff, rule, field, words):
    answer = client.post("/api/risk/rules", json=INQUIRIES | rule, headers=auth(staff.manager))

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert words in answer.json()["message"]
    assert db.scalar(select(func.count()).select_from(metadata.tables["risk_rule"])) == 0


def _counts(db) -> dict[str, int]:
    db.flush()
    names = [t for t in metadata.tables if t.startswith("risk_")] + [
        "timeline_entry", Notification.__tablename__, "tag_evidence", "outbox_event", "customer_profile"]
    return {n: db.scalar(select(func.count()).select_from(metadata.tables[n])) for n in names}


def test_a_preview_counts_and_samples_and_writes_nothing(client, db, staff):
    customers = [make_customer(db, staff.sales, f"客户{i}") for i in range(4)]
    for i, customer in enumerate(customers):
        risk_service.set_facts(db, staff.sales, customer.id, FactsIn(inquiries_3m=8 + i, materials=FULL[:i]))
    before = _counts(db)

    answer = client.post("/api/risk/rules/preview", headers=auth(staff.manager), json={
        "condition": {"all": [{"fact": "inquiries_3m", "op": ">", "value": 8},
                              {"fact": "materials", "op": "missing_any", "value": FULL}]},
        "actions": [{"type": "return"}, {"type": "reject_pool"}]})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["evaluated"] == 4 and body["matching"] == 2
    assert [s["customer_id"] for s in body["sample"]] == [customers[1].id, customers[2].id]
    assert body["sample"][1]["evidence"] == {"inquiries_3m": 10, "materials": ["id_card", "credit_report"],
                                             "materials_missing": ["bank_statement"]}
    assert _counts(db) == before
    bad = client.post("/api/risk/rules/preview", json={"condition": {"fact": "x"}}, headers=auth(staff.manager))
    assert bad.status_code == 422 and bad.json()["field"] == "condition.fact"


def _firings(db, customer_id: int) -> int:
    return db.scalar(select(func.count()).select_from(RiskFiring).where(RiskFiring.customer_id == customer_id))


def test_a_rule_fires_once_per_match_and_again_after_the_facts_stopped_matching(client, db, staff):
    customer = make_customer(db, staff.sales, "反复")
    assert client.post("/api/risk/rules", json=INQUIRIES, headers=auth(staff.manager)).status_code == 201
    url = f"/api/customers/{customer.id}/risk/facts"

    def patch(**facts):
        answer = client.patch(url, json=facts, headers=auth(staff.sales))
        assert answer.status_code == 200, answer.text
        return answer.json()

    patch(inquiries_3m=12)
    entries = db.scalar(select(func.count()).select_from(TimelineEntry).where(TimelineEntry.customer_id == customer.id))
    patch(inquiries_3m=12)  # unchanged: nothing written
    assert db.scalar(select(func.count()).select_from(TimelineEntry)
                     .where(TimelineEntry.customer_id == customer.id)) == entries
    patch(inquiries_3m=15, online_loans=2)  # changed, still matching: no second firing
    assert _firings(db, customer.id) == 1
    assert patch(inquiries_3m=4)["matching_rules"] == []
    again = patch(inquiries_3m=11)
    assert [f["evidence"] for f in again["firings"]] == [{"inquiries_3m": 11}, {"inquiries_3m": 12}]
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "risk_alert", Notification.employee_id == staff.sales.id)) == 2

    # a new version of the rule fires afresh where it matches
    rule_id = again["firings"][0]["rule_id"]
    changed = client.patch(f"/api/risk/rules/{rule_id}", headers=auth(staff.manager),
                           json={"condition": {"fact": "inquiries_3m", "op": ">=", "value": 11}})
    assert changed.json()["version"] == 2
    risk = client.get(f"/api/customers/{customer.id}/risk", headers=auth(staff.sales)).json()
    assert [(f["rule_version"], f["evidence"]) for f in risk["firings"]][0] == (2, {"inquiries_3m": 11})


def test_facts_are_checked_and_scoped(client, db, staff):
    customer = make_customer(db, staff.sales, "范围")
    url = f"/api/customers/{customer.id}/risk/facts"
    assert client.patch(url, json={"inquiries_3m": 2}, headers=auth(staff.other_sales)).status_code == 404
    assert client.get(f"/api/customers/{customer.id}/risk", headers=auth(staff.other_sales)).status_code == 404
    assert client.patch(url, json={"inquiries_3m": -1}, headers=auth(staff.sales)).status_code == 422
    assert client.patch(url, json={"materials": ["passport"]}, headers=auth(staff.sales)).status_code == 422
    assert client.patch(url, json={"total_debt_fen": "12.5"}, headers=auth(staff.sales)).status_code == 422
    wrong = client.patch(url, json={"inquiries_1m": 5, "inquiries_3m": 2}, headers=auth(staff.sales))
    assert wrong.status_code == 422 and wrong.json()["field"] == "inquiries_1m"

    body = client.patch(url, json={"total_debt_fen": 10_000_001, "monthly_income_fen": 1_200_000,
                                   "materials": ["bank_statement", "id_card", "id_card"]},
                        headers=auth(staff.sales)).json()["facts"]
    # 100,000.01 元 over 12 × 12,000 元 = 69.444...%, rounded half up to the basis point
    assert body["debt_ratio"] == "69.44" and body["materials"] == ["id_card", "bank_statement"]
    assert body["updated_by"] == staff.sales.id and body["version"] == 1
    cleared = client.patch(url, json={"monthly_income_fen": None}, headers=auth(staff.sales)).json()["facts"]
    assert cleared["debt_ratio"] is None and cleared["total_debt_fen"] == 10_000_001
    summary = db.scalar(select(TimelineEntry.summary).where(TimelineEntry.customer_id == customer.id,
                                                            TimelineEntry.kind == "risk_facts_changed")
                        .order_by(TimelineEntry.id.desc()).limit(1))
    assert summary.startswith("张三更新风控资料：月收入 12000.00 元 → 未填写")


def test_the_seed_rules_as_written_are_accepted_and_described(client, db, staff):
    for rule in seed_rules(staff.director.id):
        assert client.post("/api/risk/rules", json=rule, headers=auth(staff.manager)).status_code == 201
    described = [r["description"] for r in client.get("/api/risk/rules", headers=auth(staff.sales)).json()]
    assert described == ["征信近3个月查询次数大于10", "负债率大于70%", "资料缺少任一：身份证、征信报告、银行流水",
                         "资质评分小于60"]


def test_an_alert_reaches_the_owner_and_the_role_it_names(client, db, staff):
    customer = make_customer(db, staff.sales, "预警")
    rule = {"name": "网贷较多", "condition": {"fact": "online_loans", "op": ">", "value": 3},
            "actions": [{"type": "alert", "role": "supervisor", "text": "请主管复核"}]}
    assert client.post("/api/risk/rules", json=rule, headers=auth(staff.manager)).status_code == 201

    client.patch(f"/api/customers/{customer.id}/risk/facts", json={"online_loans": 5}, headers=auth(staff.sales))

    told = dict(db.execute(select(Notification.employee_id, Notification.text)
                           .where(Notification.kind == "risk_alert")).all())
    assert set(told) == {staff.sales.id, staff.director.id}
    assert "网贷笔数 5" in told[staff.director.id] and told[staff.director.id].endswith("请主管复核")
