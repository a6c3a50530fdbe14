"""The accounting export (凭证导出) as finance uses it: the account mapping, exports and their files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from fastapi.responses import Response

from backoffice.accounting import service as accounting
from backoffice.accounting.models import AccountingExport
from backoffice.accounting.schemas import ExportIn, ExportOut, MappingIn, MappingOut
from backoffice.ledger.chart import CHART
from scrm.auth import FinanceStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/backoffice/accounting", tags=["backoffice: accounting export"],
                   responses=ERROR_RESPONSES)
ExportId = Annotated[int, Path(ge=1)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def mapping_out(account: str, m) -> MappingOut:
    return MappingOut(account=account, account_name=CHART[account].name, code=m.code if m else None,
                      name=m.name if m else None, aux_customer=bool(m and m.aux_customer),
                      aux_department=bool(m and m.aux_department), aux_employee=bool(m and m.aux_employee))


def export_out(e: AccountingExport) -> ExportOut:
    return ExportOut(id=e.id, target=e.target, date_from=e.date_from, date_to=e.date_to, voucher_count=e.voucher_count,
                     numbers=e.numbers, reexport=e.reexport, reexport_of=e.reexport_of, created_by_id=e.created_by_id,
                     created_at=e.created_at, filename=e.filename,
                     download_url=f"{router.prefix}/exports/{e.id}/file")


@router.get("/mappings", response_model=list[MappingOut])
def list_mappings(staff: FinanceStaff, session: SessionDep) -> list[MappingOut]:
    """Every account of our chart with the accounting software's code, name and auxiliary items (null where
    not mapped yet: an export that needs it is refused)."""
    return [mapping_out(a, m) for a, m in accounting.mappings(session)]


@router.put("/mappings/{account}", response_model=MappingOut)
def put_mapping(account: str, body: MappingIn, staff: FinanceStaff, session: SessionDep) -> MappingOut:
    """Map one of our accounts (`bank`, `fee_revenue` …) to the accounting software's code and name, and say
    which auxiliary items (客户, 部门, 职员) its lines carry."""
    return mapping_out(account, accounting.set_mapping(session, staff, account, body))


@router.post("/exports", response_model=ExportOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "the period was already exported to this target; `earlier` lists "
                                             "those exports; send `force: true` to export again"}})
def create_export(body: ExportIn, staff: FinanceStaff, session: SessionDep) -> ExportOut:
    """Export the journal entries of a month (`month`: `2026-12`) or of days (`date_from`, `date_to`, Beijing
    time) as a voucher import file for `target`: one voucher (记) per entry, numbered per month from 1 after the
    vouchers already exported to that target. 422 naming every unmapped account; 409 when entries of the period
    were already exported to the target, unless `force`."""
    return export_out(accounting.export(session, staff, body))


@router.get("/exports", response_model=list[ExportOut])
def list_exports(staff: FinanceStaff, session: SessionDep) -> list[ExportOut]:
    """The exports, newest first."""
    return [export_out(e) for e in accounting.list_exports(session)]


@router.get("/exports/{export_id}/file", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "the .xlsx as it was exported"}})
def download(export_id: ExportId, staff: FinanceStaff, session: SessionDep) -> Response:
    """The recorded file of an export."""
    record = accounting.get_export(session, staff, export_id)
    return Response(accounting.file_of(record), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{record.filename}"'})
