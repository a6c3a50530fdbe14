"""The chart of accounts, as data. Assets and expenses carry debit balances; the rest credit balances."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    kind: str  # asset, liability, revenue, contra_revenue, expense

    @property
    def debit_normal(self) -> bool:
        return self.kind in ("asset", "expense", "contra_revenue")


CHART: dict[str, Account] = {a.code: a for a in [
    Account("cash", "库存现金", "asset"),
    Account("bank", "银行存款", "asset"),
    Account("customer_receivable", "应收客户款", "asset"),
    Account("loan_receivable", "客户借款", "asset"),
    Account("deposits_held", "预收定金", "liability"),
    Account("commissions_payable", "应付推荐佣金", "liability"),
    Account("fee_revenue", "服务费收入", "revenue"),
    Account("fee_discounts", "服务费折让", "contra_revenue"),
    Account("other_fee_revenue", "其他费用收入", "revenue"),
    Account("interest_income", "借款利息收入", "revenue"),
    Account("rebate_expense", "渠道返点", "expense"),
    Account("appraisal_expense", "评估费", "expense"),
    Account("reimbursement_expense", "做单报销", "expense"),
    Account("commission_expense", "推荐佣金", "expense"),
]}

# where money received or paid by each payment method sits
PAYMENT_ACCOUNT = {"cash": "cash", "alipay": "bank", "wechat": "bank", "online_bank": "bank",
                   "direct_debit": "customer_receivable"}
