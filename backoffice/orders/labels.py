"""Names shown to people: funder types (资方类型) and the ways money is paid (收付款方式)."""

PAYMENT_LABELS = {"cash": "现金", "alipay": "支付宝", "wechat": "微信", "online_bank": "网银", "direct_debit": "代扣"}
FUNDER_LABELS = {"bank": "银行", "consumer_finance": "消金", "credit_insurance": "信保", "microloan": "小贷",
                 "other": "其他"}
