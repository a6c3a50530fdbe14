"""Reimbursements (做单报销): enter, list, confirm and pay (finance), void, resubmit."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.common.money import fen_of, yuan
from backoffice.contracts.models import Order
from backoffice.reimbursements import schemas
from backoffice.reimbursements import service as reimbursement_service
from backoffice.reimbursements.models import CostType, Reimbursement, ReimbursementStatus
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep
from scrm.errors import ERROR_RESPONSES
from scrm.org.models import Employee

router = APIRouter(prefix="/api/backoffice/reimbursements", tags=["backoffice: reimbursements"],
                   responses=ERROR_RESPONSES)
ItemId = Annotated[int, Path(ge=1)]


def rows(session: Session, items: list[Reimbursement]) -> list[schemas.ReimbursementOut]:
    order_ids = {i.order_id for i in items if i.order_id}
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))} if order_ids else {}
    staff_ids = {i.entered_by_id for i in items}
    names = dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(staff_ids))).all())
    out = []
    for i in items:
        order = orders.get(i.order_id)
        out.append(schemas.ReimbursementOut(
            id=i.id, customer_id=i.customer_id, customer_name=i.customer_name, order_id=i.order_id,
            agreement_no=order.agreement_no if order else None, funder_type=order.funder_type if order else None,
            cost_type=i.cost_type, category=i.category, amount=yuan(i.amount_fen), spent_on=i.spent_on,
            manager_id=i.manager_id, remark=i.remark, status=i.status,
            confirmed=i.status in (ReimbursementStatus.confirmed, ReimbursementStatus.paid),
            confirmed_at=i.confirmed_at, payer=i.payer, paid_at=i.paid_at, entered_by_id=i.entered_by_id,
            entered_by_name=names.get(i.entered_by_id), created_at=i.created_at, resubmits_id=i.resubmits_id))
    return out


@router.post("", response_model=schemas.ReimbursementOut, status_code=status.HTTP_201_CREATED)
def submit(body: schemas.ReimbursementCreate, staff: CurrentStaff, session: SessionDep):
    """Enter a processing or marketing cost for a customer you can see."""
    claim = reimbursement_service.Claim(**body.model_dump(exclude={"amount"}), amount_fen=fen_of(body.amount))
    return rows(session, [reimbursement_service.submit(session, staff, claim)])[0]


@router.get("", response_model=schemas.ReimbursementPage)
def list_reimbursements(staff: CurrentStaff, session: SessionDep,
                        status_: Annotated[ReimbursementStatus | None, Query(alias="status")] = None,
                        cost_type: CostType | None = None, customer_id: int | None = None,
                        entered_by_id: int | None = None, spent_from: date | None = None, spent_to: date | None = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    """Claims you entered or that your scope covers (finance: all), newest first, filtered."""
    flt = reimbursement_service.ReimbursementFilter(status=status_, cost_type=cost_type, customer_id=customer_id,
                                                    entered_by_id=entered_by_id, spent_from=spent_from,
                                                    spent_to=spent_to)
    items, total = reimbursement_service.list_items(session, staff, flt, limit=limit, offset=offset)
    return schemas.ReimbursementPage(items=rows(session, items), total=total, limit=limit, offset=offset)


@router.post("/{item_id}/confirm", response_model=schemas.ReimbursementOut)
def confirm(item_id: ItemId, staff: FinanceStaff, session: SessionDep):
    """Finance confirms the claim."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    return rows(session, [reimbursement_service.confirm(session, staff, item)])[0]


@router.post("/{item_id}/pay", response_model=schemas.ReimbursementOut)
def pay(item_id: ItemId, body: schemas.PayIn, staff: FinanceStaff, session: SessionDep):
    """Finance pays a confirmed claim; the expense is posted to the ledger."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    return rows(session, [reimbursement_service.pay(session, staff, item, body.payer)])[0]


@router.post("/{item_id}/void", response_model=schemas.ReimbursementOut)
def void(item_id: ItemId, body: schemas.VoidIn, staff: CurrentStaff, session: SessionDep):
    """Void a claim not yet paid (whoever entered it, or finance)."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    return rows(session, [reimbursement_service.void(session, staff, item, body.reason)])[0]


@router.post("/{item_id}/resubmit", response_model=schemas.ReimbursementOut, status_code=status.HTTP_201_CREATED)
def resubmit(item_id: ItemId, body: schemas.ReimbursementResubmit, staff: CurrentStaff, session: SessionDep):
    """Enter a voided claim again, corrected."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    changes = body.model_dump(exclude_unset=True, exclude={"amount"})
    if body.amount is not None:
        changes["amount_fen"] = fen_of(body.amount)
    return rows(session, [reimbursement_service.resubmit(session, staff, item, changes)])[0]
