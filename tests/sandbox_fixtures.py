"""Fixtures that start the sandbox WeCom (and later WeChat Pay) on loopback."""

from __future__ import annotations

from typing import Iterator

import pytest

from scrm.core.config import SANDBOX_WECOM


@pytest.fixture
def sandbox_wecom(settings_env) -> Iterator:
    """A ``SandboxWecom`` on a free port, the service's WeCom settings pointed at it.

    No callback URL is set: assign ``sandbox_wecom.callback_url`` to receive its callbacks.
    Retries back off from 10 ms so failing calls stay fast.
    """
    from scrm.sandbox.wecom import SandboxWecom
    from scrm.wecom import client as wecom_client_module

    sandbox = SandboxWecom(**SANDBOX_WECOM)
    base = sandbox.start()
    settings_env(
        SCRM_WECOM_API_BASE=base,
        SCRM_WECOM_CORP_ID=SANDBOX_WECOM["corp_id"],
        SCRM_WECOM_SECRET=SANDBOX_WECOM["secret"],
        SCRM_WECOM_TOKEN=SANDBOX_WECOM["token"],
        SCRM_WECOM_AES_KEY=SANDBOX_WECOM["aes_key"],
        SCRM_WECOM_AGENT_ID=SANDBOX_WECOM["agent_id"],
        SCRM_WECOM_RETRY_BASE_S="0.01",
    )
    wecom_client_module.reset()
    try:
        yield sandbox
    finally:
        sandbox.stop()
        wecom_client_module.reset()


@pytest.fixture
def wecom_client(request, sandbox_wecom):
    """``get_client()`` against ``sandbox_wecom``. Its call log goes to the ``committed_db`` when the test
    uses that fixture, else into the rolled-back ``db`` transaction."""
    from scrm.wecom.client import get_client

    if "committed_db" not in request.fixturenames:
        request.getfixturevalue("db")
    return get_client()


@pytest.fixture
def sandbox_wxa(settings_env) -> Iterator:
    """A ``SandboxWxa`` (the mini-program server API) on a free port, the service's settings pointed at it."""
    from scrm.core.config import SANDBOX_WXA
    from scrm.sandbox.wxa import SandboxWxa
    from scrm.wecom import client as wecom_client_module

    sandbox = SandboxWxa(**SANDBOX_WXA)
    base = sandbox.start()
    settings_env(SCRM_WXA_API_BASE=base, SCRM_WXA_APPID=SANDBOX_WXA["appid"], SCRM_WXA_SECRET=SANDBOX_WXA["secret"],
                 SCRM_WECOM_RETRY_BASE_S="0.01")
    wecom_client_module.reset()
    try:
        yield sandbox
    finally:
        sandbox.stop()
        wecom_client_module.reset()


@pytest.fixture
def sandbox_wechatpay(settings_env) -> Iterator:
    """A ``SandboxWechatPay`` (WeChat Pay v2 and the bank agreement API) on a free port, the service's
    settings pointed at it. Both clocks read 10:00 Beijing time (inside papay's window); notifications
    go to ``SCRM_WECHATPAY_NOTIFY_BASE`` (a live service's URL, when the test sets one)."""
    from datetime import datetime

    from scrm.core.clock import BEIJING
    from scrm.core.config import SANDBOX_BANKPAY, SANDBOX_WECHATPAY
    from scrm.sandbox.wechatpay import SandboxWechatPay

    sandbox = SandboxWechatPay(**SANDBOX_WECHATPAY, notify_retry_intervals_s=(0.05, 0.1))
    base = sandbox.start()
    today = datetime.now(BEIJING)
    sandbox.set_clock(today.replace(hour=10, minute=0, second=0, microsecond=0))
    settings_env(
        SCRM_WECHATPAY_API_BASE=base,
        SCRM_WECHATPAY_APPID=SANDBOX_WECHATPAY["appid"],
        SCRM_WECHATPAY_MCH_ID=SANDBOX_WECHATPAY["mch_id"],
        SCRM_WECHATPAY_API_KEY=SANDBOX_WECHATPAY["api_key"],
        SCRM_WECHATPAY_PAPAY_PLAN_ID=SANDBOX_WECHATPAY["plan_id"],
        SCRM_WECHATPAY_CLOCK_OFFSET_S=int(sandbox.clock_offset_s),
        SCRM_WECHATPAY_TIMEOUT_S="2",
        SCRM_BANKPAY_API_BASE=sandbox.bank_base_url,
        SCRM_BANKPAY_MERCHANT_ID=SANDBOX_BANKPAY["merchant_id"],
        SCRM_BANKPAY_KEY=SANDBOX_BANKPAY["key"],
    )
    try:
        yield sandbox
    finally:
        sandbox.stop()
