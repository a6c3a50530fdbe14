"""Printable vouchers as HTML (fits A4 when printed) and PDF."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse, Response

from backoffice.contracts import service as contract_service
from backoffice.settlements.api import visible_settlement
from backoffice.vouchers import service as voucher_service
from scrm.auth import CurrentStaff, SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice", tags=["backoffice: vouchers"], responses=ERROR_RESPONSES)
Format = Literal["html", "pdf"]
InternalReader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager, Role.supervisor))]


def _answer(voucher: voucher_service.Voucher, fmt: str, filename: str) -> Response:
    if fmt == "html":
        return HTMLResponse(voucher_service.to_html(voucher))
    return Response(voucher_service.to_pdf(voucher), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})


@router.get("/settlements/{settlement_id}/vouchers/customer.{fmt}", response_class=Response)
def customer_voucher(settlement_id: Annotated[int, Path(ge=1)], fmt: Format, staff: CurrentStaff,
                     session: SessionDep) -> Response:
    """The customer voucher (客户凭证): charges, deposit applied and what is owed."""
    settlement = visible_settlement(session, staff, settlement_id)
    return _answer(voucher_service.settlement_voucher(session, settlement, internal=False), fmt,
                   f"customer-voucher-{settlement_id}")


@router.get("/settlements/{settlement_id}/vouchers/internal.{fmt}", response_class=Response)
def internal_voucher(settlement_id: Annotated[int, Path(ge=1)], fmt: Format, staff: InternalReader,
                     session: SessionDep) -> Response:
    """The internal voucher (内部凭证): the customer voucher plus expenses, rebates and the margin."""
    settlement = visible_settlement(session, staff, settlement_id)
    return _answer(voucher_service.settlement_voucher(session, settlement, internal=True), fmt,
                   f"internal-voucher-{settlement_id}")


@router.get("/orders/{order_id}/deposit-receipt.{fmt}", response_class=Response)
def deposit_receipt(order_id: Annotated[int, Path(ge=1)], fmt: Format, staff: CurrentStaff,
                    session: SessionDep) -> Response:
    """The deposit receipt (定金结算清单)."""
    order = contract_service.get_visible_order(session, staff, order_id)
    return _answer(voucher_service.deposit_receipt(session, order), fmt, f"deposit-receipt-{order_id}")
