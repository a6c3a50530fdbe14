"""Every WeCom event the product handles, sent by the sandbox as signed, encrypted callbacks to the
service over HTTP, processed by the real handlers (inline jobs), checked in our records."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from scrm.channels.models import Channel, ChannelKind
from scrm.core.db import session_scope
from scrm.core.events import OutboxEvent
from scrm.customers.models import Customer, CustomerFollow, CustomerStatus, FollowStatus, TimelineEntry
from scrm.groups.models import CustomerGroup, GroupMember
from scrm.ingress import tasks
from scrm.ingress.models import InboxEvent, InboxStatus
from scrm.org import service as org_service
from scrm.org.models import Department, Employee, EmployeeStatus
from scrm.tagging.models import CustomerTag, Tag
from scrm.wecom.client import get_client


@pytest.fixture
def team(db, sandbox_wecom, live_service):
    sandbox_wecom.seed_department(2, "济南中心")
    sandbox_wecom.seed_department(3, "营销一部", parent_id=2)
    for userid, name in [("zhangsan", "张三"), ("lisi", "李四"), ("wangwu", "王五")]:
        sandbox_wecom.seed_user(userid, name, department=[3])
    sandbox_wecom.seed_tag_group("资产资质", ["有房产", "有车辆"])
    org_service.sync_from_wecom(db, get_client())
    db.flush()
    return {e.wecom_userid: e for e in db.scalars(select(Employee)).all()}


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def customer_of(db, external_userid: str) -> Customer:
    return db.scalars(select(Customer).where(Customer.wecom_external_userid == external_userid)).one()


def test_add_creates_a_lead_with_owner_channel_phone_and_one_welcome(db, sandbox_wecom, team):
    db.add(Channel(name="地铁海报", kind=ChannelKind.poster, state="poster-metro", team_employee_ids=[],
                   welcome={"text": {"content": "欢迎咨询房抵贷"}}))
    db.flush()
    sent = sandbox_wecom.contact_added("zhangsan", name="赵六", state="poster-metro",
                                       remark_mobiles=["13912345678"])
    assert sent.delivery.ok and sent.delivery.attempts == 1
    customer = customer_of(db, sent.fields["ExternalUserID"])
    assert customer.owner_id == team["zhangsan"].id
    assert db.get(Channel, customer.channel_id).state == "poster-metro"
    assert customer.phone == "13912345678"
    welcomes = sandbox_wecom.welcome_messages
    assert len(welcomes) == 1 and "欢迎咨询房抵贷" in str(welcomes[0])
    assert db.get(InboxEvent, db.scalar(select(func.max(InboxEvent.id)))).status == InboxStatus.done


def test_same_callback_three_times_is_one_customer_and_one_timeline_entry(db, sandbox_wecom, team):
    sent = sandbox_wecom.contact_added("zhangsan", name="钱七", welcome_code=False)
    for _ in range(2):
        assert sandbox_wecom.send(sent.fields).ok
    customer = customer_of(db, sent.fields["ExternalUserID"])
    assert count(db, Customer) == 1
    assert count(db, InboxEvent) == 1
    assert count(db, TimelineEntry, TimelineEntry.customer_id == customer.id, TimelineEntry.kind == "created") == 1


def test_two_customers_added_to_one_salesperson_in_the_same_second_are_both_kept(db, sandbox_wecom, team):
    first = sandbox_wecom.contact_added("lisi", name="客户甲", welcome_code=False)
    second = sandbox_wecom.contact_added("lisi", name="客户乙", welcome_code=False)
    assert first.fields["ExternalUserID"] != second.fields["ExternalUserID"]
    assert count(db, Customer, Customer.owner_id == team["lisi"].id) == 2


def test_edit_updates_phone_and_hand_set_tags(db, sandbox_wecom, team):
    sent = sandbox_wecom.contact_added("zhangsan", name="孙八", welcome_code=False)
    ext = sent.fields["ExternalUserID"]
    sandbox_wecom.contact_edited("zhangsan", ext, remark_mobiles=["13700001111"], add_tags=["有房产"])
    customer = customer_of(db, ext)
    assert customer.phone == "13700001111"
    tag_names = db.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                           .where(CustomerTag.customer_id == customer.id)).all()
    assert tag_names == ["有房产"]
    sandbox_wecom.contact_edited("zhangsan", ext, remove_tags=["有房产"])
    assert count(db, CustomerTag, CustomerTag.customer_id == customer.id) == 0


def test_half_added_contact_is_recorded(db, sandbox_wecom, team):
    sent = sandbox_wecom.contact_added("wangwu", name="半加客户", half=True)
    customer = customer_of(db, sent.fields["ExternalUserID"])
    assert customer.owner_id == team["wangwu"].id
    kinds = db.scalars(select(TimelineEntry.kind).where(TimelineEntry.customer_id == customer.id)).all()
    assert "half_added" in kinds


def test_deletions_in_both_directions(db, sandbox_wecom, team):
    a = sandbox_wecom.contact_added("zhangsan", name="删客户", welcome_code=False).fields["ExternalUserID"]
    b = sandbox_wecom.contact_added("lisi", name="删员工", welcome_code=False).fields["ExternalUserID"]
    sandbox_wecom.contact_deleted("zhangsan", a)
    sandbox_wecom.follow_user_deleted("lisi", b)
    follow_a = db.scalars(select(CustomerFollow).where(CustomerFollow.customer_id == customer_of(db, a).id)).one()
    follow_b = db.scalars(select(CustomerFollow).where(CustomerFollow.customer_id == customer_of(db, b).id)).one()
    assert follow_a.status == FollowStatus.deleted_by_staff
    assert follow_b.status == FollowStatus.deleted_by_customer
    assert customer_of(db, a).status == CustomerStatus.gone


def test_transfer_fail_is_on_the_timeline(db, sandbox_wecom, team):
    ext = sandbox_wecom.contact_added("zhangsan", name="转接失败", welcome_code=False).fields["ExternalUserID"]
    sandbox_wecom.send({"ToUserName": sandbox_wecom.corp.corp_id, "FromUserName": "sys", "CreateTime": 1700000001,
                        "MsgType": "event", "Event": "change_external_contact", "ChangeType": "transfer_fail",
                        "FailReason": "customer_refused", "UserID": "lisi", "ExternalUserID": ext})
    entries = db.scalars(select(TimelineEntry).where(TimelineEntry.customer_id == customer_of(db, ext).id)).all()
    failed = [e for e in entries if e.kind == "transfer_failed"]
    assert len(failed) == 1 and failed[0].data["fail_reason"] == "customer_refused"


def test_group_create_update_and_dismiss(db, sandbox_wecom, team):
    ext = sandbox_wecom.contact_added("zhangsan", name="群成员", welcome_code=False).fields["ExternalUserID"]
    chat_id = sandbox_wecom.group_created("zhangsan", "房抵贷A级群", members=[ext]).fields["ChatId"]
    group = db.scalars(select(CustomerGroup).where(CustomerGroup.chat_id == chat_id)).one()
    assert group.owner_employee_id == team["zhangsan"].id and group.name == "房抵贷A级群"
    member = db.scalars(select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.member_type == 2)).one()
    assert member.customer_id == customer_of(db, ext).id
    sandbox_wecom.group_renamed(chat_id, "房抵贷A级二群")
    sandbox_wecom.group_members_left(chat_id, [ext])
    db.refresh(group)
    assert group.name == "房抵贷A级二群"
    assert count(db, GroupMember, GroupMember.group_id == group.id, GroupMember.member_type == 2) == 0
    sandbox_wecom.group_dismissed(chat_id)
    db.refresh(group)
    assert group.dismissed


def test_tag_catalogue_follows_wecom(db, sandbox_wecom, team):
    sandbox_wecom.tag_created("资产资质", "有保单")
    assert db.scalars(select(Tag).where(Tag.name == "有保单")).one().deleted is False
    tag_id = sandbox_wecom.tag_id("有保单")
    sandbox_wecom.tag_updated(tag_id, name="有寿险保单")
    assert db.scalars(select(Tag).where(Tag.wecom_tag_id == tag_id)).one().name == "有寿险保单"
    sandbox_wecom.tag_deleted(tag_id)
    assert db.scalars(select(Tag).where(Tag.wecom_tag_id == tag_id)).one().deleted is True
    sandbox_wecom.tags_shuffled()
    assert count(db, InboxEvent, InboxEvent.kind == "event:change_external_tag:shuffle",
                 InboxEvent.status == InboxStatus.done) == 1


def test_contact_changes_create_update_and_depart_staff(db, sandbox_wecom, team):
    sandbox_wecom.party_created(4, "营销二部", parent_id=2)
    sandbox_wecom.user_created("zhaoliu", "赵六", department=[4])
    employee = db.scalars(select(Employee).where(Employee.wecom_userid == "zhaoliu")).one()
    assert employee.name == "赵六"
    assert db.get(Department, employee.department_id).name == "营销二部"
    sandbox_wecom.user_updated("zhaoliu", name="赵六六")
    db.refresh(employee)
    assert employee.name == "赵六六"
    sandbox_wecom.user_deleted("zhaoliu")
    db.refresh(employee)
    assert employee.status == EmployeeStatus.departed
    assert count(db, OutboxEvent, OutboxEvent.name == "employee.departed") == 1
    sandbox_wecom.party_updated(4, name="营销二部(新)")
    assert db.scalars(select(Department).where(Department.wecom_id == 4)).one().name == "营销二部(新)"
    sandbox_wecom.party_deleted(4)
    assert db.scalars(select(Department).where(Department.wecom_id == 4)).one().deleted is True


def test_duplicate_phone_across_salespeople_tells_the_second_who_owns_it(db, sandbox_wecom, team):
    sandbox_wecom.contact_added("zhangsan", name="老客户", remark_mobiles=["13811112222"], welcome_code=False)
    sandbox_wecom.contact_added("lisi", name="老客户小号", remark_mobiles=["13811112222"], welcome_code=False)
    owners = db.scalars(select(Customer).where(Customer.phone_hash.is_not(None))).all()
    assert len(owners) == 1 and owners[0].owner_id == team["zhangsan"].id
    notices = [m for m in sandbox_wecom.messages if "lisi" in m["touser"]]
    assert len(notices) == 1 and "张三" in str(notices[0])


def test_replaying_the_whole_inbox_changes_nothing(db, sandbox_wecom, team):
    ext = sandbox_wecom.contact_added("zhangsan", name="重放", remark_mobiles=["13600001234"]).fields["ExternalUserID"]
    sandbox_wecom.contact_added("lisi", external_userid=ext, welcome_code=False)
    sandbox_wecom.contact_edited("zhangsan", ext, add_tags=["有车辆"])
    sandbox_wecom.group_created("lisi", "复贷群", members=[ext])
    sandbox_wecom.follow_user_deleted("lisi", ext)

    def snapshot():
        return {m.__name__: count(db, m) for m in (Customer, CustomerFollow, TimelineEntry, CustomerTag,
                                                   CustomerGroup, GroupMember, OutboxEvent)} | {
            "welcomes": len(sandbox_wecom.welcome_messages)}

    before = snapshot()
    db.execute(update(InboxEvent).values(status=InboxStatus.received))
    ids = db.scalars(select(InboxEvent.id).order_by(InboxEvent.id)).all()
    for inbox_id in ids:
        tasks.process_inbox(inbox_id)
    assert snapshot() == before
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status != InboxStatus.done)) == 0


def test_what_salespeople_write_in_wecom_and_follow_ups_feeds_the_profile(db, sandbox_wecom, team):
    from scrm.customers import service as customer_service
    from scrm.tagging import service as tagging_service

    ext = sandbox_wecom.contact_added("zhangsan", name="画像客户", welcome_code=False).fields["ExternalUserID"]
    sandbox_wecom.contact_edited("zhangsan", ext, description="客户在济南，想做房抵贷，大概80万")
    customer = customer_of(db, ext)
    profile = tagging_service.get_profile(db, customer.id)
    assert (profile.product, profile.amount_fen, profile.city) == ("房抵贷", 80_000_000, "济南")
    customer_service.add_follow_up(db, customer, employee_id=team["zhangsan"].id, kind="call",
                                   content="客户改口了，想要120万，分5年")
    db.commit()  # the follow-up's event is delivered after commit
    db.refresh(profile)
    assert (profile.amount_fen, profile.term_months) == (120_000_000, 60)
