"""Posting to the journal and reading balances from it; nothing else holds a balance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.ledger.chart import CHART
from backoffice.ledger.models import JournalEntry, JournalLine
from scrm.core.errors import ValidationFailed
from scrm.referral.events import CommissionConfirmed, CommissionReversed, WithdrawalPaid


@dataclass(frozen=True)
class Line:
    """One side of an entry: a positive amount debited (``debit=True``) or credited to an account."""

    account: str
    amount_fen: int
    debit: bool


def dr(account: str, amount_fen: int) -> Line:
    return Line(account, amount_fen, True)


def cr(account: str, amount_fen: int) -> Line:
    return Line(account, amount_fen, False)


def _checked(lines: list[Line]) -> list[Line]:
    kept = []
    for line in lines:
        if line.account not in CHART:
            raise ValidationFailed(f"科目 {line.account} 不在科目表中", field="account")
        if not isinstance(line.amount_fen, int) or isinstance(line.amount_fen, bool):
            raise ValidationFailed("分录金额必须是整数（分）", field="amount_fen")
        if line.amount_fen < 0:
            raise ValidationFailed(f"科目 {line.account} 的分录金额为负数", field="amount_fen")
        if line.amount_fen:
            kept.append(line)
    debits = sum(l.amount_fen for l in kept if l.debit)
    credits = sum(l.amount_fen for l in kept if not l.debit)
    if debits != credits:
        raise ValidationFailed(f"借贷不平衡：借方 {debits} 分，贷方 {credits} 分", field="lines")
    if not kept:
        raise ValidationFailed("分录没有金额", field="lines")
    return kept


def find_entry(session: Session, source_type: str, source_id: int) -> JournalEntry | None:
    session.flush()
    return session.scalar(select(JournalEntry).where(JournalEntry.source_type == source_type,
                                                     JournalEntry.source_id == source_id))


def post(session: Session, entry_lines: list[Line], source_type: str, source_id: int, memo: str = "", *,
         order_id: int | None = None, reverses_entry_id: int | None = None) -> JournalEntry:
    """Post a balanced entry for one source event; posting the same source again returns the first entry."""
    existing = find_entry(session, source_type, source_id)
    if existing is not None:
        return existing
    lines = _checked(entry_lines)
    entry = JournalEntry(source_type=source_type, source_id=source_id, order_id=order_id, memo=memo[:200],
                         reverses_entry_id=reverses_entry_id)
    session.add(entry)
    session.flush()
    session.add_all([JournalLine(entry_id=entry.id, account=l.account, debit_fen=l.amount_fen if l.debit else 0,
                                 credit_fen=0 if l.debit else l.amount_fen) for l in lines])
    session.flush()
    return entry


def reverse(session: Session, source_type: str, source_id: int, reversal_type: str, memo: str = "") -> JournalEntry | None:
    """Post the mirror image of a source's entry (debits become credits) as its own source event."""
    original = find_entry(session, source_type, source_id)
    if original is None:
        return None
    lines = [Line(l.account, l.debit_fen or l.credit_fen, not l.debit_fen) for l in entry_lines(session, original.id)]
    return post(session, lines, reversal_type, source_id, memo or f"冲销 {original.memo}", order_id=original.order_id,
                reverses_entry_id=original.id)


def entry_lines(session: Session, entry_id: int) -> list[JournalLine]:
    return list(session.scalars(select(JournalLine).where(JournalLine.entry_id == entry_id).order_by(JournalLine.id)))


def entries_for_order(session: Session, order_id: int) -> list[JournalEntry]:
    session.flush()
    return list(session.scalars(select(JournalEntry).where(JournalEntry.order_id == order_id)
                                .order_by(JournalEntry.id)))


@dataclass(frozen=True)
class TrialRow:
    account: str
    name: str
    debit_fen: int
    credit_fen: int

    @property
    def balance_fen(self) -> int:
        """The balance on the account's normal side."""
        net = self.debit_fen - self.credit_fen
        return net if CHART[self.account].debit_normal else -net


def trial_balance(session: Session, *, until: datetime | None = None) -> list[TrialRow]:
    """Total debits and credits per account, straight from the journal lines."""
    session.flush()
    stmt = (select(JournalLine.account, func.coalesce(func.sum(JournalLine.debit_fen), 0),
                   func.coalesce(func.sum(JournalLine.credit_fen), 0))
            .group_by(JournalLine.account))
    if until is not None:
        stmt = stmt.join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(JournalEntry.posted_at <= until)
    totals = {acc: (int(d), int(c)) for acc, d, c in session.execute(stmt)}
    return [TrialRow(code, CHART[code].name, *totals.get(code, (0, 0))) for code in CHART]


def balances(session: Session, *, order_id: int | None = None) -> dict[str, int]:
    """Each account's balance on its normal side (optionally for one order's entries)."""
    session.flush()
    stmt = (select(JournalLine.account, func.sum(JournalLine.debit_fen - JournalLine.credit_fen))
            .group_by(JournalLine.account))
    if order_id is not None:
        stmt = stmt.join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(JournalEntry.order_id == order_id)
    net: dict[str, int] = defaultdict(int)
    for account, value in session.execute(stmt):
        net[account] = int(value) if CHART[account].debit_normal else -int(value)
    return {code: net.get(code, 0) for code in CHART}


def unbalanced_entries(session: Session) -> list[int]:
    """Ids of entries whose debits and credits differ (always empty: ``post`` refuses them)."""
    session.flush()
    stmt = (select(JournalLine.entry_id).group_by(JournalLine.entry_id)
            .having(func.sum(JournalLine.debit_fen) != func.sum(JournalLine.credit_fen)))
    return list(session.scalars(stmt))


# ---------------------------------------------------------------------------------------------
# subscribers: referral commissions (posted here, the referral module owns the commissions)

def on_commission_confirmed(session: Session, event: CommissionConfirmed) -> None:
    """``referral.commission_confirmed``: accrue the commission."""
    amount = event.amount_fen
    if amount > 0:
        post(session, [dr("commission_expense", amount), cr("commissions_payable", amount)],
             "referral.commission_confirmed", event.commission_id, "推荐佣金计提")


def on_commission_reversed(session: Session, event: CommissionReversed) -> None:
    """``referral.commission_reversed``: reverse the accrual (a paid one leaves a claim on the referrer)."""
    amount = event.amount_fen
    if amount > 0:
        post(session, [dr("commissions_payable", amount), cr("commission_expense", amount)],
             "referral.commission_reversed", event.commission_id, "推荐佣金冲回")


def on_withdrawal_paid(session: Session, event: WithdrawalPaid) -> None:
    """``referral.withdrawal_paid``: commissions paid out to the referrer."""
    amount = event.amount_fen
    if amount > 0:
        post(session, [dr("commissions_payable", amount), cr("bank", amount)],
             "referral.withdrawal_paid", event.withdrawal_id, f"佣金提现（{event.method}）")
