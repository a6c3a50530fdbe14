"""Names shown to people: funder types (资方类型) and the ways money is paid (收付款方式)."""

from backoffice.orders.models import OrderStatus

PAYMENT_LABELS = {"cash": "现金", "alipay": "支付宝", "wechat": "微信", "online_bank": "网银", "direct_debit": "代扣"}
FUNDER_LABELS = {"bank": "银行", "consumer_finance": "消金", "credit_insurance": "信保", "microloan": "小贷",
                 "other": "其他"}
ORDER_STATUS_NAMES = {OrderStatus.signed: "待合同确认", OrderStatus.confirmed: "待主管审核", OrderStatus.reviewed: "待确认定金",
                      OrderStatus.processing: "做单中", OrderStatus.disbursed: "已放款", OrderStatus.settled: "已结算",
                      OrderStatus.refunded: "已退定", OrderStatus.voided: "已作废"}
ORDER_ACTION_NAMES = {"create": "签单", "confirm": "合同确认", "review": "主管审核", "start_processing": "定金确认，进入做单",
                      "amend": "修改条款", "void": "作废", "disburse": "放款", "settle": "结算", "reopen_settlement": "重开结算",
                      "refund_all": "全额退定"}
DEPOSIT_STATUS_NAMES = {"held": "已收", "applied": "已抵扣", "refunded": "已全额退还"}
REFUND_STATUS_NAMES = {"filed": "待财务确认", "confirmed": "已退", "rejected": "已驳回"}
FOLLOW_UP_NAMES = {"progress": "进展", "submitted": "已提交资方", "approved": "已审批", "rejected": "被拒",
                   "disbursed_pending": "已放款待结算"}
