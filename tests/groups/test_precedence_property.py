"""Property: the SQL the rules compile to puts every customer where a plain reading of the precedence
says — blocked-pool rules first, then by position, then by creation; the first match decides; C otherwise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrm.groups import schemas
from scrm.groups import service as group_service
from scrm.tagging.models import CustomerProfile
from tests.factories.customers import make_customer

TAGS = ["有房产", "有车辆", "查询过多"]
INTENTS = ["low", "medium", "high"]

conditions = st.fixed_dictionaries({}, optional={
    "intent_in": st.lists(st.sampled_from(INTENTS), min_size=1, max_size=2, unique=True),
    "tags_any": st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True),
    "tags_all": st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True),
    "amount_min_yuan": st.sampled_from([100_000, 500_000]),
}).filter(bool)
rules = st.lists(st.tuples(st.sampled_from(["A", "B", "C", "blocked"]), st.integers(0, 3), conditions),
                 min_size=1, max_size=5)
customers = st.lists(st.tuples(st.sampled_from(INTENTS), st.lists(st.sampled_from(TAGS), unique=True),
                               st.sampled_from([None, 5_000_000, 20_000_000, 80_000_000])), min_size=1, max_size=6)


def matches(cond: dict, intent: str, tags: list[str], amount_fen: int | None) -> bool:
    if "intent_in" in cond and intent not in cond["intent_in"]:
        return False
    if "tags_any" in cond and not set(cond["tags_any"]) & set(tags):
        return False
    if "tags_all" in cond and not set(cond["tags_all"]) <= set(tags):
        return False
    if "amount_min_yuan" in cond and (amount_fen is None or amount_fen < cond["amount_min_yuan"] * 100):
        return False
    return True


def expected(rule_list, intent, tags, amount_fen) -> str:
    ordered = sorted(enumerate(rule_list), key=lambda ir: (ir[1][0] != "blocked", ir[1][1], ir[0]))
    for _, (tier, _, cond) in ordered:
        if matches(cond, intent, tags, amount_fen):
            return tier
    return "C"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule_list=rules, people=customers)
def test_sql_tiering_matches_the_stated_precedence(db, rule_list, people):
    savepoint = db.begin_nested()
    try:
        for i, (tier, position, cond) in enumerate(rule_list):
            group_service.create_rule(db, schemas.TierRuleIn(
                name=f"规则{i}", tier=tier, position=position, conditions=schemas.RuleConditions(**cond)))
        made = []
        for intent, tags, amount_fen in people:
            customer = make_customer(db)
            db.add(CustomerProfile(customer_id=customer.id, intent=intent, tags=tags, amount_fen=amount_fen,
                                   evidence={}))
            made.append((customer.id, intent, tags, amount_fen))
        db.flush()
        group_service.retier(db, [m[0] for m in made])
        for customer_id, intent, tags, amount_fen in made:
            assert group_service.tier_of(db, customer_id) == expected(rule_list, intent, tags, amount_fen)
    finally:
        savepoint.rollback()
