"""Referral for staff: finance approves and pays withdrawals; managers set commission rules and read
the leaderboard and the commission cost per channel. Figures are company-wide, so managers only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from scrm.auth import FinanceStaff, ManagerStaff, SessionDep
from scrm.core.crypto import mask_card
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.money import from_fen
from scrm.core.params import Instant
from scrm.customers.models import Customer
from scrm.referral import schemas
from scrm.referral import service as referral_service
from scrm.referral.models import Commission, CommissionRule, CommissionState, Withdrawal, WithdrawalState

router = APIRouter(prefix="/api/referral", tags=["referral"], responses=ERROR_RESPONSES)
Id = Annotated[int, Path(ge=1)]


def _yuan(fen: int | None):
    return None if fen is None else from_fen(fen)


def _rule_out(rule: CommissionRule) -> schemas.RuleOut:
    return schemas.RuleOut(id=rule.id, name=rule.name, product_code=rule.product_code, funder_type=rule.funder_type,
                           level=rule.level, kind=rule.kind.value, rate_percent=rule.rate_percent,
                           fixed_amount=_yuan(rule.fixed_fen), cap_amount=_yuan(rule.cap_fen), active=rule.active)


def _name(session, customer_id: int) -> str:
    customer = session.get(Customer, customer_id)
    return customer.name if customer else ""


def _commission_out(session, c: Commission) -> schemas.CommissionOut:
    return schemas.CommissionOut(
        id=c.id, referrer_customer_id=c.referrer_customer_id, referrer_name=_name(session, c.referrer_customer_id),
        referred_customer_id=c.referred_customer_id, level=c.level, order_id=c.order_id,
        settlement_id=c.settlement_id, product_code=c.product_code, funder_type=c.funder_type,
        fee_collected=from_fen(c.fee_collected_fen), amount=from_fen(c.amount_fen), state=c.state.value,
        was_paid=c.was_paid, withdrawal_id=c.withdrawal_id, confirmed_at=c.confirmed_at,
        withdrawable_after=c.withdrawable_after)


def _withdrawal_out(session, w: Withdrawal) -> schemas.WithdrawalOut:
    return schemas.WithdrawalOut(
        id=w.id, customer_id=w.customer_id, customer_name=_name(session, w.customer_id), request_id=w.request_id,
        amount=from_fen(w.amount_fen), method=w.method.value, state=w.state.value, account_name=w.account_name,
        bank_name=w.bank_name, bank_card=mask_card(w.bank_card), bank_reference=w.bank_reference,
        reject_reason=w.reject_reason, requested_at=w.requested_at, approved_at=w.approved_at, paid_at=w.paid_at)


# ---------------------------------------------------------------- rules (managers)


@router.get("/rules", response_model=list[schemas.RuleOut])
def list_rules(staff: ManagerStaff, session: SessionDep, include_inactive: bool = False) -> list[schemas.RuleOut]:
    """Commission rules by level; the most specific active rule (product and funder type) applies."""
    return [_rule_out(r) for r in referral_service.list_rules(session, include_inactive=include_inactive)]


@router.post("/rules", response_model=schemas.RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: schemas.RuleIn, staff: ManagerStaff, session: SessionDep) -> schemas.RuleOut:
    """A rule: a percentage of the service fee collected or a fixed amount, optionally capped. 409 when an
    active rule already covers the same product, funder type and level."""
    return _rule_out(referral_service.create_rule(session, staff, body))


@router.patch("/rules/{rule_id}", response_model=schemas.RuleOut)
def update_rule(rule_id: Id, body: schemas.RuleUpdate, staff: ManagerStaff, session: SessionDep) -> schemas.RuleOut:
    """Change a rule (or set `active: false`); commissions already computed keep their amounts."""
    return _rule_out(referral_service.update_rule(session, rule_id, body))


@router.delete("/rules/{rule_id}", response_model=schemas.RuleOut)
def deactivate_rule(rule_id: Id, staff: ManagerStaff, session: SessionDep) -> schemas.RuleOut:
    """Stop a rule applying to settlements from now on (it stays on record)."""
    return _rule_out(referral_service.update_rule(session, rule_id, schemas.RuleUpdate(active=False)))


# ---------------------------------------------------------------- commissions and withdrawals (finance)


@router.get("/commissions", response_model=list[schemas.CommissionOut])
def list_commissions(staff: FinanceStaff, session: SessionDep,
                     state: Annotated[CommissionState | None, Query()] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     offset: Annotated[int, Query(ge=0)] = 0) -> list[schemas.CommissionOut]:
    """Commissions, newest first, optionally in one state."""
    rows = referral_service.list_commissions(session, state=state, limit=limit, offset=offset)
    return [_commission_out(session, c) for c in rows]


@router.get("/commissions/{commission_id}/history", response_model=list[schemas.TransitionOut])
def commission_history(commission_id: Id, staff: FinanceStaff, session: SessionDep) -> list[schemas.TransitionOut]:
    """Every state change of a commission, oldest first."""
    return [schemas.TransitionOut.model_validate(t, from_attributes=True)
            for t in referral_service.history(session, "commission", commission_id)]


@router.get("/withdrawals", response_model=list[schemas.WithdrawalOut])
def list_withdrawals(staff: FinanceStaff, session: SessionDep,
                     state: Annotated[WithdrawalState | None, Query()] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     offset: Annotated[int, Query(ge=0)] = 0) -> list[schemas.WithdrawalOut]:
    """Withdrawals, newest first; `state=requested` is the approval queue, `approved` the payment queue."""
    return [_withdrawal_out(session, w)
            for w in referral_service.list_withdrawals(session, state=state, limit=limit, offset=offset)]


@router.post("/withdrawals/{withdrawal_id}/approve", response_model=schemas.WithdrawalOut)
def approve_withdrawal(withdrawal_id: Id, staff: FinanceStaff, session: SessionDep) -> schemas.WithdrawalOut:
    """Approve a requested withdrawal; 409 from any other state."""
    return _withdrawal_out(session, referral_service.approve_withdrawal(session, staff, withdrawal_id))


@router.post("/withdrawals/{withdrawal_id}/reject", response_model=schemas.WithdrawalOut)
def reject_withdrawal(withdrawal_id: Id, body: schemas.RejectIn, staff: FinanceStaff,
                      session: SessionDep) -> schemas.WithdrawalOut:
    """Turn a withdrawal down with a reason; its commissions are available to withdraw again."""
    return _withdrawal_out(session, referral_service.reject_withdrawal(session, staff, withdrawal_id, body.reason))


@router.post("/withdrawals/{withdrawal_id}/pay", response_model=schemas.WithdrawalOut)
def pay_withdrawal(withdrawal_id: Id, body: schemas.PayIn, staff: FinanceStaff,
                   session: SessionDep) -> schemas.WithdrawalOut:
    """Pay an approved withdrawal. Bank: record the reference of the transfer finance made (required).
    WeChat: transfer to the customer's WeChat balance now; a failure leaves it `failed`, and paying again
    is safe (the transfer is keyed on the withdrawal). 409 when it is not approved (or failed)."""
    row = referral_service.pay_withdrawal(session, staff, withdrawal_id, bank_reference=body.bank_reference)
    return _withdrawal_out(session, row)


@router.get("/withdrawals/{withdrawal_id}/history", response_model=list[schemas.TransitionOut])
def withdrawal_history(withdrawal_id: Id, staff: FinanceStaff, session: SessionDep) -> list[schemas.TransitionOut]:
    """Every state change of a withdrawal, oldest first."""
    referral_service.get_withdrawal(session, withdrawal_id)
    return [schemas.TransitionOut.model_validate(t, from_attributes=True)
            for t in referral_service.history(session, "withdrawal", withdrawal_id)]


# ---------------------------------------------------------------- figures (managers)


@router.get("/leaderboard", response_model=list[schemas.LeaderRow])
def leaderboard(staff: ManagerStaff, session: SessionDep, since: Instant | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[schemas.LeaderRow]:
    """Referrers by commission earned (confirmed, withdrawable or paid), with friends referred and settled."""
    return [schemas.LeaderRow(customer_id=r["customer_id"], name=r["name"], referred=r["referred"],
                              settled_friends=r["settled_friends"], earned=from_fen(r["earned_fen"]))
            for r in referral_service.leaderboard(session, since=since, limit=limit)]


@router.get("/cost-by-channel", response_model=list[schemas.ChannelCostRow])
def cost_by_channel(staff: ManagerStaff, session: SessionDep, since: Instant | None = None) -> list[schemas.ChannelCostRow]:
    """What referral commissions cost per channel the referred customers came in by (net of reversals),
    and how much was clawed back from commissions already paid."""
    return [schemas.ChannelCostRow(channel_id=r["channel_id"], channel=r["channel"], commissions=r["commissions"],
                                   cost=from_fen(r["cost_fen"]), clawed_back=from_fen(r["clawed_back_fen"]))
            for r in referral_service.cost_by_channel(session, since=since)]
