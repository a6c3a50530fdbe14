"""Tags to the sandbox WeCom: the app's own groups, batched mark_tag, hand-set tags left alone."""

from __future__ import annotations

from sqlalchemy import select

from scrm.customers.models import CustomerFollow, FollowStatus
from scrm.tagging import service
from scrm.tagging.models import CustomerTag, Tag, TagGroup
from tests.factories.customers import make_customer
from tests.factories.org import make_employee


def _wecom_customer(db, sandbox, employees, name, tags=()):
    ext = sandbox.seed_external_contact(name, [{"userid": e.wecom_userid, "tags": list(tags)} for e in employees])
    customer = make_customer(db, owner=employees[0], name=name, wecom_external_userid=ext)
    for e in employees:
        db.add(CustomerFollow(customer_id=customer.id, employee_id=e.id, status=FollowStatus.active))
    db.flush()
    return customer, ext


def _wecom_tag_names(sandbox, ext, userid):
    contact = sandbox.contact(ext)
    follow = next(f for f in contact["follow_user"] if f["userid"] == userid)
    return {t["tag_name"] for t in follow.get("tags") or []}


def test_manual_tags_survive_a_resync_and_only_app_tags_are_marked(committed_db, sandbox_wecom, wecom_client):
    db = committed_db
    sandbox_wecom.seed_user("zhangsan", "张三")
    sandbox_wecom.seed_tag_group("资产资质", ["有房产", "VIP"])  # made by staff in the admin console
    sales = make_employee(db, "张三", wecom_userid="zhangsan")
    customer, ext = _wecom_customer(db, sandbox_wecom, [sales], "王先生", tags=["VIP", "有房产"])
    service.refresh_catalogue(db, wecom_client)
    service.apply_wecom_tags(db, customer.id, {"zhangsan": [sandbox_wecom.tag_id("VIP"), sandbox_wecom.tag_id("有房产")]})
    db.commit()

    service.tag_text(db, customer.id, "没有房，有辆车，想做车抵贷，急用", source="message", source_key="m1")
    report = service.sync_wecom_tags(db, wecom_client, [customer.id])
    db.commit()
    assert report.calls == 1 and not report.failed
    # staff's group is not ours to edit: the app made its own, and every name is at most 30 characters
    ours = db.scalars(select(TagGroup).where(TagGroup.created_by_app.is_(True))).all()
    assert "资产资质（智能）" in {g.name for g in ours} and all(len(g.name) <= 30 for g in ours)
    on_wecom = _wecom_tag_names(sandbox_wecom, ext, "zhangsan")
    assert {"VIP", "有房产"} <= on_wecom  # hand-set, kept even though the text says 没有房
    assert {"有车辆", "车抵贷", "高意向"} <= on_wecom
    manual = db.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id).where(
        CustomerTag.customer_id == customer.id, CustomerTag.source == "wecom_manual")).all()
    assert set(manual) == {"VIP", "有房产"}

    # the customer changes their mind; a resync removes only the app's tag and leaves the manual ones
    sandbox_wecom.clear_request_log()
    service.tag_text(db, customer.id, "车卖了，不急了", source="message", source_key="m2")
    service.sync_wecom_tags(db, wecom_client, [customer.id])
    db.commit()
    [call] = sandbox_wecom.request_log("externalcontact/mark_tag")
    removed = set(call["body"]["remove_tag"])
    app_tag_ids = set(db.scalars(select(Tag.wecom_tag_id).where(Tag.created_by_app.is_(True))))
    assert removed <= app_tag_ids and sandbox_wecom.tag_id("VIP") not in removed
    on_wecom = _wecom_tag_names(sandbox_wecom, ext, "zhangsan")
    assert {"VIP", "有房产", "低意向", "车抵贷"} <= on_wecom and not {"有车辆", "高意向"} & on_wecom

    # nothing changed: no call at all
    sandbox_wecom.clear_request_log()
    assert service.sync_wecom_tags(db, wecom_client, [customer.id]).calls == 0
    assert sandbox_wecom.call_count("externalcontact/mark_tag") == 0
    assert sandbox_wecom.call_count("externalcontact/add_corp_tag") == 0


def test_mark_tag_is_one_call_per_follow_and_at_most_five_at_once(committed_db, sandbox_wecom, wecom_client):
    db = committed_db
    sandbox_wecom.mark_tag_latency_s = 0.05
    staff = []
    for userid in ("u1", "u2"):
        sandbox_wecom.seed_user(userid, userid)
        staff.append(make_employee(db, userid, wecom_userid=userid))
    customers = []
    for i in range(8):
        c, _ = _wecom_customer(db, sandbox_wecom, staff, f"客户{i}")
        service.tag_text(db, c.id, f"有房有车，社保交了两年，征信有逾期，想做房抵贷{i + 10}万，急用", source="message",
                         source_key=f"m{i}")
        customers.append(c)
    db.commit()
    sandbox_wecom.clear_request_log()
    report = service.sync_wecom_tags(db, wecom_client, [c.id for c in customers])
    db.commit()
    calls = sandbox_wecom.request_log("externalcontact/mark_tag")
    # every tag of a customer goes in one call per follow user: 8 customers x 2 follows
    assert report.calls == len(calls) == 16 and not report.failed
    assert all(len(c["body"]["add_tag"]) == 6 for c in calls)
    assert {(c["body"]["userid"], c["body"]["external_userid"]) for c in calls} == {
        (e.wecom_userid, c.wecom_external_userid) for c in customers for e in staff}
    assert 1 < sandbox_wecom.peak_concurrency("externalcontact/mark_tag") <= 5
    assert all(c["errcode"] in (0, None) for c in calls)
    local = db.scalars(select(CustomerTag).where(CustomerTag.source == "pipeline",
                                                 CustomerTag.customer_id.in_([c.id for c in customers]))).all()
    assert len(local) == 8 * 6
