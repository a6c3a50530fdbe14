"""The back-office order keeps its own states; signing it moves the customer to 合同签署 and disbursing the loan to 放款,
through the order's events (the outbox, delivered after commit), recorded as moved by the system with no entry
requirement checked, and never backwards."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backoffice.orders import service as order_service
from backoffice.orders.events import OrderSigned
from backoffice.orders.models import FollowUpKind
from backoffice.settlements import service as settlement_service
from scrm.customers.models import Customer, LoanProduct, Stage
from scrm.pipeline import service as pipeline_service
from scrm.pipeline.models import CustomerPipeline, PipelineStay
from scrm.pipeline.schemas import MoveIn
from tests.factories.backoffice import disbursed, make_world, terms


def stays(db, customer_id: int) -> list[tuple[str, str]]:
    return [(s.stage_name, s.source) for s in db.scalars(
        select(PipelineStay).where(PipelineStay.customer_id == customer_id).order_by(PipelineStay.id))]


def test_signing_and_disbursement_each_move_the_customer_through_events(committed_db):
    db = committed_db
    stages = {s.name: s for s in pipeline_service.seed_stages(db)}
    w = make_world(db)
    customer = w.customer(db, stage=Stage.contacted)
    customer.product_id = db.scalars(select(LoanProduct.id).where(LoanProduct.code == "credit")).one()
    db.flush()
    pipeline_service.move(db, w.sales, customer.id, MoveIn(stage_id=stages["方案匹配"].id))
    db.commit()

    order = order_service.sign_order(db, w.sales, customer.id, terms())
    db.commit()  # the events go out after commit and their subscribers run

    db.expire_all()
    placed = db.get(CustomerPipeline, customer.id)
    # 合同签署 asks for complete materials, which this customer has not: the signed order moved them all the same
    assert placed.stage_id == stages["合同签署"].id and placed.moved_by_id is None

    order_service.confirm_contract(db, w.finance, order)
    order_service.review(db, w.supervisor, order)
    order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
    order_service.add_follow_up(db, w.processor, order, FollowUpKind.disbursed_pending, "银行已放款")
    settlement_service.disburse(db, w.processor, order, amount_fen=18_000_000, disbursed_on=date(2026, 11, 20),
                                funder_name="招商银行", term_months=36, repayment_day=15)
    db.commit()

    db.expire_all()
    assert db.get(CustomerPipeline, customer.id).stage_id == stages["放款"].id
    assert db.get(Customer, customer.id).stage == Stage.disbursed
    assert stays(db, customer.id) == [("资质初审", "placed"), ("方案匹配", "manual"), ("合同签署", "order.signed"),
                                      ("放款", "loan.disbursed")]

    # a replayed signing (or one arriving late) does not take the customer back
    pipeline_service.on_order_signed(db, OrderSigned(order_id=order.id, customer_id=customer.id,
                                                     salesperson_employee_id=w.sales.id, product_code="credit",
                                                     funder_type="bank", amount_applied_fen=1))
    db.commit()
    assert db.get(CustomerPipeline, customer.id).stage_id == stages["放款"].id
    assert len(stays(db, customer.id)) == 4


def test_a_customer_placed_by_their_stage_gets_a_recorded_stay_from_the_events(committed_db):
    db = committed_db
    stages = {s.name: s for s in pipeline_service.seed_stages(db)}
    w = make_world(db)
    db.commit()

    order, _ = disbursed(db, w)  # signed and disbursed in one transaction: both events arrive after it
    db.commit()

    db.expire_all()
    assert db.get(CustomerPipeline, order.customer_id).stage_id == stages["放款"].id
    assert stays(db, order.customer_id) == [("放款", "loan.disbursed")]
