"""An accepted transfer makes the taker an active follower: WeCom is re-read (externalcontact/get) because
"通过API进行的操作不会产生回调" (https://developer.work.weixin.qq.com/document/path/92130), so no add event for the
taker is awaited. The transfer_result answer follows WeCom's sample (查询客户接替状态,
https://developer.work.weixin.qq.com/document/path/94088: "customer":[{"external_userid", "status":1,
"takeover_time"}], status 1 接替完毕)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scrm.customers import service as customer_service
from scrm.customers.models import CustomerFollow, CustomerStatus, FollowStatus
from scrm.handover import service, tasks
from scrm.handover.models import CaseKind, HandoverItem, ItemStatus
from scrm.tagging import service as tagging_service
from tests.factories.handover import build_world


@pytest.mark.parametrize("kind", [CaseKind.onjob, CaseKind.resigned])
def test_accepted_transfer_with_no_add_event_makes_the_taker_follow(db, wecom_client, sandbox_wecom, kind):
    w = build_world(db, sandbox_wecom, 2, 1, departed=kind == CaseKind.resigned)
    taker = w.takers[0]
    case = service.open_case(db, w.giver.id, kind=kind)
    service.plan_case(db, case.id, service.make_rule(db, case, strategy="one", taker_ids=[taker.id]))
    tasks.run_case(case.id)
    sandbox_wecom.complete_transfers(1, taker_add_event=False)
    fetch = (wecom_client.transfer.transfer_result if kind == CaseKind.onjob
             else wecom_client.transfer.resigned_transfer_result)
    answer = fetch("giver", taker.wecom_userid)
    assert {(c["external_userid"], c["status"]) for c in answer["customer"]} == {(e, 1) for e in w.externals}
    assert all(c["takeover_time"] for c in answer["customer"]) and "next_cursor" in answer

    tasks.track_case(case.id)
    db.expire_all()
    assert {i.status for i in db.scalars(select(HandoverItem).where(HandoverItem.case_id == case.id))} == {
        ItemStatus.accepted}
    for customer in w.customers:
        db.refresh(customer)
        assert customer.owner_id == taker.id and customer.status == CustomerStatus.active
        active = db.scalars(select(CustomerFollow.employee_id).where(
            CustomerFollow.customer_id == customer.id, CustomerFollow.status == FollowStatus.active)).all()
        assert active == [taker.id]
        assert tagging_service._follow_userids(db, customer.id) == [taker.wecom_userid]  # tag sync reaches the taker

    # a later deletion by the taker is a deletion of a follow we know
    customer_service.end_follow(db, w.externals[0], taker.wecom_userid, by_customer=False, event_key="later-del")
    db.refresh(w.customers[0])
    assert w.customers[0].status == CustomerStatus.gone
