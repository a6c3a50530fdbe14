"""Tiering rules: validation, precedence, the blocked pool, preview, set-based re-tiering and the
profile.changed subscription."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from scrm.core import events
from scrm.core.db import utcnow
from scrm.core.errors import ValidationFailed
from scrm.core.events import OutboxEvent, deliver
from scrm.customers.models import TimelineEntry
from scrm.groups import schemas
from scrm.groups import service as group_service
from scrm.groups.models import TierChange
from scrm.org.models import Role
from scrm.sop.models import SopTask
from scrm.tagging.events import ProfileChanged
from scrm.tagging.models import CustomerProfile
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee


def profiled(db, owner, name, *, intent="medium", tags=(), amount_fen=None, **extra):
    customer = make_customer(db, owner, name, **extra)
    db.add(CustomerProfile(customer_id=customer.id, intent=intent, tags=list(tags), amount_fen=amount_fen,
                           evidence={}))
    db.flush()
    return customer


def rule(name, tier, position=100, **conditions):
    return schemas.TierRuleIn(name=name, tier=tier, position=position,
                              conditions=schemas.RuleConditions(**conditions))


@pytest.fixture
def team(db):
    dept = make_department(db)
    return {"sales": make_employee(db, "小李", department=dept),
            "manager": make_employee(db, "王经理", role=Role.manager, department=dept)}


@pytest.fixture
def standard_rules(db):
    for r in [rule("风险：征信查询多", "blocked", 999, tags_any=["查询过多", "负债过高"]),
              rule("高意向大额", "A", 10, intent_in=["high"], amount_min_yuan="300000"),
              rule("高意向", "B", 20, intent_in=["high"]),
              rule("有房有车", "A", 30, tags_all=["有房产", "有车辆"])]:
        group_service.create_rule(db, r)


def test_first_matching_rule_by_position_decides_and_unmatched_is_c(db, team, standard_rules):
    big = profiled(db, team["sales"], "大额", intent="high", amount_fen=50_000_000)
    small = profiled(db, team["sales"], "小额", intent="high", amount_fen=5_000_000)
    assets = profiled(db, team["sales"], "资产", intent="low", tags=["有房产", "有车辆"])
    half = profiled(db, team["sales"], "只有房", intent="low", tags=["有房产"])
    bare = make_customer(db, team["sales"], "无画像")
    run = group_service.retier(db)
    assert run.changed == 5
    tiers = {c.name: group_service.tier_of(db, c.id) for c in (big, small, assets, half, bare)}
    assert tiers == {"大额": "A", "小额": "B", "资产": "A", "只有房": "C", "无画像": "C"}


def test_blocked_rules_win_over_any_position(db, team, standard_rules):
    risky = profiled(db, team["sales"], "高风险大额", intent="high", amount_fen=90_000_000, tags=["查询过多"])
    group_service.retier(db)
    assert group_service.tier_of(db, risky.id) == "blocked"
    listed = [r.tier for r in group_service.list_rules(db)]
    assert listed[0] == "blocked"


def test_blocked_pool_routes_to_a_risk_review_task_once(db, team, standard_rules, settings_env):
    reviewer = make_employee(db, "风控老周", role=Role.supervisor)
    settings_env(SCRM_RISK_REVIEWER_EMPLOYEE_ID=str(reviewer.id))
    risky = profiled(db, team["sales"], "负债高", tags=["负债过高"])
    group_service.retier(db)
    group_service.retier(db)
    tasks = db.scalars(select(SopTask).where(SopTask.customer_id == risky.id)).all()
    assert [(t.kind, t.assignee_employee_id) for t in tasks] == [("risk_review", reviewer.id)]


def test_changes_are_history_timeline_and_one_event(db, team, standard_rules):
    customer = profiled(db, team["sales"], "客户甲", intent="high")
    first = group_service.retier(db)
    profile = db.scalars(select(CustomerProfile).where(CustomerProfile.customer_id == customer.id)).one()
    profile.amount_fen = 40_000_000
    second = group_service.retier(db)
    third = group_service.retier(db)
    assert (first.changed, second.changed, third.changed) == (1, 1, 0)
    history = db.scalars(select(TierChange).where(TierChange.customer_id == customer.id).order_by(TierChange.id)).all()
    assert [(h.from_tier, h.to_tier) for h in history] == [(None, "B"), ("B", "A")]
    summaries = db.scalars(select(TimelineEntry.summary).where(TimelineEntry.customer_id == customer.id,
                                                               TimelineEntry.kind == "tier_changed")
                           .order_by(TimelineEntry.id)).all()
    assert summaries == ["客户分层：未分层 → B", "客户分层：B → A"]
    events = db.scalars(select(OutboxEvent).where(OutboxEvent.name == "tiers.changed")).all()
    assert [e.payload["changed"] for e in events] == [1, 1]


def test_recency_conditions(db, team):
    group_service.create_rule(db, rule("近期联系", "A", 1, contacted_within_days=7))
    group_service.create_rule(db, rule("久未联系", "C", 2, not_contacted_days=30))
    group_service.create_rule(db, rule("其他", "B", 3, stages_in=["lead", "contacted"]))
    recent = make_customer(db, team["sales"], "近", last_contact_at=utcnow() - timedelta(days=2))
    stale = make_customer(db, team["sales"], "远", last_contact_at=utcnow() - timedelta(days=40))
    middle = make_customer(db, team["sales"], "中", last_contact_at=utcnow() - timedelta(days=10))
    group_service.retier(db)
    assert [group_service.tier_of(db, c.id) for c in (recent, stale, middle)] == ["A", "C", "B"]


@pytest.mark.parametrize("conditions, field", [
    ({}, "conditions"),
    ({"amount_min_yuan": "500", "amount_max_yuan": "100"}, "conditions.amount_min_yuan"),
    ({"tags_all": ["有房产"], "tags_none": ["有房产"]}, "conditions.tags_none"),
    ({"stages_in": ["nowhere"]}, "conditions.stages_in"),
    ({"tags_any": [" "]}, "conditions.tags_any"),
    ({"contacted_within_days": 3, "not_contacted_days": 30}, "conditions.not_contacted_days"),
])
def test_invalid_rules_are_refused_naming_the_field(db, conditions, field):
    with pytest.raises(ValidationFailed) as err:
        group_service.create_rule(db, rule("坏规则", "A", **conditions))
    assert err.value.field == field
    assert group_service.list_rules(db) == []


def test_preview_counts_moves_without_changing_anything(db, team, standard_rules):
    a = profiled(db, team["sales"], "甲", intent="high", amount_fen=50_000_000)
    b = profiled(db, team["sales"], "乙", intent="high")
    c = profiled(db, team["sales"], "丙", intent="medium")
    group_service.retier(db)
    draft = [rule("任何高意向都是A", "A", 1, intent_in=["high"]), rule("中意向B", "B", 2, intent_in=["medium"])]
    moves = group_service.preview(db, draft, sample_size=3)
    assert sorted((m["from_tier"], m["to_tier"], m["count"], tuple(m["sample_customer_ids"])) for m in moves) == [
        ("B", "A", 1, (b.id,)), ("C", "B", 1, (c.id,))]
    assert [group_service.tier_of(db, x.id) for x in (a, b, c)] == ["A", "B", "C"]


def test_profile_changed_event_retiers_that_customer(db, team, standard_rules):
    customer = profiled(db, team["sales"], "事件客户", intent="high", amount_fen=50_000_000)
    other = profiled(db, team["sales"], "旁人", intent="high")
    event = events.emit(db, ProfileChanged(customer_id=customer.id, changes={"intent": [None, "high"]}, product=None,
                                           intent="high", amount_fen=50_000_000, term_months=None, city=None,
                                           tags=[]))
    db.flush()
    deliver(event.id)
    assert group_service.tier_of(db, customer.id) == "A"
    assert group_service.tier_of(db, other.id) is None


def test_api_rules_preview_and_retier(client, db, team):
    manager, sales = team["manager"], team["sales"]
    profiled(db, sales, "接口客户", intent="high")
    body = {"name": "高意向", "tier": "A", "position": 5, "conditions": {"intent_in": ["high"]}}
    assert client.post("/api/tiers/rules", json=body, headers=auth(sales)).status_code == 403
    created = client.post("/api/tiers/rules", json=body, headers=auth(manager))
    assert created.status_code == 201, created.text
    again = client.post("/api/tiers/rules", json=body, headers=auth(manager))
    assert again.status_code == 409 and again.json()["field"] == "name"
    bad = client.post("/api/tiers/rules", json={**body, "name": "x", "conditions": {"amount_min_yuan": "-1"}},
                      headers=auth(manager))
    assert bad.status_code == 422 and bad.json()["field"] == "conditions.amount_min_yuan"
    big = client.post("/api/tiers/rules", json={**body, "name": "大额", "position": 90, "active": False,
                                                "conditions": {"amount_min_yuan": "300000.50"}}, headers=auth(manager))
    assert big.json()["conditions"] == {"amount_min_yuan": "300000.50"}
    extra = client.post("/api/tiers/rules", json={**body, "name": "y", "colour": "red"}, headers=auth(manager))
    assert extra.status_code == 422
    preview = client.post("/api/tiers/preview", json={"rules": [body]}, headers=auth(manager)).json()
    assert preview["total_moving"] == 1 and preview["moves"][0]["to_tier"] == "A"
    assert client.post("/api/tiers/retier", headers=auth(manager)).json()["changed"] == 1
    assert client.get("/api/tiers/counts", headers=auth(manager)).json() == [{"tier": "A", "customers": 1}]
    patched = client.patch(f"/api/tiers/rules/{created.json()['id']}", json={"tier": "B"}, headers=auth(manager))
    assert patched.json()["tier"] == "B"
    assert client.post("/api/tiers/retier", headers=auth(manager)).json()["changed"] == 1


def test_a_patch_with_null_fields_changes_nothing_it_names(db, client, team):
    """Found by the API fuzzing: a PATCH with "conditions": null answered 500. A null field is left as it is,
    as for the other fields."""
    manager = team["manager"]
    body = {"name": "有房", "tier": "A", "conditions": {"tags_all": ["有房产"]}}
    created = client.post("/api/tiers/rules", json=body, headers=auth(manager)).json()
    patched = client.patch(f"/api/tiers/rules/{created['id']}", headers=auth(manager),
                           json={"active": None, "conditions": None, "name": "有房产的", "position": 0})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["position"], patched.json()["conditions"], patched.json()["active"]) \
        == ("有房产的", 0, {"tags_all": ["有房产"]}, True)


@pytest.mark.parametrize("amount", [1.7976931348623157e308, 1e26, "1e30", "NaN", "12.345", "2000000000"])
def test_an_amount_condition_that_is_no_amount_is_refused_on_its_field(db, client, team, amount):
    """Found by the API fuzzing: a huge JSON number in a tier condition answered 500 (the fen conversion
    overflowed). Rules and their preview refuse it with 422 naming the field, like every amount."""
    manager = team["manager"]
    body = {"name": "大额", "tier": "A", "conditions": {"amount_min_yuan": amount}}
    created = client.post("/api/tiers/rules", json=body, headers=auth(manager))
    assert created.status_code == 422 and created.json()["field"].endswith("conditions.amount_min_yuan"), created.text
    preview = client.post("/api/tiers/preview", json={"rules": [body]}, headers=auth(manager))
    assert preview.status_code == 422 and preview.json()["field"].endswith("conditions.amount_min_yuan"), preview.text
