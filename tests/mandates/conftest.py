"""The service served on loopback for the sandbox WeChat Pay's notifications, clients on it, and the
customers who sign authorisations."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from loan_scrm.app import create_app
from tests.factories.mandates import People
from tests.wecom.conftest import LiveService


@pytest.fixture
def pay_live(sandbox_wechatpay, settings_env):
    """The service on a loopback port receiving the sandbox's notifications."""
    live = LiveService()
    settings_env(SCRM_WECHATPAY_NOTIFY_BASE=live.url)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def pay_client(db, sandbox_wechatpay, pay_live, settings_env):
    """A TestClient on the rolled-back ``db``; the sandbox delivers notifications before answering, so the
    live service and the test never use the shared connection at once. The service waits for that answer
    however long the notification takes on a busy machine (a call given up while the notification is still
    being handled would put both on the connection)."""
    sandbox_wechatpay.notify_inline = True
    settings_env(SCRM_WECHATPAY_TIMEOUT_S="60")
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def people(db):
    return People(db)


@pytest.fixture
def committed_client(committed_db, sandbox_wechatpay, pay_live):
    """A TestClient on committed data; the sandbox notifies the live service concurrently, as WeChat would."""
    with TestClient(create_app()) as client:
        yield client
