"""Issue 19's acceptance: the seed rule 负债率超过70% routes an application to the named 风控总监; it waits (no sign-up
is possible), the 风控总监 approves by pressing 同意 on the WeCom template card the app sent (a real signed and
encrypted template_card_event through the served app), the card then shows the outcome, and the application
proceeds.

The card's fields follow 发送应用消息 · 模板卡片消息 (https://developer.work.weixin.qq.com/document/path/90236), the
click 模板卡片事件推送 (https://developer.work.weixin.qq.com/document/path/90240: EventKey, TaskId, CardType,
ResponseCode), the update 更新模版卡片消息 (https://developer.work.weixin.qq.com/document/path/94888)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from loan_scrm.app import create_app
from scrm.approvals.models import ApprovalCard, ApprovalDecision, ApprovalInstance
from scrm.customers.models import TimelineEntry
from scrm.risk.models import RiskDecision
from tests.approvals.conftest import HIGH_DEBT, applicant, make_team, route_rule
from tests.factories.org import auth


def test_routed_application_waits_for_the_director_who_approves_from_the_card(db, sandbox_wecom, wecom_client,
                                                                              live_service, products):
    team = make_team(db, sandbox_wecom)
    customer = applicant(db, team, amount_fen=20_000_000, product=products["credit"])
    db.flush()
    client = TestClient(create_app())
    assert client.post("/api/risk/rules", json=route_rule(team.director.id), headers=auth(team.manager)).status_code == 201
    answer = client.patch(f"/api/customers/{customer.id}/risk/facts", json=HIGH_DEBT, headers=auth(team.sales))
    assert answer.status_code == 200 and answer.json()["awaiting_approval"]["title"] == "风控总监"

    # the routing began the application's approval: 资质初审 by the salesperson's supervisor first
    [pending] = client.get("/api/approvals/pending", headers=auth(team.supervisor)).json()
    assert pending["customer_id"] == customer.id and pending["current_step_name"] == "资质初审"
    assert pending["customer_name"] == "周**" and pending["routed_title"] == "风控总监"
    assert [s["state"] for s in pending["steps"]] == ["current", "waiting"]
    assert client.get("/api/approvals/pending", headers=auth(team.director)).json() == []
    # another department's supervisor neither sees nor decides it
    assert client.get("/api/approvals/pending", headers=auth(team.other_supervisor)).json() == []
    outsider = client.post(f"/api/approvals/instances/{pending['id']}/act", headers=auth(team.other_supervisor),
                           json={"action": "approve", "step": 1})
    assert outsider.status_code == 403 and "您不是这一步的审批人" in outsider.json()["message"]
    assert client.get(f"/api/approvals/instances/{pending['id']}", headers=auth(team.other_sales)).status_code == 404
    # it waits: no sign-up while it is being approved
    sign = {"customer_id": customer.id, "product_code": "credit", "funder_type": "bank", "amount_applied": "200000"}
    refused = client.post("/api/backoffice/orders", json=sign, headers=auth(team.sales))
    assert refused.status_code == 409 and "审批通过后才能签单" in refused.json()["message"]

    acted = client.post(f"/api/approvals/instances/{pending['id']}/act", headers=auth(team.supervisor),
                        json={"action": "approve", "step": 1, "comment": "资料齐全"})
    assert acted.status_code == 200, acted.text
    assert acted.json()["current_step_name"] == "风控复审" and acted.json()["waiting_for"] == "风控总监（赵总监）"

    # the supervisor had a card for 资质初审; the 风控总监 now gets one for 风控复审, with the name masked, the product,
    # the amount and the rule's evidence
    cards = sandbox_wecom.template_cards
    assert [c["touser"] for c in cards.values()] == [[team.supervisor.wecom_userid], [team.director.wecom_userid]]
    task_id, sent = list(cards.items())[1]
    card = sent["card"]
    assert sent["touser"] == [team.director.wecom_userid] and card["card_type"] == "button_interaction"
    rows = {r["keyname"]: r["value"] for r in card["horizontal_content_list"]}
    assert rows == {"客户": "周**", "产品": products["credit"].name, "金额": "200,000.00元"}
    assert "负债率过高" in card["sub_title_text"] and "85" in card["sub_title_text"]
    assert [(b["text"], b["key"]) for b in card["button_list"]] == [("同意", "approve"), ("驳回", "reject"),
                                                                    ("退回", "return")]
    assert "周大福" not in str(card)

    pressed = sandbox_wecom.card_clicked(team.director.wecom_userid, task_id, "approve")
    assert pressed.delivery.ok
    db.expire_all()
    instance = db.get(ApprovalInstance, pending["id"])
    assert instance.status.value == "approved"
    decision = db.scalars(select(ApprovalDecision).where(ApprovalDecision.instance_id == instance.id,
                                                         ApprovalDecision.step == 2)).one()
    assert (decision.actor_id, decision.action, decision.via) == (team.director.id, "approve", "wecom_card")
    # the card now shows the outcome instead of its buttons, with the click's response_code
    [update] = sandbox_wecom.template_cards[task_id]["updates"]
    assert update["replace_name"] == "已同意" and update["userids"] == [team.director.wecom_userid]

    # WeCom retries the same callback: nothing more happens
    assert sandbox_wecom.send(pressed.fields).ok
    db.expire_all()
    assert len(db.scalars(select(ApprovalDecision).where(ApprovalDecision.instance_id == instance.id)).all()) == 3
    assert len(sandbox_wecom.template_cards[task_id]["updates"]) == 1

    # it proceeds: no longer awaiting approval, on the timeline, and the sign-up is taken
    assert db.get(RiskDecision, customer.id).awaiting_approval_title is None
    assert db.scalar(select(TimelineEntry.summary).where(TimelineEntry.customer_id == customer.id,
                                                         TimelineEntry.kind == "approval_finished")) == "贷款申请审批已通过"
    assert client.post("/api/backoffice/orders", json=sign, headers=auth(team.sales)).status_code == 201
    history = client.get(f"/api/approvals/history?subject_kind=application&subject_id={customer.id}",
                         headers=auth(team.sales)).json()
    assert [(d["action_name"], d["via_name"]) for d in history[0]["decisions"]] == [
        ("提交", "后台"), ("同意", "后台"), ("同意", "企业微信卡片")]
    assert db.scalars(select(ApprovalCard.outcome).order_by(ApprovalCard.id)).all() == [None, "已同意"]
