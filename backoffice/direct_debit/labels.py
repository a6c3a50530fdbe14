"""Names shown to people: debit states, providers and reconciliation findings."""

DEBIT_NAMES = {"created": "待提交", "submitted": "已提交，等待结果", "succeeded": "扣款成功", "failed": "扣款失败",
               "unknown": "结果未知，查询中", "reconciled": "已对账"}
PROVIDER_NAMES = {"papay": "微信委托代扣", "bank": "银行协议支付"}
MISMATCH_NAMES = {"missing_here": "账单有、本系统无", "amount_differs": "金额不一致",
                  "not_succeeded_here": "账单有、本系统未成功", "missing_at_provider": "本系统成功、账单无"}
