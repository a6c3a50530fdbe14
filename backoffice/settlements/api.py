"""Settlement (结算): the disbursement that opens it (放款), charges, extra fees, expenses, close (结单), void, amount
due, the export, and the printable vouchers as HTML (fits A4 when printed) and PDF."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from backoffice.common.money import fen_of, yuan
from backoffice.direct_debit.api import debit_out
from backoffice.direct_debit.schemas import DebitOut
from backoffice.ledger.chart import CHART
from backoffice.orders import service as order_service
from backoffice.orders.api import Filter, OrderId, ProcessorStaff
from backoffice.orders.schemas import DisburseIn
from backoffice.settlements import export, schemas
from backoffice.settlements import service as settlement_service
from backoffice.settlements import vouchers
from backoffice.settlements.models import DiscountKind, Settlement
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES, NotFound
from scrm.core.params import Day
from scrm.customers.identity import MP_ERRORS, CurrentCustomer
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice", tags=["backoffice: settlements"], responses=ERROR_RESPONSES)
disbursement_router = APIRouter(prefix="/api/backoffice/orders", tags=["backoffice: processing"],
                                responses=ERROR_RESPONSES)
mp_router = APIRouter(prefix="/mp", tags=["mini-program"], responses=MP_ERRORS)
vouchers_router = APIRouter(prefix="/api/backoffice", tags=["backoffice: vouchers"], responses=ERROR_RESPONSES)

SettlementId = Annotated[int, Path(ge=1)]


def settlement_out(session: Session, s: Settlement) -> schemas.SettlementOut:
    order = order_service.get_order(session, s.order_id)
    t = settlement_service.totals(session, s).as_dict()
    totals = schemas.TotalsOut(**{k[:-4]: yuan(v) for k, v in t.items() if k[:-4] in schemas.TotalsOut.model_fields})
    totals.appraisal, totals.rebates = yuan(t["appraisal_fen"]), yuan(t["rebates_fen"])
    value = Decimal(s.discount_value) / 100
    names = settlement_service.expense_type_names(session)
    return schemas.SettlementOut(
        id=s.id, order_id=s.order_id, agreement_no=order.agreement_no, customer_name=order.customer_name,
        status=s.status, discount_kind=s.discount_kind, discount_value=value, loan_count=s.loan_count,
        payment_method=s.payment_method,
        fees=[schemas.FeeOut(id=f.id, name=f.name, amount=yuan(f.amount_fen))
              for f in settlement_service.fees_of(session, s.id)],
        expenses=[schemas.ExpenseOut(id=e.id, kind=e.kind, kind_name=names.get(e.kind, e.kind), payee=e.payee,
                                     amount=yuan(e.amount_fen), confirmed=e.confirmed,
                                     corrected_from=yuan(e.corrected_from_fen))
                  for e in settlement_service.expenses_of(session, s.id)],
        totals=totals, opened_at=s.opened_at, closed_at=s.closed_at, voided_at=s.voided_at, void_reason=s.void_reason)


def visible_settlement(session: Session, staff: Employee, settlement_id: int, *, lock: bool = False) -> Settlement:
    settlement = settlement_service.get_settlement(session, settlement_id, lock=lock)
    try:
        order_service.get_visible_order(session, staff, settlement.order_id)
    except NotFound:
        raise NotFound(f"没有编号为 {settlement_id} 的结算单") from None
    return settlement


@disbursement_router.post("/{order_id}/disburse", response_model=schemas.SettlementOut,
                          status_code=status.HTTP_201_CREATED)
def disburse(order_id: OrderId, body: DisburseIn, staff: ProcessorStaff, session: SessionDep) -> schemas.SettlementOut:
    """Mark the loan disbursed (放款); answers the settlement it opens."""
    order = order_service.get_visible_order(session, staff, order_id, lock=True)
    settlement = settlement_service.disburse(session, staff, order, amount_fen=fen_of(body.amount),
                                             disbursed_on=body.disbursed_on, funder_name=body.funder_name,
                                             term_months=body.term_months, repayment_day=body.repayment_day)
    return settlement_out(session, settlement)


@router.get("/orders/{order_id}/settlement", response_model=schemas.SettlementOut)
def order_settlement(order_id: Annotated[int, Path(ge=1)], staff: CurrentStaff, session: SessionDep):
    """The order's live settlement (open or closed)."""
    order_service.get_visible_order(session, staff, order_id)
    settlement = settlement_service.current_settlement(session, order_id)
    if settlement is None:
        raise NotFound(f"订单 {order_id} 尚未放款，没有结算单")
    return settlement_out(session, settlement)


@router.get("/settlements/{settlement_id}", response_model=schemas.SettlementOut)
def get_settlement(settlement_id: SettlementId, staff: CurrentStaff, session: SessionDep) -> schemas.SettlementOut:
    """A settlement with its parts and totals (amounts in yuan, as strings)."""
    return settlement_out(session, visible_settlement(session, staff, settlement_id))


@router.patch("/settlements/{settlement_id}", response_model=schemas.SettlementOut)
def set_charges(settlement_id: SettlementId, body: schemas.ChargesIn, staff: FinanceStaff,
                session: SessionDep) -> schemas.SettlementOut:
    """Finance completes the charges: service fee, discount (none / percent / fixed), installment fee, payment method."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    value = None
    if body.discount_kind == DiscountKind.percent:
        value = int((body.discount_percent or Decimal(0)) * 100)
    elif body.discount_kind in (DiscountKind.fixed, DiscountKind.per_count):
        value = fen_of(body.discount_amount or Decimal(0))
    settlement_service.set_charges(session, staff, settlement, discount_kind=body.discount_kind, discount_value=value,
                                   loan_count=body.loan_count,
                                   installment_fee_fen=fen_of(body.installment_fee),
                                   payment_method=body.payment_method, service_fee_fen=fen_of(body.service_fee))
    return settlement_out(session, settlement)


@router.post("/settlements/{settlement_id}/fees", response_model=schemas.SettlementOut,
             status_code=status.HTTP_201_CREATED)
def add_fee(settlement_id: SettlementId, body: schemas.FeeIn, staff: FinanceStaff, session: SessionDep):
    """Add an extra fee (下户费, 渠道管理费, …)."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    settlement_service.add_fee(session, staff, settlement, body.name, fen_of(body.amount))
    return settlement_out(session, settlement)


@router.delete("/settlements/{settlement_id}/fees/{fee_id}", response_model=schemas.SettlementOut)
def remove_fee(settlement_id: SettlementId, fee_id: Annotated[int, Path(ge=1)], staff: FinanceStaff,
               session: SessionDep):
    """Remove an extra fee from an open settlement."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    settlement_service.remove_fee(session, staff, settlement, fee_id)
    return settlement_out(session, settlement)


@router.post("/settlements/{settlement_id}/expenses", response_model=schemas.SettlementOut,
             status_code=status.HTTP_201_CREATED)
def add_expense(settlement_id: SettlementId, body: schemas.ExpenseIn, staff: FinanceStaff, session: SessionDep):
    """Add an expense (评估费, 返点); it must be confirmed before closing."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    settlement_service.add_expense(session, staff, settlement, body.kind, body.payee, fen_of(body.amount))
    return settlement_out(session, settlement)


@router.post("/settlements/{settlement_id}/expenses/{expense_id}/confirm", response_model=schemas.SettlementOut)
def confirm_expense(settlement_id: SettlementId, expense_id: Annotated[int, Path(ge=1)], body: schemas.ExpenseConfirm,
                    staff: FinanceStaff, session: SessionDep):
    """Confirm an expense, or correct its amount (`amount`)."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    settlement_service.confirm_expense(session, staff, settlement, expense_id, corrected_fen=fen_of(body.amount))
    return settlement_out(session, settlement)


@router.post("/settlements/{settlement_id}/close", response_model=schemas.SettlementOut)
def close(settlement_id: SettlementId, body: schemas.CloseIn, staff: FinanceStaff, session: SessionDep):
    """Close the settlement (结单): totals are fixed and the journal entry posted."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    settlement_service.close(session, staff, settlement, on=body.on)
    return settlement_out(session, settlement)


class DebitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mandate_id: int | None = Field(default=None, ge=1, description="which authorisation; the customer's usable one when left out")


@router.post("/settlements/{settlement_id}/debit", response_model=DebitOut, status_code=status.HTTP_201_CREATED)
def debit(settlement_id: SettlementId, body: DebitIn, staff: FinanceStaff, session: SessionDep):
    """Debit (代扣) what the customer still owes on this settlement through their authorisation, in one
    click. Pressing again returns the same debit; its progress is under `/api/backoffice/debits/{id}`."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    order = settlement_service.debit_amount_due(session, staff, settlement, mandate_id=body.mandate_id)
    return debit_out(order)


@router.post("/settlements/{settlement_id}/void", response_model=schemas.SettlementOut)
def void(settlement_id: SettlementId, body: schemas.VoidIn, staff: FinanceStaff, session: SessionDep):
    """Void a closed settlement: its entry is reversed and a fresh settlement opened (answered)."""
    settlement = visible_settlement(session, staff, settlement_id, lock=True)
    settlement_service.void(session, staff, settlement, body.reason)
    fresh = settlement_service.current_settlement(session, settlement.order_id)
    return settlement_out(session, fresh)


@router.get("/settlements/{settlement_id}/amount-due")
def amount_due(settlement_id: SettlementId, staff: FinanceStaff, session: SessionDep) -> dict:
    """What a direct debit would collect now."""
    visible_settlement(session, staff, settlement_id)
    fen = settlement_service.amount_due_fen(session, settlement_id)
    return {"settlement_id": settlement_id, "amount_due": f"{yuan(fen):.2f}", "amount_due_fen": fen}


ExportReader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]


@router.get("/exports/settlements.xlsx", response_class=FileResponse)
def export_settlements(staff: ExportReader, session: SessionDep, flt: Filter, closed_from: Day | None = None,
                       closed_to: Day | None = None) -> FileResponse:
    """Settled orders in your scope as Excel, with the order filters and the closing period; a second sheet
    lists the filters used."""
    tmp = tempfile.NamedTemporaryFile(prefix="settlements-", suffix=".xlsx", delete=False)
    with tmp:
        export.export_settled(session, staff, flt, tmp, closed_from=closed_from, closed_to=closed_to)
    return FileResponse(tmp.name, filename=f"settlements-{date.today():%Y%m%d}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(os.unlink, tmp.name))


Format = Literal["html", "pdf"]
InternalReader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager, Role.supervisor))]


def _answer(voucher: vouchers.Voucher, fmt: str, filename: str) -> Response:
    if fmt == "html":
        return HTMLResponse(vouchers.to_html(voucher))
    return Response(vouchers.to_pdf(voucher), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})


def _settlement_voucher(session: Session, staff: Employee, settlement_id: int, fmt: str, *, internal: bool) -> Response:
    settlement = visible_settlement(session, staff, settlement_id)
    return _answer(vouchers.settlement_voucher(session, settlement, internal=internal), fmt,
                   f"{'internal' if internal else 'customer'}-voucher-{settlement_id}")


@vouchers_router.get("/settlements/{settlement_id}/vouchers/customer.{fmt}", response_class=Response)
def customer_voucher(settlement_id: Annotated[int, Path(ge=1)], fmt: Format, staff: CurrentStaff,
                     session: SessionDep) -> Response:
    """The customer voucher (客户凭证): charges, deposit applied and what is owed."""
    return _settlement_voucher(session, staff, settlement_id, fmt, internal=False)


@vouchers_router.get("/settlements/{settlement_id}/vouchers/internal.{fmt}", response_class=Response)
def internal_voucher(settlement_id: Annotated[int, Path(ge=1)], fmt: Format, staff: InternalReader,
                     session: SessionDep) -> Response:
    """The internal voucher (内部凭证): the customer voucher plus expenses, rebates and the margin."""
    return _settlement_voucher(session, staff, settlement_id, fmt, internal=True)


@vouchers_router.get("/orders/{order_id}/deposit-receipt.{fmt}", response_class=Response)
def deposit_receipt(order_id: Annotated[int, Path(ge=1)], fmt: Format, staff: CurrentStaff,
                    session: SessionDep) -> Response:
    """The deposit receipt (定金结算清单)."""
    order = order_service.get_visible_order(session, staff, order_id)
    return _answer(vouchers.deposit_receipt(session, order), fmt, f"deposit-receipt-{order_id}")


@mp_router.get("/loan", response_model=schemas.MyLoanOut, summary="My loan: the order, its steps and what I owe")
def my_loan(customer: CurrentCustomer, session: SessionDep) -> schemas.MyLoanOut:
    """The signed-in customer's latest order (a voided one is not shown): the steps signed, deposit, processing,
    disbursed and settled with when each happened, the deposit, the amount disbursed, the settlement's parts
    and `owed_fen`, what is still to pay once the settlement is closed. Every amount is in fen."""
    return schemas.MyLoanOut(loan=settlement_service.customer_loan(session, customer.id))


# ---------------------------------------------------------------------------------------------
# expense types (支出类型), kept by finance

TypeId = Annotated[int, Path(ge=1)]


def _type_out(row) -> schemas.ExpenseTypeOut:
    return schemas.ExpenseTypeOut(id=row.id, code=row.code, name=row.name, account=row.account,
                                  account_name=CHART[row.account].name, active=row.active)


@router.get("/expense-types", response_model=list[schemas.ExpenseTypeOut])
def list_expense_types(staff: CurrentStaff, session: SessionDep) -> list[schemas.ExpenseTypeOut]:
    """The expense types (评估费, 返点 and those finance added), active and inactive."""
    return [_type_out(t) for t in settlement_service.expense_types(session)]


@router.post("/expense-types", response_model=schemas.ExpenseTypeOut, status_code=status.HTTP_201_CREATED)
def add_expense_type(body: schemas.ExpenseTypeIn, staff: FinanceStaff, session: SessionDep) -> schemas.ExpenseTypeOut:
    """Add an expense type; `account` says where its expenses post (渠道返点 reduces revenue, 评估费 is a cost)."""
    return _type_out(settlement_service.add_expense_type(session, staff, body.name, body.account))


@router.patch("/expense-types/{type_id}", response_model=schemas.ExpenseTypeOut)
def update_expense_type(type_id: TypeId, body: schemas.ExpenseTypeUpdate, staff: FinanceStaff,
                        session: SessionDep) -> schemas.ExpenseTypeOut:
    """Rename a type, change its account, or deactivate it (no longer offered for new expenses)."""
    row = settlement_service.get_expense_type(session, type_id, lock=True)
    return _type_out(settlement_service.update_expense_type(session, staff, row, **body.model_dump(exclude_unset=True)))


@router.delete("/expense-types/{type_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_expense_type(type_id: TypeId, staff: FinanceStaff, session: SessionDep) -> Response:
    """Delete a type no expense uses; one in use is a 409 (deactivate it instead)."""
    settlement_service.delete_expense_type(session, staff, settlement_service.get_expense_type(session, type_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
