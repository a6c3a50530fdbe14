"""Names shown to people: settlement states, discounts and expenses."""

from backoffice.settlements.models import DiscountKind, ExpenseKind, SettlementStatus

SETTLEMENT_NAMES = {SettlementStatus.open: "未结单", SettlementStatus.closed: "已结单", SettlementStatus.voided: "已作废"}
DISCOUNT_NAMES = {DiscountKind.none: "无优惠", DiscountKind.percent: "按比例（%）", DiscountKind.fixed: "固定减免（元）",
                  DiscountKind.per_count: "按笔数（元/笔）"}
EXPENSE_NAMES = {ExpenseKind.appraisal: "评估费", ExpenseKind.rebate: "返点"}
# the steps of a loan as the customer follows it in the mini-program
LOAN_STEP_NAMES = {"signed": "已签约", "deposit": "已付定金", "processing": "办理中", "disbursed": "已放款",
                   "settled": "已结算"}
