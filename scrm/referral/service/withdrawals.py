"""The referrer's balance and withdrawals: requested, approved, paid or rejected."""

from __future__ import annotations

import re
from datetime import timezone

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.core import clock, crypto, events
from scrm.core.config import get_settings
from scrm.core.db import utcnow
from scrm.core.errors import Conflict, NotFound, ValidationFailed
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.customers.models import Customer
from scrm.org.models import Employee
from scrm.referral.events import WithdrawalPaid
from scrm.referral.models import Commission, CommissionState, Withdrawal, WithdrawalMethod, WithdrawalState
from scrm.referral.payout import PayoutFailed, provider_for
from scrm.referral.service.common import COMMISSION_MACHINE, CS, OPEN_WITHDRAWALS, WITHDRAWAL_MACHINE, WS
from scrm.referral.service.rules import _fail


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
    start = clock.beijing_day_start(clock.beijing_today()).astimezone(timezone.utc)
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
    events.emit(session, WithdrawalPaid(withdrawal_id=row.id, customer_id=row.customer_id, amount_fen=row.amount_fen,
                                         method=row.method.value))
    return row


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber: the customer's withdrawals keep their amounts, states and references but lose the card,
    the account name, the bank and the provider's record; one not yet paid is rejected, as nobody could pay it."""
    customer_id = event.customer_id
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
