"""Names shown to people: mandate states and kinds."""

MANDATE_NAMES = {"sms_sent": "待短信验证", "verified": "已验证待签约", "signing": "签约中", "active": "有效",
                 "revoked": "已解约", "failed": "失败", "expired": "已过期"}
MANDATE_KINDS = {"bank_card": "银行卡协议支付", "papay": "微信委托代扣"}
