"""The journal as finance and managers read it: the trial balance (an order's entries are under the order)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from backoffice.common.money import YuanOut, yuan
from backoffice.ledger import service as ledger
from scrm.auth import SessionDep, require_roles
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
