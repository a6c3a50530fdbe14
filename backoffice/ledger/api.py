"""The journal as finance and managers read it: trial balance and an order's entries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from backoffice.common.money import YuanOut, yuan
from backoffice.contracts import service as contract_service
from backoffice.ledger import service as ledger
from scrm.auth import CurrentStaff, SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice/ledger", tags=["backoffice: ledger"], responses=ERROR_RESPONSES)
FinanceOrManager = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]


class TrialRowOut(BaseModel):
    account: str
    name: str
    debit: YuanOut
    credit: YuanOut
    balance: YuanOut


class TrialBalanceOut(BaseModel):
    rows: list[TrialRowOut]
    total_debit: YuanOut
    total_credit: YuanOut
    balanced: bool


class LineOut(BaseModel):
    account: str
    debit: YuanOut
    credit: YuanOut


class EntryOut(BaseModel):
    id: int
    source_type: str
    source_id: int
    memo: str
    posted_at: datetime
    lines: list[LineOut]


@router.get("/trial-balance", response_model=TrialBalanceOut)
def trial_balance(staff: FinanceOrManager, session: SessionDep) -> TrialBalanceOut:
    """Debits, credits and balance of every account, read from the journal."""
    rows = ledger.trial_balance(session)
    debit, credit = sum(r.debit_fen for r in rows), sum(r.credit_fen for r in rows)
    return TrialBalanceOut(rows=[TrialRowOut(account=r.account, name=r.name, debit=yuan(r.debit_fen),
                                             credit=yuan(r.credit_fen), balance=yuan(r.balance_fen)) for r in rows],
                           total_debit=yuan(debit), total_credit=yuan(credit), balanced=debit == credit)


@router.get("/orders/{order_id}", response_model=list[EntryOut])
def order_entries(order_id: Annotated[int, Path(ge=1)], staff: CurrentStaff, session: SessionDep) -> list[EntryOut]:
    """The journal entries of one order (finance and managers; others get 403)."""
    require_roles(Role.finance, Role.manager)(staff)
    contract_service.get_visible_order(session, staff, order_id)
    return [EntryOut(id=e.id, source_type=e.source_type, source_id=e.source_id, memo=e.memo, posted_at=e.posted_at,
                     lines=[LineOut(account=l.account, debit=yuan(l.debit_fen), credit=yuan(l.credit_fen))
                            for l in ledger.entry_lines(session, e.id)])
            for e in ledger.entries_for_order(session, order_id)]
