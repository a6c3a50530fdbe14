"""销售流程 pages over HTTP: the board in the viewer's scope, a move by its button, a refusal listing what is missing,
the stages editor (errors next to their input, a stage with customers not deleted) and time in each stage on the
customer page."""

from __future__ import annotations

import re

from scrm.customers.models import Stage
from scrm.pipeline import service as pipeline_service
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.pipeline.conftest import make_team


def counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(
        r'aria-label="([^"]+)">\s*<h2><span>[^<]+</span><span class="count" data-count>(\d+)</span>', html)}


def test_the_board_moves_a_customer_and_shows_what_is_missing(client, db, sign_in):
    team = make_team(db)
    stages = {s.name: s for s in pipeline_service.seed_stages(db)}
    mine = make_customer(db, team.sales, "郑先生", stage=Stage.lead)
    make_customer(db, team.other_sales, "别人的客户", stage=Stage.lead)
    browser = sign_in(team.sales)

    page = browser.get("/console/pipeline")
    assert page.status_code == 200
    assert counts(page.text)["线索录入"] == 1 and "别人的客户" not in page.text
    token = csrf_of(page.text)
    moved = browser.post("/console/pipeline/move", data={"csrf_token": token, "customer_id": mine.id,
                                                          "customer_name": "郑先生",
                                                          "stage_id": stages["客户分配"].id})
    assert moved.status_code == 200 and "客户已移到新阶段" in moved.text
    assert counts(moved.text)["线索录入"] == 0 and counts(moved.text)["客户分配"] == 1

    refused = browser.post("/console/pipeline/move", data={"csrf_token": token, "customer_id": mine.id,
                                                            "customer_name": "郑先生",
                                                            "stage_id": stages["风控复审"].id})
    assert refused.status_code == 409
    assert 'id="move-refused"' in refused.text and "未选择贷款产品" in refused.text
    assert "尚无资质评分（需 ≥ 60 分）" in refused.text
    assert counts(refused.text)["客户分配"] == 1

    detail = browser.get(f"/console/customers/{mine.id}")
    assert detail.status_code == 200 and 'id="time-in-stage"' in detail.text and "客户分配" in detail.text


def test_the_stages_editor_for_managers(client, db, sign_in):
    team = make_team(db)
    stages = {s.name: s for s in pipeline_service.seed_stages(db)}
    make_customer(db, team.sales, stage=Stage.contacted)
    assert sign_in(team.sales).post("/console/pipeline/stages", data={}).status_code == 403
    browser = sign_in(team.manager)
    page = browser.get("/console/pipeline/stages")
    assert page.status_code == 200 and "风控复审" in page.text
    token = csrf_of(page.text)

    bad = browser.post("/console/pipeline/stages", data={"csrf_token": token, "name": "面签", "lifecycle_stage":
                                                         "appointment", "owner_kind": "role", "owner_role": ""})
    assert bad.status_code == 422 and 'id="err-owner_role"' in bad.text
    bad = browser.post("/console/pipeline/stages", data={"csrf_token": token, "name": "面签", "lifecycle_stage":
                                                         "appointment", "owner_kind": "salesperson",
                                                         "min_score": "120"})
    assert bad.status_code == 422 and 'id="err-min_score"' in bad.text
    saved = browser.post("/console/pipeline/stages", data={"csrf_token": token, "name": "面签", "position": "4",
                                                           "lifecycle_stage": "appointment",
                                                           "owner_kind": "salesperson", "sla_hours": "12",
                                                           "req_product_chosen": "on", "min_score": "60"})
    assert saved.status_code == 200 and "流程阶段已保存" in saved.text
    created = next(s for s in pipeline_service.list_stages(db) if s.name == "面签")
    assert created.position == 4 and created.requirements == [{"kind": "product_chosen"},
                                                               {"kind": "min_score", "value": 60}]

    refused = browser.post(f"/console/pipeline/stages/{stages['资质初审'].id}/delete", data={"csrf_token": token})
    assert refused.status_code == 409 and "还有 1 位客户" in refused.text
    gone = browser.post(f"/console/pipeline/stages/{created.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 200 and "流程阶段已删除" in gone.text
