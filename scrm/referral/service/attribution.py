"""Attribution: who brought whom (first touch within the window, no self-referral, no cycles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core.config import get_settings
from scrm.customers import service as customer_service
from scrm.customers.models import Customer
from scrm.core.db import utcnow
from scrm.customers.events import CustomerCreated, CustomerMerged
from scrm.referral.models import Commission, Referral, ReferralCode, Withdrawal
from scrm.referral.service.common import log


@dataclass
class Attribution:
    referral: Referral | None
    rejected: str | None = None  # why the touch did not count


def bank_card_hashes(session: Session, customer_id: int, given: Iterable[str] = ()) -> set[str]:
    """Keyed hashes of the customer's bank cards: those given (the direct-debit mandates' cards) and those
    the customer had commissions paid to."""
    hashes = set(given)
    hashes.update(h for h in session.scalars(select(Withdrawal.bank_card_hash).where(
        Withdrawal.customer_id == customer_id, Withdrawal.bank_card_hash.is_not(None))))
    return hashes


def same_person(session: Session, a: Customer, b: Customer) -> bool:
    """Whether two records share a phone, unionid, ID number or bank card."""
    if a.id == b.id:
        return True
    for attr in ("phone_hash", "unionid", "id_no_hash"):
        if getattr(a, attr) and getattr(a, attr) == getattr(b, attr):
            return True
    return bool(bank_card_hashes(session, a.id) & bank_card_hashes(session, b.id))


def referrer_of(session: Session, customer_id: int) -> int | None:
    return session.scalar(select(Referral.referrer_customer_id).where(Referral.referred_customer_id == customer_id))


def upline(session: Session, customer_id: int, depth: int) -> list[int]:
    """The referrers above a customer, nearest first, at most ``depth`` of them."""
    out: list[int] = []
    current = customer_id
    while len(out) < depth:
        current = referrer_of(session, current)
        if current is None or current in out or current == customer_id:
            break
        out.append(current)
    return out


def _would_cycle(session: Session, referrer_id: int, referred_id: int) -> bool:
    """Whether the referred customer is the referrer or already somewhere above them."""
    current, seen = referrer_id, set()
    while current is not None and current not in seen:
        if current == referred_id:
            return True
        seen.add(current)
        current = referrer_of(session, current)
    return False


def attribute(session: Session, referred: Customer, code: str | None, *, source: str) -> Attribution:
    """Credit ``referred`` to the owner of ``code``: the first touch within the window wins; no self-referral,
    no cycles. A touch that does not count is answered with the reason, never an error."""
    session.flush()
    if not code:
        return Attribution(None, "no_code")
    existing = session.scalars(select(Referral).where(Referral.referred_customer_id == referred.id)).first()
    if existing is not None:
        return Attribution(existing, None if existing.code == code else "already_referred")
    owner = session.scalars(select(ReferralCode).where(ReferralCode.code == code)).first()
    if owner is None:
        return Attribution(None, "unknown_code")
    referrer = session.get(Customer, owner.customer_id)
    if referrer is None or same_person(session, referrer, referred):
        return Attribution(None, "self_referral")
    window = timedelta(days=get_settings().referral_window_days)
    if referred.created_at < utcnow() - window:
        return Attribution(None, "outside_window")
    if _would_cycle(session, referrer.id, referred.id):
        return Attribution(None, "cycle")
    try:
        with session.begin_nested():
            referral = Referral(referred_customer_id=referred.id, referrer_customer_id=referrer.id, source=source,
                                code=code, created_at=utcnow())
            session.add(referral)
            session.flush()
    except IntegrityError:
        return Attribution(session.scalars(select(Referral).where(Referral.referred_customer_id == referred.id)).one(),
                           "already_referred")
    customer_service.add_timeline(session, referred.id, "referred", f"由客户 #{referrer.id} 推荐（{source}）",
                                  {"referrer_customer_id": referrer.id, "code": code})
    return Attribution(referral)


def on_customer_created(session: Session, event: CustomerCreated) -> None:
    """Subscriber: a customer who added a salesperson through a referrer's WeCom channel code is referred."""
    channel_id = event.channel_id
    if not channel_id:
        return
    channel = session.get(Channel, channel_id)
    if channel is None or channel.referrer_customer_id is None:
        return
    code = session.scalars(select(ReferralCode.code).where(ReferralCode.customer_id == channel.referrer_customer_id)).first()
    customer = session.get(Customer, event.customer_id)
    if customer is not None and code:
        result = attribute(session, customer, code, source="wecom")
        if result.rejected:
            log.info("referral of customer %s through channel %s not counted: %s", customer.id, channel_id,
                     result.rejected)


def on_customer_merged(session: Session, event: CustomerMerged) -> None:
    """Subscriber: two records of one person were merged; their referrals, code and commissions follow the kept one."""
    keep, drop = event.customer_id, event.merged_id
    session.flush()
    theirs = session.scalars(select(Referral).where(Referral.referred_customer_id == drop)).first()
    if theirs is not None:
        mine = session.scalar(select(Referral.id).where(Referral.referred_customer_id == keep))
        if mine is None and not _would_cycle(session, theirs.referrer_customer_id, keep):
            theirs.referred_customer_id = keep
        else:
            session.delete(theirs)
        session.flush()
    for row in session.scalars(select(Referral).where(Referral.referrer_customer_id == drop)):
        if row.referred_customer_id == keep or _would_cycle(session, keep, row.referred_customer_id):
            session.delete(row)
        else:
            row.referrer_customer_id = keep
    code = session.scalars(select(ReferralCode).where(ReferralCode.customer_id == drop)).first()
    if code is not None and session.scalar(select(ReferralCode.id).where(ReferralCode.customer_id == keep)) is None:
        code.customer_id = keep
    for attr in ("referrer_customer_id", "referred_customer_id"):
        column = getattr(Commission, attr)
        session.execute(update(Commission).where(column == drop).values({attr: keep})
                        .execution_options(synchronize_session=False))
    session.flush()


def friends(session: Session, referrer_id: int) -> list[tuple[Customer, datetime]]:
    """The customers a referrer brought, with when, in order."""
    return [tuple(r) for r in session.execute(
        select(Customer, Referral.created_at).join(Referral, Referral.referred_customer_id == Customer.id)
        .where(Referral.referrer_customer_id == referrer_id).order_by(Referral.id)).all()]
