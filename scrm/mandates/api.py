"""Direct-debit authorisation: the mini-program's endpoints (a customer sees only their own), finance's
read-only view, and WeChat's papay contract notification."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response

from scrm.auth import FinanceStaff, SessionDep
from scrm.core.crypto import mask_name, mask_phone
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.customers.identity import MP_ERRORS, CurrentCustomer
from scrm.mandates import schemas
from scrm.mandates import service as mandate_service
from scrm.mandates.models import Mandate, MandateStatus
from scrm.wechatpay import signing
from scrm.wechatpay.client import verify_notification

log = logging.getLogger(__name__)

mp = APIRouter(prefix="/mp/mandates", tags=["mini-program: direct-debit authorisation"], responses=MP_ERRORS)
staff = APIRouter(prefix="/api/mandates", tags=["direct-debit authorisations"], responses=ERROR_RESPONSES)
notify = APIRouter(prefix="/pay/notify", tags=["payment notifications"], include_in_schema=False)

MandateId = Annotated[int, Path(ge=1)]


def mandate_out(m: Mandate) -> schemas.MandateOut:
    out = schemas.MandateOut.model_validate(m, from_attributes=True)
    out.max_amount = from_fen(m.max_amount_fen) if m.max_amount_fen is not None else None
    out.holder_name, out.phone = mask_name(m.holder_name), mask_phone(m.phone)
    if m.status == MandateStatus.sms_sent:
        out.sms_attempts_left = mandate_service.SMS_MAX_ATTEMPTS - m.sms_attempts
    return out


@mp.get("", response_model=list[schemas.MandateOut])
def my_mandates(customer: CurrentCustomer, session: SessionDep) -> list[schemas.MandateOut]:
    """Your direct-debit authorisations, newest first. Card numbers show only their last four digits."""
    return [mandate_out(m) for m in mandate_service.list_for_customer(session, customer.id)]


@mp.post("/bank-card", response_model=schemas.MandateOut, status_code=status.HTTP_201_CREATED)
def bind_card(body: schemas.CardBind, customer: CurrentCustomer, session: SessionDep) -> schemas.MandateOut:
    """Bind a debit card: the bank texts a code to the phone it has for the card. Confirm it with
    `POST /mp/mandates/{id}/sms-confirm` within 5 minutes (5 attempts)."""
    return mandate_out(mandate_service.bind_card(session, customer, **body.model_dump()))


@mp.post("/{mandate_id}/sms-confirm", response_model=schemas.MandateOut,
         responses={422: {"description": "wrong or expired code; the answer says how many attempts are left"}})
def confirm_sms(mandate_id: MandateId, body: schemas.SmsConfirm, customer: CurrentCustomer,
                session: SessionDep) -> schemas.MandateOut | JSONResponse:
    """Confirm the card with the SMS code. Then sign the authorisation's scope with `POST /mp/mandates/{id}/sign`."""
    mandate, problem = mandate_service.confirm_sms(session, customer, mandate_id, body.code)
    if problem:
        left = mandate_out(mandate).sms_attempts_left
        return JSONResponse({"error": "invalid", "field": "code", "message": problem, "attempts_left": left or 0,
                             "status": mandate.status.value}, status_code=422)
    return mandate_out(mandate)


@mp.post("/{mandate_id}/sign", response_model=schemas.MandateOut)
def sign_card(mandate_id: MandateId, body: schemas.Scope, customer: CurrentCustomer,
              session: SessionDep) -> schemas.MandateOut:
    """Sign the authorisation for a confirmed card: which contract, the most one debit may take, until when."""
    return mandate_out(mandate_service.sign_bank_card(session, customer, mandate_id, **body.model_dump()))


@mp.post("/papay", response_model=schemas.PapaySigning, status_code=status.HTTP_201_CREATED)
def start_papay(body: schemas.Scope, customer: CurrentCustomer, session: SessionDep) -> schemas.PapaySigning:
    """Start a WeChat Pay 委托代扣 contract: open `signing_url` with `params` in WeChat; the authorisation
    becomes active when WeChat reports the signed contract."""
    mandate, page = mandate_service.start_papay(session, customer, **body.model_dump())
    return schemas.PapaySigning(mandate=mandate_out(mandate), signing_url=page["url"], params=page["params"])


@mp.post("/{mandate_id}/revoke", response_model=schemas.MandateOut)
def revoke(mandate_id: MandateId, customer: CurrentCustomer, session: SessionDep) -> schemas.MandateOut:
    """Revoke an authorisation; no debit is made with it afterwards."""
    return mandate_out(mandate_service.revoke(session, customer, mandate_id))


@staff.get("", response_model=list[schemas.MandateOut])
def customer_mandates(user: FinanceStaff, session: SessionDep,
                      customer_id: Annotated[int, Query(ge=1)]) -> list[schemas.MandateOut]:
    """A customer's authorisations (finance). Card numbers show only their last four digits."""
    customer_service.get_visible(session, user, customer_id)
    return [mandate_out(m) for m in mandate_service.list_for_customer(session, customer_id)]


def xml_ack(ok: bool, message: str = "OK", status_code: int = 200) -> Response:
    body = signing.to_xml({"return_code": "SUCCESS" if ok else "FAIL", "return_msg": message})
    return Response(body, media_type="text/xml", status_code=status_code)


def xml_refused(exc: signing.RefusedXml) -> Response:
    log.warning("refused a payment notification: %s", exc.message)
    return xml_ack(False, exc.message, status_code=exc.status_code)


async def raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


@notify.post("/papay/contract")
def papay_contract(body: RawBody, session: SessionDep) -> Response:
    try:
        fields = verify_notification(body)
    except signing.RefusedXml as exc:
        return xml_refused(exc)
    except signing.BadSignature as exc:
        log.error("rejected a papay contract notification: %s", exc)
        return xml_ack(False, "签名错误")
    mandate_service.on_contract_notification(session, fields)
    return xml_ack(True)


router = APIRouter()
router.include_router(mp)
router.include_router(staff)
router.include_router(notify)
