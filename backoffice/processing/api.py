"""Processing (做单): the processing specialist's follow-ups and the disbursement (放款)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from backoffice.common.money import fen_of
from backoffice.contracts import service as contract_service
from backoffice.processing import schemas
from backoffice.processing import service as processing_service
from backoffice.settlements.api import settlement_out
from backoffice.settlements.schemas import SettlementOut
from scrm.auth import CurrentStaff, SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice/orders", tags=["backoffice: processing"], responses=ERROR_RESPONSES)

OrderId = Annotated[int, Path(ge=1)]
ProcessorStaff = Annotated[Employee, Depends(require_roles(Role.processor))]


@router.get("/{order_id}/follow-ups", response_model=list[schemas.FollowUpOut])
def list_follow_ups(order_id: OrderId, staff: CurrentStaff, session: SessionDep) -> list:
    """The processing follow-ups of an order, oldest first."""
    contract_service.get_visible_order(session, staff, order_id)
    return processing_service.follow_ups(session, order_id)


@router.post("/{order_id}/follow-ups", response_model=schemas.FollowUpOut, status_code=status.HTTP_201_CREATED)
def add_follow_up(order_id: OrderId, body: schemas.FollowUpCreate, staff: ProcessorStaff, session: SessionDep):
    """Record progress on the loan file (`kind=disbursed_pending` before marking the disbursement)."""
    order = contract_service.get_visible_order(session, staff, order_id)
    return processing_service.add_follow_up(session, staff, order, body.kind, body.content)


@router.post("/{order_id}/disburse", response_model=SettlementOut, status_code=status.HTTP_201_CREATED)
def disburse(order_id: OrderId, body: schemas.DisburseIn, staff: ProcessorStaff, session: SessionDep) -> SettlementOut:
    """Mark the loan disbursed (放款); answers the settlement it opens."""
    order = contract_service.get_visible_order(session, staff, order_id, lock=True)
    settlement = processing_service.disburse(session, staff, order, amount_fen=fen_of(body.amount),
                                             disbursed_on=body.disbursed_on, funder_name=body.funder_name,
                                             term_months=body.term_months, repayment_day=body.repayment_day)
    return settlement_out(session, settlement)
