"""Channel QR codes against the sandbox WeCom, welcome messages, and the numbers per channel."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from scrm.channels import service as channel_service
from scrm.channels import tasks as channel_tasks
from scrm.channels.models import Channel, ChannelKind, SyncStatus
from scrm.channels.schemas import ChannelUpdate
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.customers.schemas import ContactInfo, FollowInfo
from scrm.org.models import Department, Role
from tests.factories.common import at
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee

WELCOME = {
    "text": {"content": "您好，我是您的贷款顾问，房抵、信用、车抵都可以咨询～"},
    "attachments": [
        {"msgtype": "link", "link": {"title": "3 分钟测额度", "url": "https://example.com/quota",
                                     "picurl": "https://example.com/quota.png", "desc": "免费测算可贷额度"}},
        {"msgtype": "miniprogram", "miniprogram": {"title": "在线申请", "pic_media_id": "MEDIA_1",
                                                   "appid": "wx1234567890abcdef", "page": "/pages/apply.html"}},
    ],
}


@pytest.fixture
def team(db, sandbox_wecom):
    dept = make_department(db)
    members = [make_employee(db, f"顾问{i}", department=dept, wecom_userid=f"adviser{i}") for i in range(3)]
    for m in members:
        sandbox_wecom.seed_user(m.wecom_userid, m.name)
    manager = make_employee(db, "经理", role=Role.manager, department=dept)
    return manager, members


def way(wecom_client, config_id: str) -> dict:
    return wecom_client.external_contact.get_contact_way(config_id)["contact_way"]


def test_team_member_ids_no_row_can_have_are_a_422_naming_the_member_and_make_no_channel(db, client, team):
    """Found by API fuzzing on PostgreSQL: a team member id past 2^64 was refused by the database naming nothing."""
    manager, members = team
    for ids, field in (([-2311, 475894464142599913472], "team_employee_ids.0"),
                       ([members[0].id, 475894464142599913472], "team_employee_ids.1")):
        r = client.post("/api/channels", headers=auth(manager), json={"name": "海报", "team_employee_ids": ids})
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert db.query(Channel).count() == 0
    channel_id = client.post("/api/channels", headers=auth(manager),
                             json={"name": "海报", "team_employee_ids": [members[0].id]}).json()["id"]
    r = client.patch(f"/api/channels/{channel_id}", headers=auth(manager), json={"team_employee_ids": [2**63]})
    assert r.status_code == 422 and r.json()["field"] == "team_employee_ids.0", r.text


def test_manager_creates_a_multi_person_qr_code(db, client, team, wecom_client):
    manager, members = team
    r = client.post("/api/channels", headers=auth(manager), json={
        "name": "地铁二号线海报", "kind": "poster", "team_employee_ids": [members[0].id, members[1].id],
        "welcome": WELCOME, "auto_tags": ["et_tag_poster"]})
    assert r.status_code == 201, r.text
    db.expire_all()
    channel = db.get(Channel, r.json()["id"])
    assert channel.sync_status == SyncStatus.synced, channel.sync_error
    assert channel.qr_code_url and channel.wecom_config_id
    assert len(channel.state) <= 30
    remote = way(wecom_client, channel.wecom_config_id)
    assert (remote["type"], remote["scene"], remote["state"], remote["user"]) == (
        2, 2, channel.state, ["adviser0", "adviser1"])
    assert remote["qr_code"] == channel.qr_code_url
    assert channel_service.welcome_for_state(db, channel.state) == WELCOME


def test_single_member_makes_a_single_person_code_and_growing_the_team_replaces_it(db, team, wecom_client,
                                                                                    sandbox_wecom):
    manager, members = team
    channel = channel_service.create_channel(db, manager, name="朋友圈", kind="moments",
                                             team_employee_ids=[members[0].id], state="moments_0301")
    channel_tasks.sync_channel(channel.id)
    db.refresh(channel)
    first_id = channel.wecom_config_id
    assert way(wecom_client, first_id)["type"] == 1

    channel_service.update_channel(db, manager, channel.id, ChannelUpdate(team_employee_ids=[m.id for m in members]))
    channel_tasks.sync_channel(channel.id)
    db.refresh(channel)
    assert channel.wecom_config_id != first_id and channel.wecom_type == 2
    assert way(wecom_client, channel.wecom_config_id)["user"] == ["adviser0", "adviser1", "adviser2"]
    assert first_id not in sandbox_wecom.corp.contact_ways

    # same type: an update in place, the QR code stays
    second_id = channel.wecom_config_id
    channel_service.update_channel(db, manager, channel.id, ChannelUpdate(
        team_employee_ids=[members[2].id, members[0].id], name="朋友圈二月"))
    channel_tasks.sync_channel(channel.id)
    db.refresh(channel)
    assert channel.wecom_config_id == second_id
    remote = way(wecom_client, second_id)
    assert (remote["user"], remote["remark"]) == (["adviser2", "adviser0"], "朋友圈二月")


def test_deactivating_deletes_the_code_and_stops_the_welcome(db, client, team, wecom_client, sandbox_wecom):
    manager, members = team
    channel = channel_service.create_channel(db, manager, name="活动", kind="event",
                                             team_employee_ids=[members[0].id], welcome={"text": "欢迎"})
    channel_tasks.sync_channel(channel.id)
    db.refresh(channel)
    config_id = channel.wecom_config_id
    assert channel_service.welcome_for_state(db, channel.state) == {"text": {"content": "欢迎"}}

    r = client.post(f"/api/channels/{channel.id}/deactivate", headers=auth(manager))
    assert r.status_code == 200
    db.expire_all()
    channel = db.get(Channel, channel.id)
    assert (channel.active, channel.sync_status, channel.wecom_config_id) == (False, SyncStatus.deleted, None)
    assert config_id not in sandbox_wecom.corp.contact_ways
    assert channel_service.welcome_for_state(db, channel.state) is None
    assert channel_service.welcome_for_state(db, "no-such-state") is None
    # a second deactivation (or a replayed job) is harmless
    channel_tasks.sync_channel(channel.id)


def test_a_wecom_refusal_is_recorded_on_the_channel(db, team, sandbox_wecom):
    manager, members = team
    channel = channel_service.create_channel(db, manager, name="海报", kind="poster",
                                             team_employee_ids=[members[0].id])
    sandbox_wecom.inject("externalcontact/add_contact_way", errcode=40031, errmsg="invalid userid")
    with pytest.raises(Exception):
        channel_tasks.sync_channel(channel.id)
    db.expire_all()
    channel = db.get(Channel, channel.id)
    assert channel.sync_status == SyncStatus.failed and "40031" in channel.sync_error
    channel_tasks.sync_channel(channel.id)  # the retry succeeds
    db.expire_all()
    assert db.get(Channel, channel.id).sync_status == SyncStatus.synced


def test_channel_input_is_checked(db, client, team):
    manager, members = team
    h = auth(manager)
    base = {"name": "渠道", "kind": "poster", "team_employee_ids": [members[0].id]}
    assert client.post("/api/channels", json={**base, "state": "dup_state"}, headers=h).status_code == 201
    r = client.post("/api/channels", json={**base, "state": "dup_state"}, headers=h)
    assert r.status_code == 409 and r.json()["field"] == "state"
    r = client.post("/api/channels", json={**base, "state": "有中文"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "state"
    nobody = make_employee(db, wecom_userid=None, department=db.get(Department, members[0].department_id))
    r = client.post("/api/channels", json={**base, "team_employee_ids": [nobody.id]}, headers=h)
    assert r.status_code == 422 and "企业微信" in r.json()["message"]
    r = client.post("/api/channels", json=base, headers=auth(members[0]))
    assert r.status_code == 403
    r = client.post("/api/channels", json={**base, "welcome": {"attachments": [{"msgtype": "link", "link": {
        "title": "缺链接"}}]}}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "welcome.attachments.0.url"


@pytest.mark.pure
@pytest.mark.parametrize("welcome,field", [
    ({"text": {"content": "字" * 1400}}, "welcome.text"),  # 4200 bytes
    ({"attachments": [{"msgtype": "video", "video": {"media_id": "x"}}]}, "welcome.attachments.0"),
    ({"attachments": [{"msgtype": "link", "link": {"title": "t", "url": "ftp://x"}}]}, "welcome.attachments.0.url"),
    ({"miniprogram": {"title": "t", "pic_media_id": "m", "appid": "wx1", "page": "/pages/index"}},
     "welcome.attachments.0.page"),
    ({"attachments": [{"msgtype": "image", "image": {"media_id": "m"}}] * 10}, "welcome.attachments"),
    ({"text": "  "}, "welcome"),
    ({"voice": {}}, "welcome.voice"),
])
def test_welcome_message_follows_wecom_rules(welcome, field):
    with pytest.raises(ValidationFailed) as info:
        channel_service.clean_welcome(welcome)
    assert info.value.field == field


@pytest.mark.pure
def test_welcome_shortcuts_become_wecom_shape():
    assert channel_service.clean_welcome({"text": "你好", "link": {"title": "额度", "url": "https://e.com"}}) == {
        "text": {"content": "你好"}, "attachments": [{"msgtype": "link", "link": {"title": "额度",
                                                                                 "url": "https://e.com"}}]}


def test_stats_count_adds_deletions_and_conversions_in_one_query(db, client):
    dept, other_dept = make_department(db), make_department(db)
    a, b = make_employee(db, department=dept), make_employee(db, department=dept)
    outsider = make_employee(db, department=other_dept)
    supervisor = make_employee(db, role=Role.supervisor, department=dept)
    poster = Channel(name="海报", kind=ChannelKind.poster, state="st_poster", team_employee_ids=[a.id])
    moments = Channel(name="朋友圈", kind=ChannelKind.moments, state="st_moments", team_employee_ids=[b.id])
    idle = Channel(name="闲置", kind=ChannelKind.other, state="st_idle", team_employee_ids=[a.id])
    db.add_all([poster, moments, idle])
    db.flush()

    def add(ext, employee, state, minute):
        return customer_service.upsert_wecom_contact(
            db, ContactInfo(ext, ext), [FollowInfo(employee.wecom_userid, state=state, added_at=at(minute))],
            event_key=f"add-{ext}-{employee.id}").customer

    c1 = add("e1", a, "st_poster", 0)
    add("e2", a, "st_poster", 1)
    add("e3", b, "st_poster", 2)
    c4 = add("e4", b, "st_moments", 3)
    add("e5", outsider, "st_poster", 4)  # outside the supervisor's scope
    customer_service.end_follow(db, "e2", a.wecom_userid, by_customer=True, event_key="del-e2")
    customer_service.set_stage(db, c1.id, Stage.signed)
    customer_service.set_stage(db, c4.id, Stage.disbursed)
    make_customer(db, a, channel_id=poster.id, stage=Stage.lost)

    statements = []
    conn = db.connection()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(conn, "before_cursor_execute", listener)
    try:
        stats = {s.name: s for s in customer_service.channel_stats(db, supervisor)}
    finally:
        event.remove(conn, "before_cursor_execute", listener)
    assert len(statements) == 1

    p = stats["海报"]
    assert (p.adds, p.deletions, p.customers, p.conversions) == (3, 1, 4, 1)
    assert p.conversion_rate == 0.25
    m = stats["朋友圈"]
    assert (m.adds, m.deletions, m.customers, m.conversions) == (1, 0, 1, 1)
    assert (stats["闲置"].adds, stats["闲置"].customers) == (0, 0)

    r = client.get("/api/channels/stats", headers=auth(supervisor))
    assert r.status_code == 200
    assert {row["name"]: row["adds"] for row in r.json()} == {"海报": 3, "朋友圈": 1, "闲置": 0}
    assert client.get("/api/channels/stats", headers=auth(a)).status_code == 403
    r = client.get("/api/channels/stats", params={"since": "2025-03-01T09:02:00"}, headers=auth(supervisor))
    assert r.status_code == 422
    r = client.get("/api/channels/stats", params={"since": "2025-03-01T09:02:00+00:00"}, headers=auth(supervisor))
    assert {row["name"]: row["adds"] for row in r.json()}["海报"] == 1


def test_a_lost_commit_after_add_does_not_make_a_second_code(committed_db, sandbox_wecom,
                                                             wecom_client):
    from scrm.core import jobs
    from scrm.core.db import session_scope

    db = committed_db
    adviser = make_employee(db, "顾问", wecom_userid="adviser_x")
    sandbox_wecom.seed_user("adviser_x", "顾问")
    channel = channel_service.create_channel(db, None, name="海报", kind="poster", team_employee_ids=[adviser.id])
    db.info.pop(jobs._PENDING)  # this test runs the sync itself
    db.commit()

    with pytest.raises(RuntimeError):
        with session_scope() as session:
            channel_service.sync_contact_way(session, channel.id, wecom_client)
            raise RuntimeError("the worker died before commit")
    db.expire_all()
    assert db.get(Channel, channel.id).wecom_config_id is None
    assert len(sandbox_wecom.corp.contact_ways) == 1

    channel_tasks.sync_channel(channel.id)  # the retry
    db.expire_all()
    assert db.get(Channel, channel.id).wecom_config_id in sandbox_wecom.corp.contact_ways
    assert len(sandbox_wecom.corp.contact_ways) == 1
    assert sandbox_wecom.call_count("externalcontact/add_contact_way") == 1
