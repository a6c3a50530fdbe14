"""Managing flows: managers and admins only; a bad definition is a 422 naming the field and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scrm.approvals.models import ApprovalFlow
from tests.approvals.conftest import make_team
from tests.factories.org import auth

GOOD = {"subject_kind": "application", "product_code": "credit", "name": "信用贷申请审批",
        "steps": [{"name": "资质初审", "approver": {"kind": "supervisor"}},
                  {"name": "风控复审", "approver": {"kind": "routed"}, "only_when_routed": True}]}


def step(**approver):
    return {**GOOD, "steps": [{"name": "审批", "approver": approver}]}


@pytest.mark.parametrize("body, field", [
    (step(kind="role"), "steps.0.approver.role"),
    (step(kind="supervisor", role="manager"), "steps.0.approver.role"),
    (step(kind="employee"), "steps.0.approver.employee_id"),
    (step(kind="employee", employee_id=999999), "steps.0.approver.employee_id"),
    (step(kind="boss"), "steps.0.approver.kind"),
    (step(kind="role", role="ceo"), "steps.0.approver.role"),
    ({**GOOD, "subject_kind": "contract"}, "steps.1.approver.kind"),
    ({**GOOD, "product_code": "nothing"}, "product_code"),
    ({**GOOD, "steps": []}, "steps"),
    ({**GOOD, "steps": [GOOD["steps"][0], GOOD["steps"][0]]}, "steps.1.name"),
    ({**GOOD, "steps": [{**GOOD["steps"][0], "min_amount_fen": 0}]}, "steps.0.min_amount_fen"),
    ({**GOOD, "steps": [{**GOOD["steps"][0], "when": "always"}]}, "steps.0.when"),
])
def test_bad_flow_is_422_naming_the_field(db, client, products, body, field):
    team = make_team(db)
    answer = client.post("/api/approvals/flows", json=body, headers=auth(team.manager))
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert db.scalar(select(func.count()).select_from(ApprovalFlow).where(ApprovalFlow.product_code == "credit")) == 0


def test_flows_are_for_managers_and_the_defaults_exist(db, client, products):
    team = make_team(db)
    assert client.post("/api/approvals/flows", json=GOOD, headers=auth(team.supervisor)).status_code == 403
    assert client.get("/api/approvals/flows", headers=auth(team.sales)).status_code == 403
    flows = client.get("/api/approvals/flows", headers=auth(team.manager)).json()
    assert [(f["subject_kind"], f["product_code"], [s["name"] for s in f["steps"]]) for f in flows] == [
        ("application", None, ["资质初审", "风控复审"]), ("contract", None, ["主管审核"])]
    made = client.post("/api/approvals/flows", json=GOOD, headers=auth(team.manager))
    assert made.status_code == 201
    assert client.post("/api/approvals/flows", json=GOOD, headers=auth(team.manager)).status_code == 409
    default = flows[0]["id"]
    off = client.patch(f"/api/approvals/flows/{default}", json={"active": False}, headers=auth(team.manager))
    assert off.status_code == 422 and off.json()["field"] == "active"
    changed = client.patch(f"/api/approvals/flows/{made.json()['id']}", headers=auth(team.manager),
                           json={"steps": [{"name": "经理审批", "approver": {"kind": "employee",
                                                                          "employee_id": team.manager.id}}]})
    assert changed.json()["version"] == 2 and changed.json()["steps"][0]["approver_text"] == "王经理"
