"""Managers edit the stages: add, rename, reorder, change the owner, SLA and entry requirements, delete an empty one.
Bad input is refused naming the field, and nothing changes."""

from __future__ import annotations

from scrm.customers.models import Stage
from tests.factories.customers import make_customer
from tests.factories.org import auth


def names(client, who) -> list[str]:
    return [s["name"] for s in client.get("/api/pipeline/stages", headers=auth(who)).json()]


def test_the_standard_eight_stages_in_order(client, team, stages):
    listed = client.get("/api/pipeline/stages", headers=auth(team.sales)).json()
    assert [s["name"] for s in listed] == ["线索录入", "客户分配", "资质初审", "方案匹配", "风控复审", "合同签署", "放款",
                                           "贷后跟踪"]
    assert [s["position"] for s in listed] == list(range(1, 9))
    review = listed[4]
    assert review["requirement_names"] == ["已选贷款产品", "资料齐全", "资质评分 ≥ 60"]
    assert review["owner_name"] == "主管" and review["lifecycle_stage_name"] == "已预约"


def test_a_manager_adds_reorders_and_edits_a_stage(client, db, team, stages):
    body = {"name": "上门面签", "lifecycle_stage": "appointment", "position": 5, "owner_kind": "employee",
            "owner_employee_id": team.supervisor.id, "sla_hours": 12, "requirements": [{"kind": "product_chosen"}]}
    assert client.post("/api/pipeline/stages", json=body, headers=auth(team.sales)).status_code == 403

    created = client.post("/api/pipeline/stages", json=body, headers=auth(team.manager))

    assert created.status_code == 201, created.text
    stage = created.json()
    assert stage["owner_name"] == "赵主管" and stage["position"] == 5
    assert names(client, team.sales)[3:6] == ["方案匹配", "上门面签", "风控复审"]
    assert client.post("/api/pipeline/stages", json=body, headers=auth(team.manager)).json()["field"] == "name"

    patched = client.patch(f"/api/pipeline/stages/{stage['id']}", headers=auth(team.manager),
                           json={"position": 1, "sla_hours": None, "owner_kind": "role", "owner_role": "processor",
                                 "requirements": [{"kind": "min_score", "value": 70}]})

    assert patched.status_code == 200, patched.text
    assert patched.json()["owner_name"] == "做单专员" and patched.json()["sla_hours"] is None
    assert patched.json()["requirement_names"] == ["资质评分 ≥ 70"]
    assert names(client, team.sales)[:2] == ["上门面签", "线索录入"]
    positions = [s["position"] for s in client.get("/api/pipeline/stages", headers=auth(team.sales)).json()]
    assert positions == list(range(1, 10))


def test_bad_input_names_the_field_and_changes_nothing(client, team, stages):
    base = {"name": "新阶段", "lifecycle_stage": "lead"}
    cases = [
        ({**base, "owner_kind": "role"}, "owner_role"),
        ({**base, "owner_kind": "employee"}, "owner_employee_id"),
        ({**base, "owner_kind": "employee", "owner_employee_id": 999999}, "owner_employee_id"),
        ({**base, "requirements": [{"kind": "min_score"}]}, "requirements[0].value"),
        ({**base, "requirements": [{"kind": "product_chosen", "value": 3}]}, "requirements[0].value"),
        ({**base, "requirements": [{"kind": "product_chosen"}, {"kind": "product_chosen"}]}, "requirements[1].kind"),
        ({**base, "name": "线索录入"}, "name"),
    ]
    for body, field in cases:
        answer = client.post("/api/pipeline/stages", json=body, headers=auth(team.manager))
        assert answer.status_code in (409, 422) and answer.json()["field"] == field, (body, answer.text)
    for body in ({**base, "sla_hours": 0}, {**base, "lifecycle_stage": "nowhere"},
                 {**base, "requirements": [{"kind": "has_car"}]}, {**base, "name": ""}, {**base, "colour": "red"}):
        answer = client.post("/api/pipeline/stages", json=body, headers=auth(team.manager))
        assert answer.status_code == 422, (body, answer.text)
    assert len(names(client, team.manager)) == 8
    review = stages["风控复审"]
    answer = client.patch(f"/api/pipeline/stages/{review.id}", json={"owner_kind": "employee"},
                          headers=auth(team.manager))
    assert answer.status_code == 422 and answer.json()["field"] == "owner_employee_id"
    assert client.get("/api/pipeline/stages", headers=auth(team.manager)).json()[4]["owner_kind"] == "role"


def test_a_stage_holding_customers_is_not_deleted(client, db, team, stages):
    customer = make_customer(db, team.sales, stage=Stage.lead)
    make_customer(db, team.other_sales, stage=Stage.lead)
    assignment = stages["客户分配"]
    assert client.post(f"/api/customers/{customer.id}/pipeline/move", json={"stage_id": assignment.id},
                       headers=auth(team.sales)).status_code == 200

    refused = client.delete(f"/api/pipeline/stages/{assignment.id}", headers=auth(team.manager))
    assert refused.status_code == 409 and refused.json()["held"] == 1
    assert "还有 1 位客户" in refused.json()["message"]
    # customers placed by their lifecycle stage count too: every lead but the one moved stands in 线索录入
    refused = client.delete(f"/api/pipeline/stages/{stages['线索录入'].id}", headers=auth(team.manager)).json()
    assert refused["held"] == 1

    assert client.post(f"/api/customers/{customer.id}/pipeline/move", json={"stage_id": stages["线索录入"].id},
                       headers=auth(team.sales)).status_code == 200
    assert client.delete(f"/api/pipeline/stages/{assignment.id}", headers=auth(team.sales)).status_code == 403
    assert client.delete(f"/api/pipeline/stages/{assignment.id}", headers=auth(team.manager)).status_code == 204
    assert "客户分配" not in names(client, team.manager)
    history = client.get(f"/api/customers/{customer.id}/pipeline/history", headers=auth(team.sales)).json()
    assert [s["stage_name"] for s in history["stays"]] == ["线索录入", "客户分配", "线索录入"]
    assert history["stays"][1]["stage_id"] is None
