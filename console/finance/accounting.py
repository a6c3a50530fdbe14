"""The accounting export page (凭证导出): the account mapping to the accounting software, exports with the warning
for a period already exported, and the recorded files, on ``backoffice.accounting.service``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.accounting import service as accounting
from backoffice.accounting.labels import AUX_NAMES, TARGET_NAMES
from backoffice.accounting.schemas import ExportIn, MappingIn
from backoffice.ledger.chart import CHART
from console import core
from scrm.auth import FinanceStaff, SessionDep
from scrm.core import commands
from scrm.core.errors import AppError, Conflict, ValidationFailed
from scrm.org import service as org_service

router = core.console_router()
PAGE = "/finance/accounting"
EXPORT_FIELDS = ("target", "month", "date_from", "date_to")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(session: Session, values: dict[str, Any] | None = None) -> dict[str, Any]:
    exports = accounting.list_exports(session)
    return {
        "rows": [(code, CHART[code].name, m) for code, m in accounting.mappings(session)],
        "aux_names": AUX_NAMES, "target_names": TARGET_NAMES, "exports": exports,
        "staff_names": org_service.employee_names(session, {e.created_by_id for e in exports}),
        "target_options": list(TARGET_NAMES.items()),
        "values": values or {"target": "kingdee_k3cloud"}, "earlier": None, "posted": {},
    }


@router.get(PAGE)
def accounting_page(request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return core.render(request, "finance/accounting.html", _context(session), staff=staff)


@router.post(f"{PAGE}/mappings")
async def save_mappings(request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    """Every row with a code is saved; a row left blank stays as it was."""
    core.remember(request, staff)
    form = await request.form()
    errors: dict[str, str] = {}
    for account in CHART:
        code = str(form.get(f"code_{account}", "")).strip()
        if not code:
            continue
        values = {"code": code, "name": str(form.get(f"name_{account}", "")).strip() or CHART[account].name,
                  **{f"aux_{k}": form.get(f"aux_{k}_{account}") == "on" for k in AUX_NAMES}}
        try:
            accounting.set_mapping(session, staff, account, commands.build(MappingIn, values))
        except ValidationFailed as exc:
            errors[f"code_{account}"] = f"{CHART[account].name}：{exc.message}"
    if errors:
        session.rollback()
        ctx = _context(session)
        ctx["errors"] = errors
        ctx["posted"] = {k: str(v) for k, v in form.items()}
        return core.render(request, "finance/accounting.html", ctx, staff=staff, status_code=422)
    return core.redirect(PAGE, msg="mapping_saved")


@router.post(f"{PAGE}/exports")
async def create_export(request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in EXPORT_FIELDS}
    try:
        data = commands.build(ExportIn, {**{k: v for k, v in values.items() if v}, "force": form.get("force") == "1"})
        record = accounting.export(session, staff, data)
    except AppError as exc:
        if not isinstance(exc, (ValidationFailed, Conflict)):
            raise
        session.rollback()
        ctx = _context(session, values)
        if isinstance(exc, Conflict):
            ctx["earlier"] = {"message": exc.message, "exports": exc.extra.get("earlier", [])}
        else:
            ctx["errors"] = core.field_errors(exc, {"period": "__all__", "mapping": "__all__"})
        return core.render(request, "finance/accounting.html", ctx, staff=staff, status_code=409 if ctx["earlier"]
                           else 422)
    return core.redirect(PAGE, msg="vouchers_exported", latest=record.id)


@router.get(f"{PAGE}/exports/{{export_id}}/file")
def download(request: Request, export_id: Annotated[int, Path(ge=1)], staff: FinanceStaff,
             session: SessionDep) -> Response:
    record = accounting.get_export(session, staff, export_id)
    return Response(accounting.file_of(record), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{record.filename}"'})
