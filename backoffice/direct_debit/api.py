"""Direct debit for finance (`/api/backoffice/debits`) and the providers' notifications (`/pay/notify/...`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from backoffice.direct_debit import schemas, tasks
from backoffice.direct_debit import service as debit_service
from backoffice.direct_debit.models import DebitOrder, DebitStatus
from backoffice.direct_debit.providers import for_mandate
from scrm.auth import FinanceStaff, SessionDep
from scrm.customers import service as customer_service
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.params import INTEGER_MAX
from scrm.mandates.api import RawBody, xml_ack, xml_refused
from scrm.core.money import from_fen, to_fen
from scrm.wechatpay.client import papay_window_opens
from scrm.wechatpay.signing import RefusedXml

router = APIRouter(tags=["direct debit"], responses=ERROR_RESPONSES)
staff = APIRouter(prefix="/api/backoffice/debits")
notify = APIRouter(prefix="/pay/notify", include_in_schema=False)

DebitId = Annotated[int, Path(ge=1)]


def debit_out(debit: DebitOrder, cls=schemas.DebitOut):
    out = cls.model_validate(debit, from_attributes=True)
    out.amount = from_fen(debit.amount_fen)
    return out


@staff.post("", status_code=status.HTTP_201_CREATED,
            responses={200: {"model": schemas.DebitPreview, "description": "the preview (confirm=false)"},
                       201: {"model": schemas.DebitOut, "description": "the debit order (confirm=true)"}})
def create(body: schemas.DebitCreate, user: FinanceStaff, session: SessionDep):
    """Debit a customer through their authorisation. With `confirm=false` nothing happens: the answer
    shows what would be debited, from which authorisation, and when. With `confirm=true` the order is
    made and submitted; the same `due_key` and amount answer the same order however often it is pressed."""
    customer_service.get_visible(session, user, body.customer_id)
    amount_fen = to_fen(body.amount)
    if not body.confirm:
        existing = debit_service.find_debit(session, body.due_key, amount_fen)
        mandate = debit_service.choose_mandate(session, body.customer_id, amount_fen, body.mandate_id)
        provider = for_mandate(mandate)
        preview = schemas.DebitPreview(
            customer_id=body.customer_id, due_key=body.due_key, amount=from_fen(amount_fen), mandate_id=mandate.id,
            provider=provider.name, card_last4=mandate.card_last4,
            max_amount=from_fen(mandate.max_amount_fen) if mandate.max_amount_fen is not None else None,
            not_before=papay_window_opens(debit_service.provider_now()) if provider.window else None,
            existing_debit_id=existing.id if existing else None)
        return JSONResponse(preview.model_dump(mode="json"), status_code=200)
    debit = debit_service.create_debit(session, user, customer_id=body.customer_id, due_key=body.due_key,
                                       amount_fen=amount_fen, description=body.description, mandate_id=body.mandate_id)
    return debit_out(debit)


@staff.get("", response_model=schemas.DebitPage)
def list_debits(user: FinanceStaff, session: SessionDep,
                status_: Annotated[DebitStatus | None, Query(alias="status")] = None,
                customer_id: Annotated[int | None, Query(ge=1)] = None,
                page: Annotated[int, Query(ge=1, le=INTEGER_MAX)] = 1,
                page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> schemas.DebitPage:
    """Debit orders, newest first, filtered by status and customer."""
    items, total = debit_service.list_debits(session, status=status_, customer_id=customer_id, page=page,
                                             page_size=page_size)
    return schemas.DebitPage(items=[debit_out(d) for d in items], total=total, page=page, page_size=page_size)


@staff.get("/{debit_id}", response_model=schemas.DebitDetail)
def get_debit(debit_id: DebitId, user: FinanceStaff, session: SessionDep) -> schemas.DebitDetail:
    """One debit with its attempts at the provider and every change of state."""
    debit = debit_service.get_debit(session, debit_id)
    out = debit_out(debit, schemas.DebitDetail)
    out.attempt_list = [schemas.AttemptOut.model_validate(a) for a in debit_service.attempts_of(session, debit.id)]
    out.changes = [schemas.ChangeOut.model_validate(c) for c in debit_service.changes_of(session, debit.id)]
    return out


@staff.post("/{debit_id}/poll", response_model=schemas.DebitOut)
def poll_now(debit_id: DebitId, user: FinanceStaff, session: SessionDep) -> schemas.DebitOut:
    """Ask the provider about a debit now (an unknown or waiting one)."""
    debit = debit_service.get_debit(session, debit_id)
    debit_service.DEBIT_MACHINE.check(debit, "poll")
    tasks.poll_debit(debit_id)
    session.expire_all()
    return debit_out(debit_service.get_debit(session, debit_id))


@staff.post("/reconcile", response_model=schemas.ReconcileOut)
def reconcile(body: schemas.ReconcileIn, user: FinanceStaff, session: SessionDep) -> schemas.ReconcileOut:
    """Reconcile one day's bill of a provider: matched debits become reconciled; mismatches are listed and alerted."""
    return schemas.ReconcileOut.model_validate(debit_service.reconcile(session, body.provider, body.date))


def _notified(provider: str, body: bytes, request: Request, session) -> Response:
    try:
        ok, _ = debit_service.handle_notification(session, provider, body, dict(request.headers))
    except RefusedXml as exc:
        return xml_refused(exc)
    if provider == "bank":
        return PlainTextResponse("SUCCESS" if ok else "FAIL")
    return xml_ack(ok, "OK" if ok else "rejected")


@notify.post("/papay")
def papay_notify(body: RawBody, request: Request, session: SessionDep) -> Response:
    return _notified("papay", body, request, session)


@notify.post("/bank")
def bank_notify(body: RawBody, request: Request, session: SessionDep) -> Response:
    return _notified("bank", body, request, session)


router.include_router(staff)
router.include_router(notify)
