"""Tiers as a list managers edit through the API: adding, renaming, reordering and recolouring; bad keys and
colours; a tier still holding customers or named by a rule cannot be deleted (409 naming how many); the blocked pool
stays as it is; the last tier takes the customers no rule matches; re-tiering into a new tier."""

from __future__ import annotations

from scrm.groups import service as group_service
from scrm.org.models import Role
from tests.factories.org import auth, make_department, make_employee
from tests.groups.test_tiering import profiled


def _team(db):
    dept = make_department(db)
    return make_employee(db, "王经理", role=Role.manager, department=dept), make_employee(db, "小李", department=dept)


def _tiers(client, who):
    answer = client.get("/api/tiers/definitions", headers=auth(who))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_standard_tiers_then_a_new_tier_is_listed_used_and_guarded(client, db):
    manager, sales = _team(db)
    assert [(t["key"], t["name"], t["reserved"], t["default"]) for t in _tiers(client, sales)] == [
        ("A", "A 类", False, False), ("B", "B 类", False, False), ("C", "C 类", False, True),
        ("blocked", "拦截池", True, False)]

    vip = {"key": "VIP", "name": "VIP 客户", "position": 5, "colour": "#8E24AA"}
    assert client.post("/api/tiers/definitions", json=vip, headers=auth(sales)).status_code == 403
    created = client.post("/api/tiers/definitions", json=vip, headers=auth(manager))
    assert created.status_code == 201, created.text
    assert created.json()["colour"] == "#8e24aa"
    again = client.post("/api/tiers/definitions", json={**vip, "name": "另一个"}, headers=auth(manager))
    assert again.status_code == 409 and again.json()["field"] == "key"
    for bad, field in (({**vip, "key": "V2", "colour": "purple"}, "colour"), ({**vip, "key": "9x"}, "key"),
                       ({**vip, "key": "a b"}, "key"), ({**vip, "key": "blocked"}, "key")):
        answer = client.post("/api/tiers/definitions", json=bad, headers=auth(manager))
        assert answer.status_code in (409, 422) and answer.json()["field"] == field, answer.text
    assert [t["key"] for t in _tiers(client, sales)] == ["VIP", "A", "B", "C", "blocked"]

    # a rule sends high-intent customers to VIP; re-tiering puts them there
    rule = client.post("/api/tiers/rules", json={"name": "高意向进VIP", "tier": "VIP", "position": 1,
                                                 "conditions": {"intent_in": ["high"]}}, headers=auth(manager))
    assert rule.status_code == 201, rule.text
    unknown = client.post("/api/tiers/rules", json={"name": "去不存在的层", "tier": "Z",
                                                    "conditions": {"intent_in": ["low"]}}, headers=auth(manager))
    assert unknown.status_code == 422 and unknown.json()["field"] == "tier"
    hot = profiled(db, sales, "热客户", intent="high")
    cold = profiled(db, sales, "冷客户", intent="low")
    assert client.post("/api/tiers/retier", headers=auth(manager)).json()["changed"] == 2
    assert group_service.tier_of(db, hot.id) == "VIP" and group_service.tier_of(db, cold.id) == "C"

    # VIP holds a customer and a rule names it: 409 naming both counts, nothing deleted
    refused = client.delete("/api/tiers/definitions/VIP", headers=auth(manager))
    assert refused.status_code == 409
    assert refused.json()["customers"] == 1 and refused.json()["rules"] == 1
    assert "1 位客户" in refused.json()["message"] and "1 条分层规则" in refused.json()["message"]
    assert "VIP" in [t["key"] for t in _tiers(client, sales)]
    # B holds nobody and no rule names it: deleted
    assert client.delete("/api/tiers/definitions/B", headers=auth(manager)).status_code == 204
    assert [t["key"] for t in _tiers(client, sales)] == ["VIP", "A", "C", "blocked"]

    # rename, recolour, reorder; moving A last makes it where unmatched customers go
    patched = client.patch("/api/tiers/definitions/A", json={"name": "重点", "colour": "#00aa00", "position": 50},
                           headers=auth(manager))
    assert patched.status_code == 200 and patched.json()["default"] is True, patched.text
    assert client.patch("/api/tiers/definitions/A", json={"colour": "#00aa0"},
                        headers=auth(manager)).json()["field"] == "colour"
    client.post("/api/tiers/retier", headers=auth(manager)).raise_for_status()
    assert group_service.tier_of(db, cold.id) == "A"
    assert client.delete("/api/tiers/definitions/C", headers=auth(manager)).status_code == 204


def test_the_blocked_pool_stays_as_it_is(client, db):
    manager, _ = _team(db)
    assert client.delete("/api/tiers/definitions/blocked", headers=auth(manager)).status_code == 409
    assert client.patch("/api/tiers/definitions/blocked", json={"position": 1},
                        headers=auth(manager)).status_code == 409
    renamed = client.patch("/api/tiers/definitions/blocked", json={"name": "风控拦截"}, headers=auth(manager))
    assert renamed.status_code == 200 and renamed.json()["reserved"] is True
    # blocked-pool rules are still evaluated before every other rule
    for body in ({"name": "全部高意向A", "tier": "A", "position": 1, "conditions": {"intent_in": ["high"]}},
                 {"name": "查询多拦截", "tier": "blocked", "position": 500, "conditions": {"tags_any": ["查询过多"]}}):
        client.post("/api/tiers/rules", json=body, headers=auth(manager)).raise_for_status()
    risky = profiled(db, manager, "风险客户", intent="high", tags=["查询过多"])
    client.post("/api/tiers/retier", headers=auth(manager)).raise_for_status()
    assert group_service.tier_of(db, risky.id) == "blocked"


def test_the_last_tier_is_never_deleted(client, db):
    manager, _ = _team(db)
    for key in ("A", "B"):
        assert client.delete(f"/api/tiers/definitions/{key}", headers=auth(manager)).status_code == 204
    last = client.delete("/api/tiers/definitions/C", headers=auth(manager))
    assert last.status_code == 409 and "至少" in last.json()["message"]


def test_an_sop_schedule_names_a_listed_tier(client, db):
    manager, _ = _team(db)
    body = {"name": "Z类回访", "tier": "Z", "every_days": 3, "hour": 10, "title": "回访"}
    answer = client.post("/api/sop/schedules", json=body, headers=auth(manager))
    assert answer.status_code == 422 and answer.json()["field"] == "tier", answer.text
    client.post("/api/tiers/definitions", json={"key": "Z", "name": "Z 类"}, headers=auth(manager)).raise_for_status()
    assert client.post("/api/sop/schedules", json=body, headers=auth(manager)).status_code == 201
