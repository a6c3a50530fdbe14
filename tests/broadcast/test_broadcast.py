"""Mass messages per tier or tag: one add_msg_template task per salesperson against the sandbox WeCom,
results tracked through get_groupmsg_send_result."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scrm.broadcast import tasks as broadcast_tasks
from scrm.broadcast.models import MassTask
from scrm.core.db import utcnow
from scrm.groups.models import CustomerTier
from scrm.org.models import Role
from scrm.tagging.models import CustomerProfile
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee


@pytest.fixture
def world(db, sandbox_wecom, wecom_client):
    dept = make_department(db)
    people = {"manager": make_employee(db, "王经理", role=Role.manager, department=dept, wecom_userid="boss")}
    for userid, name in [("zhangsan", "张三"), ("lisi", "李四")]:
        sandbox_wecom.seed_user(userid, name)
        people[userid] = make_employee(db, name, department=dept, wecom_userid=userid)
    customers = []
    for i, (owner, tier, tags) in enumerate([("zhangsan", "A", ["有房产"]), ("zhangsan", "A", []),
                                             ("lisi", "A", ["有车辆"]), ("lisi", "B", ["有房产"])]):
        ext = sandbox_wecom.seed_external_contact(f"客户{i}", [owner])
        customer = make_customer(db, people[owner], f"客户{i}", wecom_external_userid=ext)
        db.add(CustomerTier(customer_id=customer.id, tier=tier, updated_at=utcnow()))
        db.add(CustomerProfile(customer_id=customer.id, intent="high", tags=tags, evidence={}))
        customers.append(customer)
    outsider = make_employee(db, "外部门销售", department=make_department(db), wecom_userid="wangwu")
    sandbox_wecom.seed_user("wangwu", "王五")
    ext = sandbox_wecom.seed_external_contact("别人的客户", ["wangwu"])
    other = make_customer(db, outsider, "别人的客户", wecom_external_userid=ext)
    db.add(CustomerTier(customer_id=other.id, tier="A", updated_at=utcnow()))
    db.flush()
    return people


def test_broadcast_to_a_tier_makes_one_task_per_salesperson_and_tracks_results(client, db, world, sandbox_wecom):
    manager = world["manager"]
    created = client.post("/api/broadcasts", json={"tier": "A", "text": "本周房抵贷利率下调，欢迎咨询"},
                          headers=auth(manager))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["recipients"] == 3 and len(body["tasks"]) == 2
    templates = sandbox_wecom.msg_templates
    assert sorted(t["sender"] for t in templates.values()) == ["lisi", "zhangsan"]
    assert all(t["text"]["content"] == "本周房抵贷利率下调，欢迎咨询" for t in templates.values())
    zhang = next(m for m, t in templates.items() if t["sender"] == "zhangsan")
    sandbox_wecom.confirm_group_msg(zhang, status=1)
    assert broadcast_tasks.poll() == 2
    progress = client.get(f"/api/broadcasts/{body['id']}", headers=auth(manager)).json()
    by_sender = {t["sender_employee_id"]: t for t in progress["tasks"]}
    assert by_sender[world["zhangsan"].id]["sent"] == 2 and by_sender[world["zhangsan"].id]["status"] == "finished"
    assert by_sender[world["lisi"].id]["unsent"] == 1 and by_sender[world["lisi"].id]["status"] == "created"
    assert progress["sent"] == 2
    assert broadcast_tasks.poll() == 1
    broadcast_tasks.send(body["id"])
    assert len(sandbox_wecom.msg_templates) == 2


def test_tag_filter_and_tier_together(client, db, world, sandbox_wecom):
    created = client.post("/api/broadcasts", json={"tier": "A", "tags_any": ["有房产", "有车辆"], "text": "你好"},
                          headers=auth(world["manager"]))
    assert created.json()["recipients"] == 2


def test_refusals(client, db, world, sandbox_wecom):
    manager = world["manager"]
    assert client.post("/api/broadcasts", json={"tier": "A", "text": "x"},
                       headers=auth(world["zhangsan"])).status_code == 403
    everyone = client.post("/api/broadcasts", json={"text": "全体"}, headers=auth(manager))
    assert everyone.status_code == 422 and everyone.json()["field"] == "tier"
    nobody = client.post("/api/broadcasts", json={"tier": "blocked", "text": "x"}, headers=auth(manager))
    assert nobody.status_code == 422
    blank = client.post("/api/broadcasts", json={"tier": "A", "text": "   "}, headers=auth(manager))
    assert blank.status_code == 422 and blank.json()["field"] == "text"
    assert sandbox_wecom.msg_templates == {}
    assert db.scalars(select(MassTask)).all() == []
