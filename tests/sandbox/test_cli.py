"""``scrm sandbox wecom`` starts a seeded sandbox, prints the settings for the service and stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx

from scrm.core.config import SANDBOX_WECOM


def test_sandbox_wecom_command_serves_the_demo_company_until_stopped():
    proc = subprocess.Popen([sys.executable, "-c", "from scrm.sandbox.cli import app; app()", "wecom", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        settings = {}
        for line in proc.stdout:
            if line.startswith("SCRM_WECOM_"):
                key, _, value = line.strip().partition("=")
                settings[key] = value
            if "SCRM_WECOM_AES_KEY" in settings:
                break
        base = settings["SCRM_WECOM_API_BASE"]
        assert settings["SCRM_WECOM_CORP_ID"] == SANDBOX_WECOM["corp_id"]
        answer = httpx.get(base + "gettoken", params={"corpid": settings["SCRM_WECOM_CORP_ID"],
                                                      "corpsecret": settings["SCRM_WECOM_SECRET"]})
        token = answer.json()["access_token"]
        customers = httpx.get(base + "externalcontact/list", params={"access_token": token, "userid": "zhangsan"})
        assert len(customers.json()["external_userid"]) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "sandbox WeCom stopped" in out


def test_sandbox_wxa_command_prints_its_settings_and_answers_until_stopped():
    from scrm.core.config import SANDBOX_WXA

    proc = subprocess.Popen([sys.executable, "-c", "from scrm.sandbox.cli import app; app()", "wxa", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        settings = {}
        for line in proc.stdout:
            if line.startswith("SCRM_WXA_"):
                key, _, value = line.strip().partition("=")
                settings[key] = value
            if "SCRM_WXA_SECRET" in settings:
                break
        assert settings["SCRM_WXA_APPID"] == SANDBOX_WXA["appid"]
        answer = httpx.get(settings["SCRM_WXA_API_BASE"] + "cgi-bin/token", params={
            "grant_type": "client_credential", "appid": settings["SCRM_WXA_APPID"],
            "secret": settings["SCRM_WXA_SECRET"]})
        assert answer.json()["expires_in"] == 7200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "sandbox mini-program API stopped" in out


def test_sandbox_wechatpay_command_serves_until_stopped():
    from wechatpy.pay import WeChatPay

    proc = subprocess.Popen([sys.executable, "-c", "from scrm.sandbox.cli import app; app()", "wechatpay", "--port", "0",
                             "--beijing-time", "2026-12-01T10:00"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        settings = {}
        for line in proc.stdout:
            if line.startswith("SCRM_"):
                key, _, value = line.strip().partition("=")
                settings[key] = value
            if "SCRM_BANKPAY_KEY" in settings:
                break
        pay = WeChatPay(settings["SCRM_WECHATPAY_APPID"], settings["SCRM_WECHATPAY_API_KEY"],
                        settings["SCRM_WECHATPAY_MCH_ID"])
        pay.API_BASE_URL = settings["SCRM_WECHATPAY_API_BASE"]
        paid = pay.transfer.transfer("oUser", 100, "佣金", out_trade_no="CLI1", client_ip="127.0.0.1")
        assert paid["partner_trade_no"] == "CLI1"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "sandbox WeChat Pay stopped" in out
