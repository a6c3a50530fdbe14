"""Orders (签单): sign, list, confirm (finance), review (supervisor), amend, void, correct; the deposit (定金确认,
退定) and customer borrowing (借款); the processing follow-ups (做单); the order's journal entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.common.history import history
from backoffice.common.money import fen_of, yuan
from backoffice.ledger import service as ledger
from backoffice.ledger.api import EntryOut, LineOut
from backoffice.orders import schemas
from backoffice.orders import service as order_service
from backoffice.orders.models import Borrowing, Deposit, FunderType, Order, OrderStatus
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep, SupervisorStaff, require_roles
from scrm.core.errors import ERROR_RESPONSES, NotFound
from scrm.core.params import Day
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice/orders", tags=["backoffice: orders"], responses=ERROR_RESPONSES)
deposits_router = APIRouter(prefix="/api/backoffice", tags=["backoffice: deposits"], responses=ERROR_RESPONSES)
processing_router = APIRouter(prefix="/api/backoffice/orders", tags=["backoffice: processing"],
                              responses=ERROR_RESPONSES)
ledger_router = APIRouter(prefix="/api/backoffice/ledger", tags=["backoffice: ledger"], responses=ERROR_RESPONSES)

OrderId = Annotated[int, Path(ge=1)]
SalesStaff = Annotated[Employee, Depends(require_roles(Role.sales))]
SalesOrFinance = Annotated[Employee, Depends(require_roles(Role.sales, Role.finance))]
ProcessorStaff = Annotated[Employee, Depends(require_roles(Role.processor))]


def rate_bp(percent: Decimal | None) -> int | None:
    return None if percent is None else int(percent * 100)


def terms_changes(body: schemas.OrderAmend | schemas.OrderTermsIn) -> dict:
    """The service's field names for the fields the caller sent."""
    sent = body.model_dump(exclude_unset=True)
    out = {}
    for key, value in sent.items():
        if key in ("amount_applied", "deposit", "service_fee", "other_fees", "service_fee_min"):
            out[f"{key}_fen"] = fen_of(value)
        elif key == "service_fee_rate":
            out["service_fee_rate_bp"] = rate_bp(value)
        elif key not in ("reason", "customer_id"):
            out[key] = value
    if out.get("service_fee_rate_bp") is not None and "service_fee_fen" not in out:
        out["service_fee_fen"] = None
    if out.get("service_fee_fen") is not None and "service_fee_rate_bp" not in out:
        out["service_fee_rate_bp"] = None
    return out


def order_rows(session: Session, orders: list[Order]) -> list[schemas.OrderOut]:
    ids = {i for o in orders for i in (o.salesperson_id, o.marketing_specialist_id, o.processor_id) if i}
    names = dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(ids))).all()) if ids else {}
    return [schemas.OrderOut(
        id=o.id, agreement_no=o.agreement_no, status=o.status, customer_id=o.customer_id,
        customer_name=o.customer_name, customer_phone=o.customer_phone_masked, signed_at=o.signed_at,
        salesperson_id=o.salesperson_id, salesperson_name=names.get(o.salesperson_id),
        marketing_specialist_id=o.marketing_specialist_id, marketing_specialist_name=names.get(o.marketing_specialist_id),
        processor_id=o.processor_id, processor_name=names.get(o.processor_id), product_code=o.product_code,
        funder_type=o.funder_type, amount_applied=yuan(o.amount_applied_fen), deposit=yuan(o.deposit_fen),
        service_fee_rate=None if o.service_fee_rate_bp is None else Decimal(o.service_fee_rate_bp) / 100,
        service_fee=yuan(o.service_fee_fen), other_fees=yuan(o.other_fees_fen),
        service_fee_min=yuan(o.service_fee_min_fen or 0), expected_service_fee=yuan(order_service.expected_fee_fen(o)),
        disbursed_amount=yuan(o.disbursed_amount_fen), disbursed_on=o.disbursed_on, funder_name=o.funder_name,
        term_months=o.term_months, repayment_day=o.repayment_day, settled_at=o.settled_at,
        replaces_order_id=o.replaces_order_id, void_reason=o.void_reason,
        settle_pending=o.status == OrderStatus.disbursed) for o in orders]


def order_out(session: Session, order: Order) -> schemas.OrderOut:
    return order_rows(session, [order])[0]


def order_filter(status_: Annotated[list[OrderStatus] | None, Query(alias="status")] = None,
                 signed_from: Day | None = None, signed_to: Day | None = None, center_id: int | None = None,
                 department_id: int | None = None, employee_id: int | None = None,
                 funder_type: FunderType | None = None, customer_id: int | None = None
                 ) -> order_service.OrderFilter:
    return order_service.OrderFilter(status=status_, signed_from=signed_from, signed_to=signed_to,
                                     center_id=center_id, department_id=department_id, employee_id=employee_id,
                                     funder_type=funder_type, customer_id=customer_id)


Filter = Annotated[order_service.OrderFilter, Depends(order_filter)]


@router.post("", response_model=schemas.OrderOut, status_code=status.HTTP_201_CREATED)
def sign(body: schemas.OrderCreate, staff: SalesStaff, session: SessionDep) -> schemas.OrderOut:
    """Sign up (签单) a customer of yours who had an appointment: customer, product, funder type and the amounts
    applied for and as deposit. The agreement number is generated and the service fee comes from the product's
    fee rule (a rate with its minimum, or a fixed fee); fee fields are refused with 422 naming the field.
    Only finance sets or corrects amounts (`PATCH` before confirmation, `…/correct` after)."""
    terms = order_service.OrderTerms(**terms_changes(body) | {"deposit_fen": fen_of(body.deposit)})
    order = order_service.sign_order(session, staff, body.customer_id, terms)
    return order_out(session, order)


@router.get("", response_model=schemas.OrderPage)
def list_orders(staff: CurrentStaff, session: SessionDep, flt: Filter, sort: str = "-signed_at",
                limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0
                ) -> schemas.OrderPage:
    """Orders in your data scope (a salesperson: their own), filtered and sorted (`sort=-signed_at`,
    `amount_applied`, `disbursed_on`, `agreement_no`, `id`); `settle_pending` marks those awaiting settlement."""
    orders, total = order_service.list_orders(session, staff, flt, sort=sort, limit=limit, offset=offset)
    return schemas.OrderPage(items=order_rows(session, orders), total=total, limit=limit, offset=offset)


@router.get("/{order_id}", response_model=schemas.OrderOut)
def get_order(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> schemas.OrderOut:
    """One order in your data scope."""
    return order_out(session, order_service.get_visible_order(session, staff, order_id))


@router.get("/{order_id}/history", response_model=list[schemas.TransitionOut])
def order_history(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> list:
    """Every recorded state change of the order, oldest first."""
    order_service.get_visible_order(session, staff, order_id)
    return history(session, "order", order_id)


@router.post("/{order_id}/confirm", response_model=schemas.OrderOut)
def confirm(order_id: OrderId, staff: FinanceStaff, session: SessionDep) -> schemas.OrderOut:
    """Finance confirms the contract (合同确认); the amounts are read-only from now on."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, order_service.confirm_contract(session, staff, order))


@router.post("/{order_id}/review", response_model=schemas.OrderOut)
def review(order_id: OrderId, body: schemas.ReviewIn, staff: SupervisorStaff, session: SessionDep) -> schemas.OrderOut:
    """The salesperson's supervisor reviews the confirmed sign-up."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, order_service.review(session, staff, order, note=body.note))


@router.patch("/{order_id}", response_model=schemas.OrderOut)
def amend(order_id: OrderId, body: schemas.OrderAmend, staff: FinanceStaff, session: SessionDep) -> schemas.OrderOut:
    """Finance sets or corrects the terms of an order not yet confirmed (a salesperson gets 403; 409 once
    confirmed: correct it instead)."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, order_service.amend(session, staff, order, schemas.AmendTerms(**terms_changes(body))))


@router.post("/{order_id}/void", response_model=schemas.OrderOut)
def void(order_id: OrderId, body: schemas.Reason, staff: SalesOrFinance, session: SessionDep) -> schemas.OrderOut:
    """Void an order entered wrongly (作废): its salesperson before confirmation, finance until processing."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, order_service.void(session, staff, order, body.reason))


@router.post("/{order_id}/correct", response_model=schemas.OrderOut, status_code=status.HTTP_201_CREATED)
def correct(order_id: OrderId, body: schemas.OrderCorrect, staff: FinanceStaff, session: SessionDep) -> schemas.OrderOut:
    """Finance corrects a confirmed contract: the order is voided and the corrected one signed (answered)."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, order_service.correct(session, staff, order, schemas.AmendTerms(**terms_changes(body)), body.reason))


def deposit_out(session: Session, deposit: Deposit) -> schemas.DepositOut:
    refunds = [schemas.RefundOut(id=r.id, amount=yuan(r.amount_fen), reason=r.reason, status=r.status,
                                 filed_by_id=r.filed_by_id, filed_at=r.filed_at, decided_by_id=r.decided_by_id,
                                 decided_at=r.decided_at) for r in order_service.refunds_of(session, deposit.id)]
    return schemas.DepositOut(id=deposit.id, order_id=deposit.order_id, status=deposit.status,
                              received=yuan(deposit.received_fen), refunded=yuan(deposit.refunded_fen),
                              refundable=yuan(order_service.refundable_fen(session, deposit)),
                              method=deposit.method, received_at=deposit.received_at, refunds=refunds)


def borrowing_out(b: Borrowing) -> schemas.BorrowingOut:
    return schemas.BorrowingOut(id=b.id, order_id=b.order_id, status=b.status, principal=yuan(b.principal_fen),
                                lent_on=b.lent_on, annual_rate=Decimal(b.annual_rate_bp) / 100, cost=yuan(b.cost_fen),
                                interest=yuan(b.interest_fen), repaid_on=b.repaid_on, repaid_via=b.repaid_via)


def _deposit(session: Session, staff: Employee, order_id: int) -> Deposit:
    order_service.get_visible_order(session, staff, order_id)
    deposit = order_service.deposit_of(session, order_id)
    if deposit is None:
        raise NotFound(f"订单 {order_id} 还没有确认定金")
    return deposit


@deposits_router.post("/orders/{order_id}/deposit", response_model=schemas.DepositOut,
                      status_code=status.HTTP_201_CREATED)
def confirm_deposit(order_id: OrderId, body: schemas.DepositConfirm, staff: FinanceStaff,
                    session: SessionDep) -> schemas.DepositOut:
    """Finance confirms the deposit (定金确认) of a reviewed order; it goes into processing with the processor."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    deposit = order_service.confirm_deposit(session, staff, order, processor_id=body.processor_id,
                                            amount_fen=fen_of(body.amount), method=body.method)
    return deposit_out(session, deposit)


@deposits_router.get("/orders/{order_id}/deposit", response_model=schemas.DepositOut)
def get_deposit(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> schemas.DepositOut:
    """The order's deposit with its refunds and what is still refundable."""
    return deposit_out(session, _deposit(session, staff, order_id))


@deposits_router.post("/orders/{order_id}/deposit/refunds", response_model=schemas.DepositOut,
                      status_code=status.HTTP_201_CREATED)
def file_refund(order_id: OrderId, body: schemas.RefundCreate, staff: ProcessorStaff,
                session: SessionDep) -> schemas.DepositOut:
    """The order's processing specialist files a refund (退定) with a reason; finance confirms it."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    refund = order_service.file_refund(session, staff, order, fen_of(body.amount), body.reason)
    return deposit_out(session, session.get(Deposit, refund.deposit_id))


@deposits_router.post("/refunds/{refund_id}/confirm", response_model=schemas.DepositOut)
def confirm_refund(refund_id: Annotated[int, Path(ge=1)], body: schemas.RefundDecision, staff: FinanceStaff,
                   session: SessionDep) -> schemas.DepositOut:
    """Finance confirms and pays a refund; a full refund ends an order in processing."""
    refund = order_service.confirm_refund(session, staff, order_service.get_refund(session, refund_id),
                                          method=body.method)
    return deposit_out(session, session.get(Deposit, refund.deposit_id))


@deposits_router.post("/refunds/{refund_id}/reject", response_model=schemas.DepositOut)
def reject_refund(refund_id: Annotated[int, Path(ge=1)], body: schemas.RefundReject, staff: FinanceStaff,
                  session: SessionDep) -> schemas.DepositOut:
    """Finance turns a refund request down."""
    refund = order_service.reject_refund(session, staff, order_service.get_refund(session, refund_id), body.note)
    return deposit_out(session, session.get(Deposit, refund.deposit_id))


@deposits_router.get("/orders/{order_id}/borrowings", response_model=list[schemas.BorrowingOut])
def list_borrowings(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> list[schemas.BorrowingOut]:
    """The customer's borrowings on this order."""
    order_service.get_visible_order(session, staff, order_id)
    return [borrowing_out(b) for b in order_service.borrowings_of(session, order_id)]


@deposits_router.post("/orders/{order_id}/borrowings", response_model=schemas.BorrowingOut,
                      status_code=status.HTTP_201_CREATED)
def lend(order_id: OrderId, body: schemas.BorrowingCreate, staff: FinanceStaff,
         session: SessionDep) -> schemas.BorrowingOut:
    """Finance lends the customer money (借款); repaid at settlement or separately."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    borrowing = order_service.lend(session, staff, order, principal_fen=fen_of(body.principal), lent_on=body.lent_on,
                                   annual_rate_bp=int(body.annual_rate * 100), cost_fen=fen_of(body.cost),
                                   method=body.method)
    return borrowing_out(borrowing)


@deposits_router.post("/borrowings/{borrowing_id}/repay", response_model=schemas.BorrowingOut)
def repay(borrowing_id: Annotated[int, Path(ge=1)], body: schemas.BorrowingRepay, staff: FinanceStaff,
          session: SessionDep) -> schemas.BorrowingOut:
    """The customer repays a borrowing outside the settlement (principal, interest to `on`, cost)."""
    borrowing = order_service.repay_separately(session, staff, order_service.get_borrowing(session, borrowing_id),
                                               on=body.on, method=body.method)
    return borrowing_out(borrowing)


@processing_router.get("/{order_id}/follow-ups", response_model=list[schemas.FollowUpOut])
def list_follow_ups(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> list:
    """The processing follow-ups of an order, oldest first."""
    order_service.get_visible_order(session, staff, order_id)
    return order_service.follow_ups(session, order_id)


@processing_router.post("/{order_id}/follow-ups", response_model=schemas.FollowUpOut,
                        status_code=status.HTTP_201_CREATED)
def add_follow_up(order_id: OrderId, body: schemas.FollowUpCreate, staff: ProcessorStaff, session: SessionDep):
    """Record progress on the loan file (`kind=disbursed_pending` before marking the disbursement)."""
    order = order_service.get_visible_order(session, staff, order_id)
    return order_service.add_follow_up(session, staff, order, body.kind, body.content)


@ledger_router.get("/orders/{order_id}", response_model=list[EntryOut])
def order_entries(order_id: Annotated[int, Path(ge=1)], staff: CurrentStaff, session: SessionDep) -> list[EntryOut]:
    """The journal entries of one order (finance and managers; others get 403)."""
    require_roles(Role.finance, Role.manager)(staff)
    order_service.get_visible_order(session, staff, order_id)
    return [EntryOut(id=e.id, source_type=e.source_type, source_id=e.source_id, memo=e.memo, posted_at=e.posted_at,
                     lines=[LineOut(account=l.account, debit=yuan(l.debit_fen), credit=yuan(l.credit_fen))
                            for l in ledger.entry_lines(session, e.id)])
            for e in ledger.entries_for_order(session, order_id)]
