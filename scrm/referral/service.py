"""Referral (客户拉客户): attribution at entry, commissions at settlement, withdrawals paid by finance.

Commissions and withdrawals move only through ``COMMISSION_MACHINE`` / ``WITHDRAWAL_MACHINE``;
each change is a ``ReferralTransition`` row. A customer's balance is the withdrawable commissions not
yet in a withdrawal, less what is owed back from paid commissions that were reversed (claw-back),
which the next withdrawal nets off; it may be negative.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm import events
from scrm.channels import service as channel_service
from scrm.channels.models import Channel, ChannelKind
from scrm.config import get_settings
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, LoanProduct
from scrm.db import utcnow
from scrm.errors import Conflict, NotFound, ValidationFailed
from scrm.money import from_fen, to_fen
from scrm.org.models import Employee
from scrm.privacy import crypto
from scrm.referral import commission as arithmetic
from scrm.referral.models import (
    Commission,
    CommissionRule,
    CommissionState,
    Referral,
    ReferralCode,
    ReferralTransition,
    RuleKind,
    Withdrawal,
    WithdrawalMethod,
    WithdrawalState,
)
from scrm.referral.payout import PayoutFailed, provider_for
from scrm.statemachine import Change, Machine

log = logging.getLogger(__name__)

CS, WS = CommissionState, WithdrawalState


def _log(session: Session, change: Change) -> None:
    session.add(ReferralTransition(entity=change.machine.entity, entity_id=change.entity_id,
                                   from_state=change.from_state.value if change.from_state is not None else None,
                                   to_state=change.to_state.value, reason=(change.note or "")[:200], data=change.data,
                                   actor_employee_id=change.actor_id, at=utcnow()))


COMMISSION_MACHINE = Machine("commission", "佣金", {
    (CS.pending, "confirm"): CS.confirmed,
    (CS.confirmed, "release"): CS.withdrawable,
    (CS.withdrawable, "pay"): CS.paid,
    **{(s, "reverse"): CS.reversed for s in (CS.pending, CS.confirmed, CS.withdrawable, CS.paid)},
}, _log, attribute="state")
WITHDRAWAL_MACHINE = Machine("withdrawal", "提现", {
    (WS.requested, "approve"): WS.approved,
    (WS.approved, "pay"): WS.paid,
    (WS.failed, "pay"): WS.paid,
    (WS.approved, "fail"): WS.failed,
    **{(s, "reject"): WS.rejected for s in (WS.requested, WS.approved, WS.failed)},
}, _log, attribute="state", action_labels={"pay": "付款"})
# a reversal tells the ledger only about commissions it was told about
LEDGER_STATES = {CS.confirmed, CS.withdrawable, CS.paid}
OPEN_WITHDRAWALS = (WS.requested, WS.approved, WS.failed)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SCENE_PREFIX = "r="
FUNDER_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
CHINA = ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------------------------------------------
# state machines


def history(session: Session, entity: str, entity_id: int) -> list[ReferralTransition]:
    session.flush()
    return list(session.scalars(select(ReferralTransition).where(
        ReferralTransition.entity == entity, ReferralTransition.entity_id == entity_id).order_by(ReferralTransition.id)))


# ---------------------------------------------------------------------------------------------
# codes


def code_for(session: Session, customer: Customer) -> ReferralCode:
    """The customer's referral code, made on first use."""
    session.flush()
    existing = session.scalars(select(ReferralCode).where(ReferralCode.customer_id == customer.id)).first()
    if existing is not None:
        return existing
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        try:
            with session.begin_nested():
                row = ReferralCode(customer_id=customer.id, code=code, created_at=utcnow())
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            existing = session.scalars(select(ReferralCode).where(ReferralCode.customer_id == customer.id)).first()
            if existing is not None:
                return existing


def scene_for(code: ReferralCode) -> str:
    """The mini-program code's ``scene`` (at most 32 characters): ``r=<code>``."""
    return SCENE_PREFIX + code.code


def code_from_scene(scene: str | None) -> str | None:
    if not scene:
        return None
    scene = scene.strip()
    return scene[len(SCENE_PREFIX):] if scene.startswith(SCENE_PREFIX) else scene


def wecom_channel_for(session: Session, customer: Customer) -> Channel:
    """A WeCom channel code whose ``state`` names the referrer, for friends who add the salesperson directly."""
    code = code_for(session, customer)
    if code.channel_id is not None:
        return session.get(Channel, code.channel_id)
    if customer.owner_id is None:
        raise Conflict("您还没有专属顾问，暂时不能生成企业微信推荐码", field="owner")
    channel = channel_service.create_channel(session, None, name=f"客户推荐·{code.code}", kind=ChannelKind.referral,
                                             team_employee_ids=[customer.owner_id], state=f"ref_{code.code}")
    channel.referrer_customer_id = customer.id
    code.channel_id = channel.id
    session.flush()
    return channel


# ---------------------------------------------------------------------------------------------
# attribution


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


def on_customer_created(session: Session, payload: dict) -> None:
    """Subscriber: a customer who added a salesperson through a referrer's WeCom channel code is referred."""
    channel_id = payload.get("channel_id")
    if not channel_id:
        return
    channel = session.get(Channel, channel_id)
    if channel is None or channel.referrer_customer_id is None:
        return
    code = session.scalars(select(ReferralCode.code).where(ReferralCode.customer_id == channel.referrer_customer_id)).first()
    customer = session.get(Customer, payload["customer_id"])
    if customer is not None and code:
        result = attribute(session, customer, code, source="wecom")
        if result.rejected:
            log.info("referral of customer %s through channel %s not counted: %s", customer.id, channel_id,
                     result.rejected)


def on_customer_merged(session: Session, payload: dict) -> None:
    """Subscriber: two records of one person were merged; their referrals, code and commissions follow the kept one."""
    keep, drop = payload["customer_id"], payload["merged_id"]
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


# ---------------------------------------------------------------------------------------------
# rules


def _clean_rule(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    errors: list[tuple[str, str]] = []
    name = (values.get("name") or "").strip()
    if not name or len(name) > 64:
        errors.append(("name", "规则名称为 1 到 64 个字"))
    level = values.get("level", 1)
    if level not in (1, 2):
        errors.append(("level", "层级只能是 1 或 2（更深的多级返佣不合规）"))
    code = values.get("product_code")
    if code is not None and session.scalar(select(LoanProduct.id).where(LoanProduct.code == code)) is None:
        errors.append(("product_code", f"没有贷款产品 {code}"))
    funder = values.get("funder_type")
    if funder is not None and not FUNDER_TYPE_RE.fullmatch(funder):
        errors.append(("funder_type", "资金方类型为小写字母、数字或下划线，如 bank、consumer_finance"))
    out: dict[str, Any] = {"name": name, "level": level, "product_code": code, "funder_type": funder,
                           "rate_percent": None, "fixed_fen": None, "cap_fen": None}
    try:
        kind = RuleKind(values.get("kind"))
    except ValueError:
        errors.append(("kind", "类型只能是 percent（按实收服务费比例）或 fixed（固定金额）"))
        kind = None
    out["kind"] = kind
    rate, fixed, cap = values.get("rate_percent"), values.get("fixed_amount"), values.get("cap_amount")
    if kind == RuleKind.percent:
        if rate is None or not (Decimal(0) < rate <= Decimal(100)) or rate.as_tuple().exponent < -4:
            errors.append(("rate_percent", "比例应在 0 到 100 之间，最多 4 位小数"))
        elif fixed is not None:
            errors.append(("fixed_amount", "按比例的规则不填固定金额"))
        else:
            out["rate_percent"] = rate
    elif kind == RuleKind.fixed:
        if fixed is None or fixed <= 0 or fixed.as_tuple().exponent < -2:
            errors.append(("fixed_amount", "固定金额应大于 0，最多精确到分"))
        elif rate is not None:
            errors.append(("rate_percent", "固定金额的规则不填比例"))
        else:
            out["fixed_fen"] = to_fen(fixed)
    if cap is not None:
        if cap < 0 or cap.as_tuple().exponent < -2:
            errors.append(("cap_amount", "封顶金额不能为负，最多精确到分"))
        else:
            out["cap_fen"] = to_fen(cap)
    _fail(errors)
    return out


def _fail(errors: list[tuple[str, str]]) -> None:
    if errors:
        field, message = errors[0]
        raise ValidationFailed(message, field=field, errors=[{"field": f, "message": m} for f, m in errors])


def _clashing_rule(session: Session, values: dict, exclude_id: int | None) -> CommissionRule | None:
    stmt = select(CommissionRule).where(
        CommissionRule.active.is_(True), CommissionRule.level == values["level"],
        CommissionRule.product_code.is_(None) if values["product_code"] is None
        else CommissionRule.product_code == values["product_code"],
        CommissionRule.funder_type.is_(None) if values["funder_type"] is None
        else CommissionRule.funder_type == values["funder_type"])
    if exclude_id is not None:
        stmt = stmt.where(CommissionRule.id != exclude_id)
    return session.scalars(stmt).first()


def create_rule(session: Session, actor: Employee | None, values: dict[str, Any]) -> CommissionRule:
    """A commission rule; 409 when an active rule already covers the same product, funder type and level."""
    clean = _clean_rule(session, values)
    other = _clashing_rule(session, clean, None)
    if other is not None:
        raise Conflict(f"规则「{other.name}」已覆盖同一产品、资金方类型和层级", field="product_code")
    rule = CommissionRule(**clean, active=True, created_by=actor.id if actor else None)
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> CommissionRule:
    rule = session.get(CommissionRule, rule_id)
    if rule is None:
        raise NotFound(f"没有编号为 {rule_id} 的佣金规则")
    return rule


def update_rule(session: Session, rule_id: int, changes: dict[str, Any]) -> CommissionRule:
    """Change a rule; commissions already computed keep their amounts."""
    rule = get_rule(session, rule_id)
    current = {"name": rule.name, "level": rule.level, "product_code": rule.product_code,
               "funder_type": rule.funder_type, "kind": rule.kind.value, "rate_percent": rule.rate_percent,
               "fixed_amount": from_fen(rule.fixed_fen) if rule.fixed_fen is not None else None,
               "cap_amount": from_fen(rule.cap_fen) if rule.cap_fen is not None else None}
    if "kind" in changes:  # a new kind drops the other kind's amount
        current.update(rate_percent=None, fixed_amount=None)
    current.update({k: v for k, v in changes.items() if k != "active"})
    clean = _clean_rule(session, current)
    active = changes.get("active", rule.active)
    if active and _clashing_rule(session, clean, rule.id) is not None:
        raise Conflict("另一条有效规则已覆盖同一产品、资金方类型和层级", field="product_code")
    for key, value in clean.items():
        setattr(rule, key, value)
    rule.active = bool(active)
    session.flush()
    return rule


def list_rules(session: Session, *, include_inactive: bool = False) -> list[CommissionRule]:
    stmt = select(CommissionRule).order_by(CommissionRule.level, CommissionRule.id)
    if not include_inactive:
        stmt = stmt.where(CommissionRule.active.is_(True))
    return list(session.scalars(stmt))


def rule_for(session: Session, level: int, product_code: str | None, funder_type: str | None) -> CommissionRule | None:
    """The most specific active rule: product and funder type, then product, then funder type, then any."""
    rules = session.scalars(select(CommissionRule).where(
        CommissionRule.active.is_(True), CommissionRule.level == level,
        or_(CommissionRule.product_code.is_(None), CommissionRule.product_code == product_code),
        or_(CommissionRule.funder_type.is_(None), CommissionRule.funder_type == funder_type))).all()
    if not rules:
        return None
    return max(rules, key=lambda r: (r.product_code is not None, r.funder_type is not None, r.id))


def _level_rule(rule: CommissionRule | None) -> arithmetic.LevelRule | None:
    if rule is None:
        return None
    return arithmetic.LevelRule(rule.kind.value, rule.rate_percent, rule.fixed_fen, rule.cap_fen)


def preview_rule(session: Session, values: dict[str, Any], fee_fen: int, *, rule_id: int | None = None) -> list[dict]:
    """What each referrer level would earn on a settlement collecting ``fee_fen`` if this draft rule were
    in force at its level (the other levels keep their current rules), by the same arithmetic as closing."""
    clean = _clean_rule(session, values)
    if fee_fen < 0:
        _fail([("sample_fee", "服务费不能为负")])
    draft = arithmetic.LevelRule(clean["kind"].value, clean["rate_percent"], clean["fixed_fen"], clean["cap_fen"])
    settings = get_settings()
    levels = range(1, max(settings.referral_depth, clean["level"]) + 1)
    rules: list[arithmetic.LevelRule | None] = []
    names: list[str | None] = []
    for level in levels:
        if level == clean["level"]:
            rules.append(draft)
            names.append(clean["name"])
        else:
            current = rule_for(session, level, clean["product_code"], clean["funder_type"])
            if current is not None and current.id == rule_id:
                current = None
            rules.append(_level_rule(current))
            names.append(current.name if current else None)
    amounts = arithmetic.split(fee_fen, rules, settings.referral_max_fee_share_percent)
    return [{"level": level, "rule": name, "amount_fen": amount} for level, name, amount in zip(levels, names, amounts)]


# ---------------------------------------------------------------------------------------------
# commissions


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


def on_order_signed(session: Session, payload: dict) -> None:
    """Subscriber: a referred customer signed; their referrers' commissions are pending until settlement."""
    referred = session.get(Customer, payload["customer_id"])
    if referred is None:
        return
    for level, referrer_id in enumerate(upline(session, referred.id, get_settings().referral_depth), start=1):
        exists = session.scalar(select(Commission.id).where(Commission.order_id == payload["order_id"],
                                                            Commission.level == level))
        if exists is None:
            _new_commission(session, referrer_id=referrer_id, referred=referred, level=level,
                            order_id=payload["order_id"], product_code=payload.get("product_code"),
                            funder_type=payload.get("funder_type"), reason=f"订单 #{payload['order_id']} 已签约")


def on_settlement_closed(session: Session, payload: dict) -> list[Commission]:
    """Subscriber: the referred customer's settlement closed; each referrer level's commission is confirmed
    with its amount. Replaying the event changes nothing (one commission per settlement and level)."""
    settlement_id = payload["settlement_id"]
    referred = session.get(Customer, payload["customer_id"])
    if referred is None:
        return []
    settings = get_settings()
    referrers = upline(session, referred.id, settings.referral_depth)
    product_code, funder_type = payload.get("product_code"), payload.get("funder_type")
    fee_fen = int(payload["service_fee_collected_fen"])
    rules = [rule_for(session, level, product_code, funder_type) for level in range(1, len(referrers) + 1)]
    amounts = arithmetic.split(fee_fen, [_level_rule(r) for r in rules], settings.referral_max_fee_share_percent)
    done = set(session.scalars(select(Commission.level).where(Commission.settlement_id == settlement_id)))
    confirmed = []
    closed_at = datetime.fromisoformat(payload["closed_at"]) if payload.get("closed_at") else utcnow()
    if closed_at.tzinfo is None:
        closed_at = closed_at.replace(tzinfo=timezone.utc)
    for level, (referrer_id, rule, amount) in enumerate(zip(referrers, rules, amounts), start=1):
        if level in done:
            continue
        row = _pending_for(session, payload["order_id"], level)
        if amount <= 0:
            if row is not None:
                COMMISSION_MACHINE.advance(session, row, "reverse", note="结算未产生佣金（无适用规则或实收服务费为 0）")
                row.reversed_at = utcnow()
            continue
        if row is None:
            row = _new_commission(session, referrer_id=referrer_id, referred=referred, level=level,
                                  order_id=payload["order_id"], product_code=product_code, funder_type=funder_type,
                                  reason=f"结算 #{settlement_id} 关闭")
        row.settlement_id, row.rule_id, row.amount_fen, row.fee_collected_fen = settlement_id, rule.id, amount, fee_fen
        row.product_code, row.funder_type = product_code, funder_type
        row.confirmed_at = utcnow()
        row.withdrawable_after = row.confirmed_at + timedelta(hours=settings.referral_cooling_off_hours)
        COMMISSION_MACHINE.advance(session, row, "confirm", note=f"结算 #{settlement_id} 关闭，实收服务费 {from_fen(fee_fen)} 元",
                                   data={"rule_id": rule.id, "closed_at": closed_at.isoformat()})
        events.emit(session, "referral.commission_confirmed", {
            "commission_id": row.id, "referrer_customer_id": referrer_id, "amount_fen": amount,
            "settlement_id": settlement_id})
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
        events.emit(session, "referral.commission_reversed", {
            "commission_id": row.id, "referrer_customer_id": row.referrer_customer_id, "amount_fen": row.amount_fen,
            "was_paid": row.was_paid})
    return row


def _reverse_where(session: Session, condition, reason: str) -> list[Commission]:
    stmt = select(Commission).where(condition, Commission.state != CS.reversed).order_by(Commission.id)
    stmt = stmt.with_for_update()
    return [reverse(session, row, reason) for row in session.scalars(stmt).all()]


def on_settlement_voided(session: Session, payload: dict) -> None:
    """Subscriber: a voided settlement takes its commissions back."""
    _reverse_where(session, Commission.settlement_id == payload["settlement_id"],
                   f"结算 #{payload['settlement_id']} 已作废")


def on_deposit_refunded(session: Session, payload: dict) -> None:
    """Subscriber: a fully refunded deposit takes back the order's commissions (a partial refund does not)."""
    if not payload.get("full"):
        return
    _reverse_where(session, Commission.order_id == payload["order_id"], f"订单 #{payload['order_id']} 定金已全额退还")


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


# ---------------------------------------------------------------------------------------------
# balance and withdrawals


def _available(session: Session, customer_id: int) -> tuple[list[Commission], list[Commission]]:
    """Withdrawable commissions in no withdrawal (oldest first), and reversed paid ones not yet netted off."""
    free = session.scalars(select(Commission).where(
        Commission.referrer_customer_id == customer_id, Commission.state == CS.withdrawable,
        Commission.withdrawal_id.is_(None)).order_by(Commission.id)).all()
    owed = session.scalars(select(Commission).where(
        Commission.referrer_customer_id == customer_id, Commission.state == CS.reversed,
        Commission.was_paid.is_(True), Commission.clawback_withdrawal_id.is_(None)).order_by(Commission.id)).all()
    return list(free), list(owed)


def balance(session: Session, customer_id: int) -> dict[str, int]:
    """Fen by state, the amount owed back, and what may be withdrawn now (negative while a claw-back is owed)."""
    session.flush()
    rows = session.execute(select(Commission.state, func.coalesce(func.sum(Commission.amount_fen), 0))
                           .where(Commission.referrer_customer_id == customer_id).group_by(Commission.state)).all()
    by_state = {s.value: 0 for s in CS}
    by_state.update({state.value: int(total) for state, total in rows})
    free, owed = _available(session, customer_id)
    owed_fen = sum(c.amount_fen for c in owed)
    in_withdrawal = session.scalar(select(func.coalesce(func.sum(Withdrawal.amount_fen), 0)).where(
        Withdrawal.customer_id == customer_id, Withdrawal.state.in_(OPEN_WITHDRAWALS))) or 0
    return {**by_state, "owed": owed_fen, "in_withdrawal": int(in_withdrawal),
            "available": sum(c.amount_fen for c in free) - owed_fen}


def _today_withdrawn(session: Session, customer_id: int) -> int:
    start = datetime.now(CHINA).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    return int(session.scalar(select(func.coalesce(func.sum(Withdrawal.amount_fen), 0)).where(
        Withdrawal.customer_id == customer_id, Withdrawal.requested_at >= start,
        Withdrawal.state.not_in([WS.rejected]))) or 0)


def _valid_card(card: str) -> bool:
    # length only: not every UnionPay card carries a Luhn check digit
    return bool(re.fullmatch(r"\d{12,19}", re.sub(r"[\s-]", "", card)))


def card_hash(card: str) -> str:
    return crypto.blind_index("bank_card", re.sub(r"\D", "", card))


def get_withdrawal(session: Session, withdrawal_id: int, *, customer_id: int | None = None) -> Withdrawal:
    row = session.get(Withdrawal, withdrawal_id)
    if row is None or (customer_id is not None and row.customer_id != customer_id):
        raise NotFound(f"没有编号为 {withdrawal_id} 的提现申请")
    return row


def request_withdrawal(session: Session, customer: Customer, *, request_id: str, method: WithdrawalMethod,
                       account_name: str | None = None, bank_name: str | None = None,
                       bank_card: str | None = None) -> tuple[Withdrawal, bool]:
    """Withdraw the available balance (whole commissions, oldest first, within the daily limit, less any
    claw-back owed). Idempotent on ``request_id``: the same request answers the same withdrawal."""
    session.flush()
    # one withdrawal request at a time per customer: the same request sent twice at once finds the first,
    # and each request sees the commissions and today's total the one before it took
    customer_service.lock_customer(session, customer.id)
    existing = session.scalars(select(Withdrawal).where(Withdrawal.customer_id == customer.id,
                                                        Withdrawal.request_id == request_id)
                               .execution_options(populate_existing=True)).first()
    if existing is not None:
        if existing.method != method:
            raise Conflict(f"提现申请 {request_id} 已以 {existing.method.value} 方式提交", field="request_id")
        return existing, False
    errors: list[tuple[str, str]] = []
    if method == WithdrawalMethod.bank:
        if not (account_name or "").strip():
            errors.append(("account_name", "请填写收款人姓名"))
        elif customer.name and account_name.strip() != customer.name:
            errors.append(("account_name", "收款人须为本人"))
        if not (bank_name or "").strip():
            errors.append(("bank_name", "请填写开户银行"))
        if not bank_card or not _valid_card(bank_card):
            errors.append(("bank_card", "银行卡号不正确"))
    elif not customer.mp_openid:
        errors.append(("method", "微信零钱提现需要先通过小程序登录"))
    _fail(errors)
    settings = get_settings()
    free, owed = _available(session, customer.id)
    owed_fen = sum(c.amount_fen for c in owed)
    room = settings.referral_withdraw_daily_limit_fen - _today_withdrawn(session, customer.id)
    taken, total = [], 0
    for row in free:
        if total + row.amount_fen - owed_fen > room:
            break
        taken.append(row)
        total += row.amount_fen
    amount = total - owed_fen
    if amount < settings.referral_withdraw_min_fen:
        available = sum(c.amount_fen for c in free) - owed_fen
        if available >= settings.referral_withdraw_min_fen:
            message = f"今日提现额度剩余 {from_fen(max(room, 0))} 元，请明天再试"
        else:
            message = (f"可提现金额 {from_fen(available)} 元，满 {from_fen(settings.referral_withdraw_min_fen)} "
                       "元才能提现")
        raise ValidationFailed(message, field="amount", available=str(from_fen(available)))
    withdrawal = Withdrawal(customer_id=customer.id, request_id=request_id, amount_fen=amount, method=method,
                            state=WS.requested, requested_at=utcnow(), payout={})
    if method == WithdrawalMethod.bank:
        digits = re.sub(r"\D", "", bank_card)
        withdrawal.account_name, withdrawal.bank_name = account_name.strip()[:64], bank_name.strip()[:64]
        withdrawal.bank_card, withdrawal.bank_card_hash = digits, card_hash(digits)
    try:
        with session.begin_nested():
            WITHDRAWAL_MACHINE.record_creation(
                session, withdrawal, note=f"申请提现 {from_fen(amount)} 元",
                data={"commission_ids": [c.id for c in taken], "clawback_ids": [c.id for c in owed]})
    except IntegrityError:  # the same request sent twice at once
        return session.scalars(select(Withdrawal).where(Withdrawal.customer_id == customer.id,
                                                        Withdrawal.request_id == request_id)).one(), False
    for row in taken:
        row.withdrawal_id = withdrawal.id
    for row in owed:
        row.clawback_withdrawal_id = withdrawal.id
    session.flush()
    return withdrawal, True


def approve_withdrawal(session: Session, actor: Employee, withdrawal_id: int) -> Withdrawal:
    """Finance approves a withdrawal for payment."""
    row = get_withdrawal(session, withdrawal_id)
    WITHDRAWAL_MACHINE.advance(session, row, "approve", note=f"{actor.name} 审核通过", actor_id=actor.id)
    row.approved_by, row.approved_at = actor.id, utcnow()
    return row


def _reject(session: Session, row: Withdrawal, reason: str, *, actor_id: int | None) -> None:
    WITHDRAWAL_MACHINE.advance(session, row, "reject", note=reason, actor_id=actor_id)
    row.reject_reason = reason[:200]
    for c in session.scalars(select(Commission).where(or_(Commission.withdrawal_id == row.id,
                                                          Commission.clawback_withdrawal_id == row.id))):
        if c.withdrawal_id == row.id:
            c.withdrawal_id = None
        if c.clawback_withdrawal_id == row.id:
            c.clawback_withdrawal_id = None
    session.flush()


def reject_withdrawal(session: Session, actor: Employee, withdrawal_id: int, reason: str) -> Withdrawal:
    """Finance turns a withdrawal down; its commissions are available again."""
    if not (reason or "").strip():
        raise ValidationFailed("请填写驳回原因", field="reason")
    row = get_withdrawal(session, withdrawal_id)
    _reject(session, row, reason.strip(), actor_id=actor.id)
    return row


def _check_backing(session: Session, row: Withdrawal) -> None:
    """Refuse to pay a withdrawal that its own withdrawable commissions, less its claw-backs, no longer
    cover exactly: whatever happened to them since the request, money leaves only for money earned."""
    earned = session.scalar(select(func.coalesce(func.sum(Commission.amount_fen), 0)).where(
        Commission.withdrawal_id == row.id, Commission.state == CS.withdrawable,
        Commission.referrer_customer_id == row.customer_id)) or 0
    owed = session.scalar(select(func.coalesce(func.sum(Commission.amount_fen), 0)).where(
        Commission.clawback_withdrawal_id == row.id, Commission.referrer_customer_id == row.customer_id)) or 0
    if int(earned) - int(owed) != row.amount_fen or row.amount_fen <= 0:
        raise Conflict(f"提现 #{row.id} 的金额 {from_fen(row.amount_fen)} 元与其所含可提现佣金 "
                       f"{from_fen(int(earned) - int(owed))} 元不符，不能付款；请驳回后由客户重新申请")


def pay_withdrawal(session: Session, actor: Employee, withdrawal_id: int, *,
                   bank_reference: str | None = None) -> Withdrawal:
    """Pay an approved withdrawal: by bank (finance records the transfer's reference) or WeChat Pay transfer."""
    stmt = select(Withdrawal).where(Withdrawal.id == withdrawal_id).execution_options(populate_existing=True)
    stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(f"没有编号为 {withdrawal_id} 的提现申请")
    WITHDRAWAL_MACHINE.check(row, "pay")
    _check_backing(session, row)
    customer = session.get(Customer, row.customer_id)
    try:
        result = provider_for(row.method).pay(row, customer, bank_reference=bank_reference)
    except PayoutFailed as exc:
        if exc.field:  # finance's input was wrong: nothing was paid, nothing changes
            raise ValidationFailed(exc.message, field=exc.field) from None
        row.payout = {**(row.payout or {}), "last_error": exc.message, "answer": exc.answer}
        if row.state != WS.failed:
            WITHDRAWAL_MACHINE.advance(session, row, "fail", note=f"付款失败：{exc.message}", actor_id=actor.id)
        return row
    row.payout = {**(row.payout or {}), **result.record}
    row.bank_reference = result.reference
    row.paid_by, row.paid_at = actor.id, utcnow()
    WITHDRAWAL_MACHINE.advance(session, row, "pay", note=f"{actor.name} 付款，凭证 {result.reference}", actor_id=actor.id)
    for c in session.scalars(select(Commission).where(Commission.withdrawal_id == row.id).order_by(Commission.id)):
        COMMISSION_MACHINE.advance(session, c, "pay", note=f"随提现 #{row.id} 付款", actor_id=actor.id)
        c.paid_at = row.paid_at
    events.emit(session, "referral.withdrawal_paid", {"withdrawal_id": row.id, "customer_id": row.customer_id,
                                                      "amount_fen": row.amount_fen, "method": row.method.value})
    return row


def on_customer_erased(session: Session, payload: dict) -> None:
    """Event subscriber: the customer's withdrawals keep their amounts, states and references but lose the card,
    the account name, the bank and the provider's record; one not yet paid is rejected, as nobody could pay it."""
    customer_id = payload["customer_id"]
    for row in session.scalars(select(Withdrawal).where(Withdrawal.customer_id == customer_id)
                               .order_by(Withdrawal.id)).all():
        if "reject" in WITHDRAWAL_MACHINE.allowed_actions(row):
            _reject(session, row, "客户个人信息已删除，无法付款", actor_id=None)
        row.account_name = row.bank_name = row.bank_card = row.bank_card_hash = None
        row.payout = {}
    session.flush()


WITHDRAWAL_SORTS = {"id": Withdrawal.id, "amount": Withdrawal.amount_fen, "requested_at": Withdrawal.requested_at,
                    "state": Withdrawal.state}
COMMISSION_SORTS = {"id": Commission.id, "amount": Commission.amount_fen, "state": Commission.state,
                    "confirmed_at": Commission.confirmed_at}


def _order(sorts: dict, sort: str, tiebreak) -> tuple:
    column = sorts.get(sort.lstrip("-"), tiebreak)
    if sort.startswith("-") or sort.lstrip("-") not in sorts:
        return column.desc(), tiebreak.desc()
    return column.asc(), tiebreak.asc()


def _withdrawals(customer_id: int | None, state: WithdrawalState | None):
    stmt = select(Withdrawal)
    if customer_id is not None:
        stmt = stmt.where(Withdrawal.customer_id == customer_id)
    if state is not None:
        stmt = stmt.where(Withdrawal.state == state)
    return stmt


def get_commission(session: Session, commission_id: int) -> Commission:
    row = session.get(Commission, commission_id)
    if row is None:
        raise NotFound(f"没有编号为 {commission_id} 的佣金")
    return row


def commissions_of_withdrawal(session: Session, withdrawal_id: int) -> list[Commission]:
    """The commissions a withdrawal pays out and those it claws back."""
    return list(session.scalars(select(Commission).where(or_(
        Commission.withdrawal_id == withdrawal_id, Commission.clawback_withdrawal_id == withdrawal_id))
        .order_by(Commission.id)))


def list_withdrawals(session: Session, *, customer_id: int | None = None, state: WithdrawalState | None = None,
                     limit: int = 100, offset: int = 0, sort: str = "-id") -> list[Withdrawal]:
    stmt = _withdrawals(customer_id, state).order_by(*_order(WITHDRAWAL_SORTS, sort, Withdrawal.id))
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_withdrawals(session: Session, *, customer_id: int | None = None,
                      state: WithdrawalState | None = None) -> int:
    return int(session.scalar(select(func.count()).select_from(_withdrawals(customer_id, state).subquery())) or 0)


def _commissions(state: CommissionState | None):
    stmt = select(Commission)
    return stmt.where(Commission.state == state) if state is not None else stmt


def list_commissions(session: Session, *, state: CommissionState | None = None, limit: int = 100,
                     offset: int = 0, sort: str = "-id") -> list[Commission]:
    stmt = _commissions(state).order_by(*_order(COMMISSION_SORTS, sort, Commission.id))
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_commissions(session: Session, *, state: CommissionState | None = None) -> int:
    return int(session.scalar(select(func.count()).select_from(_commissions(state).subquery())) or 0)


# ---------------------------------------------------------------------------------------------
# managers' figures


EARNED = (CS.confirmed, CS.withdrawable, CS.paid)


def leaderboard(session: Session, *, since: datetime | None = None, limit: int = 20) -> list[dict]:
    """Referrers by commission earned (confirmed and later), with how many friends they brought."""
    earned = func.coalesce(func.sum(case((Commission.state.in_(EARNED), Commission.amount_fen), else_=0)), 0)
    stmt = (select(Commission.referrer_customer_id, earned.label("earned"),
                   func.count(func.distinct(Commission.referred_customer_id)).label("settled_friends"))
            .group_by(Commission.referrer_customer_id).order_by(earned.desc(), Commission.referrer_customer_id)
            .limit(limit))
    if since is not None:
        stmt = stmt.where(Commission.confirmed_at >= since)
    rows = session.execute(stmt).all()
    ids = [r.referrer_customer_id for r in rows]
    names = dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all()) if ids else {}
    referred = dict(session.execute(select(Referral.referrer_customer_id, func.count()).where(
        Referral.referrer_customer_id.in_(ids)).group_by(Referral.referrer_customer_id)).all()) if ids else {}
    return [{"customer_id": r.referrer_customer_id, "name": names.get(r.referrer_customer_id) or "",
             "referred": referred.get(r.referrer_customer_id, 0), "settled_friends": r.settled_friends,
             "earned_fen": int(r.earned)} for r in rows]


def cost_by_channel(session: Session, *, since: datetime | None = None) -> list[dict]:
    """Commission cost (confirmed and later, net of reversals) per channel the referred customers came in by."""
    earned = func.coalesce(func.sum(case((Commission.state.in_(EARNED), Commission.amount_fen), else_=0)), 0)
    reversed_paid = func.coalesce(func.sum(case((and_(Commission.state == CS.reversed, Commission.was_paid.is_(True)),
                                                 Commission.amount_fen), else_=0)), 0)
    stmt = (select(Commission.channel_id, earned.label("earned"), reversed_paid.label("clawed"),
                   func.count(Commission.id).label("commissions"))
            .group_by(Commission.channel_id).order_by(Commission.channel_id))
    if since is not None:
        stmt = stmt.where(Commission.created_at >= since)
    rows = session.execute(stmt).all()
    ids = [r.channel_id for r in rows if r.channel_id is not None]
    names = dict(session.execute(select(Channel.id, Channel.name).where(Channel.id.in_(ids))).all()) if ids else {}
    return [{"channel_id": r.channel_id, "channel": names.get(r.channel_id, "小程序/无渠道") if r.channel_id else
             "小程序/无渠道", "commissions": r.commissions, "cost_fen": int(r.earned), "clawed_back_fen": int(r.clawed)}
            for r in rows]
