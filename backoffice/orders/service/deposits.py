"""Deposit confirmation (定金确认), refunds (退定) and customer borrowing (借款), each posted to the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.common.history import log_transition
from backoffice.common.loading import get_or_404, one_or_raise
from backoffice.ledger import service as ledger
from backoffice.ledger.chart import PAYMENT_ACCOUNT
from backoffice.ledger.service import cr, dr
from backoffice.orders.events import DepositRefunded
from backoffice.orders.labels import DEPOSIT_STATUS_NAMES, REFUND_STATUS_NAMES
from backoffice.orders.models import (Borrowing, BorrowingStatus, Deposit, DepositRefund, DepositStatus, Order,
                                      RefundStatus)
from backoffice.orders.service.contracts import ORDER_MACHINE, get_order, require_role
from scrm.core import events
from scrm.core.db import utcnow
from scrm.core.errors import Forbidden, InvalidTransition, ValidationFailed
from scrm.core.money import from_fen, round_fen, to_fen
from scrm.core.statemachine import Machine
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.org.models import Employee, Role

D, R, B = DepositStatus, RefundStatus, BorrowingStatus
DEPOSIT_MACHINE = Machine("deposit", "定金", {
    (D.held, "refund_part"): D.held,
    (D.held, "refund_rest"): D.refunded,
    (D.held, "apply"): D.applied,
    (D.applied, "release"): D.held,
}, log_transition, state_labels=DEPOSIT_STATUS_NAMES)
REFUND_MACHINE = Machine("deposit_refund", "退定申请", {
    (R.filed, "confirm"): R.confirmed,
    (R.filed, "reject"): R.rejected,
}, log_transition, state_labels=REFUND_STATUS_NAMES)
BORROWING_MACHINE = Machine("borrowing", "借款", {
    (B.lent, "repay"): B.repaid,
    (B.repaid, "reopen"): B.lent,
}, log_transition)
CASH_METHODS = ("cash", "alipay", "wechat", "online_bank")


def allowed_actions(obj: Order | Deposit | DepositRefund | Borrowing, actor: Employee | None = None) -> list[str]:
    """The actions the order, deposit, refund or borrowing may take now (for ``actor``'s role, when given)."""
    machine = {Order: ORDER_MACHINE, Deposit: DEPOSIT_MACHINE, DepositRefund: REFUND_MACHINE,
               Borrowing: BORROWING_MACHINE}[type(obj)]
    return machine.allowed_actions(obj, actor)


def _method(method: str) -> str:
    if method not in CASH_METHODS:
        raise ValidationFailed(f"收付款方式只能是 {', '.join(CASH_METHODS)} 之一", field="method")
    return PAYMENT_ACCOUNT[method]


def deposit_of(session: Session, order_id: int) -> Deposit | None:
    session.flush()
    return session.scalar(select(Deposit).where(Deposit.order_id == order_id))


def deposits_of(session: Session, order_ids: list[int]) -> dict[int, Deposit]:
    """The deposits of several orders, by order id (orders without one are absent)."""
    session.flush()
    if not order_ids:
        return {}
    return {d.order_id: d for d in session.scalars(select(Deposit).where(Deposit.order_id.in_(order_ids)))}


def confirm_deposit(session: Session, actor: Employee, order: Order, *, processor_id: int,
                    amount_fen: int | None = None, method: str = "cash") -> Deposit:
    """Finance confirms the deposit received; the order goes into processing with a processing specialist."""
    require_role(actor, Role.finance)
    account = _method(method)
    processor = session.get(Employee, processor_id)
    if processor is None or processor.role != Role.processor:
        raise ValidationFailed(f"编号 {processor_id} 不是做单专员", field="processor_id")
    amount_fen = order.deposit_fen if amount_fen is None else amount_fen
    if amount_fen < 0:
        raise ValidationFailed("定金不能为负数", field="amount")
    ORDER_MACHINE.advance(session, order, "start_processing", actor_id=actor.id,
                          data={"processor_id": processor_id})
    order.processor_id, order.processing_at = processor.id, utcnow()
    deposit = Deposit(order_id=order.id, received_fen=amount_fen, method=method, confirmed_by_id=actor.id)
    session.add(deposit)
    DEPOSIT_MACHINE.record_creation(session, deposit, actor_id=actor.id)
    if amount_fen:
        ledger.post(session, [dr(account, amount_fen), cr("deposits_held", amount_fen)], "deposit.received",
                    deposit.id, f"定金 {order.agreement_no}", order_id=order.id)
    customer_service.set_stage(session, order.customer_id, Stage.processing, actor_employee_id=actor.id,
                               source_key=f"order:{order.id}:processing", note=f"定金确认 {order.agreement_no}")
    return deposit


def refundable_fen(session: Session, deposit: Deposit) -> int:
    """What may still be asked back: received, less refunds confirmed or waiting for finance."""
    pending = session.scalar(select(func.coalesce(func.sum(DepositRefund.amount_fen), 0))
                             .where(DepositRefund.deposit_id == deposit.id, DepositRefund.status == R.filed))
    return deposit.received_fen - deposit.refunded_fen - int(pending or 0)


def _deposit_for(session: Session, order: Order, *, lock: bool = False) -> Deposit:
    return one_or_raise(session, Deposit, Deposit.order_id == order.id,
                        InvalidTransition(f"订单 {order.agreement_no} 尚未确认定金"), lock=lock)


def file_refund(session: Session, actor: Employee, order: Order, amount_fen: int, reason: str) -> DepositRefund:
    """The processing specialist files a refund (退定) with a reason; never above what is left to refund."""
    require_role(actor, Role.processor)
    if actor.role == Role.processor and order.processor_id != actor.id:
        raise Forbidden("只有该订单的做单专员可以申请退定")
    if not (reason or "").strip():
        raise ValidationFailed("请填写退定原因", field="reason")
    ORDER_MACHINE.check(order, "refund")
    deposit = _deposit_for(session, order, lock=True)
    if deposit.status != D.held:
        raise InvalidTransition(f"定金当前状态为 {deposit.status.value}，不能退定")
    if amount_fen <= 0:
        raise ValidationFailed("退定金额必须大于 0", field="amount")
    left = refundable_fen(session, deposit)
    if amount_fen > left:
        raise ValidationFailed(f"退定金额超过可退金额 {from_fen(left)} 元", field="amount")
    refund = DepositRefund(deposit_id=deposit.id, amount_fen=amount_fen, reason=reason.strip()[:200],
                           filed_by_id=actor.id)
    session.add(refund)
    REFUND_MACHINE.record_creation(session, refund, actor_id=actor.id, note=reason)
    return refund


def get_refund(session: Session, refund_id: int) -> DepositRefund:
    return get_or_404(session, DepositRefund, refund_id, "退定申请")


def confirm_refund(session: Session, actor: Employee, refund: DepositRefund, *, method: str = "cash") -> DepositRefund:
    """Finance confirms and pays a refund; a full refund of an order in processing ends it (退定)."""
    require_role(actor, Role.finance)
    account = _method(method)
    deposit = session.scalar(select(Deposit).where(Deposit.id == refund.deposit_id).with_for_update())
    REFUND_MACHINE.check(refund, "confirm")
    if refund.amount_fen > deposit.received_fen - deposit.refunded_fen:
        raise InvalidTransition("退定金额超过已收定金")
    order = get_order(session, deposit.order_id, lock=True)
    ORDER_MACHINE.check(order, "refund")
    full = deposit.refunded_fen + refund.amount_fen == deposit.received_fen
    DEPOSIT_MACHINE.advance(session, deposit, "refund_rest" if full else "refund_part", actor_id=actor.id,
                            data={"refund_id": refund.id, "amount_fen": refund.amount_fen})
    REFUND_MACHINE.advance(session, refund, "confirm", actor_id=actor.id)
    deposit.refunded_fen += refund.amount_fen
    refund.decided_by_id, refund.decided_at = actor.id, utcnow()
    ledger.post(session, [dr("deposits_held", refund.amount_fen), cr(account, refund.amount_fen)],
                "deposit.refunded", refund.id, f"退定 {order.agreement_no}", order_id=order.id)
    if full:
        ORDER_MACHINE.advance(session, order, "refund_all", actor_id=actor.id, note=refund.reason)
        customer_service.set_stage(session, order.customer_id, Stage.lost, actor_employee_id=actor.id,
                                   source_key=f"order:{order.id}:refunded", note=f"全额退定 {order.agreement_no}")
    events.emit(session, DepositRefunded(deposit_id=deposit.id, order_id=order.id, customer_id=order.customer_id,
                                          amount_fen=refund.amount_fen, full=full))
    return refund


def reject_refund(session: Session, actor: Employee, refund: DepositRefund, note: str) -> DepositRefund:
    """Finance turns a refund request down."""
    require_role(actor, Role.finance)
    REFUND_MACHINE.advance(session, refund, "reject", actor_id=actor.id, note=note)
    refund.decided_by_id, refund.decided_at = actor.id, utcnow()
    return refund


def refunds_of(session: Session, deposit_id: int) -> list[DepositRefund]:
    return list(session.scalars(select(DepositRefund).where(DepositRefund.deposit_id == deposit_id)
                                .order_by(DepositRefund.id)))


# ---------------------------------------------------------------------------------------------
# customer borrowing (借款)

def lend(session: Session, actor: Employee, order: Order, *, principal_fen: int, lent_on: date,
         annual_rate_bp: int, cost_fen: int = 0, method: str = "online_bank") -> Borrowing:
    """Finance lends the customer money against the order (e.g. to clear a debt before the loan)."""
    require_role(actor, Role.finance)
    account = _method(method)
    ORDER_MACHINE.check(order, "lend")
    if principal_fen <= 0:
        raise ValidationFailed("借款本金必须大于 0", field="principal")
    if not 0 <= annual_rate_bp <= 3600:
        raise ValidationFailed("年利率须在 0 到 36% 之间", field="annual_rate")
    if cost_fen < 0:
        raise ValidationFailed("借款成本不能为负数", field="cost")
    borrowing = Borrowing(order_id=order.id, principal_fen=principal_fen, lent_on=lent_on,
                          annual_rate_bp=annual_rate_bp, cost_fen=cost_fen, method=method, created_by_id=actor.id)
    session.add(borrowing)
    BORROWING_MACHINE.record_creation(session, borrowing, actor_id=actor.id)
    ledger.post(session, [dr("loan_receivable", principal_fen), cr(account, principal_fen)], "borrowing.lent",
                borrowing.id, f"借款 {order.agreement_no}", order_id=order.id)
    return borrowing


def interest_fen(borrowing: Borrowing, on: date) -> int:
    """Simple interest, actual days / 365, rounded once."""
    days = max((on - borrowing.lent_on).days, 0)
    interest = from_fen(borrowing.principal_fen) * Decimal(borrowing.annual_rate_bp) / 10000 * days / 365
    return to_fen(round_fen(interest))


def outstanding_borrowings(session: Session, order_id: int) -> list[Borrowing]:
    session.flush()
    return list(session.scalars(select(Borrowing).where(Borrowing.order_id == order_id, Borrowing.status == B.lent)
                                .order_by(Borrowing.id)))


def borrowings_of(session: Session, order_id: int) -> list[Borrowing]:
    session.flush()
    return list(session.scalars(select(Borrowing).where(Borrowing.order_id == order_id).order_by(Borrowing.id)))


def mark_repaid(session: Session, actor_id: int | None, borrowing: Borrowing, on: date, via: str) -> int:
    """Fix the interest and mark repaid; returns the interest. Posting is the caller's (settlement or separate)."""
    BORROWING_MACHINE.advance(session, borrowing, "repay", actor_id=actor_id, data={"via": via})
    borrowing.interest_fen = interest_fen(borrowing, on)
    borrowing.repaid_on, borrowing.repaid_via = on, via
    return borrowing.interest_fen


def apply_deposit(session: Session, actor_id: int | None, deposit: Deposit, settlement_id: int) -> None:
    """The deposit is taken into a settlement being closed."""
    DEPOSIT_MACHINE.advance(session, deposit, "apply", actor_id=actor_id, data={"settlement_id": settlement_id})


def release_deposit(session: Session, actor_id: int | None, deposit: Deposit) -> None:
    """The deposit a voided settlement had taken is held for the order again."""
    DEPOSIT_MACHINE.advance(session, deposit, "release", actor_id=actor_id)


def reopen_borrowing(session: Session, actor_id: int | None, borrowing: Borrowing) -> None:
    """A borrowing repaid through a settlement since voided is owed again, its interest no longer fixed."""
    BORROWING_MACHINE.advance(session, borrowing, "reopen", actor_id=actor_id)
    borrowing.interest_fen = borrowing.repaid_on = borrowing.repaid_via = None


def repay_separately(session: Session, actor: Employee, borrowing: Borrowing, *, on: date,
                     method: str = "online_bank") -> Borrowing:
    """The customer repays a borrowing outside the settlement: principal, interest and cost."""
    require_role(actor, Role.finance)
    account = _method(method)
    interest = mark_repaid(session, actor.id, borrowing, on, "separate")
    total = borrowing.principal_fen + interest + borrowing.cost_fen
    ledger.post(session, [dr(account, total), cr("loan_receivable", borrowing.principal_fen),
                          cr("interest_income", interest + borrowing.cost_fen)],
                "borrowing.repaid", borrowing.id, "借款还款", order_id=borrowing.order_id)
    return borrowing


def get_borrowing(session: Session, borrowing_id: int) -> Borrowing:
    return get_or_404(session, Borrowing, borrowing_id, "借款")
