"""The qualification scorecard: a manager replaces it with a preview of the distribution first (nothing written);
scores follow fact changes in the same transaction, and a rule on the score acts on them."""

from __future__ import annotations

from sqlalchemy import func, select

from scrm.risk import service as risk_service
from scrm.risk.models import RiskFact, RiskScorecard
from scrm.risk.schemas import FactsIn
from tests.factories.customers import make_customer
from tests.factories.org import auth
from tests.risk.conftest import FULL

CARD = {"base": 50, "bands": [
    {"label": "社保满 24 个月", "when": {"fact": "social_security_months", "op": ">=", "value": 24}, "points": 15},
    {"label": "严重逾期", "when": {"fact": "worst_overdue", "op": "in", "value": ["m3_plus"]}, "points": -40},
    {"label": "资料齐全", "when": {"fact": "materials", "op": "has_all", "value": FULL}, "points": 60},
]}


def test_a_scorecard_preview_shows_the_distribution_and_writes_nothing(client, db, staff):
    ids = []
    for facts in ({"social_security_months": 30}, {"worst_overdue": "m3_plus"}, {"materials": FULL,
                                                                                  "social_security_months": 30}):
        ids.append(make_customer(db, staff.sales).id)
        risk_service.set_facts(db, staff.sales, ids[-1], FactsIn(**facts))
    scores = dict(db.execute(select(RiskFact.customer_id, RiskFact.score)).all())
    assert [scores[i] for i in ids] == [75, 20, 85]  # the built-in scorecard: base 60

    answer = client.post("/api/risk/scorecard/preview", json=CARD, headers=auth(staff.manager))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["customers"] == 3 and body["below_60"] == 1 and body["changed"] == 3
    counts = {b["from"]: (b["count"], b["now"]) for b in body["bands"] if b["count"] or b["now"]}
    # draft: 65, 10, 100 (capped); today: 75, 20, 85
    assert counts == {10: (1, 0), 20: (0, 1), 60: (1, 0), 70: (0, 1), 80: (0, 1), 90: (1, 0)}
    assert body["sample"][0] == {"customer_id": ids[0], "score_now": 75, "score_draft": 65}
    db.expire_all()
    assert dict(db.execute(select(RiskFact.customer_id, RiskFact.score)).all()) == scores
    assert db.scalar(select(func.count()).select_from(RiskScorecard)) == 0
    bad = client.post("/api/risk/scorecard/preview", headers=auth(staff.manager),
                      json={"base": 50, "bands": [{"label": "x", "when": {"fact": "score", "op": ">", "value": 1},
                                                   "points": 5}]})
    assert bad.status_code == 422 and bad.json()["field"] == "bands[0].when"


def test_saving_a_scorecard_rescores_everyone_and_rules_on_the_score_act(client, db, staff):
    customer = make_customer(db, staff.sales, "评分")
    # 75 on the built-in card
    risk_service.set_facts(db, staff.sales, customer.id, FactsIn(social_security_months=30))
    rule = {"name": "资质不足", "condition": {"fact": "score", "op": "<", "value": 60},
            "actions": [{"type": "reject_pool"}]}
    assert client.post("/api/risk/rules", json=rule, headers=auth(staff.manager)).status_code == 201
    url = f"/api/customers/{customer.id}/risk"
    assert client.get(url, headers=auth(staff.sales)).json()["reject_pool"] is False

    saved = client.put("/api/risk/scorecard", json=CARD | {"base": 40}, headers=auth(staff.manager))

    assert saved.status_code == 200 and saved.json()["id"] is not None
    assert client.get("/api/risk/scorecard", headers=auth(staff.sales)).json()["base"] == 40
    risk = client.get(url, headers=auth(staff.sales)).json()
    assert risk["facts"]["score"] == 55 and risk["reject_pool"] is True
    assert risk["reject_pool_because"]["evidence"] == {"score": 55}

    # the score follows the facts in the same request, and the rule's match ends with it
    after = client.patch(f"{url}/facts", json={"materials": FULL}, headers=auth(staff.sales)).json()
    assert after["facts"]["score"] == 100
    assert after["score_bands"] == [{"label": "社保满 24 个月", "points": 15}, {"label": "资料齐全", "points": 60}]
    assert after["matching_rules"] == []
    assert after["reject_pool"] is True  # the pool is left by a manager, not by the facts
