"""The mini-program's business side: sign-in through code2session, the verified phone, applications with
their privacy consent, progress, and settlement statements as the back-office announces them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.assignment import service as assignment_service
from scrm.core import events
from scrm.core.config import get_settings
from scrm.core.db import insert_ignore, utcnow
from scrm.core.errors import AppError, Conflict, ExternalServiceError, NotFound, Unauthorized, ValidationFailed
from scrm.customers import forms
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.customers.models import Customer, LoanProduct, Stage
from scrm.miniprogram_api.events import ApplicationSubmitted
from scrm.miniprogram_api.models import LoanApplication, SettlementStatement
from scrm.miniprogram_api.wxa import get_wxa_client
from scrm.referral import service as referral_service
from scrm.wecom.client import WecomError

log = logging.getLogger(__name__)

# errcodes of a bad or spent code: the user should get a fresh one, nothing to retry
BAD_CODE = {40029, 40163, 41008}
PROGRESS = {
    Stage.lead: "submitted", Stage.contacted: "reviewing", Stage.appointment: "reviewing", Stage.signed: "signed",
    Stage.processing: "processing", Stage.disbursed: "disbursed", Stage.settled: "settled", Stage.lost: "closed",
}
STEPS = ["submitted", "reviewing", "signed", "processing", "disbursed", "settled"]


def _wx(call, *args: Any, bad_code: type[AppError] = ValidationFailed) -> Any:
    try:
        return call(*args)
    except WecomError as exc:
        if exc.errcode in BAD_CODE:
            raise bad_code("微信凭证无效、已过期或已使用，请重新获取", field="code", wx_errcode=exc.errcode) from None
        raise ExternalServiceError(f"微信接口暂不可用（{exc.errcode or exc.message}），请稍后再试") from None


# ---------------------------------------------------------------------------------------------
# sign-in


@dataclass
class SignIn:
    customer: Customer
    created: bool
    referral: referral_service.Attribution | None


def sign_in(session: Session, code: str, *, referral_code: str | None = None) -> SignIn:
    """``wx.login``'s code → code2session → the customer (found by openid or unionid, or a new lead);
    a referral scene, when the mini-program was opened through one, is attributed."""
    answer = _wx(get_wxa_client().wxa.code_to_session, code, bad_code=Unauthorized)
    customer, created = customer_service.sign_in_miniprogram(session, openid=answer["openid"],
                                                             unionid=answer.get("unionid"))
    attribution = None
    code_value = referral_service.code_from_scene(referral_code)
    if code_value:
        attribution = referral_service.attribute(session, customer, code_value, source="miniprogram")
    if created and customer.owner_id is None:

        assignment_service.assign(session, customer)
    return SignIn(customer, created, attribution)


def bind_phone(session: Session, customer: Customer, code: str) -> Customer:
    """getPhoneNumber's code → the verified number, stored encrypted; returns the customer that holds it
    (another record with that number is the same person and is merged into the older one)."""
    answer = _wx(get_wxa_client().wxa.get_phone_number, code)
    info = answer.get("phone_info") or {}
    if str(info.get("countryCode") or "86") != "86":
        raise ValidationFailed("目前只支持中国大陆手机号", field="code")
    return customer_service.set_verified_phone(session, customer, info.get("purePhoneNumber") or "")


REFERRAL_PAGE = "pages/referral/landing"


def share_code(session: Session, customer: Customer) -> bytes:
    """The PNG of a mini-program code opening the referral page with the customer's referral scene."""
    code = referral_service.code_for(session, customer)
    image = _wx(get_wxa_client().wxa.get_wxa_code_unlimited, referral_service.scene_for(code), 430, False, None,
                REFERRAL_PAGE)
    return image.content


# ---------------------------------------------------------------------------------------------
# applications


def form_fields_of(session: Session, application: LoanApplication) -> list[dict]:
    """The form the application was filled with (its version, not the product's current one)."""
    form = customer_service.get_form(session, application.form_id)
    return form.fields if form else session.get(LoanProduct, application.product_id).form_fields


def required_materials_of(session: Session, application: LoanApplication) -> list[str]:
    form = customer_service.get_form(session, application.form_id)
    return form.required_materials if form else session.get(LoanProduct, application.product_id).required_materials


def _text_of(session: Session, product: LoanProduct, application: LoanApplication) -> str:
    """The words of an application, as the tagging pipeline reads a form."""
    parts = [product.name]
    fields = form_fields_of(session, application)
    shown = forms.present(fields, application.fields)
    for f in fields:
        value = shown.get(f["key"])
        if value is None:
            continue
        if f["type"] == "choice":
            value = next((o["label"] for o in f.get("options") or [] if o.get("value") == value), value)
        elif f["type"] == "bool":
            value = "是" if value else "否"
        parts.append(f"{f.get('label') or f['key']}：{value}{f.get('unit', '') if f['type'] != 'choice' else ''}")
    if application.purpose:
        parts.append(f"用途：{application.purpose}")
    return "；".join(parts)


def submit_application(session: Session, customer: Customer, *, request_id: str, consent_accepted: bool,
                       consent_version: str, product_code: str, amount: Decimal, term_months: int | None,
                       purpose: str | None, fields: dict[str, Any], name: str | None = None,
                       city: str | None = None) -> tuple[LoanApplication, bool]:
    """An application: without consent to the current privacy terms nothing is kept; every bad field is
    named at once; the customer becomes an assigned lead and the text feeds the tagging pipeline.
    Idempotent on ``request_id``."""
    current = get_settings().privacy_terms_version
    if not consent_accepted:
        raise ValidationFailed("请先阅读并同意《隐私政策》，否则我们不能保存您的申请", field="consent.accepted")
    if consent_version != current:
        raise ValidationFailed(f"隐私政策已更新到 {current} 版，请阅读后重新同意", field="consent.version",
                               current_version=current)
    session.flush()
    existing = session.scalars(select(LoanApplication).where(LoanApplication.customer_id == customer.id,
                                                             LoanApplication.request_id == request_id)).first()
    if existing is not None:
        return existing, False
    customer = customer_service.apply_from_miniprogram(
        session, customer, product_code=product_code, amount=amount, term_months=term_months, purpose=purpose,
        custom_fields=fields, name=name, city=city)
    now = utcnow()
    application = LoanApplication(customer_id=customer.id, request_id=request_id, product_id=customer.product_id,
                                  form_id=customer.product_form_id, amount_fen=customer.amount_fen, term_months=term_months, purpose=purpose,
                                  fields=dict(customer.custom_fields or {}), consent_version=consent_version,
                                  consent_at=now, created_at=now)
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError:
        raise Conflict("同一申请正在提交，请稍候", field="request_id") from None
    if customer.owner_id is None:

        assignment_service.assign(session, customer)
    product = session.get(LoanProduct, application.product_id)
    events.emit(session, ApplicationSubmitted(customer_id=customer.id, application_id=application.id,
                                               product_code=product.code, text=_text_of(session, product, application)[:2000],
                                               at=now))
    return application, True


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber: the customer's applications keep product, amount, term and consent, not what they wrote."""
    customer_id = event.customer_id
    for application in list_applications(session, customer_id):
        application.purpose, application.fields = None, {}
    events.redact_payloads(session, ApplicationSubmitted, customer_id, ("text",))
    session.flush()


def list_applications(session: Session, customer_id: int) -> list[LoanApplication]:
    return list(session.scalars(select(LoanApplication).where(LoanApplication.customer_id == customer_id)
                                .order_by(LoanApplication.id.desc())))


def get_application(session: Session, customer_id: int, application_id: int) -> LoanApplication:
    """The customer's own application; another customer's is not found, the same as a missing one."""
    row = session.get(LoanApplication, application_id)
    if row is None or row.customer_id != customer_id:
        raise NotFound(f"没有编号为 {application_id} 的申请")
    return row


# ---------------------------------------------------------------------------------------------
# progress and settlement statements


def statement_of(session: Session, customer_id: int) -> SettlementStatement | None:
    return session.scalars(select(SettlementStatement).where(
        SettlementStatement.customer_id == customer_id, SettlementStatement.voided_at.is_(None))
        .order_by(SettlementStatement.closed_at.desc(), SettlementStatement.id.desc())).first()


def progress(session: Session, customer: Customer) -> dict[str, Any]:
    """Where the customer's loan stands, and the settlement statement when there is one."""
    statement = statement_of(session, customer.id)
    stage = "settled" if statement is not None else PROGRESS[customer.stage]
    applied = session.scalar(select(LoanApplication.id).where(LoanApplication.customer_id == customer.id).limit(1))
    if stage == "submitted" and applied is None:
        stage = "not_applied"
    return {"stage": stage, "steps": STEPS, "statement": statement}


def on_settlement_closed(session: Session, event: events.Event) -> None:
    """Subscriber: keep the statement the customer will read (the back-office announced it)."""
    if session.get(Customer, event.customer_id) is None:
        log.warning("settlement %s names unknown customer %s", event.settlement_id, event.customer_id)
        return
    insert_ignore(session, SettlementStatement.__table__, {
        "settlement_id": event.settlement_id, "order_id": event.order_id,
        "customer_id": event.customer_id, "product_code": event.product_code,
        "funder_type": event.funder_type,
        "service_fee_collected_fen": event.service_fee_collected_fen,
        "disbursed_amount_fen": event.disbursed_amount_fen, "closed_at": event.closed_at,
        "voided_at": None}, ["settlement_id"])


def on_settlement_voided(session: Session, event: events.Event) -> None:
    """Subscriber: a voided settlement's statement is no longer shown."""
    row = session.scalars(select(SettlementStatement).where(
        SettlementStatement.settlement_id == event.settlement_id)).first()
    if row is not None and row.voided_at is None:
        row.voided_at = utcnow()
        session.flush()
