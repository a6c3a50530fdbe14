"""Direct-debit authorisations (代扣授权): binding a bank card (bank SMS code, then the signed scope) or
signing a WeChat papay contract (WeChat's contract notification activates it), revocation, and the
customer's usable authorisations for the back-office."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from scrm.core.config import get_settings
from scrm.core.crypto import (blind_index, mask_name, normalize_card_no, normalize_id_no, normalize_phone,
                              valid_card_no, valid_id_no, valid_mobile)
from scrm.core.db import utcnow
from scrm.core.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from scrm.core.money import to_fen
from scrm.core.statemachine import Change, Machine
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.customers.models import Customer
from scrm.mandates.labels import MANDATE_NAMES
from scrm.mandates.models import Mandate, MandateChange, MandateKind, MandateStatus
from scrm.wechatpay.bank import get_bank_client
from scrm.wechatpay.client import PayError, get_pay_client, notify_url

log = logging.getLogger(__name__)

SMS_TTL = timedelta(minutes=5)
SMS_MAX_ATTEMPTS = 5
BINDS_PER_DAY = 5


def _log(session: Session, change: Change) -> None:
    session.add(MandateChange(mandate_id=change.entity_id, to_status=change.to_state.value, reason=change.note,
                              from_status=change.from_state.value if change.from_state is not None else None))


def _stamp(mandate: Mandate, status: MandateStatus) -> None:
    if status == MandateStatus.active:
        mandate.signed_at = utcnow()
    elif status == MandateStatus.revoked:
        mandate.revoked_at = utcnow()


M = MandateStatus
MANDATE_MACHINE = Machine("mandate", "代扣授权", {
    (M.sms_sent, "verify"): M.verified,
    (M.sms_sent, "fail"): M.failed,
    (M.sms_sent, "revoke"): M.revoked,
    (M.verified, "activate"): M.active,
    (M.verified, "revoke"): M.revoked,
    (M.signing, "activate"): M.active,
    (M.signing, "fail"): M.failed,
    (M.signing, "revoke"): M.revoked,
    (M.active, "revoke"): M.revoked,
    (M.active, "expire"): M.expired,
}, _log, on_enter=_stamp, state_labels=MANDATE_NAMES)


def _new(session: Session, mandate: Mandate) -> Mandate:
    MANDATE_MACHINE.record_creation(session, mandate)
    return mandate


def get_own(session: Session, customer: Customer, mandate_id: int, *, lock: bool = False) -> Mandate:
    """The customer's own mandate; another customer's is not found (the same answer as a missing one)."""
    stmt = select(Mandate).where(Mandate.id == mandate_id, Mandate.customer_id == customer.id)
    mandate = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if mandate is None:
        raise NotFound(f"没有编号为 {mandate_id} 的代扣授权")
    return mandate


def list_for_customer(session: Session, customer_id: int) -> list[Mandate]:
    return list(session.scalars(select(Mandate).where(Mandate.customer_id == customer_id).order_by(Mandate.id.desc())))


def list_mandates(session: Session, *, status: MandateStatus | None = None, customer_id: int | None = None,
                  page: int = 1, page_size: int = 20) -> tuple[list[Mandate], int]:
    """Every customer's authorisations, newest first, with the total count."""
    stmt = select(Mandate)
    if status is not None:
        stmt = stmt.where(Mandate.status == status)
    if customer_id is not None:
        stmt = stmt.where(Mandate.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Mandate.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), int(total)


def active_mandates(session: Session, customer_id: int) -> list[Mandate]:
    """The customer's usable direct-debit authorisations (active and not past their end), newest first."""
    now = utcnow()
    return list(session.scalars(
        select(Mandate).where(Mandate.customer_id == customer_id, Mandate.status == MandateStatus.active,
                              or_(Mandate.valid_until.is_(None), Mandate.valid_until > now))
        .order_by(Mandate.id.desc())))


def _check_scope(max_amount: Decimal, valid_until: datetime) -> int:
    if valid_until.tzinfo is None:
        raise ValidationFailed("授权截止时间需带时区，例如 2027-12-31T23:59:59+08:00", field="valid_until")
    if valid_until <= utcnow():
        raise ValidationFailed("授权截止时间必须晚于现在", field="valid_until")
    fen = to_fen(max_amount)
    if fen <= 0:
        raise ValidationFailed("单笔最高扣款金额至少 0.01 元", field="max_amount")
    return fen


def bind_card(session: Session, customer: Customer, *, holder_name: str, id_no: str, card_no: str,
              phone: str) -> Mandate:
    """Send the card to the bank for an agreement; the bank texts a code to ``phone``."""
    if not valid_id_no(id_no):
        raise ValidationFailed("身份证号不正确（应为 18 位居民身份证号，校验位不符）", field="id_no")
    if not valid_card_no(card_no):
        raise ValidationFailed("银行卡号不正确（应为 16–19 位借记卡号，请核对）",
                               field="card_no")
    if not valid_mobile(phone):
        raise ValidationFailed("手机号应为 11 位中国大陆手机号（银行预留手机号）", field="phone")
    card, ident, mobile = normalize_card_no(card_no), normalize_id_no(id_no), normalize_phone(phone)
    card_hash = blind_index("card", card)
    # the day's limit is counted under the customer's lock, so bindings sent at once queue behind each other
    customer_service.lock_customer(session, customer.id)
    same = session.scalars(select(Mandate).where(Mandate.customer_id == customer.id, Mandate.card_hash == card_hash,
                                                 Mandate.status == MandateStatus.active)).first()
    if same is not None:
        raise Conflict(f"尾号 {card[-4:]} 的银行卡已授权（授权编号 {same.id}），无需重复绑定", field="card_no")
    since = utcnow() - timedelta(days=1)
    recent = session.scalars(select(Mandate.id).where(Mandate.customer_id == customer.id,
                                                      Mandate.kind == MandateKind.bank_card,
                                                      Mandate.created_at > since)).all()
    if len(recent) >= BINDS_PER_DAY:
        raise TooManyRequests(f"每天最多绑定 {BINDS_PER_DAY} 张银行卡，请明天再试")
    answer = get_bank_client().call("agreement/sign-request", {
        "request_no": f"MB{customer.id}-{secrets.token_hex(6)}", "name": holder_name, "id_no": ident,
        "card_no": card, "phone": mobile}, ref=f"customer:{customer.id}")
    return _new(session, Mandate(customer_id=customer.id, kind=MandateKind.bank_card, status=MandateStatus.sms_sent,
                                 holder_name=holder_name, id_no=ident, id_no_hash=blind_index("id_no", ident),
                                 card_no=card, card_hash=card_hash, card_last4=card[-4:], phone=mobile,
                                 sign_request_id=answer["sign_request_id"], sms_sent_at=utcnow(), sms_attempts=0))


def confirm_sms(session: Session, customer: Customer, mandate_id: int, code: str) -> tuple[Mandate, str | None]:
    """Check the SMS code with the bank. Returns the mandate and, for a wrong code, the problem (the attempt
    is still counted, so the caller commits before answering)."""
    mandate = get_own(session, customer, mandate_id, lock=True)
    if mandate.status != MandateStatus.sms_sent:
        MANDATE_MACHINE.check(mandate, "verify")
    if utcnow() - mandate.sms_sent_at > SMS_TTL:
        MANDATE_MACHINE.advance(session, mandate, "fail", note="SMS code expired")
        return mandate, "验证码已过期，请重新绑卡获取新的验证码"
    if mandate.sms_attempts >= SMS_MAX_ATTEMPTS:
        MANDATE_MACHINE.advance(session, mandate, "fail", note="too many wrong codes")
        return mandate, "验证码错误次数过多，请重新绑卡"
    mandate.sms_attempts += 1
    try:
        answer = get_bank_client().call("agreement/confirm", {"sign_request_id": mandate.sign_request_id,
                                                              "sms_code": code}, ref=f"mandate:{mandate.id}")
    except PayError as exc:
        if exc.err_code in ("SMS_MISMATCH", "SMS_EXPIRED"):
            left = SMS_MAX_ATTEMPTS - mandate.sms_attempts
            if exc.err_code == "SMS_EXPIRED" or left <= 0:
                MANDATE_MACHINE.advance(session, mandate, "fail", note=exc.err_msg)
                return mandate, f"{exc.err_msg}，请重新绑卡"
            return mandate, f"验证码错误，还可以再试 {left} 次"
        raise
    mandate.agreement_no = answer["agreement_no"]
    MANDATE_MACHINE.advance(session, mandate, "verify", note="bank confirmed the card")
    return mandate, None


def sign_bank_card(session: Session, customer: Customer, mandate_id: int, *, scope_ref: str, max_amount: Decimal,
                   valid_until: datetime) -> Mandate:
    """The customer signs the authorisation's scope for a verified card; it becomes usable."""
    mandate = get_own(session, customer, mandate_id, lock=True)
    if mandate.kind != MandateKind.bank_card:
        raise Conflict("微信支付代扣在微信签约页签署，无需在此签署")
    fen = _check_scope(max_amount, valid_until)
    mandate.scope_ref, mandate.max_amount_fen, mandate.valid_until = scope_ref, fen, valid_until
    MANDATE_MACHINE.advance(session, mandate, "activate", note="customer signed the authorisation")
    return mandate


def start_papay(session: Session, customer: Customer, *, scope_ref: str, max_amount: Decimal,
                valid_until: datetime) -> tuple[Mandate, dict]:
    """A papay contract waiting for WeChat's notification, and the signing page's URL and signed parameters."""
    fen = _check_scope(max_amount, valid_until)
    settings = get_settings()
    mandate = _new(session, Mandate(customer_id=customer.id, kind=MandateKind.papay, status=MandateStatus.signing,
                                    scope_ref=scope_ref, max_amount_fen=fen, valid_until=valid_until,
                                    plan_id=settings.wechatpay_papay_plan_id, openid=customer.mp_openid))
    mandate.contract_code = f"M{mandate.id:08d}{secrets.token_hex(4)}"
    page = get_pay_client().withhold.apply_signing(
        plan_id=settings.wechatpay_papay_plan_id, contract_code=mandate.contract_code,
        contract_display_account=mask_name(customer.name) or f"客户{customer.id}",
        notify_url=notify_url("papay/contract"), openid=customer.mp_openid, request_serial=mandate.id)
    return mandate, {"url": page["base_url"], "params": {k: str(v) for k, v in page["data"].items()}}


def on_contract_notification(session: Session, fields: dict) -> str:
    """Apply WeChat's signed contract notification (ADD or DELETE); returns what happened."""
    mandate = session.scalars(select(Mandate).where(Mandate.contract_code == fields.get("contract_code"))
                              .with_for_update()).first()
    if mandate is None:
        log.error("papay contract notification for unknown contract_code %s", fields.get("contract_code"))
        return "unknown"
    if fields.get("change_type") == "ADD":
        if mandate.status != MandateStatus.signing:
            return "duplicate"
        mandate.contract_id, mandate.openid = fields.get("contract_id"), fields.get("openid") or mandate.openid
        MANDATE_MACHINE.advance(session, mandate, "activate", note="WeChat papay contract signed")
        return "activated"
    if fields.get("change_type") == "DELETE":
        if mandate.status in (MandateStatus.revoked, MandateStatus.expired, MandateStatus.failed):
            return "duplicate"
        MANDATE_MACHINE.advance(session, mandate, "revoke", note="WeChat papay contract terminated")
        return "revoked"
    return "ignored"


def _end_at_provider(mandate: Mandate, remark: str) -> None:
    """Tell WeChat or the bank that the authorisation ends (one that never got that far has nothing to end)."""
    if mandate.kind == MandateKind.papay and mandate.contract_id:
        try:
            get_pay_client().withhold.apply_cancel_signing(contract_id=mandate.contract_id,
                                                           contract_termination_remark=remark)
        except PayError as exc:
            if exc.err_code != "CONTRACT_NOT_EXIST":
                raise
    elif mandate.kind == MandateKind.bank_card and mandate.agreement_no:
        get_bank_client().call("agreement/cancel", {"agreement_no": mandate.agreement_no}, ref=f"mandate:{mandate.id}")


def revoke(session: Session, customer: Customer, mandate_id: int) -> Mandate:
    """End an authorisation: WeChat or the bank is told first, then it is marked revoked."""
    mandate = get_own(session, customer, mandate_id)
    MANDATE_MACHINE.check(mandate, "revoke")
    _end_at_provider(mandate, "客户解约")
    session.refresh(mandate, with_for_update=True)  # WeChat's DELETE notification may have revoked it meanwhile
    if mandate.status != MandateStatus.revoked:
        MANDATE_MACHINE.advance(session, mandate, "revoke", note="revoked by the customer")
    return mandate


ENDED = (MandateStatus.revoked, MandateStatus.failed, MandateStatus.expired)


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber: the customer's authorisations end (at WeChat or the bank too) and lose the holder's
    name, ID number, card number, phone and openid; their ids, scope and card's last four digits stay."""
    for mandate in list_for_customer(session, event.customer_id):
        if mandate.status not in ENDED:
            try:
                _end_at_provider(mandate, "客户注销")
            except PayError as exc:
                # ours is revoked below whatever the provider says, so no debit of ours can use it; the
                # provider's side can still be ended from the agreement number or contract id, which stay
                log.error("could not end authorisation %s at the provider: %s", mandate.id, exc)
            session.refresh(mandate, with_for_update=True)  # WeChat's DELETE notification may have revoked it
            if mandate.status not in ENDED:
                MANDATE_MACHINE.advance(session, mandate, "revoke", note="customer's personal data erased")
        for attr in ("holder_name", "id_no", "id_no_hash", "card_no", "card_hash", "phone", "openid"):
            setattr(mandate, attr, None)
    session.flush()
