"""The contract the WeCom handlers call: upsert, end_follow, half-added, transfer failure."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scrm.channels.models import Channel, ChannelKind
from scrm.customers import service as customer_service
from scrm.customers.models import (Customer, CustomerFollow, CustomerSource, CustomerStatus, DuplicateContact,
                                   FollowStatus, TimelineEntry)
from scrm.customers.schemas import ContactInfo, FollowInfo
from scrm.customers.service.common import follows_of
from tests.factories.common import at, events_named
from tests.factories.customers import make_customer, phone
from tests.factories.org import make_employee


def timeline(db, customer_id: int) -> list[TimelineEntry]:
    db.flush()
    return list(db.scalars(select(TimelineEntry).where(TimelineEntry.customer_id == customer_id)
                           .order_by(TimelineEntry.id)))


def follows(db, customer_id: int) -> dict[int, CustomerFollow]:
    return {f.employee_id: f for f in follows_of(db, customer_id)}


def test_same_event_twice_makes_one_customer_and_one_timeline_entry(db):
    sales = make_employee(db, "张三")
    contact = ContactInfo("wm_ext_1", "王先生", avatar="https://a/1.png", gender=1)
    follow = FollowInfo(sales.wecom_userid, remark="王总 房抵", added_at=at(0))

    first = customer_service.upsert_wecom_contact(db, contact, [follow], event_key="evt-1",
                                                  actor_userid=sales.wecom_userid)
    again = customer_service.upsert_wecom_contact(db, contact, [follow], event_key="evt-1",
                                                  actor_userid=sales.wecom_userid)

    assert first.created and not again.created
    assert first.customer.id == again.customer.id
    assert db.scalar(select(func.count()).select_from(Customer)
                     .where(Customer.wecom_external_userid == "wm_ext_1")) == 1
    entries = timeline(db, first.customer.id)
    assert [e.kind for e in entries] == ["created"]
    assert entries[0].source_key == "evt-1" and entries[0].actor_employee_id == sales.id
    customer = first.customer
    assert (customer.name, customer.owner_id, customer.source) == ("王先生", sales.id, CustomerSource.wecom)
    assert customer.assigned_at is not None
    assert len(events_named(db, "customer.created")) == 1


def test_an_edit_event_records_what_changed_once(db):
    sales = make_employee(db)
    contact = ContactInfo("wm_ext_edit", "小李")
    customer_service.upsert_wecom_contact(db, contact, [FollowInfo(sales.wecom_userid, added_at=at(0))],
                                          event_key="add")
    edited = [FollowInfo(sales.wecom_userid, remark="李女士 车抵", added_at=at(0))]
    result = customer_service.upsert_wecom_contact(db, ContactInfo("wm_ext_edit", "李女士"), edited, event_key="edit")
    customer_service.upsert_wecom_contact(db, ContactInfo("wm_ext_edit", "李女士"), edited, event_key="edit")
    # a different event with nothing new adds nothing either
    customer_service.upsert_wecom_contact(db, ContactInfo("wm_ext_edit", "李女士"), edited, event_key="edit-2")

    entries = timeline(db, result.customer.id)
    assert [e.kind for e in entries] == ["created", "updated"]
    assert "昵称" in entries[1].summary and "备注" in entries[1].summary
    assert follows(db, result.customer.id)[sales.id].remark == "李女士 车抵"


def test_two_salespeople_adding_the_same_person_make_one_customer_with_two_follows(db):
    first, second = make_employee(db, "张三"), make_employee(db, "李四")
    contact = ContactInfo("wm_shared", "赵女士")
    customer_service.upsert_wecom_contact(
        db, contact, [FollowInfo(first.wecom_userid, added_at=at(0))], event_key="add-1")
    result = customer_service.upsert_wecom_contact(
        db, contact, [FollowInfo(first.wecom_userid, added_at=at(0)), FollowInfo(second.wecom_userid, added_at=at(5))],
        event_key="add-2", actor_userid=second.wecom_userid)

    assert not result.created
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.wecom_external_userid == "wm_shared")) == 1
    assert set(follows(db, result.customer.id)) == {first.id, second.id}
    assert result.customer.owner_id == first.id  # the follow that added first owns the customer


def test_first_owner_is_the_earliest_follow_even_when_listed_second(db):
    late, early = make_employee(db), make_employee(db)
    result = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_order", "钱先生"),
        [FollowInfo(late.wecom_userid, added_at=at(30)), FollowInfo(early.wecom_userid, added_at=at(10))],
        event_key="e")
    assert result.customer.owner_id == early.id


def test_unknown_staff_is_skipped_not_fatal(db, caplog):
    sales = make_employee(db)
    result = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_unknown", "孙先生"),
        [FollowInfo("nobody-here", added_at=at(0)), FollowInfo(sales.wecom_userid, added_at=at(1))], event_key="e")
    assert set(follows(db, result.customer.id)) == {sales.id}
    assert result.customer.owner_id == sales.id
    assert "nobody-here" in caplog.text


def test_channel_comes_from_the_state_and_first_touch_is_kept(db):
    sales, other = make_employee(db), make_employee(db)
    poster = Channel(name="地铁海报", kind=ChannelKind.poster, state="poster01", team_employee_ids=[sales.id])
    moments = Channel(name="朋友圈", kind=ChannelKind.moments, state="moments01", team_employee_ids=[other.id])
    db.add_all([poster, moments])
    db.flush()
    contact = ContactInfo("wm_channel", "周先生")
    result = customer_service.upsert_wecom_contact(
        db, contact, [FollowInfo(sales.wecom_userid, state="poster01", added_at=at(0))], event_key="a")
    assert result.customer.channel_id == poster.id
    result = customer_service.upsert_wecom_contact(
        db, contact, [FollowInfo(sales.wecom_userid, state="poster01", added_at=at(0)),
                      FollowInfo(other.wecom_userid, state="moments01", added_at=at(9))], event_key="b")
    assert result.customer.channel_id == poster.id
    assert follows(db, result.customer.id)[other.id].state == "moments01"


def test_remark_mobile_is_normalised_encrypted_and_hashed(db):
    from sqlalchemy import text

    sales = make_employee(db)
    result = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_phone", "吴先生"),
        [FollowInfo(sales.wecom_userid, remark_mobiles=["+86 139-0000-1234"], added_at=at(0))], event_key="e")
    customer = result.customer
    assert customer.phone == "13900001234" and customer.phone_tail == "1234"
    assert customer_service.find_by_phone(db, "13900001234").id == customer.id
    raw = db.execute(text("select phone from customer where id = :id"), {"id": customer.id}).scalar()
    assert "13900001234" not in raw


def test_duplicate_phone_across_salespeople_names_the_owner_and_emits_once(db):
    owner, second = make_employee(db, "张三"), make_employee(db, "李四")
    existing = make_customer(db, owner, "郑先生", phone=phone(1))
    follow = FollowInfo(second.wecom_userid, remark_mobiles=[phone(1)], added_at=at(0))

    result = customer_service.upsert_wecom_contact(db, ContactInfo("wm_dup", "郑先生"), [follow], event_key="dup-1")
    replay = customer_service.upsert_wecom_contact(db, ContactInfo("wm_dup", "郑先生"), [follow], event_key="dup-1")

    new = result.customer
    assert result.created and new.id != existing.id
    assert result.duplicate_owner_id == owner.id and replay.duplicate_owner_id == owner.id
    assert new.phone_hash is None  # the phone stays with its first owner
    assert customer_service.find_by_phone(db, phone(1)).id == existing.id
    assert new.owner_id == second.id
    payloads = events_named(db, "customer.duplicate_phone")
    assert payloads == [{"customer_id": existing.id, "owner_id": owner.id, "other_employee_id": second.id,
                         "other_customer_id": new.id}]
    dup_entries = [e for e in timeline(db, new.id) if e.kind == "duplicate_phone"]
    assert len(dup_entries) == 1 and "张三" in dup_entries[0].summary
    assert [e.kind for e in timeline(db, existing.id)] == ["duplicate_phone"]
    assert db.scalar(select(func.count()).select_from(DuplicateContact)) == 1


def test_phone_of_an_unowned_lead_links_the_wecom_contact_to_it(db):
    sales = make_employee(db)
    lead = make_customer(db, None, "冯女士", phone=phone(2))
    result = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_link", "冯女士"),
        [FollowInfo(sales.wecom_userid, remark_mobiles=[phone(2)], added_at=at(0))], event_key="e")
    assert not result.created and result.customer.id == lead.id
    assert result.customer.wecom_external_userid == "wm_link"
    assert result.customer.owner_id == sales.id
    assert result.duplicate_owner_id is None


def test_unionid_joins_the_mini_program_customer(db):
    sales = make_employee(db)
    mp = make_customer(db, None, "陈先生", source=CustomerSource.miniprogram, unionid="union-1", mp_openid="openid-1")
    result = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_union", "陈先生", unionid="union-1"), [FollowInfo(sales.wecom_userid, added_at=at(0))],
        event_key="e")
    assert not result.created and result.customer.id == mp.id
    customer = result.customer
    assert (customer.wecom_external_userid, customer.source, customer.owner_id) == (
        "wm_union", CustomerSource.miniprogram, sales.id)
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.unionid == "union-1")) == 1


def test_unionid_arriving_later_merges_two_records_into_the_older(db):
    sales = make_employee(db)
    mp = make_customer(db, None, "褚先生", source=CustomerSource.miniprogram, unionid="union-2", mp_openid="openid-2",
                       city="杭州")
    customer_service.add_follow_up(db, mp, employee_id=None, kind="note", content="小程序提交了申请")
    # WeCom did not give the unionid at first, so a separate record was made
    first = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_late_union", "褚"), [FollowInfo(sales.wecom_userid, added_at=at(0))], event_key="a")
    assert first.created and first.customer.id != mp.id
    wecom_id = first.customer.id

    result = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_late_union", "褚", unionid="union-2"), [FollowInfo(sales.wecom_userid, added_at=at(0))],
        event_key="b")

    kept = result.customer
    assert kept.id == mp.id
    assert (kept.wecom_external_userid, kept.unionid, kept.mp_openid, kept.city) == (
        "wm_late_union", "union-2", "openid-2", "杭州")
    assert kept.owner_id == sales.id
    dropped = db.get(Customer, wecom_id)
    assert dropped.status == CustomerStatus.merged and dropped.merged_into_id == mp.id
    assert set(follows(db, mp.id)) == {sales.id}
    assert len(customer_service.list_follow_ups(db, mp.id)) == 1
    assert "created" in [e.kind for e in timeline(db, mp.id)]  # the WeCom record's history came along
    assert events_named(db, "customer.merged") == [{"customer_id": mp.id, "merged_id": wecom_id}]


def test_end_follow_by_the_customer_moves_ownership_to_the_earliest_remaining(db):
    a, b, c = make_employee(db, "甲"), make_employee(db, "乙"), make_employee(db, "丙")
    contact = ContactInfo("wm_end", "卫先生")
    result = customer_service.upsert_wecom_contact(db, contact, [
        FollowInfo(a.wecom_userid, added_at=at(0)), FollowInfo(c.wecom_userid, added_at=at(20)),
        FollowInfo(b.wecom_userid, added_at=at(10))], event_key="add")
    customer = result.customer
    assert customer.owner_id == a.id

    customer_service.end_follow(db, "wm_end", a.wecom_userid, by_customer=True, event_key="del-a")
    customer_service.end_follow(db, "wm_end", a.wecom_userid, by_customer=True, event_key="del-a")  # replay

    assert follows(db, customer.id)[a.id].status == FollowStatus.deleted_by_customer
    assert customer.owner_id == b.id and customer.status == CustomerStatus.active
    kinds = [e.kind for e in timeline(db, customer.id)]
    assert kinds.count("follow_ended") == 1 and kinds.count("owner_changed") == 1
    assert events_named(db, "customer.owner_changed") == [
        {"customer_id": customer.id, "from_employee_id": a.id, "to_employee_id": b.id, "reason": "follow_ended"}]


def test_end_follow_by_staff_of_a_non_owner_keeps_the_owner(db):
    a, b = make_employee(db), make_employee(db)
    customer = customer_service.upsert_wecom_contact(db, ContactInfo("wm_end2", "蒋先生"), [
        FollowInfo(a.wecom_userid, added_at=at(0)), FollowInfo(b.wecom_userid, added_at=at(1))], event_key="add").customer
    customer_service.end_follow(db, "wm_end2", b.wecom_userid, by_customer=False, event_key="del-b")
    assert follows(db, customer.id)[b.id].status == FollowStatus.deleted_by_staff
    assert customer.owner_id == a.id and customer.status == CustomerStatus.active


def test_when_no_follow_remains_the_customer_is_gone_and_a_newer_add_brings_it_back(db):
    sales = make_employee(db)
    contact = ContactInfo("wm_gone", "沈先生")
    customer = customer_service.upsert_wecom_contact(
        db, contact, [FollowInfo(sales.wecom_userid, added_at=at(0))], event_key="add").customer
    customer_service.end_follow(db, "wm_gone", sales.wecom_userid, by_customer=False, event_key="del")
    assert customer.status == CustomerStatus.gone and customer.owner_id == sales.id

    # WeCom still lists a deleted salesperson with the old createtime: that is not a new add
    customer_service.upsert_wecom_contact(db, contact, [FollowInfo(sales.wecom_userid, added_at=at(0))],
                                          event_key="edit")
    assert customer.status == CustomerStatus.gone

    customer_service.upsert_wecom_contact(db, contact, [FollowInfo(sales.wecom_userid, added_at=at(600))],
                                          event_key="re-add")
    assert customer.status == CustomerStatus.active
    assert follows(db, customer.id)[sales.id].status == FollowStatus.active


def test_end_follow_for_unknown_contact_or_staff_does_nothing(db):
    sales = make_employee(db)
    assert customer_service.end_follow(db, "wm_never_seen", sales.wecom_userid, by_customer=True, event_key="x") is None
    customer = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_known", "韩先生"), [FollowInfo(sales.wecom_userid, added_at=at(0))], event_key="a").customer
    assert customer_service.end_follow(db, "wm_known", "ghost", by_customer=True, event_key="y") is customer
    assert customer.status == CustomerStatus.active


def test_half_added_and_transfer_failed_are_recorded_once(db):
    sales = make_employee(db, "杨六")
    customer = customer_service.upsert_wecom_contact(
        db, ContactInfo("wm_half", "朱先生"), [FollowInfo(sales.wecom_userid, added_at=at(0))], event_key="h").customer
    assert customer_service.mark_half_added(db, customer.id, sales.wecom_userid, event_key="h") is not None
    assert customer_service.mark_half_added(db, customer.id, sales.wecom_userid, event_key="h") is None

    entry = customer_service.record_transfer_failed(db, "wm_half", sales.wecom_userid, "customer_refused", "t-1")
    assert entry is not None and "客户拒绝" in entry.summary
    assert customer_service.record_transfer_failed(db, "wm_half", sales.wecom_userid, "customer_refused", "t-1") is None
    assert len(events_named(db, "customer.transfer_failed")) == 1
    assert follows(db, customer.id)[sales.id].status == FollowStatus.active


def test_add_timeline_ignores_a_repeated_source_key(db):
    customer = make_customer(db)
    assert customer_service.add_timeline(db, customer.id, "note", "一", source_key="k") is not None
    assert customer_service.add_timeline(db, customer.id, "note", "二", source_key="k") is None
    assert customer_service.add_timeline(db, customer.id, "note", "三") is not None
    assert customer_service.add_timeline(db, customer.id, "note", "四") is not None
    assert [e.summary for e in customer_service.list_timeline(db, customer.id)] == ["四", "三", "一"]


@pytest.mark.pure
def test_long_event_keys_get_distinct_short_source_keys():
    base = "x" * 80
    a, b = customer_service.source_key(base, "owner"), customer_service.source_key(base, "gone")
    assert len(a) <= 80 and len(b) <= 80 and a != b
