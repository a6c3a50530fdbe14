"""Names shown to people: claim states, cost types and who paid."""

from backoffice.reimbursements.models import CostType, ReimbursementStatus

REIMBURSEMENT_STATUS_NAMES = {ReimbursementStatus.submitted: "待确认", ReimbursementStatus.confirmed: "已确认",
                              ReimbursementStatus.paid: "已付款", ReimbursementStatus.voided: "已作废"}
COST_TYPE_NAMES = {CostType.processing: "做单成本", CostType.marketing: "营销成本"}
PAYER_NAMES = {"cash": "现金", "alipay": "支付宝", "wechat": "微信", "online_bank": "网银"}
