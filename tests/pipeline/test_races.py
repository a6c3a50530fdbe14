"""Six people moving one customer at the same moment, through the served app on PostgreSQL and on the embedded
SQLite default: the moves happen one after another, so the customer ends in one stage with one open stay, and every
stay but the last was closed when the next began."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from scrm.customers.models import Stage
from scrm.pipeline.models import CustomerPipeline, PipelineStay
from tests.conftest import race
from tests.factories.customers import make_customer
from tests.factories.org import auth
from tests.pipeline.conftest import make_team, stages_by_name


def test_six_moves_of_one_customer_at_once(committed_any, served_any):
    db = committed_any
    team = make_team(db)
    stages = stages_by_name(db)
    customer = make_customer(db, team.sales, "并发移动", stage=Stage.lead)
    db.commit()
    targets = [stages[name].id for name in ("客户分配", "线索录入", "客户分配", "线索录入", "客户分配", "客户分配")]
    url = f"{served_any.url}/api/customers/{customer.id}/pipeline/move"

    answers = race(6, lambda i: httpx.post(url, headers=auth(team.sales), json={"stage_id": targets[i]}, timeout=60))

    codes = [getattr(a, "status_code", a) for a in answers]
    assert set(codes) <= {200, 409} and 200 in codes, [getattr(a, "text", a) for a in answers]
    refused = [a.json() for a in answers if a.status_code == 409]
    assert all(r["message"].startswith("客户已在") for r in refused)
    db.expire_all()
    stays = list(db.scalars(select(PipelineStay).where(PipelineStay.customer_id == customer.id)
                            .order_by(PipelineStay.entered_at, PipelineStay.id)))
    assert len(stays) == codes.count(200) + 1  # the placed stay, then one per move made
    assert [s.left_at is None for s in stays] == [False] * (len(stays) - 1) + [True]
    assert all(a.left_at == b.entered_at for a, b in zip(stays, stays[1:]))
    assert all(a.stage_id != b.stage_id for a, b in zip(stays, stays[1:]))
    assert db.get(CustomerPipeline, customer.id).stage_id == stays[-1].stage_id
