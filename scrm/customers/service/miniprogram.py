"""The mini-program's side of the customer: sign-in, the verified phone and applications (called by
scrm.miniprogram_api)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.core import crypto, events
from scrm.core.errors import Conflict, ValidationFailed
from scrm.core.money import from_fen
from scrm.customers.models import Customer, CustomerSource, CustomerStatus, Stage
from scrm.customers.service.common import (_fail, _locked, add_timeline, find_by_phone, get_by_unionid, lock_customer,
                                           log, phone_hash, set_phone)
from scrm.customers.service.contacts import _merge
from scrm.customers.service.records import _resolve_need
from scrm.customers.events import CustomerCreated


def _by_openid(session: Session, openid: str) -> Customer | None:
    return _locked(session, select(Customer).where(Customer.mp_openid == openid))


def sign_in_miniprogram(session: Session, *, openid: str, unionid: str | None = None) -> tuple[Customer, bool]:
    """The customer behind a mini-program user (by openid, else by unionid: the same person on WeCom), or a
    new lead; True when it is new. A second record holding the unionid is merged, the older one kept; a
    unionid already on a customer with another openid is a ``Conflict``."""
    session.flush()
    customer = _by_openid(session, openid)
    if customer is None and unionid:
        customer = get_by_unionid(session, unionid)
        if customer is not None and customer.mp_openid is None:
            customer.mp_openid = openid
            session.flush()
        elif customer is not None:
            # one WeChat user has one openid per mini-program: a second openid for a unionid means the appid
            # changed or something is forged; the unionid is the person, so no second record is made
            log.warning("unionid %s is on customer %s with openid %s; sign-in with openid %s refused",
                        unionid, customer.id, customer.mp_openid, openid)
            raise Conflict("这个微信用户（unionid）已用另一个小程序身份（openid）登记过，不能再登记一次；"
                           "请联系顾问核对", field="code")
    if customer is not None:
        if unionid and customer.unionid != unionid:
            other = get_by_unionid(session, unionid)
            if other is None and customer.unionid is None:
                customer.unionid = unionid
            elif other is not None and other.mp_openid is None and other.status != CustomerStatus.merged:
                customer = _merge(session, customer, other, event_key=None, actor_id=None)
        session.flush()
        return customer, False
    customer = Customer(name="", source=CustomerSource.miniprogram, stage=Stage.lead, status=CustomerStatus.active,
                        mp_openid=openid, unionid=unionid, custom_fields={})
    try:
        with session.begin_nested():
            session.add(customer)
            session.flush()
    except IntegrityError:  # the same user signing in twice at once: the other request made the record
        existing = _by_openid(session, openid)
        if existing is None:
            raise
        return existing, False
    add_timeline(session, customer.id, "created", "通过小程序登录", {"openid": openid})
    events.emit(session, CustomerCreated(customer_id=customer.id, source=CustomerSource.miniprogram.value,
                                          owner_id=None, channel_id=None))
    return customer, True


def set_verified_phone(session: Session, customer: Customer, phone: str) -> Customer:
    """A phone number WeChat verified as the user's. A record already holding it that is not another WeChat
    user's is the same person and is merged (the older record kept, which is returned)."""
    if not crypto.valid_mobile(phone or ""):
        raise ValidationFailed("微信返回的不是中国大陆手机号", field="code")
    normalized = crypto.normalize_phone(phone)
    customer = lock_customer(session, customer.id)
    if customer.phone_hash == phone_hash(normalized):
        return customer
    other = find_by_phone(session, normalized)
    if other is None:
        if customer.phone_hash is not None:
            add_timeline(session, customer.id, "updated", "小程序更换了手机号", {"fields": ["手机号"]})
        set_phone(customer, normalized)
        session.flush()
        return customer
    if other.mp_openid is not None and other.mp_openid != customer.mp_openid:
        raise Conflict("该手机号已绑定另一个微信账号，请用该账号登录或联系客服", field="code")
    if other.unionid and customer.unionid and other.unionid != customer.unionid:
        raise Conflict("该手机号属于另一位客户，请联系客服", field="code")
    if customer.phone_hash is not None:
        raise Conflict("该手机号属于另一位客户，请联系客服", field="code")
    return _merge(session, customer, other, event_key=None, actor_id=None)


def apply_from_miniprogram(session: Session, customer: Customer, *, product_code: str, amount: Decimal,
                           term_months: int | None, purpose: str | None, custom_fields: dict[str, Any],
                           name: str | None = None, city: str | None = None) -> Customer:
    """The customer's own application: the loan need checked against the product's form (every bad field
    named at once), the record updated and the timeline written; nothing changes when anything is wrong."""
    errors: list[tuple[str, str]] = []
    customer = lock_customer(session, customer.id)
    if name is not None and not name.strip():
        errors.append(("name", "请填写姓名"))
    need = {"product_code": product_code, "amount": amount, "term_months": term_months, "purpose": purpose,
            "custom_fields": custom_fields or {}}
    _resolve_need(session, customer, need, errors, new_application=True)
    _fail(errors)  # the caller's rollback drops the half-applied attributes, which were never flushed
    if name:
        customer.name = name.strip()[:64]
    if city:
        customer.city = city.strip()[:32]
    session.flush()
    add_timeline(session, customer.id, "application", "通过小程序提交贷款申请",
                 {"product_code": product_code, "amount_fen": customer.amount_fen})
    return customer


def amount_yuan(customer: Customer) -> Decimal | None:
    return None if customer.amount_fen is None else from_fen(customer.amount_fen)
