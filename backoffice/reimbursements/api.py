"""Reimbursements (做单报销): enter, list, confirm and pay (finance), void, resubmit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from backoffice.common.money import fen_of
from backoffice.reimbursements import schemas
from backoffice.reimbursements import service as reimbursement_service
from backoffice.reimbursements.models import CostType, ReimbursementStatus
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.params import Day

router = APIRouter(prefix="/api/backoffice/reimbursements", tags=["backoffice: reimbursements"],
                   responses=ERROR_RESPONSES)
ItemId = Annotated[int, Path(ge=1)]


@router.post("", response_model=schemas.ReimbursementOut, status_code=status.HTTP_201_CREATED)
def submit(body: schemas.ReimbursementCreate, staff: CurrentStaff, session: SessionDep):
    """Enter a processing or marketing cost for a customer you can see."""
    claim = reimbursement_service.Claim(**body.model_dump(exclude={"amount"}), amount_fen=fen_of(body.amount))
    return reimbursement_service.rows(session, [reimbursement_service.submit(session, staff, claim)])[0]


@router.get("", response_model=schemas.ReimbursementPage)
def list_reimbursements(staff: CurrentStaff, session: SessionDep,
                        status_: Annotated[ReimbursementStatus | None, Query(alias="status")] = None,
                        cost_type: CostType | None = None, customer_id: int | None = None,
                        entered_by_id: int | None = None, spent_from: Day | None = None, spent_to: Day | None = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    """Claims you entered or that your scope covers (finance: all), newest first, filtered."""
    flt = reimbursement_service.ReimbursementFilter(status=status_, cost_type=cost_type, customer_id=customer_id,
                                                    entered_by_id=entered_by_id, spent_from=spent_from,
                                                    spent_to=spent_to)
    items, total = reimbursement_service.list_items(session, staff, flt, limit=limit, offset=offset)
    return schemas.ReimbursementPage(items=reimbursement_service.rows(session, items), total=total, limit=limit, offset=offset)


@router.post("/{item_id}/confirm", response_model=schemas.ReimbursementOut)
def confirm(item_id: ItemId, staff: FinanceStaff, session: SessionDep):
    """Finance confirms the claim."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    return reimbursement_service.rows(session, [reimbursement_service.confirm(session, staff, item)])[0]


@router.post("/{item_id}/pay", response_model=schemas.ReimbursementOut)
def pay(item_id: ItemId, body: schemas.PayIn, staff: FinanceStaff, session: SessionDep):
    """Finance pays a confirmed claim; the expense is posted to the ledger."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    return reimbursement_service.rows(session, [reimbursement_service.pay(session, staff, item, body.payer)])[0]


@router.post("/{item_id}/void", response_model=schemas.ReimbursementOut)
def void(item_id: ItemId, body: schemas.VoidIn, staff: CurrentStaff, session: SessionDep):
    """Void a claim not yet paid (whoever entered it, or finance)."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    return reimbursement_service.rows(session, [reimbursement_service.void(session, staff, item, body.reason)])[0]


@router.post("/{item_id}/resubmit", response_model=schemas.ReimbursementOut, status_code=status.HTTP_201_CREATED)
def resubmit(item_id: ItemId, body: schemas.ReimbursementResubmit, staff: CurrentStaff, session: SessionDep):
    """Enter a voided claim again, corrected."""
    item = reimbursement_service.get_visible(session, staff, item_id)
    changes = body.model_dump(exclude_unset=True, exclude={"amount"})
    if body.amount is not None:
        changes["amount_fen"] = fen_of(body.amount)
    return reimbursement_service.rows(session, [reimbursement_service.resubmit(session, staff, item, schemas.ClaimChanges(**changes))])[0]
