from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backoffice.common.money import YuanIn, YuanOut
from scrm.core.params import RowId


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    center_id: RowId
    month: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])
    amount: YuanIn


class BudgetOut(BaseModel):
    center_id: int
    center: str
    month: str
    budget: YuanOut | None
    spent: YuanOut
    share_used: float | None = Field(description="spent ÷ budget; over 1 when over budget; null without a budget")


class ExpenseRowOut(BaseModel):
    center_id: int | None
    center: str
    department_id: int | None
    department: str
    category: str = Field(description="返点, 评估费, … or 营销成本·<category> / 做单成本·<category> of a reimbursement")
    month: str
    amount: YuanOut


class ExpensesOut(BaseModel):
    month_from: str
    month_to: str
    rows: list[ExpenseRowOut]
    budgets: list[BudgetOut]
