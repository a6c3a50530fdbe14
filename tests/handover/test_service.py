"""Handover against the sandbox WeCom: batches, crash and resume, every transfer_result status, 45009,
groups, the on-job limit, and the local record moving with its history."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from scrm.core.db import session_scope, utcnow
from scrm.core.errors import InvalidTransition
from scrm.customers import service as customer_service
from scrm.customers.models import CustomerFollow, CustomerStatus, FollowStatus, FollowUp, Stage, TimelineEntry
from scrm.groups.models import CustomerGroup, CustomerTier
from scrm.handover import service, tasks
from scrm.handover.events import CustomerHandedOver
from scrm.handover.models import CaseKind, CaseStatus, HandoverItem, HandoverTransition, ItemStatus
from scrm.wecom.client import WecomError
from tests.factories.common import events_named
from tests.factories.customers import make_customer
from tests.factories.handover import build_world
from tests.factories.org import make_employee

RESIGNED = "externalcontact/resigned/transfer_customer"
ONJOB = "externalcontact/transfer_customer"


def items(db, case_id):
    db.expire_all()
    return {i.external_id: i for i in db.scalars(select(HandoverItem).where(HandoverItem.case_id == case_id))}


def sent_ids(sandbox, path=RESIGNED):
    return [e for r in sandbox.request_log(path) if r["errcode"] == 0 for e in r["body"]["external_userid"]]


def plan(db, case, strategy, takers, **kw):
    return service.plan_case(db, case.id, service.make_rule(db, case, strategy=strategy,
                                                           taker_ids=[t.id for t in takers], **kw))


def test_departure_opens_a_case_and_250_customers_go_in_three_batches(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 250, 1)
    db.commit()  # employee.departed is delivered after commit: the subscriber opens the case
    case = service.find_open_case(db, w.giver.id, CaseKind.resigned)
    assert case is not None and case.source == "departed:manual"
    assert len(items(db, case.id)) == 250

    rows = service.preview_plan(db, case.id, service.make_rule(db, case, strategy="one", taker_ids=[w.takers[0].id]))
    assert {r.taker_id for r in rows} == {w.takers[0].id} and case.status == CaseStatus.open
    plan(db, case, "one", [w.takers[0]])
    assert tasks.run_case(case.id) == 3
    calls = sandbox_wecom.request_log(RESIGNED)
    assert [len(c["body"]["external_userid"]) for c in calls] == [100, 100, 50]
    assert sorted(sent_ids(sandbox_wecom)) == sorted(w.externals)
    assert {i.status for i in items(db, case.id).values()} == {ItemStatus.waiting}

    # errcode 0 only started the transfer: nothing moves until transfer_result says accepted
    assert tasks.track_case(case.id) == {}
    sandbox_wecom.complete_transfers(1)
    assert tasks.track_case(case.id) == {"accepted": 250}
    db.expire_all()
    assert service.get_case(db, case.id).status == CaseStatus.closed
    assert {c.owner_id for c in w.customers} == {w.takers[0].id}
    assert tasks.run_case  # the taker got one message naming the customers
    [message] = sandbox_wecom.messages
    assert message["touser"] == ["taker0"] and "250 位客户" in message["text"]["content"]
    assert tasks.notify(case.id) == 0 and len(sandbox_wecom.messages) == 1


def test_crash_after_the_first_batch_resumes_without_sending_anyone_twice(committed_db, wecom_client,
                                                                          sandbox_wecom, monkeypatch):
    db = committed_db
    w = build_world(db, sandbox_wecom, 250, 1)
    db.commit()
    case = service.find_open_case(db, w.giver.id, CaseKind.resigned)
    plan(db, case, "one", [w.takers[0]])
    db.commit()

    real = service.send_batch
    calls = []

    def dies_after_the_second_call(session, batch_id, client):
        calls.append(batch_id)
        batch = real(session, batch_id, client)
        if len(calls) == 2:  # WeCom took batch 2, the worker died before committing what it answered
            raise RuntimeError("worker killed")
        return batch

    monkeypatch.setattr(service, "send_batch", dies_after_the_second_call)
    with pytest.raises(RuntimeError):
        tasks.run_case(case.id)
    assert len(sandbox_wecom.request_log(RESIGNED)) == 2
    state = Counter(i.status for i in items(db, case.id).values())
    assert state == {ItemStatus.waiting: 100, ItemStatus.queued: 150}

    monkeypatch.setattr(service, "send_batch", real)
    tasks.run_case(case.id)
    log = sandbox_wecom.request_log(RESIGNED)
    assert len(log) == 3  # batch 2 answered from its idempotency key, batch 3 sent once
    assert Counter(sent_ids(sandbox_wecom)) == Counter(w.externals)
    assert {i.status for i in items(db, case.id).values()} == {ItemStatus.waiting}
    tasks.run_case(case.id)  # a duplicate delivery of the job changes nothing
    assert len(sandbox_wecom.request_log(RESIGNED)) == 3


def test_45009_midway_stops_and_the_rerun_continues(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 250, 1)
    case = service.open_case(db, w.giver.id)
    plan(db, case, "one", [w.takers[0]])
    with session_scope() as s:
        batch_ids = service.prepare_batches(s, case.id)
    with session_scope() as s:
        service.send_batch(s, batch_ids[0], wecom_client)
    sandbox_wecom.inject(RESIGNED, errcode=45009, times=5)  # more than the client's retries
    with pytest.raises(WecomError) as exc, session_scope() as s:
        service.send_batch(s, batch_ids[1], wecom_client)
    assert exc.value.errcode == 45009
    sandbox_wecom.inject(RESIGNED, errcode=45009, times=1)  # a passing one is retried by the client
    assert tasks.run_case(case.id) == 2
    assert Counter(sent_ids(sandbox_wecom)) == Counter(w.externals)
    assert [r["errcode"] for r in sandbox_wecom.request_log(RESIGNED)].count(45009) == 6
    assert {i.status for i in items(db, case.id).values()} == {ItemStatus.waiting}


def test_every_transfer_result_status(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 10, 2)
    case = service.open_case(db, w.giver.id)
    plan(db, case, "round_robin", w.takers)
    tasks.run_case(case.id)
    it = items(db, case.id)
    by_taker = {t.id: [e for e, i in it.items() if i.taker_id == t.id] for t in w.takers}
    t0, t1 = by_taker[w.takers[0].id], by_taker[w.takers[1].id]
    assert len(t0) == len(t1) == 5
    sandbox_wecom.complete_transfers(1, external_userids=[t0[0]])
    sandbox_wecom.complete_transfers(3, external_userids=[t0[1]])  # the customer refused
    sandbox_wecom.complete_transfers(4, external_userids=[t0[2], t0[3]])  # taker 0 is over the limit
    sandbox_wecom.complete_transfers(5, external_userids=[t1[0]])  # no record
    applied = tasks.track_case(case.id)
    assert applied == {"accepted": 1, "lost": 1, "over_limit": 2, "no_record": 1}  # 4 and 5: re-planned at once
    it = items(db, case.id)
    assert it[t0[0]].status == ItemStatus.accepted
    assert it[t0[1]].status == ItemStatus.lost and "流失" in it[t0[1]].note
    for ext in (t0[2], t0[3]):  # re-planned to the other taker and sent again
        assert it[ext].status == ItemStatus.waiting and it[ext].taker_id == w.takers[1].id
        assert it[ext].tried_taker_ids == [w.takers[0].id]
    # no record at taker 1: re-planned to taker 0, who has not failed for it
    assert it[t1[0]].status == ItemStatus.waiting and it[t1[0]].taker_id == w.takers[0].id
    assert service.get_case(db, case.id).status == CaseStatus.running
    lost = next(c for c in w.customers if c.wecom_external_userid == t0[1])
    assert lost.owner_id == w.giver.id
    assert any(e.kind == "handover_refused" for e in customer_service.list_timeline(db, lost.id))

    sandbox_wecom.complete_transfers(1)
    tasks.track_case(case.id)
    db.expire_all()
    assert service.get_case(db, case.id).status == CaseStatus.closed
    assert Counter(i.status for i in items(db, case.id).values()) == {ItemStatus.accepted: 9, ItemStatus.lost: 1}


def test_transfer_fail_event_is_matched_through_transfer_result(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 2, 1)
    case = service.open_case(db, w.giver.id)
    plan(db, case, "one", [w.takers[0]])
    tasks.run_case(case.id)
    [refused] = [e.fields for e in sandbox_wecom.complete_transfers(3, external_userids=[w.externals[0]])]
    assert refused["ChangeType"] == "transfer_fail" and refused["UserID"] == "taker0"
    # what the wecom handler does with the callback; the event it emits reaches handover after commit
    customer_service.record_transfer_failed(db, refused["ExternalUserID"], refused["UserID"], refused["FailReason"],
                                            "evt-transfer-fail-1")
    db.commit()
    it = items(db, case.id)
    assert it[w.externals[0]].status == ItemStatus.lost
    assert it[w.externals[1]].status == ItemStatus.waiting


def test_refused_and_failing_takers_exhaust_to_pending_for_a_manager(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 1, 1)
    case = service.open_case(db, w.giver.id)
    plan(db, case, "one", [w.takers[0]])
    tasks.run_case(case.id)
    sandbox_wecom.complete_transfers(4)
    tasks.track_case(case.id)
    [item] = items(db, case.id).values()
    assert item.status == ItemStatus.pending and item.note == "没有可用的接替人"
    sandbox_wecom.seed_user("spare", "备用")
    spare = make_employee(db, "备用", wecom_userid="spare")
    service.plan_case(db, case.id, service.make_rule(db, case, strategy="one", taker_ids=[spare.id]), only_failed=True)
    tasks.run_case(case.id)
    sandbox_wecom.complete_transfers(1)
    tasks.track_case(case.id)
    db.expire_all()
    assert w.customers[0].owner_id == spare.id
    assert service.get_case(db, case.id).status == CaseStatus.closed


def test_groups_move_in_calls_of_100(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 1, 1, departed=False)
    chats = [sandbox_wecom.seed_group("giver", f"群{i}", [w.externals[0]]) for i in range(150)]
    for i, chat_id in enumerate(chats):
        db.add(CustomerGroup(chat_id=chat_id, name=f"群{i}", owner_employee_id=w.giver.id, owner_userid="giver"))
    sandbox_wecom.user_deleted("giver")
    from scrm.org import service as org_service

    org_service.mark_departed(db, w.giver.id)
    case = service.open_case(db, w.giver.id)
    plan(db, case, "one", [w.takers[0]])
    tasks.run_case(case.id)
    calls = sandbox_wecom.request_log("externalcontact/groupchat/transfer")
    assert [len(c["body"]["chat_id_list"]) for c in calls] == [100, 50]
    assert {c["owner"] for c in sandbox_wecom.state()["group_chats"]} == {"taker0"}
    db.expire_all()
    assert {g.owner_employee_id for g in db.scalars(select(CustomerGroup))} == {w.takers[0].id}
    groups = [i for i in items(db, case.id).values() if i.group_id]
    assert len(groups) == 150 and {i.status for i in groups} == {ItemStatus.accepted}


def test_onjob_transfer_limit_twice_in_90_days(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 3, 2, departed=False)
    a, b = w.takers
    with pytest.raises(Exception) as exc:
        service.open_case(db, w.giver.id)  # not departed: only on-job
    assert exc.value.status_code == 409

    for giver, taker, n in ((w.giver, a, 1), (a, b, 2)):
        case = service.open_case(db, giver.id, kind="onjob", transfer_msg="您好，我是新的顾问")
        assert len(items(db, case.id)) == 3
        plan(db, case, "one", [taker])
        tasks.run_case(case.id)
        assert len(sandbox_wecom.request_log(ONJOB)) == n
        sandbox_wecom.complete_transfers(1)
        tasks.track_case(case.id)
        db.expire_all()
        assert service.get_case(db, case.id).status == CaseStatus.closed
        assert {c.owner_id for c in w.customers} == {taker.id}
    assert sandbox_wecom.request_log(ONJOB)[0]["body"]["transfer_success_msg"] == "您好，我是新的顾问"

    third = service.open_case(db, b.id, kind="onjob")
    assert {(i.status, i.flag) for i in items(db, third.id).values()} == {(ItemStatus.skipped, "onjob_limit")}
    assert len(sandbox_wecom.request_log(ONJOB)) == 2


def test_onjob_refusal_keeps_the_customer_with_the_giver(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 1, 1, departed=False)
    case = service.open_case(db, w.giver.id, kind=CaseKind.onjob)
    plan(db, case, "one", [w.takers[0]])
    tasks.run_case(case.id)
    sandbox_wecom.complete_transfers(3)
    tasks.track_case(case.id)
    [item] = items(db, case.id).values()
    assert item.status == ItemStatus.refused
    assert w.customers[0].owner_id == w.giver.id


def test_local_record_moves_with_history(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 1, 1, departed=False)
    customer = w.customers[0]
    db.add(CustomerTier(customer_id=customer.id, tier="A"))  # as the tiering left it
    db.add(CustomerFollow(customer_id=customer.id, employee_id=w.giver.id, status=FollowStatus.active))
    due = FollowUp(customer_id=customer.id, employee_id=w.giver.id, content="回访", next_at=utcnow() + timedelta(days=1))
    done = FollowUp(customer_id=customer.id, employee_id=w.giver.id, content="已沟通", next_at=None)
    db.add_all([due, done])
    local = make_customer(db, w.giver, "线下客户")  # no WeCom contact: moves without a call
    signed = make_customer(db, w.giver, "签约客户", stage=Stage.signed,
                           wecom_external_userid=sandbox_wecom.seed_external_contact("签约客户", ["giver"]))
    gone = make_customer(db, w.giver, "已删除", status=CustomerStatus.gone)
    sandbox_wecom.user_deleted("giver")
    from scrm.org import service as org_service

    org_service.mark_departed(db, w.giver.id)
    case = service.open_case(db, w.giver.id)
    flags = {i.customer_id: (i.status, i.flag) for i in items(db, case.id).values()}
    assert flags[signed.id] == (ItemStatus.pending, "contract_in_progress")
    assert flags[gone.id] == (ItemStatus.skipped, "gone")
    rows = plan(db, case, "by_tier", [], tier_takers={"A": [w.takers[0].id], "*": [w.takers[0].id]})
    assert {r.customer_id: r.tier for r in rows}[customer.id] == "A"
    tasks.run_case(case.id)
    db.expire_all()
    assert local.owner_id == w.takers[0].id  # local-only: moved at once
    sandbox_wecom.complete_transfers(1)
    tasks.track_case(case.id)
    db.expire_all()
    assert customer.owner_id == w.takers[0].id and gone.owner_id == w.giver.id
    assert due.employee_id == w.takers[0].id and done.employee_id == w.giver.id
    # the giver's follow ends as transferred; WeCom, re-read on acceptance, lists the taker, now an active follower
    follows = {f.employee_id: f.status for f in db.scalars(select(CustomerFollow).where(
        CustomerFollow.customer_id == customer.id))}
    assert follows == {w.giver.id: FollowStatus.transferred, w.takers[0].id: FollowStatus.active}
    entry = db.scalars(select(TimelineEntry).where(TimelineEntry.customer_id == customer.id,
                                                   TimelineEntry.kind == "handover")).one()
    assert "老王" in entry.summary and "接替0" in entry.summary and entry.data["follow_up_ids"] == [due.id]
    assert entry.data["from_employee_id"] == w.giver.id
    moved = {e["customer_id"] for e in events_named(db, CustomerHandedOver.name)}
    assert moved == {customer.id, local.id, signed.id}
    assert service.get_case(db, case.id).status == CaseStatus.closed
    assert "（A）" in sandbox_wecom.messages[0]["text"]["content"]


def test_poll_of_unassigned_list_opens_a_case(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 3, 1, departed=False)
    sandbox_wecom.user_deleted("giver")  # WeCom knows, we missed the callback
    opened = service.poll_unassigned(db, wecom_client)
    db.expire_all()
    assert w.giver.status.value == "departed"
    case = service.find_open_case(db, w.giver.id, CaseKind.resigned)
    assert opened == [case.id] and len(items(db, case.id)) == 3
    assert service.poll_unassigned(db, wecom_client) == [case.id]  # nothing new gathered
    assert len(items(db, case.id)) == 3


def test_illegal_transitions_are_409(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 1, 1)
    case = service.open_case(db, w.giver.id)
    with pytest.raises(InvalidTransition) as exc:
        service.prepare_batches(db, case.id)  # not planned
    assert exc.value.message == f"交接单 #{case.id} 当前状态为 待计划，不能执行「run」（仅允许在以下状态执行：已计划、转接中）"
    plan(db, case, "one", [w.takers[0]])
    tasks.run_case(case.id)
    sandbox_wecom.complete_transfers(1)
    tasks.track_case(case.id)
    db.expire_all()
    with pytest.raises(InvalidTransition) as exc:
        plan(db, service.get_case(db, case.id), "one", [w.takers[0]])
    assert exc.value.status_code == 409 and exc.value.extra["state"] == "closed"
    assert exc.value.extra["allowed"] == ["open", "planned", "running"]


def test_every_case_and_item_move_is_recorded(db, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 2, 1)
    case = service.open_case(db, w.giver.id)
    plan(db, case, "one", [w.takers[0]])
    tasks.run_case(case.id)
    sandbox_wecom.complete_transfers(1)
    tasks.track_case(case.id)
    db.expire_all()

    def moves(entity, entity_id):
        return [(t.action, t.from_status, t.to_status) for t in db.scalars(
            select(HandoverTransition).where(HandoverTransition.entity == entity, HandoverTransition.entity_id == entity_id)
            .order_by(HandoverTransition.id))]

    assert moves("handover_case", case.id) == [("plan", "open", "planned"), ("run", "planned", "running"),
                                              ("close", "running", "closed")]
    for item in items(db, case.id).values():
        assert moves("handover_item", item.id) == [("plan", "pending", "planned"), ("queue", "planned", "queued"),
                                                  ("wait", "queued", "waiting"), ("accept", "waiting", "accepted")]
