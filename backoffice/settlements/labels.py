"""Names shown to people: settlement states, discounts and expenses."""

from backoffice.settlements.models import DiscountKind, ExpenseKind, SettlementStatus

SETTLEMENT_NAMES = {SettlementStatus.open: "未结单", SettlementStatus.closed: "已结单", SettlementStatus.voided: "已作废"}
DISCOUNT_NAMES = {DiscountKind.none: "无优惠", DiscountKind.percent: "按比例（%）", DiscountKind.fixed: "固定减免（元）"}
EXPENSE_NAMES = {ExpenseKind.appraisal: "评估费", ExpenseKind.rebate: "返点"}
