"""Commissions: pending at signing, confirmed at settlement, reversed on a void or a full refund."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.core.config import get_settings
from scrm.core.db import utcnow
from scrm.core.money import from_fen
from scrm.customers.models import Customer
from scrm.referral import commission as arithmetic
from scrm.referral.events import CommissionConfirmed, CommissionReversed
from scrm.referral.models import Commission, CommissionState, Withdrawal
from scrm.referral.service.attribution import upline
from scrm.referral.service.common import COMMISSION_MACHINE, CS, LEDGER_STATES
from scrm.referral.service.rules import _level_rule, rule_for
from scrm.referral.service.withdrawals import _reject


def _pending_for(session: Session, order_id: int, level: int) -> Commission | None:
    stmt = select(Commission).where(Commission.order_id == order_id, Commission.level == level,
                                    Commission.state == CS.pending)
    stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def _new_commission(session: Session, *, referrer_id: int, referred: Customer, level: int, order_id: int,
                    product_code: str | None, funder_type: str | None, reason: str) -> Commission:
    row = Commission(referrer_customer_id=referrer_id, referred_customer_id=referred.id, level=level,
                     order_id=order_id, product_code=product_code, funder_type=funder_type, fee_collected_fen=0,
                     amount_fen=0, channel_id=referred.channel_id, state=CS.pending, created_at=utcnow())
    COMMISSION_MACHINE.record_creation(session, row, note=reason)
    return row


def on_order_signed(session: Session, event: events.Event) -> None:
    """Subscriber: a referred customer signed; their referrers' commissions are pending until settlement."""
    referred = session.get(Customer, event.customer_id)
    if referred is None:
        return
    for level, referrer_id in enumerate(upline(session, referred.id, get_settings().referral_depth), start=1):
        exists = session.scalar(select(Commission.id).where(Commission.order_id == event.order_id,
                                                            Commission.level == level))
        if exists is None:
            _new_commission(session, referrer_id=referrer_id, referred=referred, level=level,
                            order_id=event.order_id, product_code=event.product_code,
                            funder_type=event.funder_type, reason=f"订单 #{event.order_id} 已签约")


def on_settlement_closed(session: Session, event: events.Event) -> list[Commission]:
    """Subscriber: the referred customer's settlement closed; each referrer level's commission is confirmed
    with its amount. Replaying the event changes nothing (one commission per settlement and level)."""
    settlement_id = event.settlement_id
    referred = session.get(Customer, event.customer_id)
    if referred is None:
        return []
    settings = get_settings()
    referrers = upline(session, referred.id, settings.referral_depth)
    product_code, funder_type = event.product_code, event.funder_type
    fee_fen = event.service_fee_collected_fen
    rules = [rule_for(session, level, product_code, funder_type) for level in range(1, len(referrers) + 1)]
    amounts = arithmetic.split(fee_fen, [_level_rule(r) for r in rules], settings.referral_max_fee_share_percent)
    done = set(session.scalars(select(Commission.level).where(Commission.settlement_id == settlement_id)))
    confirmed = []
    closed_at = event.closed_at
    if closed_at.tzinfo is None:
        closed_at = closed_at.replace(tzinfo=timezone.utc)
    for level, (referrer_id, rule, amount) in enumerate(zip(referrers, rules, amounts), start=1):
        if level in done:
            continue
        row = _pending_for(session, event.order_id, level)
        if amount <= 0:
            if row is not None:
                COMMISSION_MACHINE.advance(session, row, "reverse", note="结算未产生佣金（无适用规则或实收服务费为 0）")
                row.reversed_at = utcnow()
            continue
        if row is None:
            row = _new_commission(session, referrer_id=referrer_id, referred=referred, level=level,
                                  order_id=event.order_id, product_code=product_code, funder_type=funder_type,
                                  reason=f"结算 #{settlement_id} 关闭")
        row.settlement_id, row.rule_id, row.amount_fen, row.fee_collected_fen = settlement_id, rule.id, amount, fee_fen
        row.product_code, row.funder_type = product_code, funder_type
        row.confirmed_at = utcnow()
        row.withdrawable_after = row.confirmed_at + timedelta(hours=settings.referral_cooling_off_hours)
        COMMISSION_MACHINE.advance(session, row, "confirm", note=f"结算 #{settlement_id} 关闭，实收服务费 {from_fen(fee_fen)} 元",
                                   data={"rule_id": rule.id, "closed_at": closed_at.isoformat()})
        events.emit(session, CommissionConfirmed(commission_id=row.id, referrer_customer_id=referrer_id,
                                                  amount_fen=amount, settlement_id=settlement_id))
        confirmed.append(row)
    return confirmed


def reverse(session: Session, row: Commission, reason: str, *, actor_id: int | None = None) -> Commission:
    """Reverse a commission; a paid one is owed back (claw-back), netted off the referrer's next withdrawal."""
    was_state = row.state
    if row.withdrawal_id is not None and was_state == CS.withdrawable:
        withdrawal = session.get(Withdrawal, row.withdrawal_id)
        withdrawal.amount_fen -= row.amount_fen
        row.withdrawal_id = None
        if withdrawal.amount_fen <= 0:
            _reject(session, withdrawal, "所含佣金已被冲回", actor_id=None)
    row.was_paid = was_state == CS.paid
    COMMISSION_MACHINE.advance(session, row, "reverse", note=reason, actor_id=actor_id, data={"was_paid": row.was_paid})
    row.reversed_at = utcnow()
    if was_state in LEDGER_STATES:
        events.emit(session, CommissionReversed(commission_id=row.id, referrer_customer_id=row.referrer_customer_id,
                                                 amount_fen=row.amount_fen, was_paid=row.was_paid))
    return row


def _reverse_where(session: Session, condition, reason: str) -> list[Commission]:
    stmt = select(Commission).where(condition, Commission.state != CS.reversed).order_by(Commission.id)
    stmt = stmt.with_for_update()
    return [reverse(session, row, reason) for row in session.scalars(stmt).all()]


def on_settlement_voided(session: Session, event: events.Event) -> None:
    """Subscriber: a voided settlement takes its commissions back."""
    _reverse_where(session, Commission.settlement_id == event.settlement_id,
                   f"结算 #{event.settlement_id} 已作废")


def on_deposit_refunded(session: Session, event: events.Event) -> None:
    """Subscriber: a fully refunded deposit takes back the order's commissions (a partial refund does not)."""
    if not event.full:
        return
    _reverse_where(session, Commission.order_id == event.order_id, f"订单 #{event.order_id} 定金已全额退还")


def release_withdrawable(session: Session, now: datetime | None = None, limit: int = 1000) -> int:
    """Confirmed commissions past their cooling-off become withdrawable (in bulk, each change recorded);
    returns how many."""
    now = now or utcnow()
    stmt = (select(Commission.id).where(Commission.state == CS.confirmed, Commission.withdrawable_after <= now)
            .order_by(Commission.id).limit(limit))
    stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if not ids:
        return 0
    return len(COMMISSION_MACHINE.advance_many(session, Commission, ids, "release", from_state=CS.confirmed,
                                               note="冷静期结束"))


def commissions_of(session: Session, referrer_id: int, state: CommissionState | None = None) -> list[Commission]:
    stmt = select(Commission).where(Commission.referrer_customer_id == referrer_id)
    if state is not None:
        stmt = stmt.where(Commission.state == state)
    return list(session.scalars(stmt.order_by(Commission.id.desc())))
