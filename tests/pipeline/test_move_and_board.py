"""Moving a customer along the pipeline: the entry requirements refuse with a 409 listing what is missing; the board's
columns count the same customers as the customers list, for a manager (their centre) and a salesperson (their own)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from scrm.core.db import utcnow
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, LoanProduct, Stage
from scrm.pipeline import service as pipeline_service
from scrm.pipeline.models import PipelineStay
from scrm.risk import service as risk_service
from scrm.risk.schemas import FactsIn
from tests.factories.customers import make_customer
from tests.factories.org import auth
from tests.pipeline.conftest import PDF


def product(db, code: str = "credit") -> LoanProduct:
    customer_service.seed_products(db)
    return db.scalars(select(LoanProduct).where(LoanProduct.code == code)).one()


def move(client, who, customer_id: int, stage_id: int):
    return client.post(f"/api/customers/{customer_id}/pipeline/move", json={"stage_id": stage_id}, headers=auth(who))


def test_moving_into_a_stage_checks_its_entry_requirements(client, db, team, stages):
    customer = make_customer(db, team.sales, "陈先生", stage=Stage.contacted)
    review = stages["风控复审"]

    refused = move(client, team.sales, customer.id, review.id)

    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["error"] == "requirements_missing" and body["field"] == "stage_id"
    assert [m["code"] for m in body["missing"]] == ["product_chosen", "materials_complete", "min_score"]
    assert body["missing"][0]["message"] == "未选择贷款产品"
    assert body["missing"][2]["message"] == "尚无资质评分（需 ≥ 60 分）"
    assert "风控复审" in body["message"]
    db.expire_all()
    assert db.get(Customer, customer.id).stage == Stage.contacted  # nothing moved, nothing written
    assert db.scalar(select(PipelineStay).where(PipelineStay.customer_id == customer.id)) is None

    # a product chosen: the materials its form asks for (信用贷: 征信报告, 身份证) and the score are still missing
    credit = product(db)
    db.get(Customer, customer.id).product_id = credit.id
    db.flush()
    risk_service.set_facts(db, team.sales, customer.id, FactsIn(worst_overdue="m3_plus"))
    customer_service.upload_attachment(db, db.get(Customer, customer.id), data=PDF, filename="id.pdf", kind="id_card")
    db.flush()
    refused = move(client, team.sales, customer.id, review.id).json()
    assert [m["code"] for m in refused["missing"]] == ["materials_complete", "min_score"]
    assert refused["missing"][0] == {"code": "materials_complete", "message": "资料不全，缺少：征信报告",
                                     "materials": ["credit_report"]}
    score = risk_service.get_facts(db, customer.id).score
    assert score < 60
    assert refused["missing"][1]["message"] == f"资质评分 {score} 分，低于 60 分"

    customer_service.upload_attachment(db, db.get(Customer, customer.id), data=PDF, filename="征信.pdf",
                                       kind="credit_report")
    risk_service.set_facts(db, team.sales, customer.id, FactsIn(worst_overdue="none", social_security_months=36))
    assert risk_service.get_facts(db, customer.id).score >= 60

    moved = move(client, team.sales, customer.id, review.id)

    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"]["name"] == "风控复审"
    db.expire_all()
    assert db.get(Customer, customer.id).stage == Stage.appointment  # the lifecycle stage 风控复审 stands for
    again = move(client, team.sales, customer.id, review.id)
    assert again.status_code == 409 and again.json()["message"] == "客户已在「风控复审」阶段"


def test_a_move_is_scoped_and_recorded_with_time_in_each_stage(client, db, team, stages):
    customer = make_customer(db, team.sales, "林女士")
    assert move(client, team.other_sales, customer.id, stages["客户分配"].id).status_code == 404
    assert move(client, team.sales, customer.id, 999999).json()["field"] == "stage_id"

    assert move(client, team.sales, customer.id, stages["客户分配"].id).status_code == 200
    assert move(client, team.supervisor, customer.id, stages["线索录入"].id).status_code == 200

    history = client.get(f"/api/customers/{customer.id}/pipeline/history", headers=auth(team.sales)).json()
    assert history["current_stage"]["name"] == "线索录入"
    assert [(s["stage_name"], s["source"], s["moved_by_name"]) for s in history["stays"]] == [
        ("线索录入", "placed", None), ("客户分配", "manual", "张三"), ("线索录入", "manual", "赵主管")]
    assert history["stays"][0]["left_at"] is not None and history["stays"][-1]["left_at"] is None
    assert [t["stage_name"] for t in history["time_in_stage"]] == ["线索录入", "客户分配"]
    assert client.get(f"/api/customers/{customer.id}/pipeline/history",
                      headers=auth(team.other_sales)).status_code == 404
    timeline = customer_service.list_timeline(db, customer.id, limit=10)
    assert any(t.summary == "销售流程：客户分配 → 线索录入" for t in timeline)


def _list_total(client, who, **params) -> int:
    answer = client.get("/api/customers", params={"status": "active", **params}, headers=auth(who))
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


def test_board_counts_equal_the_customers_list_for_a_manager_and_a_salesperson(client, db, team, stages):
    mine = [make_customer(db, team.sales, f"张客户{i}", stage=s)
            for i, s in enumerate([Stage.lead, Stage.lead, Stage.contacted, Stage.appointment, Stage.signed,
                                   Stage.processing, Stage.disbursed, Stage.settled, Stage.lost])]
    make_customer(db, team.colleague, "李客户", stage=Stage.contacted)
    make_customer(db, None, "公海客户")  # unassigned: the manager's pool, nobody's own
    for i in range(3):
        make_customer(db, team.other_sales, f"周客户{i}", stage=Stage.appointment)
    pipeline_service.seed_stages(db)
    assert move(client, team.sales, mine[0].id, stages["客户分配"].id).status_code == 200

    for who in (team.manager, team.sales, team.other_manager, team.supervisor):
        board = client.get("/api/pipeline/board", headers=auth(who)).json()
        counts = {c["stage"]["name"]: c["count"] for c in board["columns"]}
        assert board["total"] + board["lost"] == _list_total(client, who), who.name
        assert board["lost"] == _list_total(client, who, stage="lost")
        assert board["total"] == sum(counts.values())
        assert sum(len(c["customers"]) for c in board["columns"]) == board["total"]
        # the columns standing alone for a lifecycle stage count what the list counts for it
        assert counts["资质初审"] == _list_total(client, who, stage="contacted")
        assert counts["放款"] == _list_total(client, who, stage="disbursed")

    sales = {c["stage"]["name"]: c["count"] for c in
             client.get("/api/pipeline/board", headers=auth(team.sales)).json()["columns"]}
    assert sales == {"线索录入": 1, "客户分配": 1, "资质初审": 1, "方案匹配": 1, "风控复审": 0, "合同签署": 2,
                     "放款": 1, "贷后跟踪": 1}
    manager = client.get("/api/pipeline/board", headers=auth(team.manager)).json()
    assert manager["total"] == 10 and manager["lost"] == 1  # the centre's 8 + colleague's + the pool's; not 周五's
    # the other centre's manager: 周五's three and the unassigned pool every manager sees
    assert client.get("/api/pipeline/board", headers=auth(team.other_manager)).json()["total"] == 4


def test_board_shows_the_longest_in_a_stage_first(client, db, team, stages):
    now = utcnow()
    make_customer(db, team.sales, "老客户", created_at=now - timedelta(days=9))
    new = make_customer(db, team.sales, "新客户", created_at=now - timedelta(days=1))
    moved = make_customer(db, team.sales, "刚进来", created_at=now - timedelta(days=30))
    assert move(client, team.sales, moved.id, stages["客户分配"].id).status_code == 200
    assert move(client, team.sales, moved.id, stages["线索录入"].id).status_code == 200

    board = client.get("/api/pipeline/board", headers=auth(team.sales)).json()

    (column,) = [c for c in board["columns"] if c["stage"]["name"] == "线索录入"]
    assert [c["name"] for c in column["customers"]] == ["老客户", "新客户", "刚进来"]
    assert column["customers"][0]["hours_in_stage"] == 9 * 24
    assert column["stage"]["owner_name"] == "跟进销售"
    assert column["customers"][1]["id"] == new.id
