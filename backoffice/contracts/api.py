"""Orders (签单): sign, list, confirm (finance), review (supervisor), amend, void, correct."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.common.money import fen_of, yuan
from backoffice.common.history import history
from backoffice.contracts import schemas
from backoffice.contracts import service as contract_service
from backoffice.contracts.models import FunderType, Order, OrderStatus
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep, SupervisorStaff, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice/orders", tags=["backoffice: orders"], responses=ERROR_RESPONSES)

OrderId = Annotated[int, Path(ge=1)]
SalesStaff = Annotated[Employee, Depends(require_roles(Role.sales))]
SalesOrFinance = Annotated[Employee, Depends(require_roles(Role.sales, Role.finance))]


def rate_bp(percent: Decimal | None) -> int | None:
    return None if percent is None else int(percent * 100)


def terms_changes(body: schemas.OrderAmend | schemas.OrderTermsIn) -> dict:
    """The service's field names for the fields the caller sent."""
    sent = body.model_dump(exclude_unset=True)
    out = {}
    for key, value in sent.items():
        if key in ("amount_applied", "deposit", "service_fee", "other_fees"):
            out[f"{key}_fen"] = fen_of(value)
        elif key == "service_fee_rate":
            out["service_fee_rate_bp"] = rate_bp(value)
        elif key not in ("reason", "customer_id"):
            out[key] = value
    if "service_fee_rate_bp" in out and "service_fee_fen" not in out:
        out["service_fee_fen"] = None
    if "service_fee_fen" in out and "service_fee_rate_bp" not in out:
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
        disbursed_amount=yuan(o.disbursed_amount_fen), disbursed_on=o.disbursed_on, funder_name=o.funder_name,
        term_months=o.term_months, repayment_day=o.repayment_day, settled_at=o.settled_at,
        replaces_order_id=o.replaces_order_id, void_reason=o.void_reason,
        settle_pending=o.status == OrderStatus.disbursed) for o in orders]


def order_out(session: Session, order: Order) -> schemas.OrderOut:
    return order_rows(session, [order])[0]


def order_filter(status_: Annotated[list[OrderStatus] | None, Query(alias="status")] = None,
                 signed_from: date | None = None, signed_to: date | None = None, center_id: int | None = None,
                 department_id: int | None = None, employee_id: int | None = None,
                 funder_type: FunderType | None = None, customer_id: int | None = None
                 ) -> contract_service.OrderFilter:
    return contract_service.OrderFilter(status=status_, signed_from=signed_from, signed_to=signed_to,
                                         center_id=center_id, department_id=department_id, employee_id=employee_id,
                                         funder_type=funder_type, customer_id=customer_id)


Filter = Annotated[contract_service.OrderFilter, Depends(order_filter)]


@router.post("", response_model=schemas.OrderOut, status_code=status.HTTP_201_CREATED)
def sign(body: schemas.OrderCreate, staff: SalesStaff, session: SessionDep) -> schemas.OrderOut:
    """Sign up (签单) a customer of yours who had an appointment; the agreement number is generated."""
    terms = contract_service.OrderTerms(**terms_changes(body) | {"other_fees_fen": fen_of(body.other_fees),
                                                                  "deposit_fen": fen_of(body.deposit)})
    order = contract_service.sign_order(session, staff, body.customer_id, terms)
    return order_out(session, order)


@router.get("", response_model=schemas.OrderPage)
def list_orders(staff: CurrentStaff, session: SessionDep, flt: Filter, sort: str = "-signed_at",
                limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0
                ) -> schemas.OrderPage:
    """Orders in your data scope (a salesperson: their own), filtered and sorted (`sort=-signed_at`,
    `amount_applied`, `disbursed_on`, `agreement_no`, `id`); `settle_pending` marks those awaiting settlement."""
    orders, total = contract_service.list_orders(session, staff, flt, sort=sort, limit=limit, offset=offset)
    return schemas.OrderPage(items=order_rows(session, orders), total=total, limit=limit, offset=offset)


@router.get("/{order_id}", response_model=schemas.OrderOut)
def get_order(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> schemas.OrderOut:
    """One order in your data scope."""
    return order_out(session, contract_service.get_visible_order(session, staff, order_id))


@router.get("/{order_id}/history", response_model=list[schemas.TransitionOut])
def order_history(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> list:
    """Every recorded state change of the order, oldest first."""
    contract_service.get_visible_order(session, staff, order_id)
    return history(session, "order", order_id)


@router.post("/{order_id}/confirm", response_model=schemas.OrderOut)
def confirm(order_id: OrderId, staff: FinanceStaff, session: SessionDep) -> schemas.OrderOut:
    """Finance confirms the contract (合同确认); the amounts are read-only from now on."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, contract_service.confirm_contract(session, staff, order))


@router.post("/{order_id}/review", response_model=schemas.OrderOut)
def review(order_id: OrderId, body: schemas.ReviewIn, staff: SupervisorStaff, session: SessionDep) -> schemas.OrderOut:
    """The salesperson's supervisor reviews the confirmed sign-up."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, contract_service.review(session, staff, order, note=body.note))


@router.patch("/{order_id}", response_model=schemas.OrderOut)
def amend(order_id: OrderId, body: schemas.OrderAmend, staff: SalesOrFinance, session: SessionDep) -> schemas.OrderOut:
    """Change the terms of an order not yet confirmed (409 once confirmed: void and re-sign instead)."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, contract_service.amend(session, staff, order, terms_changes(body)))


@router.post("/{order_id}/void", response_model=schemas.OrderOut)
def void(order_id: OrderId, body: schemas.Reason, staff: SalesOrFinance, session: SessionDep) -> schemas.OrderOut:
    """Void an order entered wrongly (作废): its salesperson before confirmation, finance until processing."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, contract_service.void(session, staff, order, body.reason))


@router.post("/{order_id}/correct", response_model=schemas.OrderOut, status_code=status.HTTP_201_CREATED)
def correct(order_id: OrderId, body: schemas.OrderCorrect, staff: FinanceStaff, session: SessionDep) -> schemas.OrderOut:
    """Finance corrects a confirmed contract: the order is voided and the corrected one signed (answered)."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    return order_out(session, contract_service.correct(session, staff, order, terms_changes(body), body.reason))
