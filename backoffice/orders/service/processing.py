"""Processing (做单): follow-up records, the disbursement (放款), and the order settled or reopened by its
settlement."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.orders.events import LoanDisbursed
from backoffice.orders.models import FollowUpKind, Order, ProcessingFollowUp
from backoffice.orders.service.contracts import ORDER_MACHINE, require_role
from scrm.core import events
from scrm.core.clock import beijing_today
from scrm.core.errors import Forbidden, InvalidTransition, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.org.models import Employee, Role


def _check_processor(actor: Employee, order: Order) -> None:
    require_role(actor, Role.processor)
    if actor.role == Role.processor and order.processor_id != actor.id:
        raise Forbidden("只有该订单的做单专员可以操作")


def add_follow_up(session: Session, actor: Employee, order: Order, kind: FollowUpKind, content: str
                  ) -> ProcessingFollowUp:
    """The processing specialist records progress on the loan file."""
    _check_processor(actor, order)
    ORDER_MACHINE.check(order, "follow_up")
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
             funder_name: str, term_months: int | None = None, repayment_day: int | None = None) -> Order:
    """Mark the loan disbursed after a 'disbursed, pending settlement' follow-up; the caller opens the settlement."""
    _check_processor(actor, order)
    if amount_fen <= 0:
        raise ValidationFailed("放款金额必须大于 0", field="amount")
    if not (funder_name or "").strip():
        raise ValidationFailed("请填写放款机构", field="funder_name")
    if term_months is not None and not 1 <= term_months <= 360:
        raise ValidationFailed("期数须在 1 到 360 之间", field="term_months")
    if repayment_day is not None and not 1 <= repayment_day <= 28:
        raise ValidationFailed("还款日须在 1 到 28 之间", field="repayment_day")
    if disbursed_on > beijing_today():
        raise ValidationFailed("放款日期不能晚于今天", field="disbursed_on")
    ORDER_MACHINE.check(order, "disburse")
    if not any(f.kind == FollowUpKind.disbursed_pending for f in follow_ups(session, order.id)):
        raise InvalidTransition("请先记录一条“已放款待结算”的做单跟进")
    ORDER_MACHINE.advance(session, order, "disburse", actor_id=actor.id, data={"amount_fen": amount_fen})
    order.disbursed_amount_fen, order.disbursed_on = amount_fen, disbursed_on
    order.funder_name, order.term_months, order.repayment_day = funder_name.strip()[:64], term_months, repayment_day
    customer_service.set_stage(session, order.customer_id, Stage.disbursed, actor_employee_id=actor.id,
                               source_key=f"order:{order.id}:disbursed", note=f"放款 {order.agreement_no}")
    events.emit(session, LoanDisbursed(
        order_id=order.id, customer_id=order.customer_id, amount_fen=amount_fen, disbursed_on=disbursed_on,
        funder_name=order.funder_name, term_months=term_months, repayment_day=repayment_day))
    return order


def check_settle(order: Order) -> None:
    """409 unless the order may be settled now (checked before a settlement is closed)."""
    ORDER_MACHINE.check(order, "settle")


def settle(session: Session, actor_id: int | None, order: Order, settled_at: datetime) -> Order:
    """The order is settled by the closing of its settlement."""
    ORDER_MACHINE.advance(session, order, "settle", actor_id=actor_id)
    order.settled_at = settled_at
    return order


def reopen_settlement(session: Session, actor_id: int | None, order: Order, reason: str) -> Order:
    """The order is awaiting settlement again: its settlement was voided."""
    ORDER_MACHINE.advance(session, order, "reopen_settlement", actor_id=actor_id, note=reason)
    order.settled_at = None
    return order
