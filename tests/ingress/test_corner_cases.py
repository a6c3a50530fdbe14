"""WeCom's own corner cases, each built from the event or answer WeCom publishes (the source is quoted
beside it), sent to the served service as signed, encrypted callbacks and checked in our records. The
sandbox WeCom is checked against the same documents."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from scrm.channels.models import Channel, ChannelKind
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerFollow, CustomerStatus, FollowStatus, TimelineEntry
from scrm.ingress import service as ingress_service
from scrm.ingress import tasks as ingress_tasks
from scrm.ingress.models import InboxEvent, InboxStatus
from scrm.org.models import Role
from scrm.sandbox.wecom.state import FOLLOW_USER_PAGE
from scrm.tagging.models import CustomerTag, Tag
from scrm.wecom import callback
from scrm.wecom.client import get_client
from tests.factories.org import make_employee

# 删除企业客户事件, https://developer.work.weixin.qq.com/document/path/92130 ("Source: 删除客户的操作来源，
# DELETE_BY_TRANSFER表示此客户是因在职继承自动被转接成员删除"), the event sample as published:
DEL_EXTERNAL_CONTACT = """<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>1403610513</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[change_external_contact]]></Event>
<ChangeType><![CDATA[del_external_contact]]></ChangeType>
<UserID><![CDATA[zhangsan]]></UserID>
<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACH71w]]></ExternalUserID>
<Source><![CDATA[DELETE_BY_TRANSFER]]></Source>
</xml>"""

# 添加企业客户事件, same page (https://developer.work.weixin.qq.com/document/path/92130), as published:
ADD_EXTERNAL_CONTACT = """<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>1403610513</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[change_external_contact]]></Event>
<ChangeType><![CDATA[add_external_contact]]></ChangeType>
<UserID><![CDATA[zhangsan]]></UserID>
<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
<State><![CDATA[teststate]]></State>
<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode>
</xml>"""
SAMPLE_EXTERNALS = ("woAJ2GCAAAXtWyujaWJHDDGi0mACH71w", "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA")


def documented(sample: str, *, external_userid: str, userid: str = "zhangsan", state: str | None = None,
               welcome_code: bool = False) -> str:
    """The published sample with our ids in it, the corp as addressee and a time of now (the sample's time
    would make every test's event the same event)."""
    xml = sample.replace("toUser", get_client().corp_id).replace("1403610513", str(int(time.time())))
    for sample_id in SAMPLE_EXTERNALS:
        xml = xml.replace(sample_id, external_userid)
    xml = xml.replace("<![CDATA[zhangsan]]>", f"<![CDATA[{userid}]]>")
    if state is not None:
        xml = xml.replace("teststate", state)
    if not welcome_code:
        xml = xml.replace("<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode>\n", "")
    return xml


def customer_of(db, external_userid: str) -> Customer:
    db.expire_all()
    return db.scalars(select(Customer).where(Customer.wecom_external_userid == external_userid)).one()


def follows(db, customer: Customer) -> dict[int, FollowStatus]:
    return {f.employee_id: f.status for f in db.scalars(select(CustomerFollow).where(
        CustomerFollow.customer_id == customer.id))}


def last_inbox(db) -> InboxEvent:
    db.expire_all()
    return db.get(InboxEvent, db.scalar(select(func.max(InboxEvent.id))))


def channel(db, state: str, **kw) -> Channel:
    row = Channel(name="地铁海报", kind=ChannelKind.poster, state=state, team_employee_ids=[], **kw)
    db.add(row)
    db.flush()
    return row


def stats_of(db, channel_id: int):
    admin = make_employee(db, "管理员", role=Role.admin)
    return next(s for s in customer_service.channel_stats(db, admin) if s.channel_id == channel_id)


# ------------------------------------------------------------------ 1. DELETE_BY_TRANSFER is a transfer


def test_the_sandbox_sends_the_documented_transfer_deletion_and_no_add_for_an_api_transfer(sandbox_wecom, team):
    """An on-job transfer started through the API: the giver's deletion carries Source DELETE_BY_TRANSFER with
    the documented fields, and the taker gets no add event ("通过API进行的操作不会产生回调", 92130)."""
    ext = sandbox_wecom.seed_external_contact("赵六", ["zhangsan"])
    get_client().transfer.transfer_customer("zhangsan", "lisi", [ext])
    sent = sandbox_wecom.complete_transfers(1, taker_add_event=False)
    assert [e.fields["ChangeType"] for e in sent] == ["del_external_contact"]
    assert set(sent[0].fields) == set(callback.parse_xml(DEL_EXTERNAL_CONTACT))
    assert (sent[0].fields["UserID"], sent[0].fields["Source"]) == ("zhangsan", "DELETE_BY_TRANSFER")
    assert [f["userid"] for f in sandbox_wecom.contact(ext)["follow_user"]] == ["lisi"]


def test_an_onjob_transfer_with_no_add_event_is_recorded_as_a_transfer_to_the_taker(db, sandbox_wecom, team):
    via = channel(db, "poster-metro")
    sent = sandbox_wecom.contact_added("zhangsan", name="赵六", state="poster-metro", welcome_code=False)
    ext = sent.fields["ExternalUserID"]
    assert stats_of(db, via.id).adds == 1
    # moved in WeCom (here through the API; the admin console does the same), no case of ours behind it
    get_client().transfer.transfer_customer("zhangsan", "lisi", [ext])
    (deletion,) = sandbox_wecom.complete_transfers(1, taker_add_event=False)
    assert deletion.delivery.ok and deletion.fields["Source"] == "DELETE_BY_TRANSFER"

    customer = customer_of(db, ext)
    assert customer.status == CustomerStatus.active and customer.owner_id == team["lisi"].id
    assert follows(db, customer) == {team["zhangsan"].id: FollowStatus.transferred,
                                     team["lisi"].id: FollowStatus.active}
    kinds = {e.kind: e.summary for e in customer_service.list_timeline(db, customer.id)}
    assert kinds["follow_transferred"] == "客户由 张三 转接给 李四（在职继承）"
    assert "follow_ended" not in kinds and "gone" not in kinds
    assert not any("删除了客户" in s for s in kinds.values())
    assert stats_of(db, via.id).deletions == 0
    assert last_inbox(db).status == InboxStatus.done


def test_the_published_transfer_deletion_never_makes_the_customer_gone(db, sandbox_wecom, team):
    """The sample exactly as published, WeCom still listing the giver (its list lags the event): the follow
    ends as transferred, to an unknown colleague, and the customer stays."""
    via = channel(db, "poster-metro")
    ext = sandbox_wecom.contact_added("zhangsan", name="钱七", state="poster-metro",
                                      welcome_code=False).fields["ExternalUserID"]
    assert sandbox_wecom.send(documented(DEL_EXTERNAL_CONTACT, external_userid=ext)).ok
    customer = customer_of(db, ext)
    assert customer.status == CustomerStatus.active
    assert follows(db, customer) == {team["zhangsan"].id: FollowStatus.transferred}
    entry = db.scalars(select(TimelineEntry).where(TimelineEntry.customer_id == customer.id,
                                                   TimelineEntry.kind == "follow_transferred")).one()
    assert entry.summary == "客户已由 张三 转接给其他成员（在职继承）"
    assert stats_of(db, via.id).deletions == 0


def test_a_plain_deletion_is_still_a_deletion(db, sandbox_wecom, team):
    via = channel(db, "poster-metro")
    ext = sandbox_wecom.contact_added("zhangsan", name="孙八", state="poster-metro",
                                      welcome_code=False).fields["ExternalUserID"]
    plain = documented(DEL_EXTERNAL_CONTACT, external_userid=ext).replace(
        "<Source><![CDATA[DELETE_BY_TRANSFER]]></Source>\n", "")
    sandbox_wecom.corp.contacts[ext].follows.clear()
    assert sandbox_wecom.send(plain).ok
    customer = customer_of(db, ext)
    assert customer.status == CustomerStatus.gone
    assert follows(db, customer) == {team["zhangsan"].id: FollowStatus.deleted_by_staff}
    assert stats_of(db, via.id).deletions == 1


# ------------------------------------------------------------------ 3. follow_user comes in pages


def test_externalcontact_get_pages_follow_user_at_500_and_the_client_reads_every_page(sandbox_wecom, team):
    """获取客户详情 https://developer.work.weixin.qq.com/document/path/92114: "当客户在企业内的跟进人超过500人时
    需要使用cursor参数进行分页获取"; its answer sample ends with "next_cursor":"NEXT_CURSOR"."""
    assert FOLLOW_USER_PAGE == 500 and sandbox_wecom.corp.follow_user_page_size == 500
    staff = [f"sales{i:03d}" for i in range(501)]
    for userid in staff:
        sandbox_wecom.seed_user(userid, userid)
    ext = sandbox_wecom.seed_external_contact("大客户", staff)
    client = get_client()
    first = client.contact_detail.get(ext)
    assert len(first["follow_user"]) == 500 and first["next_cursor"]
    last = client.contact_detail.get(ext, cursor=first["next_cursor"])
    assert [f["userid"] for f in last["follow_user"]] == ["sales500"] and last["next_cursor"] == ""
    every = client.contact_detail.get_all(ext)
    assert [f["userid"] for f in every["follow_user"]] == staff
    assert every["external_contact"]["external_userid"] == ext


def test_the_add_handler_merges_every_page_of_followers(db, sandbox_wecom, team, monkeypatch):
    monkeypatch.setattr(sandbox_wecom.corp, "follow_user_page_size", 2)  # three followers, two pages
    ext = sandbox_wecom.seed_external_contact("周九", ["lisi", "wangwu", "zhangsan"])
    assert sandbox_wecom.send(documented(ADD_EXTERNAL_CONTACT, external_userid=ext, state="")).ok
    assert sandbox_wecom.call_count("externalcontact/get") == 2
    customer = customer_of(db, ext)
    assert follows(db, customer) == {team[u].id: FollowStatus.active for u in ("zhangsan", "lisi", "wangwu")}


# ------------------------------------------------------------------ 4. a channel's auto tags


def test_a_customer_added_through_a_channel_gets_its_auto_tags_in_wecom_and_here(db, sandbox_wecom, team):
    """编辑客户企业标签 https://developer.work.weixin.qq.com/document/path/92118 (request sample: "userid",
    "external_userid", "add_tag":["TAGID1","TAGID2"]); the channel's State arrives in the add event."""
    tags = sandbox_wecom.seed_tag_group("来源", ["地铁广告", "线下活动"])["tags"]
    via = channel(db, "poster-metro", auto_tags=[tags["地铁广告"], tags["线下活动"]])
    ext = sandbox_wecom.seed_external_contact("吴十", [{"userid": "zhangsan", "state": "poster-metro"}])
    assert sandbox_wecom.send(documented(ADD_EXTERNAL_CONTACT, external_userid=ext, state="poster-metro")).ok

    (call,) = sandbox_wecom.request_log("externalcontact/mark_tag")
    assert call["body"]["userid"] == "zhangsan" and call["body"]["external_userid"] == ext
    assert call["body"]["add_tag"] == [tags["地铁广告"], tags["线下活动"]]
    (follow,) = sandbox_wecom.contact(ext)["follow_user"]
    assert {t["tag_id"] for t in follow["tags"]} == {tags["地铁广告"], tags["线下活动"]}
    customer = customer_of(db, ext)
    assert customer.channel_id == via.id
    local = db.scalars(select(Tag.wecom_tag_id).join(CustomerTag, CustomerTag.tag_id == Tag.id).where(
        CustomerTag.customer_id == customer.id, CustomerTag.source == "channel")).all()
    assert sorted(local) == sorted([tags["地铁广告"], tags["线下活动"]])


def test_no_state_no_auto_tags(db, sandbox_wecom, team):
    tags = sandbox_wecom.seed_tag_group("来源", ["地铁广告"])["tags"]
    channel(db, "poster-metro", auto_tags=[tags["地铁广告"]])
    ext = sandbox_wecom.seed_external_contact("郑一", ["zhangsan"])
    assert sandbox_wecom.send(documented(ADD_EXTERNAL_CONTACT, external_userid=ext, state="")).ok
    assert sandbox_wecom.request_log("externalcontact/mark_tag") == []


# ------------------------------------------------------------------ 5. permanent errors are not retried


@pytest.mark.parametrize("errcode", [84061, 40096])
def test_a_permanent_wecom_error_abandons_the_event_at_once(db, sandbox_wecom, team, errcode):
    """全局错误码 https://developer.work.weixin.qq.com/document/path/90313: 84061 不存在外部联系人的关系,
    40096 不合法的外部联系人userid. WeCom answers the same on every try, so the sweep does not take it again."""
    if errcode == 84061:  # the customer exists, but nobody in the corp follows them any more
        ext = sandbox_wecom.seed_external_contact("王二", [])
    else:
        ext = "wmNoSuchCustomerAtAll"
    assert sandbox_wecom.send(documented(ADD_EXTERNAL_CONTACT, external_userid=ext, state="")).ok
    row = last_inbox(db)
    assert (row.status, row.attempts) == (InboxStatus.abandoned, 1)
    assert f"errcode {errcode}" in row.error
    assert sandbox_wecom.call_count("externalcontact/get") == 1
    assert row.id not in ingress_service.stale_inbox_ids(db, older_than_s=-60)


def test_a_transient_wecom_error_keeps_the_event_for_the_sweep(db, sandbox_wecom, team):
    """-1 系统繁忙 (90313): retried by the client, then left ``failed`` for the stale-inbox sweep."""
    ext = sandbox_wecom.seed_external_contact("李三", ["zhangsan"])
    sandbox_wecom.inject("externalcontact/get", errcode=-1, times=1000)
    assert sandbox_wecom.send(documented(ADD_EXTERNAL_CONTACT, external_userid=ext, state="")).ok
    row = last_inbox(db)
    assert row.status == InboxStatus.failed and "errcode -1" in row.error
    assert row.id in ingress_service.stale_inbox_ids(db, older_than_s=-60)
    sandbox_wecom.clear_faults()
    assert ingress_tasks.process_inbox(row.id) == "done"
    assert last_inbox(db).status == InboxStatus.done
