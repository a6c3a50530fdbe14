"""Contract review (合同审核) through the approval flow of the order's product: the default one supervisor step behaves
as the fixed review did; a second approver above an amount; reject and return with a comment; a void ends the wait."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.orders import service as order_service
from backoffice.orders.models import OrderStatus
from scrm.approvals.models import ApprovalDecision, ApprovalInstance
from tests.factories.backoffice import make_world, signed
from tests.factories.org import auth

SECOND_APPROVER = {"subject_kind": "contract", "product_code": "credit", "name": "信用贷合同审核",
                   "steps": [{"name": "主管审核", "approver": {"kind": "supervisor"}},
                             {"name": "大额复核", "approver": {"kind": "role", "role": "manager"},
                              "min_amount_fen": 50_000_000}]}


@pytest.fixture
def world(db):
    return make_world(db)


def confirmed(db, client, w, **kw):
    order = signed(db, w, **kw)
    assert client.post(f"/api/backoffice/orders/{order.id}/confirm", headers=auth(w.finance)).status_code == 200
    db.expire_all()
    return order


def contract_instance(db, order) -> ApprovalInstance:
    db.expire_all()
    return db.scalars(select(ApprovalInstance).where(ApprovalInstance.subject_kind == "contract",
                                                     ApprovalInstance.subject_id == order.id)).one()


def test_confirmation_starts_the_review_which_the_supervisor_approves_as_before(db, client, world):
    w = world
    order = confirmed(db, client, w)
    instance = contract_instance(db, order)
    assert (instance.status.value, instance.waiting_kind, instance.steps[0]["name"]) == ("pending", "supervisor", "主管审核")
    [waiting] = client.get("/api/approvals/pending", headers=auth(w.supervisor)).json()
    assert waiting["subject_name"] == "合同审核" and waiting["subject_id"] == order.id
    assert client.get("/api/approvals/pending", headers=auth(w.other_sales)).json() == []

    answer = client.post(f"/api/backoffice/orders/{order.id}/review", json={"note": "ok"}, headers=auth(w.supervisor))
    assert answer.status_code == 200 and answer.json()["status"] == "reviewed"
    [history] = client.get(f"/api/approvals/history?subject_kind=contract&subject_id={order.id}",
                           headers=auth(w.sales)).json()
    assert history["status"] == "approved"
    assert [(d["action"], d["comment"]) for d in history["decisions"]] == [("submit", f"合同 {order.agreement_no} 已确认"),
                                                                           ("approve", "ok")]
    assert client.get(f"/api/approvals/history?subject_kind=contract&subject_id={order.id}",
                      headers=auth(w.other_sales)).status_code == 404


def test_a_second_approver_above_the_amount(db, client, world):
    w = world
    made = client.post("/api/approvals/flows", json=SECOND_APPROVER, headers=auth(w.manager))
    assert made.status_code == 201, made.text
    assert [s["condition_text"] for s in made.json()["steps"]] == ["总是", "金额 ≥ 500,000.00 元"]

    small = confirmed(db, client, w, amount_applied_fen=20_000_000)
    order_service.review(db, w.supervisor, small)
    assert small.status == OrderStatus.reviewed  # 200,000: the second step does not apply

    large = confirmed(db, client, w, amount_applied_fen=80_000_000)
    answer = client.post(f"/api/backoffice/orders/{large.id}/review", json={}, headers=auth(w.supervisor))
    assert answer.status_code == 200 and answer.json()["status"] == "confirmed"
    instance = contract_instance(db, large)
    assert (instance.current_step, instance.waiting_role) == (1, "manager")
    # the supervisor decided step 1; step 2 is the manager's
    again = client.post(f"/api/approvals/instances/{instance.id}/act", json={"action": "approve", "step": 1},
                        headers=auth(w.supervisor))
    assert again.status_code == 409 and "第1步已由" in again.json()["message"]
    out_of_turn = client.post(f"/api/approvals/instances/{instance.id}/act", json={"action": "approve"},
                              headers=auth(w.supervisor))
    assert out_of_turn.status_code == 403 and "大额复核" in out_of_turn.json()["message"]
    assert client.post(f"/api/approvals/instances/{instance.id}/act", json={"action": "approve", "step": 2},
                       headers=auth(w.manager)).json()["status"] == "approved"
    db.expire_all()
    assert db.get(type(large), large.id).status == OrderStatus.reviewed


def test_reject_needs_a_comment_and_leaves_the_order_confirmed(db, client, world):
    w = world
    order = confirmed(db, client, w)
    instance = contract_instance(db, order)
    url = f"/api/approvals/instances/{instance.id}/act"
    missing = client.post(url, json={"action": "reject"}, headers=auth(w.supervisor))
    assert missing.status_code == 422 and missing.json()["field"] == "comment"
    assert client.post(url, json={"action": "reject", "comment": "合同金额与申请不符"},
                       headers=auth(w.supervisor)).json()["status_name"] == "已驳回"
    db.expire_all()
    assert db.get(type(order), order.id).status == OrderStatus.confirmed
    review = client.post(f"/api/backoffice/orders/{order.id}/review", json={}, headers=auth(w.supervisor))
    assert review.status_code == 409 and "已驳回" in review.json()["message"]
    [history] = client.get(f"/api/approvals/history?subject_kind=contract&subject_id={order.id}",
                           headers=auth(w.finance)).json()
    assert history["decisions"][-1]["comment"] == "合同金额与申请不符"
    # finance voids the rejected contract, the existing path
    assert client.post(f"/api/backoffice/orders/{order.id}/void", json={"reason": "审核驳回"},
                       headers=auth(w.finance)).status_code == 200


def test_return_then_resubmit_runs_the_steps_again(db, client, world):
    w = world
    order = confirmed(db, client, w)
    instance = contract_instance(db, order)
    returned = client.post(f"/api/approvals/instances/{instance.id}/act",
                           json={"action": "return", "comment": "补充收入证明", "step": 1}, headers=auth(w.supervisor))
    assert returned.json()["status"] == "returned" and returned.json()["allowed_actions"] == ["resubmit"]
    again = client.post(f"/api/approvals/instances/{instance.id}/resubmit", headers=auth(w.sales))
    assert again.status_code == 200 and (again.json()["status"], again.json()["round"]) == ("pending", 2)
    order_service.review(db, w.supervisor, order)
    assert order.status == OrderStatus.reviewed
    actions = db.scalars(select(ApprovalDecision.action).where(ApprovalDecision.instance_id == instance.id)
                         .order_by(ApprovalDecision.id)).all()
    assert actions == ["submit", "return", "resubmit", "approve"]


def test_a_void_cancels_the_waiting_review(db, client, world):
    w = world
    order = confirmed(db, client, w)
    assert client.post(f"/api/backoffice/orders/{order.id}/void", json={"reason": "录错"},
                       headers=auth(w.finance)).status_code == 200
    assert contract_instance(db, order).status.value == "cancelled"
    assert client.get("/api/approvals/pending", headers=auth(w.supervisor)).json() == []
