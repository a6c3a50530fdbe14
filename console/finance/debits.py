"""Direct-debit pages (代扣): debit orders with their attempts and state changes, asking the provider about a
waiting one, the daily reconciliation, and the customers' authorisations. The rules are in
``backoffice.direct_debit.service`` and ``scrm.mandates.service``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.direct_debit import service as debit_service
from backoffice.direct_debit import tasks as debit_tasks
from backoffice.direct_debit.labels import DEBIT_NAMES, MISMATCH_NAMES, PROVIDER_NAMES
from backoffice.direct_debit.models import DebitOrder, DebitStatus
from backoffice.direct_debit.providers import PROVIDERS
from console import core
from scrm.auth import FinanceStaff, SessionDep, require_roles
from scrm.core.errors import AppError, ValidationFailed
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.mandates import service as mandate_service
from scrm.mandates.labels import MANDATE_KINDS, MANDATE_NAMES
from scrm.mandates.models import MandateStatus
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

router = core.console_router()

DebitReader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]


def _list_context(request: Request, session: Session) -> dict:
    listing = core.Listing.read(request, "/finance/debits", ("status",))
    status = listing.filters.get("status")
    debits, listing.total = debit_service.list_debits(
        session, status=DebitStatus(status) if status in DebitStatus.__members__ else None, page=listing.page,
        page_size=listing.page_size)
    return {"listing": listing, "debits": debits, "debit_names": DEBIT_NAMES, "provider_names": PROVIDER_NAMES,
            "customer_names": customer_service.names_by_id(session, {d.customer_id for d in debits}), "fen": from_fen,
            "status_options": [("", "全部")] + list(DEBIT_NAMES.items()),
            "provider_options": list(PROVIDER_NAMES.items()),
            "values": {"provider": "papay", "day": debit_service.yesterday().isoformat()}}


@router.get("/finance/debits")
def debit_list(request: Request, staff: DebitReader, session: SessionDep) -> Response:
    core.remember(request, staff)
    return core.render(request, "finance/debits.html", _list_context(request, session), staff=staff)


@router.post("/finance/debits/reconcile")
async def reconcile(request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("provider", "day")}
    try:
        if values["provider"] not in PROVIDERS:
            raise ValidationFailed("请选择代扣渠道", field="provider")
        try:
            day = date.fromisoformat(values["day"])
        except ValueError:
            raise ValidationFailed("请选择对账日期", field="day") from None
        if day > debit_service.provider_now().date():
            raise ValidationFailed("只能对今天及以前的账单", field="day")
        rec = debit_service.reconcile(session, values["provider"], day)
    except AppError as exc:
        if not isinstance(exc, ValidationFailed):
            raise
        session.rollback()
        ctx = _list_context(request, session)
        ctx.update(values=values, errors=core.field_errors(exc))
        return core.render(request, "finance/debits.html", ctx, staff=staff, status_code=422)
    return core.redirect(f"/finance/debits/reconciliations/{rec.id}", msg="reconciled")


@router.get("/finance/debits/reconciliations/{rec_id}")
def reconciliation(request: Request, rec_id: Annotated[int, Path(ge=1)], staff: DebitReader,
                   session: SessionDep) -> Response:
    core.remember(request, staff)
    rec = debit_service.get_reconciliation(session, rec_id)
    return core.render(request, "finance/reconciliation.html", {
        "rec": rec, "provider_names": PROVIDER_NAMES, "mismatch_names": MISMATCH_NAMES, "fen": from_fen},
        staff=staff)


@router.get("/finance/debits/mandates")
def mandate_list(request: Request, staff: DebitReader, session: SessionDep) -> Response:
    core.remember(request, staff)
    listing = core.Listing.read(request, "/finance/debits/mandates", ("status",))
    status = listing.filters.get("status")
    mandates, listing.total = mandate_service.list_mandates(
        session, status=MandateStatus(status) if status in MandateStatus.__members__ else None, page=listing.page,
        page_size=listing.page_size)
    return core.render(request, "finance/mandates.html", {
        "listing": listing, "mandates": mandates, "mandate_names": MANDATE_NAMES, "mandate_kinds": MANDATE_KINDS,
        "customer_names": customer_service.names_by_id(session, {m.customer_id for m in mandates}), "fen": from_fen,
        "status_options": [("", "全部")] + list(MANDATE_NAMES.items())}, staff=staff)


def page_debit(debit_id: Annotated[int, Path(ge=1)], request: Request, staff: DebitReader,
               session: SessionDep) -> DebitOrder:
    core.remember(request, staff)
    return debit_service.get_debit(session, debit_id)


PageDebit = Annotated[DebitOrder, Depends(page_debit)]


def _settlement_link(due_key: str) -> int | None:
    prefix, _, rest = due_key.partition(":")
    raw = rest.split("#", 1)[0]
    return int(raw) if prefix == "settlement" and raw.isdigit() else None


@router.get("/finance/debits/{debit_id}")
def debit_page(request: Request, debit: PageDebit, staff: DebitReader, session: SessionDep) -> Response:
    return core.render(request, "finance/debit.html", {
        "d": debit, "attempts": debit_service.attempts_of(session, debit.id),
        "changes": debit_service.changes_of(session, debit.id), "debit_names": DEBIT_NAMES,
        "provider_names": PROVIDER_NAMES, "live": "poll" in debit_service.DEBIT_MACHINE.allowed_actions(debit),
        "customer_name": customer_service.names_by_id(session, {debit.customer_id}).get(debit.customer_id, ""),
        "names": org_service.employee_names(session, {c.actor_id for c in debit_service.changes_of(session, debit.id)}),
        "settlement_id": _settlement_link(debit.due_key), "fen": from_fen,
        "may_act": staff.role in (Role.finance, Role.admin)}, staff=staff)


@router.post("/finance/debits/{debit_id}/poll")
def poll(request: Request, debit: PageDebit, staff: FinanceStaff, session: SessionDep) -> Response:
    """Ask the provider now, as ``POST /api/backoffice/debits/{id}/poll``."""
    debit_service.DEBIT_MACHINE.check(debit, "poll")
    debit_tasks.poll_debit(debit.id)
    return core.redirect(f"/finance/debits/{debit.id}", msg="debit_polled")
