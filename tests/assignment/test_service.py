"""Assignment rules: matching, priority, every strategy, caps, departed members, the pool."""

from __future__ import annotations

from scrm.assignment import service as assignment_service
from scrm.assignment.models import Strategy
from scrm.assignment.schemas import RuleCreate, RuleUpdate
from scrm.channels.models import Channel, ChannelKind
from scrm.core import commands
from scrm.customers.models import CustomerSource, CustomerStatus, Stage, TimelineEntry
from scrm.org.models import EmployeeStatus
from tests.factories.common import events_named
from tests.factories.customers import make_customer
from tests.factories.org import make_employee


def rule(db, team, strategy=Strategy.round_robin, **kw):
    return assignment_service.create_rule(db, None, commands.build(RuleCreate, {
        "name": kw.pop("name", "规则"), "strategy": strategy, "team_employee_ids": [e.id for e in team], **kw}))


def lead(db, **kw):
    return make_customer(db, None, **kw)


def owners(db, n, **kw):
    return [assignment_service.assign(db, lead(db, **kw)) for _ in range(n)]


def test_round_robin_takes_turns_and_remembers_the_turn(db):
    a, b, c = make_employee(db), make_employee(db), make_employee(db)
    r = rule(db, [a, b, c])
    assert [e.id for e in owners(db, 7)] == [a.id, b.id, c.id, a.id, b.id, c.id, a.id]
    assert r.last_employee_id == a.id
    # editing the team keeps the turn: b is next
    assignment_service.update_rule(db, None, r.id, RuleUpdate(team_employee_ids=[a.id, b.id, c.id]))
    assert assignment_service.assign(db, lead(db)).id == b.id


def test_round_robin_skips_departed_and_capped_members(db):
    a, b, c = make_employee(db), make_employee(db, max_open_leads=1), make_employee(db)
    c.status = EmployeeStatus.departed
    rule(db, [a, b, c])
    assert [e.id for e in owners(db, 4)] == [a.id, b.id, a.id, a.id]


def test_rule_cap_counts_only_open_leads(db):
    a, b = make_employee(db), make_employee(db)
    rule(db, [a, b], Strategy.fixed, max_open_leads=2)
    # a already has one open lead and one signed customer (not open)
    make_customer(db, a, stage=Stage.contacted)
    make_customer(db, a, stage=Stage.signed)
    make_customer(db, a, stage=Stage.lead, status=CustomerStatus.gone)
    assert [e.id for e in owners(db, 3)] == [a.id, b.id, b.id]
    assert assignment_service.assign(db, lead(db)) is None  # both full: the lead stays in the pool


def test_least_loaded_picks_the_fewest_open_leads_then_list_order(db):
    a, b, c = make_employee(db), make_employee(db), make_employee(db)
    for _ in range(2):
        make_customer(db, a)
    make_customer(db, b)
    rule(db, [a, b, c], Strategy.least_loaded)
    # c (0) -> b and c tie at 1, b first in list -> c (1 vs a 2, b 2) ...
    assert [e.id for e in owners(db, 4)] == [c.id, b.id, c.id, a.id]


def test_fixed_gives_everything_to_the_first_member_with_room(db):
    a, b = make_employee(db, max_open_leads=2), make_employee(db)
    rule(db, [a, b], Strategy.fixed)
    assert [e.id for e in owners(db, 3)] == [a.id, a.id, b.id]


def test_first_matching_rule_by_priority_wins_and_full_rules_fall_through(db, products):
    sh1, sh2, car, general = (make_employee(db) for _ in range(4))
    poster = Channel(name="海报", kind=ChannelKind.poster, state="p1", team_employee_ids=[sh1.id])
    db.add(poster)
    db.flush()
    rule(db, [general], name="兜底", priority=900)
    rule(db, [car], name="车抵", priority=20, conditions={"product_codes": ["car_mortgage"]})
    rule(db, [sh1, sh2], name="上海", priority=10, conditions={"cities": ["上海"], "sources": ["manual"]},
         max_open_leads=1)
    rule(db, [car], name="华南海报", priority=5, conditions={"regions": ["华南"], "channel_ids": [poster.id]})

    car_product = products["car_mortgage"].id
    assert assignment_service.assign(db, lead(db, city="北京", product_id=car_product)).id == car.id
    assert assignment_service.assign(db, lead(db, city="上海")).id == sh1.id
    assert assignment_service.assign(db, lead(db, city="上海", source=CustomerSource.wecom)).id == general.id
    assert assignment_service.assign(db, lead(db, city="上海")).id == sh2.id
    # both Shanghai members are at the cap of 1: the next Shanghai lead falls through to the catch-all
    assert assignment_service.assign(db, lead(db, city="上海")).id == general.id
    assert assignment_service.assign(db, lead(db, region="华南", channel_id=poster.id)).id == car.id
    assert assignment_service.assign(db, lead(db, region="华南")).id == general.id


def test_no_matching_rule_leaves_the_lead_in_the_pool(db):
    a = make_employee(db)
    rule(db, [a], conditions={"cities": ["深圳"]})
    pooled = lead(db, city="成都")
    assert assignment_service.assign(db, pooled) is None
    assert pooled.owner_id is None
    inactive = rule(db, [a], active=False)
    assert assignment_service.assign(db, pooled) is None
    assignment_service.update_rule(db, None, inactive.id, RuleUpdate(active=True))
    assert assignment_service.assign_pool(db) == 1
    assert pooled.owner_id == a.id


def test_assignment_is_recorded_on_the_customer_with_timeline_and_event(db):
    a = make_employee(db, "张三")
    r = rule(db, [a], name="新线索")
    customer = lead(db)
    assert assignment_service.assign(db, customer).id == a.id
    assert customer.owner_id == a.id and customer.assigned_at is not None
    entries = db.query(TimelineEntry).filter_by(customer_id=customer.id).all()
    assert [(e.kind, e.summary) for e in entries] == [("assigned", "按分配规则「新线索」分配给 张三")]
    assert events_named(db, "customer.assigned") == [{"customer_id": customer.id, "employee_id": a.id,
                                                      "rule_id": r.id}]
    # assigning again changes nothing
    assert assignment_service.assign(db, customer).id == a.id
    assert len(events_named(db, "customer.assigned")) == 1


def test_manual_create_by_a_supervisor_runs_the_rules(db, products):
    from scrm.org.models import Role

    supervisor = make_employee(db, role=Role.supervisor)
    a = make_employee(db)
    rule(db, [a], conditions={"product_codes": ["credit"]})
    assigned = assignment_service.enter_customer(db, supervisor, name="甲", phone="13900000001", product_code="credit",
                                                custom_fields={"employer_type": "private", "monthly_salary": 9000,
                                                               "social_security_months": 24})
    pooled = assignment_service.enter_customer(db, supervisor, name="乙", phone="13900000002")
    assert assigned.owner_id == a.id
    assert pooled.owner_id is None


def test_rule_validation_names_the_field(db):
    import pytest

    from scrm.core.errors import ValidationFailed

    a = make_employee(db)
    for kwargs, field in [({"conditions": {"planets": ["mars"]}}, "conditions.planets"),
                          ({"conditions": {"product_codes": ["spaceship"]}}, "conditions.product_codes"),
                          ({"conditions": {"channel_ids": [987654]}}, "conditions.channel_ids"),
                          ({"conditions": {"sources": ["tv"]}}, "conditions.sources"),
                          ({"max_open_leads": 0}, "max_open_leads")]:
        with pytest.raises(ValidationFailed) as info:
            rule(db, [a], **kwargs)
        assert info.value.field == field
    with pytest.raises(ValidationFailed) as info:
        rule(db, [a], strategy="lottery")
    assert info.value.field == "strategy"
    with pytest.raises(ValidationFailed) as info:
        assignment_service.create_rule(db, None, RuleCreate(name="x", strategy="fixed", team_employee_ids=[987654]))
    assert info.value.field == "team_employee_ids"
