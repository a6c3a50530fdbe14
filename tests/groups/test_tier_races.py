"""Tier edits raced through the served app on PostgreSQL and on the embedded default: one key added six times
at once is created once; a tier deleted while rules naming it are written never leaves a rule naming a tier that
is gone."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from scrm.groups.models import TierDef, TierRule
from scrm.org.models import Role
from tests.conftest import race
from tests.factories.org import auth, make_department, make_employee


def _manager(db):
    manager = make_employee(db, "王经理", role=Role.manager, department=make_department(db))
    db.commit()
    return manager


def test_one_key_added_six_times_at_once_is_created_once(committed_any, served_any):
    db = committed_any
    manager = _manager(db)
    answers = race(6, lambda i: httpx.post(f"{served_any.url}/api/tiers/definitions", headers=auth(manager),
                                           timeout=60, json={"key": "VIP", "name": f"贵宾{i}", "colour": "#8e24aa"}))
    codes = sorted(getattr(a, "status_code", 0) for a in answers)
    assert codes == [201, 409, 409, 409, 409, 409], [getattr(a, "text", a) for a in answers]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(TierDef).where(TierDef.key == "VIP")) == 1


def test_a_tier_deleted_while_rules_name_it_leaves_no_rule_without_its_tier(committed_any, served_any):
    db = committed_any
    manager = _manager(db)
    with httpx.Client(base_url=served_any.url, timeout=60) as client:
        assert client.post("/api/tiers/definitions", headers=auth(manager),
                           json={"key": "VIP", "name": "贵宾", "position": 5}).status_code == 201

    def act(i: int):
        if i % 2 == 0:
            return httpx.delete(f"{served_any.url}/api/tiers/definitions/VIP", headers=auth(manager), timeout=60)
        return httpx.post(f"{served_any.url}/api/tiers/rules", headers=auth(manager), timeout=60,
                          json={"name": f"进VIP{i}", "tier": "VIP", "conditions": {"intent_in": ["high"]}})

    answers = race(6, act)
    codes = [getattr(a, "status_code", a) for a in answers]
    assert all(c in (201, 204, 409, 422, 404) for c in codes), [getattr(a, "text", a) for a in answers]
    db.expire_all()
    tier_exists = db.get(TierDef, "VIP") is not None
    rules = db.scalar(select(func.count()).select_from(TierRule).where(TierRule.tier == "VIP"))
    assert tier_exists or rules == 0  # never a rule naming a deleted tier
    assert codes.count(204) == (0 if tier_exists else 1)
    assert codes.count(201) == rules
