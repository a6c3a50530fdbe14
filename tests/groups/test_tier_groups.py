"""Each tier's WeCom customer groups: join-way QR codes, rollover when a group is full, invitations to
customers whose tier changed — against the sandbox WeCom, group changes arriving as real callbacks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scrm.broadcast import service as broadcast_service
from scrm.broadcast.models import MassMessage, MassTask
from scrm.groups import schemas
from scrm.groups import service as group_service
from scrm.org.models import Role
from scrm.tagging.models import CustomerProfile
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee
from tests.wecom.conftest import live_service  # noqa: F401


@pytest.fixture
def world(db, sandbox_wecom, wecom_client, settings_env):
    settings_env(SCRM_GROUP_MEMBER_LIMIT="4")
    sandbox_wecom.corp.chat_member_limit = 4  # small groups, as if WeCom's limit were 4
    dept = make_department(db)
    sandbox_wecom.seed_user("zhangsan", "张三")
    sandbox_wecom.seed_user("lisi", "李四")
    people = {"zhangsan": make_employee(db, "张三", department=dept, wecom_userid="zhangsan"),
              "lisi": make_employee(db, "李四", department=dept, wecom_userid="lisi"),
              "manager": make_employee(db, "王经理", role=Role.manager, department=dept, wecom_userid="boss")}
    externals = [sandbox_wecom.seed_external_contact(f"客户{i}", ["zhangsan" if i % 2 == 0 else "lisi"])
                 for i in range(8)]
    chats = [sandbox_wecom.seed_group("zhangsan", f"A类客户{n}群", externals[:2] if n == 1 else [])
             for n in (1, 2)]
    for chat_id in chats:
        group_service.upsert_from_wecom(db, wecom_client.external_contact_group_chat.get(chat_id)["group_chat"])
    for position, chat_id in enumerate(chats):
        group_service.add_tier_group(db, schemas.TierGroupIn(tier="A", chat_id=chat_id, position=position))
    return {"people": people, "externals": externals, "chats": chats}


def test_join_way_per_group_and_rollover_when_full(db, world, sandbox_wecom, wecom_client, live_service):
    first, second = world["chats"]
    current = group_service.tier_join_way(db, wecom_client, "A")
    assert current.chat_id == first and current.join_way_qr_code
    way = sandbox_wecom.join_ways[current.join_way_config_id]
    assert way["chat_id_list"] == [first] and way["scene"] == 2 and way["auto_create_room"] == 1
    assert group_service.tier_join_way(db, wecom_client, "A").join_way_config_id == current.join_way_config_id
    assert len(sandbox_wecom.join_ways) == 1

    sandbox_wecom.group_members_joined(first, world["externals"][2:6], join_scene=3)
    assert group_service.get_by_chat_id(db, first).member_count == 4
    rolled = group_service.tier_join_way(db, wecom_client, "A")
    assert rolled.chat_id == second
    assert sandbox_wecom.join_ways[rolled.join_way_config_id]["chat_id_list"] == [second]
    assert [t.full for t, _ in group_service.list_tier_groups(db, "A")] == [True, False]

    sandbox_wecom.group_members_joined(second, world["externals"][:5], join_scene=3)
    assert group_service.get_by_chat_id(db, second).member_count == 4  # owner + 3: the group is at its limit
    assert group_service.tier_join_way(db, wecom_client, "A") is None


def test_join_way_api_says_when_every_group_is_full(client, db, world, sandbox_wecom, wecom_client):
    manager = world["people"]["manager"]
    ok = client.post("/api/tiers/groups/A/join-way", headers=auth(manager))
    assert ok.status_code == 200 and ok.json()["chat_id"] == world["chats"][0]
    for tier_group, _ in group_service.list_tier_groups(db, "A"):
        tier_group.full = True
    db.flush()
    full = client.post("/api/tiers/groups/A/join-way", headers=auth(manager))
    assert full.status_code == 409 and full.json()["field"] == "tier"
    listed = client.get("/api/tiers/groups", headers=auth(manager)).json()
    assert [g["name"] for g in listed] == ["A类客户1群", "A类客户2群"]
    unknown = client.post("/api/tiers/groups", json={"tier": "B", "chat_id": "wrNOPE"}, headers=auth(manager))
    assert unknown.status_code == 404
    again = client.post("/api/tiers/groups", json={"tier": "B", "chat_id": world["chats"][0]}, headers=auth(manager))
    assert again.status_code == 409
    # past what PostgreSQL's INTEGER holds the database refused it naming nothing (SQLite stored it)
    far = client.post("/api/tiers/groups", json={"tier": "B", "chat_id": world["chats"][0], "position": 2**40},
                      headers=auth(manager))
    assert far.status_code == 422 and far.json()["field"] == "position", far.text


def test_customers_whose_tier_changed_are_invited_in_one_batch_per_owner(db, world, sandbox_wecom, wecom_client):
    people, externals = world["people"], world["externals"]
    group_service.create_rule(db, schemas.TierRuleIn(name="高意向", tier="A", position=1,
                                                     conditions=schemas.RuleConditions(intent_in=["high"])))
    profiles = []
    for i, ext in enumerate(externals[:5]):
        owner = people["zhangsan"] if i % 2 == 0 else people["lisi"]
        customer = make_customer(db, owner, f"客户{i}", wecom_external_userid=ext)
        profile = CustomerProfile(customer_id=customer.id, intent="high", tags=[], evidence={})
        db.add(profile)
        profiles.append(profile)
    make_customer(db, people["zhangsan"], "C类客户", wecom_external_userid=externals[6])
    db.flush()
    for profile in profiles[:4]:  # one re-tiering per profile change, as the profile.changed subscriber does
        group_service.retier(db, [profile.customer_id])
    profiles[4].intent = "low"  # moves into A and out again before the batch: not invited
    group_service.retier(db, [profiles[4].customer_id])
    profiles[4].intent = "high"
    db.flush()
    group_service.retier(db, [profiles[4].customer_id])
    profiles[4].intent = "low"
    db.flush()
    group_service.retier(db, [profiles[4].customer_id])

    (mass_id,) = broadcast_service.invite_batch(db, wecom_client)
    assert broadcast_service.invite_batch(db, wecom_client) == []
    from scrm.broadcast import tasks as broadcast_tasks

    broadcast_tasks.send(mass_id)
    templates = list(sandbox_wecom.msg_templates.values())
    assert sorted(t["sender"] for t in templates) == ["lisi", "zhangsan"]
    by_sender = {t["sender"]: t for t in templates}
    assert sorted(r["external_userid"] for r in by_sender["zhangsan"]["recipients"]) == sorted([externals[0], externals[2]])
    assert by_sender["zhangsan"]["attachments"][0]["msgtype"] == "link"
    qr = group_service.current_group(db, "A").join_way_qr_code
    assert by_sender["lisi"]["attachments"][0]["link"]["url"] == qr
    assert db.scalar(select(MassMessage.kind).where(MassMessage.id == mass_id)) == "invite"
    assert {t.status for t in db.scalars(select(MassTask))} == {"created"}
