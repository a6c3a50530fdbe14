"""Settlement (结算): charges, expenses, closing (结单) with its journal entry, void, and payments received."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.common.history import log_transition
from backoffice.common.loading import get_or_404
from backoffice.direct_debit import service as debit_service
from backoffice.direct_debit.events import DebitSucceeded
from backoffice.ledger import service as ledger
from backoffice.ledger.chart import PAYMENT_ACCOUNT
from backoffice.ledger.service import cr, dr
from backoffice.orders import service as order_service
from backoffice.orders.labels import ORDER_STATUS_NAMES
from backoffice.orders.models import Borrowing, DepositStatus, Order, OrderStatus
from backoffice.settlements.events import SettlementClosed, SettlementVoided
from backoffice.settlements.labels import LOAN_STEP_NAMES, SETTLEMENT_NAMES
from backoffice.settlements.models import (EXPENSE_ACCOUNTS, DiscountKind, ExpenseKind, ExpenseType, PaymentMethod,
                                           Settlement, SettlementExpense, SettlementFee, SettlementPayment,
                                           SettlementStatus)
from scrm.core import events
from scrm.core.db import insert_ignore_many, utcnow
from scrm.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from scrm.core.money import from_fen, round_fen, to_fen
from scrm.core.statemachine import Machine
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.org.models import Employee, Role

T = SettlementStatus
SETTLEMENT_MACHINE = Machine("settlement", "结算单", {
    (T.open, "edit"): T.open,  # discounts, fees, expenses and charges: checked, the changes themselves recorded
    (T.open, "close"): T.closed,
    (T.closed, "void"): T.voided,
    (T.closed, "debit"): T.closed,  # the one-click debit of what is still due, offered once the totals are fixed
}, log_transition, state_labels=SETTLEMENT_NAMES)
MAX_FEES = 20


def _require(actor: Employee) -> None:
    order_service.require_role(actor, Role.finance)


def fee_from_rate(amount_fen: int, rate_bp: int) -> int:
    """``amount × rate`` rounded once to the fen."""
    return to_fen(round_fen(from_fen(amount_fen) * Decimal(rate_bp) / 10000))


def open_settlement(session: Session, order: Order, *, actor_id: int | None = None) -> Settlement:
    """Open the settlement of a disbursed order with the service fee of its contract (a rate on the amount
    disbursed, not below the contract's minimum, or the fixed fee)."""
    fee = order_service.expected_fee_fen(order)
    settlement = Settlement(order_id=order.id, service_fee_fen=fee, status=T.open)
    session.add(settlement)
    session.flush()
    if order.other_fees_fen:
        session.add(SettlementFee(settlement_id=settlement.id, name="合同其他费用", amount_fen=order.other_fees_fen))
    SETTLEMENT_MACHINE.record_creation(session, settlement, actor_id=actor_id)
    return settlement


def disburse(session: Session, actor: Employee, order: Order, *, amount_fen: int, disbursed_on: date,
             funder_name: str, term_months: int | None = None, repayment_day: int | None = None) -> Settlement:
    """Mark the loan disbursed (放款) and open its settlement."""
    order_service.disburse(session, actor, order, amount_fen=amount_fen, disbursed_on=disbursed_on,
                           funder_name=funder_name, term_months=term_months, repayment_day=repayment_day)
    return open_settlement(session, order, actor_id=actor.id)


def get_settlement(session: Session, settlement_id: int, *, lock: bool = False) -> Settlement:
    return get_or_404(session, Settlement, settlement_id, "结算单", lock=lock)


def current_settlement(session: Session, order_id: int) -> Settlement | None:
    """The order's live settlement (open or closed), if any."""
    session.flush()
    return session.scalar(select(Settlement).where(Settlement.order_id == order_id, Settlement.status != T.voided)
                          .order_by(Settlement.id.desc()).limit(1))


def current_settlements(session: Session, order_ids: list[int]) -> dict[int, Settlement]:
    """Each order's live settlement (open or closed), by order id, in one query."""
    session.flush()
    if not order_ids:
        return {}
    rows = session.scalars(select(Settlement).where(Settlement.order_id.in_(order_ids),
                                                    Settlement.status != T.voided).order_by(Settlement.id))
    return {s.order_id: s for s in rows}


def _editable(settlement: Settlement) -> None:
    SETTLEMENT_MACHINE.check(settlement, "edit")


def discount_fen(service_fee_fen: int, kind: DiscountKind, value: int, loan_count: int = 1) -> int:
    """The discount in fen: a rate on the fee (rounded once), a fixed amount, or an amount per disbursed loan."""
    if kind == DiscountKind.none:
        return 0
    if kind == DiscountKind.percent:
        return fee_from_rate(service_fee_fen, value)
    if kind == DiscountKind.per_count:
        return value * loan_count
    return value


def set_charges(session: Session, actor: Employee, settlement: Settlement, *, discount_kind: DiscountKind | None = None,
                discount_value: int | None = None, installment_fee_fen: int | None = None,
                payment_method: PaymentMethod | None = None, service_fee_fen: int | None = None,
                loan_count: int | None = None) -> Settlement:
    """Finance completes the charges: discount (none, percent in basis points, fixed fen, or fen per disbursed
    loan times the number of loans), fees, payment method."""
    _require(actor)
    _editable(settlement)
    fee = settlement.service_fee_fen if service_fee_fen is None else service_fee_fen
    kind = settlement.discount_kind if discount_kind is None else discount_kind
    value = settlement.discount_value if discount_value is None else discount_value
    count = settlement.loan_count if loan_count is None else loan_count
    if kind == DiscountKind.none:
        value = 0
    if not 1 <= count <= 100:
        raise ValidationFailed("放款笔数须在 1 到 100 之间", field="loan_count")
    if fee < 0:
        raise ValidationFailed("服务费不能为负数", field="service_fee")
    if value < 0 or (kind == DiscountKind.percent and value > 10000):
        raise ValidationFailed("折扣比例须在 0 到 100% 之间", field="discount_value")
    if discount_fen(fee, kind, value, count) > fee:
        raise ValidationFailed("减免金额不能超过服务费", field="discount_value")
    if installment_fee_fen is not None and installment_fee_fen < 0:
        raise ValidationFailed("分期费不能为负数", field="installment_fee")
    before = {"service_fee_fen": settlement.service_fee_fen, "discount_kind": settlement.discount_kind.value,
              "discount_value": settlement.discount_value, "installment_fee_fen": settlement.installment_fee_fen,
              "loan_count": settlement.loan_count}
    settlement.service_fee_fen, settlement.discount_kind, settlement.discount_value = fee, kind, value
    settlement.loan_count = count
    if installment_fee_fen is not None:
        settlement.installment_fee_fen = installment_fee_fen
    if payment_method is not None:
        settlement.payment_method = payment_method
    SETTLEMENT_MACHINE.record(session, settlement, "set_charges", actor_id=actor.id, data=before)
    return settlement


def add_fee(session: Session, actor: Employee, settlement: Settlement, name: str, amount_fen: int) -> SettlementFee:
    """An extra fee added during processing (下户费, 渠道管理费, …)."""
    _require(actor)
    _editable(settlement)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写费用名称", field="name")
    if amount_fen <= 0:
        raise ValidationFailed("费用金额必须大于 0", field="amount")
    if len(fees_of(session, settlement.id)) >= MAX_FEES:
        raise ValidationFailed(f"额外费用最多 {MAX_FEES} 项", field="name")
    fee = SettlementFee(settlement_id=settlement.id, name=name[:32], amount_fen=amount_fen)
    session.add(fee)
    session.flush()
    return fee


def remove_fee(session: Session, actor: Employee, settlement: Settlement, fee_id: int) -> None:
    _require(actor)
    _editable(settlement)
    fee = session.get(SettlementFee, fee_id)
    if fee is None or fee.settlement_id != settlement.id:
        raise NotFound(f"结算单上没有编号为 {fee_id} 的费用")
    session.delete(fee)
    session.flush()


def add_expense(session: Session, actor: Employee, settlement: Settlement, kind: str, payee: str,
                amount_fen: int) -> SettlementExpense:
    """An expense on the order of one of the active expense types (评估费, 返点 to a channel, …); finance
    confirms it before closing."""
    _require(actor)
    _editable(settlement)
    kind = getattr(kind, "value", kind)
    _ensure_builtin(session)
    # FOR SHARE: a delete of the type (FOR UPDATE) waits for this expense, or this waits and finds it gone
    expense_type = session.scalar(select(ExpenseType).where(ExpenseType.code == kind).with_for_update(read=True))
    if expense_type is None or not expense_type.active:
        raise ValidationFailed(f"没有可用的支出类型 {kind}", field="kind")
    if amount_fen <= 0:
        raise ValidationFailed("支出金额必须大于 0", field="amount")
    if not (payee or "").strip():
        raise ValidationFailed("请填写收款方", field="payee")
    expense = SettlementExpense(settlement_id=settlement.id, kind=kind, payee=payee.strip()[:64],
                                amount_fen=amount_fen)
    session.add(expense)
    session.flush()
    return expense


def confirm_expense(session: Session, actor: Employee, settlement: Settlement, expense_id: int, *,
                    corrected_fen: int | None = None) -> SettlementExpense:
    """Finance confirms an expense, or corrects its amount (the amount entered is kept)."""
    _require(actor)
    _editable(settlement)
    expense = session.get(SettlementExpense, expense_id)
    if expense is None or expense.settlement_id != settlement.id:
        raise NotFound(f"结算单上没有编号为 {expense_id} 的支出")
    if corrected_fen is not None and corrected_fen != expense.amount_fen:
        if corrected_fen <= 0:
            raise ValidationFailed("支出金额必须大于 0", field="amount")
        expense.corrected_from_fen = expense.amount_fen if expense.corrected_from_fen is None else expense.corrected_from_fen
        expense.amount_fen = corrected_fen
    expense.confirmed = True
    session.flush()
    return expense


def fees_of(session: Session, settlement_id: int) -> list[SettlementFee]:
    session.flush()
    return list(session.scalars(select(SettlementFee).where(SettlementFee.settlement_id == settlement_id)
                                .order_by(SettlementFee.id)))


def expenses_of(session: Session, settlement_id: int) -> list[SettlementExpense]:
    session.flush()
    return list(session.scalars(select(SettlementExpense).where(SettlementExpense.settlement_id == settlement_id)
                                .order_by(SettlementExpense.id)))


# ---------------------------------------------------------------------------------------------
# expense types (支出类型), kept by finance

# the two types every installation has (seeded by the migration, and put back here if a table was emptied)
BUILTIN_TYPES = {ExpenseKind.appraisal.value: ("评估费", "appraisal_expense"),
                 ExpenseKind.rebate.value: ("返点", "rebate_expense")}


def _ensure_builtin(session: Session) -> None:
    session.flush()
    have = set(session.scalars(select(ExpenseType.code).where(ExpenseType.code.in_(BUILTIN_TYPES))))
    if len(have) < len(BUILTIN_TYPES):
        insert_ignore_many(session, ExpenseType.__table__, [
            {"code": code, "name": name, "account": account, "active": True, "created_at": utcnow()}
            for code, (name, account) in BUILTIN_TYPES.items() if code not in have], ["code"], [ExpenseType.id])


def expense_types(session: Session, *, active_only: bool = False) -> list[ExpenseType]:
    _ensure_builtin(session)
    stmt = select(ExpenseType).order_by(ExpenseType.id)
    if active_only:
        stmt = stmt.where(ExpenseType.active.is_(True))
    return list(session.scalars(stmt))


def expense_accounts(session: Session) -> dict[str, str]:
    """Each expense type's journal account, by code."""
    _ensure_builtin(session)
    return dict(session.execute(select(ExpenseType.code, ExpenseType.account)).all())


def expense_type_names(session: Session) -> dict[str, str]:
    _ensure_builtin(session)
    return dict(session.execute(select(ExpenseType.code, ExpenseType.name)).all())


def _check_type(session: Session, name: str, account: str, *, except_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 32:
        raise ValidationFailed("类型名称须为 1 到 32 个字", field="name")
    if account not in EXPENSE_ACCOUNTS:
        raise ValidationFailed(f"记入科目只能是 {'、'.join(EXPENSE_ACCOUNTS)} 之一", field="account")
    clash = session.scalar(select(ExpenseType.id).where(ExpenseType.name == name))
    if clash is not None and clash != except_id:
        raise Conflict(f"已有名为「{name}」的支出类型", field="name")
    return name


def add_expense_type(session: Session, actor: Employee, name: str, account: str) -> ExpenseType:
    """A new expense type; its code is made from its id (``t<id>``), so a name can change freely."""
    _require(actor)
    name = _check_type(session, name, account)
    row = ExpenseType(code=f"new-{utcnow().timestamp()}", name=name, account=account, active=True)
    session.add(row)
    session.flush()
    row.code = f"t{row.id}"
    session.flush()
    return row


def get_expense_type(session: Session, type_id: int, *, lock: bool = False) -> ExpenseType:
    return get_or_404(session, ExpenseType, type_id, "支出类型", lock=lock)


def update_expense_type(session: Session, actor: Employee, row: ExpenseType, *, name: str | None = None,
                        account: str | None = None, active: bool | None = None) -> ExpenseType:
    """Rename, re-point or (de)activate a type; an inactive type is no longer offered for new expenses."""
    _require(actor)
    new_name = _check_type(session, row.name if name is None else name, row.account if account is None else account,
                           except_id=row.id)
    row.name = new_name
    if account is not None:
        row.account = account
    if active is not None:
        row.active = active
    session.flush()
    return row


def delete_expense_type(session: Session, actor: Employee, row: ExpenseType) -> None:
    """Delete a type no expense uses; a type in use is a 409 (deactivate it instead)."""
    _require(actor)
    row = get_expense_type(session, row.id, lock=True)
    if row.code in BUILTIN_TYPES:
        raise Conflict(f"「{row.name}」是内置的支出类型，不能删除，可以停用", field="type_id")
    used = session.scalar(select(func.count()).select_from(SettlementExpense).where(SettlementExpense.kind == row.code))
    if used:
        raise Conflict(f"支出类型「{row.name}」已被 {used} 笔支出使用，不能删除，可以停用", field="type_id")
    session.delete(row)
    session.flush()


@dataclass(frozen=True)
class Totals:
    """Every part of a settlement in fen; the totals are sums of the parts, nothing rounded here."""

    service_fee_fen: int
    discount_fen: int
    installment_fee_fen: int
    extra_fees_fen: int
    borrowing_principal_fen: int
    borrowing_interest_fen: int
    borrowing_cost_fen: int
    deposit_applied_fen: int
    collected_at_close_fen: int  # paid at the counter (cash, Alipay, …) when closing; 0 for direct debit
    paid_fen: int  # received afterwards (direct debits)
    appraisal_fen: int
    rebates_fen: int

    @property
    def net_service_fee_fen(self) -> int:
        return self.service_fee_fen - self.discount_fen

    @property
    def borrowing_fen(self) -> int:
        return self.borrowing_principal_fen + self.borrowing_interest_fen + self.borrowing_cost_fen

    @property
    def total_charges_fen(self) -> int:
        return self.net_service_fee_fen + self.installment_fee_fen + self.extra_fees_fen + self.borrowing_fen

    @property
    def amount_due_fen(self) -> int:
        return self.total_charges_fen - self.deposit_applied_fen - self.collected_at_close_fen - self.paid_fen

    @property
    def expenses_fen(self) -> int:
        return self.appraisal_fen + self.rebates_fen

    def as_dict(self) -> dict[str, int]:
        out = asdict(self)
        for name in ("net_service_fee_fen", "borrowing_fen", "total_charges_fen", "amount_due_fen", "expenses_fen"):
            out[name] = getattr(self, name)
        return out


def _repaid_through(session: Session, settlement: Settlement) -> list[Borrowing]:
    return [b for b in order_service.borrowings_of(session, settlement.order_id)
            if b.repaid_via == f"settlement:{settlement.id}"]


def totals(session: Session, settlement: Settlement, *, on: date | None = None) -> Totals:
    """The settlement's parts: live while open (interest to ``on``), as fixed at closing afterwards."""
    paid = paid_fen(session, settlement.order_id)
    if settlement.status != T.open:
        collected = 0
        if settlement.status == T.closed and settlement.payment_method != PaymentMethod.direct_debit:
            collected = settlement.amount_due_fen or 0
        return Totals(**settlement.parts | {"collected_at_close_fen": collected, "paid_fen": paid})
    on = on or utcnow().date()
    borrowings = order_service.outstanding_borrowings(session, settlement.order_id)
    deposit = order_service.deposit_of(session, settlement.order_id)
    fees = fees_of(session, settlement.id)
    expenses = expenses_of(session, settlement.id)
    accounts = expense_accounts(session)
    return Totals(
        service_fee_fen=settlement.service_fee_fen,
        discount_fen=discount_fen(settlement.service_fee_fen, settlement.discount_kind, settlement.discount_value,
                                  settlement.loan_count),
        installment_fee_fen=settlement.installment_fee_fen,
        extra_fees_fen=sum(f.amount_fen for f in fees),
        borrowing_principal_fen=sum(b.principal_fen for b in borrowings),
        borrowing_interest_fen=sum(order_service.interest_fen(b, on) for b in borrowings),
        borrowing_cost_fen=sum(b.cost_fen for b in borrowings),
        deposit_applied_fen=(deposit.received_fen - deposit.refunded_fen
                             if deposit and deposit.status == DepositStatus.held else 0),
        collected_at_close_fen=0,
        paid_fen=paid,
        appraisal_fen=sum(e.amount_fen for e in expenses if accounts.get(e.kind) != "rebate_expense"),
        rebates_fen=sum(e.amount_fen for e in expenses if accounts.get(e.kind) == "rebate_expense"),
    )


def paid_fen(session: Session, order_id: int) -> int:
    """Payments received after closing for any settlement of the order (a voided one's stay with the order)."""
    session.flush()
    return int(session.scalar(select(func.coalesce(func.sum(SettlementPayment.amount_fen), 0))
                              .join(Settlement, Settlement.id == SettlementPayment.settlement_id)
                              .where(Settlement.order_id == order_id)) or 0)


def amount_due_fen(session: Session, settlement_id: int) -> int:
    """What the customer still owes on this settlement (what a direct debit collects); 0 once paid or voided."""
    settlement = get_settlement(session, settlement_id)
    if settlement.status == T.voided:
        return 0
    return max(totals(session, settlement).amount_due_fen, 0)


def close(session: Session, actor: Employee, settlement: Settlement, *, on: date | None = None) -> Settlement:
    """Close (结单): fix the totals, apply the deposit, repay borrowings, post the entry, emit ``settlement.closed``."""
    _require(actor)
    SETTLEMENT_MACHINE.check(settlement, "close")
    on = on or utcnow().date()
    if settlement.payment_method is None:
        raise ValidationFailed("请选择收款方式", field="payment_method")
    unconfirmed = [e for e in expenses_of(session, settlement.id) if not e.confirmed]
    if unconfirmed:
        raise InvalidTransition(f"还有 {len(unconfirmed)} 笔支出未确认，请先确认或更正")
    order = order_service.get_order(session, settlement.order_id, lock=True)
    order_service.check_settle(order)
    t = totals(session, settlement, on=on)
    if t.total_charges_fen < t.deposit_applied_fen:
        raise ValidationFailed(f"定金 {from_fen(t.deposit_applied_fen)} 元多于应收 {from_fen(t.total_charges_fen)} 元，"
                               "请先退还差额", field="deposit")
    for borrowing in order_service.outstanding_borrowings(session, order.id):
        order_service.mark_repaid(session, actor.id, borrowing, on, f"settlement:{settlement.id}")
    deposit = order_service.deposit_of(session, order.id)
    if deposit is not None and t.deposit_applied_fen:
        order_service.apply_deposit(session, actor.id, deposit, settlement.id)
    SETTLEMENT_MACHINE.advance(session, settlement, "close", actor_id=actor.id)
    settlement.total_charges_fen, settlement.deposit_applied_fen = t.total_charges_fen, t.deposit_applied_fen
    settlement.amount_due_fen = t.total_charges_fen - t.deposit_applied_fen
    settlement.parts = {k: v for k, v in asdict(t).items() if k not in ("collected_at_close_fen", "paid_fen")}
    settlement.closed_at, settlement.closed_by_id = utcnow(), actor.id
    collected = t.total_charges_fen - t.deposit_applied_fen
    lines = [
        dr("deposits_held", t.deposit_applied_fen),
        dr(PAYMENT_ACCOUNT[settlement.payment_method.value], collected),
        dr("fee_discounts", t.discount_fen),
        cr("fee_revenue", t.service_fee_fen),
        cr("other_fee_revenue", t.installment_fee_fen + t.extra_fees_fen),
        cr("loan_receivable", t.borrowing_principal_fen),
        cr("interest_income", t.borrowing_interest_fen + t.borrowing_cost_fen),
        dr("rebate_expense", t.rebates_fen),
        dr("appraisal_expense", t.appraisal_fen),
        cr("bank", t.expenses_fen),
    ]
    ledger.post(session, lines, "settlement.closed", settlement.id, f"结单 {order.agreement_no}", order_id=order.id)
    order_service.settle(session, actor.id, order, settlement.closed_at)
    customer_service.set_stage(session, order.customer_id, Stage.settled, actor_employee_id=actor.id,
                               source_key=f"settlement:{settlement.id}:closed", note=f"结单 {order.agreement_no}")
    events.emit(session, SettlementClosed(
        settlement_id=settlement.id, order_id=order.id, customer_id=order.customer_id,
        product_code=order.product_code, funder_type=order.funder_type.value,
        service_fee_collected_fen=t.net_service_fee_fen, disbursed_amount_fen=order.disbursed_amount_fen,
        salesperson_employee_id=order.salesperson_id, closed_at=settlement.closed_at))
    return settlement


def void(session: Session, actor: Employee, settlement: Settlement, reason: str) -> Settlement:
    """Void a closed settlement: reverse its entry, release the deposit and borrowings, open a fresh one."""
    _require(actor)
    if not (reason or "").strip():
        raise ValidationFailed("请填写作废原因", field="reason")
    order = order_service.get_order(session, settlement.order_id, lock=True)
    borrowings = _repaid_through(session, settlement)
    SETTLEMENT_MACHINE.advance(session, settlement, "void", actor_id=actor.id, note=reason)
    settlement.voided_at, settlement.void_reason = utcnow(), reason.strip()[:200]
    ledger.reverse(session, "settlement.closed", settlement.id, "settlement.voided", f"结算作废 {order.agreement_no}")
    for borrowing in borrowings:
        order_service.reopen_borrowing(session, actor.id, borrowing)
    deposit = order_service.deposit_of(session, order.id)
    if deposit is not None and deposit.status == DepositStatus.applied:
        order_service.release_deposit(session, actor.id, deposit)
    order_service.reopen_settlement(session, actor.id, order, reason)
    _reopen_copy(session, order, settlement, actor.id)
    customer_service.set_stage(session, order.customer_id, Stage.disbursed, actor_employee_id=actor.id,
                               source_key=f"settlement:{settlement.id}:voided", note=f"结算作废 {order.agreement_no}")
    events.emit(session, SettlementVoided(settlement_id=settlement.id, order_id=order.id,
                                           customer_id=order.customer_id))
    return settlement


def _reopen_copy(session: Session, order: Order, voided: Settlement, actor_id: int) -> Settlement:
    """A fresh open settlement with the voided one's charges, fees and expenses (to be confirmed again)."""
    fresh = open_settlement(session, order, actor_id=actor_id)
    fresh.service_fee_fen, fresh.discount_kind, fresh.discount_value, fresh.loan_count = (
        voided.service_fee_fen, voided.discount_kind, voided.discount_value, voided.loan_count)
    fresh.installment_fee_fen, fresh.payment_method = voided.installment_fee_fen, voided.payment_method
    for fee in fees_of(session, fresh.id):
        session.delete(fee)
    session.add_all([SettlementFee(settlement_id=fresh.id, name=f.name, amount_fen=f.amount_fen)
                     for f in fees_of(session, voided.id)])
    session.add_all([SettlementExpense(settlement_id=fresh.id, kind=e.kind, payee=e.payee, amount_fen=e.amount_fen,
                                       confirmed=False) for e in expenses_of(session, voided.id)])
    session.flush()
    return fresh


def record_payment(session: Session, settlement: Settlement, *, source: str, amount_fen: int,
                   provider: str | None = None) -> SettlementPayment | None:
    """Record money received against a settlement once per source; posts it. None when already recorded."""
    if amount_fen <= 0:
        raise ValidationFailed("收款金额必须大于 0", field="amount")
    session.flush()
    if session.scalar(select(SettlementPayment.id).where(SettlementPayment.source == source)) is not None:
        return None
    payment = SettlementPayment(settlement_id=settlement.id, source=source, amount_fen=amount_fen, provider=provider)
    session.add(payment)
    session.flush()
    ledger.post(session, [dr("bank", amount_fen), cr("customer_receivable", amount_fen)], "settlement.payment",
                payment.id, f"代扣收款 {source}", order_id=settlement.order_id)
    return payment


def _debit_source(debit_id: int) -> str:
    return f"debit:{debit_id}"


def awaiting_credit(session: Session, settlement_id: int, debits) -> bool:
    """Whether one of the settlement's debits succeeded at the provider and is not credited yet: the
    ``debit.succeeded`` subscriber records the payment a moment after the debit's own commit."""
    recorded = set(session.scalars(select(SettlementPayment.source)
                                   .where(SettlementPayment.settlement_id == settlement_id)))
    return any(d.status in debit_service.SUCCEEDED and _debit_source(d.id) not in recorded for d in debits)


def debit_amount_due(session: Session, actor: Employee, settlement: Settlement, *, mandate_id: int | None = None):
    """The one-click debit (代扣) of what the customer still owes on this settlement, through their
    authorisation; pressing twice returns the same debit order, and pressing after a failed debit
    (the customer has topped up the card) makes the next one."""
    due = amount_due_fen(session, settlement.id)
    if due <= 0:
        raise Conflict("nothing is due on this settlement", field="settlement_id")
    order = order_service.get_order(session, settlement.order_id)
    return debit_service.create_debit(session, actor, customer_id=order.customer_id, due_key=f"settlement:{settlement.id}",
                                      amount_fen=due, description=f"结算 {order.agreement_no}", mandate_id=mandate_id,
                                      again_after_failure=True)


def on_debit_succeeded(session: Session, event: DebitSucceeded) -> None:
    """Subscriber of ``debit.succeeded``: a direct debit for ``settlement:<id>`` is recorded and posted."""
    prefix, _, raw_id = debit_service.base_due_key(event.due_key).partition(":")
    if prefix != "settlement" or not raw_id.isdigit():
        return
    settlement = get_settlement(session, int(raw_id))
    record_payment(session, settlement, source=_debit_source(event.debit_id), amount_fen=event.amount_fen,
                   provider=event.provider)



# ---------------------------------------------------------------------------------------------
# the customer's own view (the mini-program's "my loan")

LOAN_STEPS = ("signed", "deposit", "processing", "disbursed", "settled")


def customer_loan(session: Session, customer_id: int) -> dict | None:
    """The customer's latest order that is not voided, as they follow it: each step with when it happened, the
    deposit, the disbursement and the settlement's parts, with what is still owed; all amounts in fen."""
    session.flush()
    order = session.scalar(select(Order).where(Order.customer_id == customer_id, Order.status != OrderStatus.voided)
                           .order_by(Order.signed_at.desc(), Order.id.desc()).limit(1))
    if order is None:
        return None
    deposit = order_service.deposit_of(session, order.id)
    settlement = current_settlement(session, order.id)
    closed = settlement is not None and settlement.status == T.closed
    reached = {"signed": order.signed_at, "deposit": deposit.received_at if deposit else None,
               "processing": order.processing_at,
               "disbursed": order.disbursed_on if order.disbursed_amount_fen is not None else None,
               "settled": settlement.closed_at if closed else None}
    statement = None
    if settlement is not None:
        t = totals(session, settlement)
        statement = {"status": settlement.status.value, "service_fee_fen": t.service_fee_fen,
                     "discount_fen": t.discount_fen, "installment_fee_fen": t.installment_fee_fen,
                     "extra_fees_fen": t.extra_fees_fen, "borrowing_fen": t.borrowing_fen,
                     "total_charges_fen": t.total_charges_fen, "deposit_applied_fen": t.deposit_applied_fen,
                     "collected_at_close_fen": t.collected_at_close_fen, "paid_fen": t.paid_fen,
                     "payment_method": settlement.payment_method.value if settlement.payment_method else None,
                     "closed_at": settlement.closed_at}
    return {
        "order_id": order.id, "agreement_no": order.agreement_no, "product_code": order.product_code,
        "status": order.status.value, "status_name": ORDER_STATUS_NAMES[order.status],
        "steps": [{"key": k, "label": LOAN_STEP_NAMES[k], "done": reached[k] is not None, "at": reached[k]}
                  for k in LOAN_STEPS],
        "amount_applied_fen": order.amount_applied_fen, "service_fee_fen": order.service_fee_fen,
        "deposit_fen": order.deposit_fen,
        "deposit_received_fen": deposit.received_fen if deposit else 0,
        "deposit_refunded_fen": deposit.refunded_fen if deposit else 0,
        "disbursed_amount_fen": order.disbursed_amount_fen, "disbursed_on": order.disbursed_on,
        "funder_name": order.funder_name, "term_months": order.term_months, "repayment_day": order.repayment_day,
        "statement": statement,
        # what the customer still has to pay: only a closed settlement fixes it; 0 once paid
        "owed_fen": max(t.amount_due_fen, 0) if closed else None,
    }
