"""A sandbox of WeChat Pay v2 (papay, orders, bills, 企业付款到零钱) and of a bank-card agreement-payment
API (协议支付) on loopback, for tests, the demo and ``scrm sandbox wechatpay``."""

from scrm.sandbox.wechatpay.server import Notification, PayError, SandboxWechatPay

__all__ = ["Notification", "PayError", "SandboxWechatPay"]
