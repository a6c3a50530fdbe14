"""Processing (做单): follow-up records and marking the disbursement (放款)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.contracts import service as contract_service
from backoffice.contracts.models import Order
from backoffice.processing.models import FollowUpKind, ProcessingFollowUp
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import Settlement
from scrm.core import events
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.core.errors import Forbidden, InvalidTransition, ValidationFailed
from scrm.org.models import Employee, Role


def _check_processor(actor: Employee, order: Order) -> None:
    contract_service._require(actor, Role.processor)
    if actor.role == Role.processor and order.processor_id != actor.id:
        raise Forbidden("只有该订单的做单专员可以操作")


def add_follow_up(session: Session, actor: Employee, order: Order, kind: FollowUpKind, content: str
                  ) -> ProcessingFollowUp:
    """The processing specialist records progress on the loan file."""
    _check_processor(actor, order)
    contract_service.ORDER_MACHINE.check(order, "follow_up")
    content = (content or "").strip()
    if not content:
        raise ValidationFailed("请填写跟进内容", field="content")
    follow_up = ProcessingFollowUp(order_id=order.id, employee_id=actor.id, kind=kind, content=content[:5000])
    session.add(follow_up)
    session.flush()
    return follow_up


def follow_ups(session: Session, order_id: int) -> list[ProcessingFollowUp]:
    session.flush()
    return list(session.scalars(select(ProcessingFollowUp).where(ProcessingFollowUp.order_id == order_id)
                                .order_by(ProcessingFollowUp.id)))


def disburse(session: Session, actor: Employee, order: Order, *, amount_fen: int, disbursed_on: date,
             funder_name: str, term_months: int | None = None, repayment_day: int | None = None) -> Settlement:
    """Mark the loan disbursed after a 'disbursed, pending settlement' follow-up; opens the settlement."""
    _check_processor(actor, order)
    if amount_fen <= 0:
        raise ValidationFailed("放款金额必须大于 0", field="amount")
    if not (funder_name or "").strip():
        raise ValidationFailed("请填写放款机构", field="funder_name")
    if term_months is not None and not 1 <= term_months <= 360:
        raise ValidationFailed("期数须在 1 到 360 之间", field="term_months")
    if repayment_day is not None and not 1 <= repayment_day <= 28:
        raise ValidationFailed("还款日须在 1 到 28 之间", field="repayment_day")
    contract_service.ORDER_MACHINE.check(order, "disburse")
    if not any(f.kind == FollowUpKind.disbursed_pending for f in follow_ups(session, order.id)):
        raise InvalidTransition("请先记录一条“已放款待结算”的做单跟进")
    contract_service.ORDER_MACHINE.advance(session, order, "disburse", actor_id=actor.id,
                                           data={"amount_fen": amount_fen})
    order.disbursed_amount_fen, order.disbursed_on = amount_fen, disbursed_on
    order.funder_name, order.term_months, order.repayment_day = funder_name.strip()[:64], term_months, repayment_day
    settlement = settlement_service.open_settlement(session, order, actor_id=actor.id)
    customer_service.set_stage(session, order.customer_id, Stage.disbursed, actor_employee_id=actor.id,
                               source_key=f"order:{order.id}:disbursed", note=f"放款 {order.agreement_no}")
    events.emit(session, "loan.disbursed", {
        "order_id": order.id, "customer_id": order.customer_id, "amount_fen": amount_fen,
        "disbursed_on": disbursed_on.isoformat(), "funder_name": order.funder_name, "term_months": term_months,
        "repayment_day": repayment_day})
    return settlement


def on_customer_erased(session: Session, payload: dict) -> None:
    """Event subscriber: the processing notes on the customer's orders lose their text; kinds and times stay."""
    orders = select(Order.id).where(Order.customer_id == payload["customer_id"])
    session.execute(update(ProcessingFollowUp).where(ProcessingFollowUp.order_id.in_(orders))
                    .values(content=customer_service.ERASED_TEXT))
    session.flush()
