"""How a withdrawal's money leaves: a bank transfer finance made (we record its reference), or a WeChat
Pay transfer to the customer's balance (企业付款到零钱) made here.

The WeChat transfer's ``partner_trade_no`` is fixed per withdrawal (``wd<id>``), so paying again after a
failure or a lost answer cannot pay twice: WeChat Pay answers the first transfer's result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from wechatpy.exceptions import WeChatPayException

from scrm.core.config import get_settings
from scrm.customers.models import Customer
from scrm.referral.models import Withdrawal, WithdrawalMethod
from scrm.wechatpay.client import get_pay_client


@dataclass
class PayoutResult:
    reference: str
    record: dict[str, Any] = field(default_factory=dict)


class PayoutFailed(Exception):
    def __init__(self, message: str, *, field: str | None = None, answer: Any = None):
        super().__init__(message)
        self.message, self.field, self.answer = message, field, answer


class PayoutProvider(Protocol):
    def pay(self, withdrawal: Withdrawal, customer: Customer, *, bank_reference: str | None = None) -> PayoutResult:
        ...


class BankPayout:
    """Finance has made the transfer in the bank's own system; we keep its reference."""
    def pay(self, withdrawal: Withdrawal, customer: Customer, *, bank_reference: str | None = None) -> PayoutResult:
        reference = (bank_reference or "").strip()
        if not reference or len(reference) > 64:
            raise PayoutFailed("请填写银行转账流水号（1 到 64 个字符）", field="bank_reference")
        return PayoutResult(reference, {"bank_reference": reference})


class WechatPayout:
    """企业付款到零钱 through ``scrm.wechatpay.client.get_pay_client().transfer.transfer``."""
    def pay(self, withdrawal: Withdrawal, customer: Customer, *, bank_reference: str | None = None) -> PayoutResult:


        trade_no = f"wd{withdrawal.id}"
        try:
            answer = get_pay_client().transfer.transfer(
                user_id=customer.mp_openid, amount=withdrawal.amount_fen, desc="推荐佣金提现",
                check_name="NO_CHECK", out_trade_no=trade_no,
                # given, so wechatpy does not look up api.mch.weixin.qq.com to find our address
                client_ip=get_settings().referral_payout_client_ip)
        except WeChatPayException as exc:
            raise PayoutFailed(f"微信付款失败：{exc.errmsg or exc.return_msg or exc}",
                               answer={"errcode": exc.errcode, "errmsg": exc.errmsg}) from None
        except requests.RequestException as exc:  # the answer may be lost: paying again asks about the same trade
            raise PayoutFailed(f"微信支付无应答：{type(exc).__name__}") from None
        reference = answer.get("payment_no") or trade_no
        return PayoutResult(reference, {"partner_trade_no": trade_no, "payment_no": answer.get("payment_no"),
                                        "payment_time": answer.get("payment_time")})


def provider_for(method: WithdrawalMethod) -> PayoutProvider:
    return WechatPayout() if method == WithdrawalMethod.wechat else BankPayout()
