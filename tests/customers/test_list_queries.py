"""The customer list's queries that a million rows reshaped (issue 23), held to the same answers on PostgreSQL
and on the embedded SQLite default: sorting by owner walks the staff by name, a tag matches the profile or WeCom,
and past the exact-count bound PostgreSQL answers with an estimate the page marks as such."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from scrm.core import db as scrm_db
from scrm.core.db import utcnow
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.customers.service.search import SHORT_NAME
from scrm.org.models import Role
from scrm.tagging import service as tagging_service
from scrm.tagging.models import CustomerProfile, CustomerTag, Tag, TagGroup
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def _pages(db, viewer, page_size, **filters) -> list[int]:
    ids, page = [], 1
    while True:
        found = customer_service.search(db, viewer, page=page, page_size=page_size, **filters)
        ids += [c.id for c in found.rows]
        if len(found.rows) < page_size:
            return ids
        page += 1


@pytest.fixture
def admin(committed_any):
    return make_employee(committed_any, role=Role.admin, name="管理员")


def test_sorting_by_owner_follows_the_owners_names_with_the_unassigned_last(committed_any, admin):
    db = committed_any
    team = make_department(db)
    staff = {name: make_employee(db, name=name, department=team) for name in ("王五", "张三", "李四")}
    outsider = make_employee(db, name="赵六")  # in no department: outside the supervisor's scope
    made = []
    for i in range(14):
        owner = None if i % 5 == 0 else list(staff.values())[i % 3]
        if i == 7:
            owner = outsider
        made.append(make_customer(db, owner=owner, stage=Stage.contacted if i % 4 else Stage.lead))
    db.commit()
    contacted = [c for c in made if c.stage == Stage.contacted]
    names = {e.id: e.name for e in staff.values()}

    def expected(descending: bool) -> list[int]:
        owned = sorted((c for c in contacted if c.owner_id), key=lambda c: (names[c.owner_id], c.owner_id, c.id),
                       reverse=descending)
        unowned = sorted((c for c in contacted if not c.owner_id), key=lambda c: c.id, reverse=descending)
        return [c.id for c in owned + unowned]

    names[outsider.id] = outsider.name
    for page_size in (3, 4, 50):
        assert _pages(db, admin, page_size, stage=Stage.contacted, sort="owner") == expected(False)
        assert _pages(db, admin, page_size, stage=Stage.contacted, sort="-owner") == expected(True)
    # a department's scope (a recursive query over the department tree) keeps the order and leaves the outsider out
    supervisor = make_employee(db, role=Role.supervisor, department=team)
    db.commit()
    in_team = [i for i in expected(False) if next(c for c in made if c.id == i).owner_id != outsider.id]
    assert _pages(db, supervisor, 3, stage=Stage.contacted, sort="owner") == in_team
    # the sort keeps the viewer's scope: a salesperson sees their own customers only, still in order
    own = staff["张三"]
    assert _pages(db, own, 2, sort="owner") == sorted(c.id for c in made if c.owner_id == own.id)


def test_a_tag_finds_profile_and_wecom_tags_each_customer_once(committed_any, admin):
    db = committed_any
    group = TagGroup(name="资产")
    db.add(group)
    db.flush()
    tag = Tag(group_id=group.id, name="有房产")
    db.add(tag)
    db.flush()
    start = utcnow() - timedelta(days=1)
    in_profile, by_hand, both, neither = (make_customer(db, owner=admin, created_at=start + timedelta(minutes=i))
                                          for i in range(4))
    for customer in (in_profile, both):
        db.add(CustomerProfile(customer_id=customer.id, tags=["有房产", "企业主"], evidence={}))
    db.add(CustomerProfile(customer_id=neither.id, tags=["有车辆"], evidence={}))
    for customer in (by_hand, both):
        db.add(CustomerTag(customer_id=customer.id, tag_id=tag.id, source="wecom_manual"))
    db.commit()

    found = customer_service.search(db, admin, sort="-created_at",
                                    any_of=tagging_service.tagged_conditions(db, "有房产"))
    assert [c.id for c in found.rows] == [both.id, by_hand.id, in_profile.id]
    assert (found.total, found.estimated) == (3, False)
    # page by page, still once each
    assert _pages(db, admin, 1, sort="created_at", any_of=tagging_service.tagged_conditions(db, "有房产")) == [
        in_profile.id, by_hand.id, both.id]
    assert customer_service.search(db, admin, any_of=tagging_service.tagged_conditions(db, "无此标签")).total == 0


def test_past_the_exact_bound_postgresql_estimates_and_sqlite_counts(committed_any, admin, monkeypatch, request):
    db = committed_any
    for _ in range(9):
        make_customer(db, owner=admin)
    db.commit()
    monkeypatch.setattr(scrm_db, "EXACT_COUNT_UP_TO", 4)

    first = customer_service.search(db, admin, page=1, page_size=2)
    if request.node.callspec.params["committed_any"] == "postgresql":
        # the planner's figure, never below what was counted exactly
        assert first.estimated and first.total >= 5
    else:
        assert (first.total, first.estimated) == (9, False)
    # the last page knows the exact number without counting again
    last = customer_service.search(db, admin, page=5, page_size=2)
    assert len(last.rows) == 1 and (last.total, last.estimated) == (9, False)
    # under the bound, an exact count
    assert customer_service.search(db, admin, stage=Stage.lead, page_size=2, q="不存在").total == 0


def test_names_are_found_by_their_start_when_short_and_anywhere_when_long(committed_any, admin):
    db = committed_any
    zhang_san = make_customer(db, owner=admin, name="张三")
    zhang_sanfeng = make_customer(db, owner=admin, name="张三丰")
    li_zhangsan = make_customer(db, owner=admin, name="李张三")
    db.commit()

    def found(q: str) -> set[int]:
        return {c.id for c in customer_service.search(db, admin, q=q, page_size=50).rows}

    assert found("张") == found("张三") == {zhang_san.id, zhang_sanfeng.id}
    assert found("张三丰") == {zhang_sanfeng.id}
    assert found("李张三") == {li_zhangsan.id}
    assert found("张三 ") == {zhang_san.id, zhang_sanfeng.id}  # surrounding spaces are not part of the name


@pytest.mark.parametrize("q", ["张三", "客户0123"])
def test_postgresql_can_serve_name_search_from_the_trigram_index(db, q):
    """The plan, not a timing: with sequential scans priced out, the list's name filter is answered through the
    trigram index for a two-character name (by its start) and for longer text (anywhere)."""
    admin = make_employee(db, role=Role.admin)
    db.flush()
    db.execute(text("SET LOCAL enable_seqscan = off"))
    pattern = f"{q}%" if len(q) < SHORT_NAME else f"%{q}%"
    plan = "\n".join(db.scalars(text("EXPLAIN SELECT id FROM customer WHERE name ILIKE :p"), {"p": pattern}))
    assert "ix_customer_name_trgm" in plan, plan
    assert customer_service.search(db, admin, q=q).total == 0
