"""Deposits (定金确认, 退定) and customer borrowing (借款) of an order."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from sqlalchemy.orm import Session

from backoffice.common.money import fen_of, yuan
from backoffice.contracts import service as contract_service
from backoffice.deposits import schemas
from backoffice.deposits import service as deposit_service
from backoffice.deposits.models import Borrowing, Deposit
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES, NotFound
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice", tags=["backoffice: deposits"], responses=ERROR_RESPONSES)

OrderId = Annotated[int, Path(ge=1)]
ProcessorStaff = Annotated[Employee, Depends(require_roles(Role.processor))]


def deposit_out(session: Session, deposit: Deposit) -> schemas.DepositOut:
    refunds = [schemas.RefundOut(id=r.id, amount=yuan(r.amount_fen), reason=r.reason, status=r.status,
                                 filed_by_id=r.filed_by_id, filed_at=r.filed_at, decided_by_id=r.decided_by_id,
                                 decided_at=r.decided_at) for r in deposit_service.refunds_of(session, deposit.id)]
    return schemas.DepositOut(id=deposit.id, order_id=deposit.order_id, status=deposit.status,
                              received=yuan(deposit.received_fen), refunded=yuan(deposit.refunded_fen),
                              refundable=yuan(deposit_service.refundable_fen(session, deposit)),
                              method=deposit.method, received_at=deposit.received_at, refunds=refunds)


def borrowing_out(b: Borrowing) -> schemas.BorrowingOut:
    return schemas.BorrowingOut(id=b.id, order_id=b.order_id, status=b.status, principal=yuan(b.principal_fen),
                                lent_on=b.lent_on, annual_rate=Decimal(b.annual_rate_bp) / 100, cost=yuan(b.cost_fen),
                                interest=yuan(b.interest_fen), repaid_on=b.repaid_on, repaid_via=b.repaid_via)


def _deposit(session: Session, staff: Employee, order_id: int) -> Deposit:
    contract_service.get_visible_order(session, staff, order_id)
    deposit = deposit_service.deposit_of(session, order_id)
    if deposit is None:
        raise NotFound(f"订单 {order_id} 还没有确认定金")
    return deposit


@router.post("/orders/{order_id}/deposit", response_model=schemas.DepositOut, status_code=status.HTTP_201_CREATED)
def confirm_deposit(order_id: OrderId, body: schemas.DepositConfirm, staff: FinanceStaff,
                    session: SessionDep) -> schemas.DepositOut:
    """Finance confirms the deposit (定金确认) of a reviewed order; it goes into processing with the processor."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    deposit = deposit_service.confirm_deposit(session, staff, order, processor_id=body.processor_id,
                                              amount_fen=fen_of(body.amount), method=body.method)
    return deposit_out(session, deposit)


@router.get("/orders/{order_id}/deposit", response_model=schemas.DepositOut)
def get_deposit(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> schemas.DepositOut:
    """The order's deposit with its refunds and what is still refundable."""
    return deposit_out(session, _deposit(session, staff, order_id))


@router.post("/orders/{order_id}/deposit/refunds", response_model=schemas.DepositOut,
             status_code=status.HTTP_201_CREATED)
def file_refund(order_id: OrderId, body: schemas.RefundCreate, staff: ProcessorStaff,
                session: SessionDep) -> schemas.DepositOut:
    """The order's processing specialist files a refund (退定) with a reason; finance confirms it."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    refund = deposit_service.file_refund(session, staff, order, fen_of(body.amount), body.reason)
    return deposit_out(session, session.get(Deposit, refund.deposit_id))


@router.post("/refunds/{refund_id}/confirm", response_model=schemas.DepositOut)
def confirm_refund(refund_id: Annotated[int, Path(ge=1)], body: schemas.RefundDecision, staff: FinanceStaff,
                   session: SessionDep) -> schemas.DepositOut:
    """Finance confirms and pays a refund; a full refund ends an order in processing."""
    refund = deposit_service.confirm_refund(session, staff, deposit_service.get_refund(session, refund_id),
                                            method=body.method)
    return deposit_out(session, session.get(Deposit, refund.deposit_id))


@router.post("/refunds/{refund_id}/reject", response_model=schemas.DepositOut)
def reject_refund(refund_id: Annotated[int, Path(ge=1)], body: schemas.RefundReject, staff: FinanceStaff,
                  session: SessionDep) -> schemas.DepositOut:
    """Finance turns a refund request down."""
    refund = deposit_service.reject_refund(session, staff, deposit_service.get_refund(session, refund_id), body.note)
    return deposit_out(session, session.get(Deposit, refund.deposit_id))


@router.get("/orders/{order_id}/borrowings", response_model=list[schemas.BorrowingOut])
def list_borrowings(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> list[schemas.BorrowingOut]:
    """The customer's borrowings on this order."""
    contract_service.get_visible_order(session, staff, order_id)
    return [borrowing_out(b) for b in deposit_service.borrowings_of(session, order_id)]


@router.post("/orders/{order_id}/borrowings", response_model=schemas.BorrowingOut, status_code=status.HTTP_201_CREATED)
def lend(order_id: OrderId, body: schemas.BorrowingCreate, staff: FinanceStaff,
         session: SessionDep) -> schemas.BorrowingOut:
    """Finance lends the customer money (借款); repaid at settlement or separately."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    borrowing = deposit_service.lend(session, staff, order, principal_fen=fen_of(body.principal), lent_on=body.lent_on,
                                     annual_rate_bp=int(body.annual_rate * 100), cost_fen=fen_of(body.cost),
                                     method=body.method)
    return borrowing_out(borrowing)


@router.post("/borrowings/{borrowing_id}/repay", response_model=schemas.BorrowingOut)
def repay(borrowing_id: Annotated[int, Path(ge=1)], body: schemas.BorrowingRepay, staff: FinanceStaff,
          session: SessionDep) -> schemas.BorrowingOut:
    """The customer repays a borrowing outside the settlement (principal, interest to `on`, cost)."""
    borrowing = deposit_service.repay_separately(session, staff, deposit_service.get_borrowing(session, borrowing_id),
                                                 on=body.on, method=body.method)
    return borrowing_out(borrowing)
