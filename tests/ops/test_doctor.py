"""``scrm doctor`` and the admin's 系统自检 page against the sandbox WeCom, mini-program API and WeChat Pay, and
the service served on loopback: every check OK with good settings, and each wrong setting explained."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker
from typer.testing import CliRunner

from loan_scrm import doctor
from loan_scrm.app import create_app
from loan_scrm.cli import app as cli_app
from scrm.auth import COOKIE_NAME, issue_staff_token
from scrm.core.config import get_settings
from scrm.ingress import service as ingress_service
from scrm.org.models import Role
from tests.factories.org import make_employee
from tests.wecom.conftest import LiveService


def write_certificate(folder: Path, *, days_left: int) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "1900000109")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=400))
            .not_valid_after(now + timedelta(days=days_left)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "apiclient_cert.pem", folder / "apiclient_key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def by_name(results: list[doctor.Result]) -> dict[str, doctor.Result]:
    return {r.name: r for r in results}


@pytest.fixture
def live():
    ingress_service.callback_keys.cache_clear()
    service = LiveService()
    try:
        yield service
    finally:
        service.stop()
        ingress_service.callback_keys.cache_clear()


@pytest.fixture
def worker_alive(redis_url):
    connection = redis.Redis.from_url(redis_url)
    worker = SimpleWorker([Queue("default", connection=connection)], connection=connection)
    worker.register_birth()
    try:
        yield worker
    finally:
        worker.register_death()
        connection.close()


@pytest.fixture
def configured(engine, settings_env, sandbox_wecom, sandbox_wxa, sandbox_wechatpay, live, worker_alive, tmp_path):
    """Every setting right: the sandboxes, the served app's callback URL, Redis with a worker, a certificate."""
    sandbox_wecom.seed_user("zhangsan", "张三", customer_contact=True)
    cert_path, key_path = write_certificate(tmp_path, days_left=300)
    settings_env(SCRM_WECOM_CALLBACK_URL=f"{live.url}/wecom/callback", SCRM_DATA_DIR=str(tmp_path / "data"),
                 SCRM_WECHATPAY_CERT_PATH=str(cert_path), SCRM_WECHATPAY_CERT_KEY_PATH=str(key_path))
    return get_settings()


def test_every_check_is_ok_with_good_settings(configured):
    results = doctor.run()

    assert [r for r in results if r.status != doctor.OK] == []
    assert {"database", "redis", "workers", "wecom.token", "wecom.customer_contact", "wecom.jsapi", "wecom.callback",
            "miniprogram",
            "wechatpay", "wechatpay.certificate", "pii_key", "disk"} <= set(by_name(results))


def test_a_wrong_secret_is_explained_as_40001(configured):
    result = by_name(doctor.check_wecom(configured.model_copy(update={"wecom_secret": "not-the-secret"})))["wecom.token"]

    assert result.status == doctor.FAIL and "40001" in result.message and "Secret" in result.message
    assert "SCRM_WECOM_SECRET" in result.fix and "应用管理" in result.fix


def test_a_corp_id_wecom_does_not_know_is_explained_as_40013(configured):
    result = doctor.check_wecom(configured.model_copy(update={"wecom_corp_id": "ww0000unknown"}))[0]

    assert result.status == doctor.FAIL and "40013" in result.message and "企业ID" in result.message
    assert "SCRM_WECOM_CORP_ID" in result.fix


def test_a_server_outside_the_trusted_ips_is_told_where_to_add_it(configured, sandbox_wecom):
    sandbox_wecom.trusted_ips = {"203.0.113.7"}

    results = by_name(doctor.check_wecom(configured))

    assert results["wecom.token"].ok  # WeCom hands out the token; the calls after it are refused
    refused = results["wecom.customer_contact"]
    assert refused.status == doctor.FAIL and "60020" in refused.message and "企业可信IP" in refused.fix


def test_an_app_without_the_customer_contact_permission_is_told_so(configured, sandbox_wecom):
    sandbox_wecom.customer_contact_api = False

    refused = by_name(doctor.check_wecom(configured))["wecom.customer_contact"]

    assert refused.status == doctor.FAIL and "48002" in refused.message and "客户联系" in refused.message
    assert "可调用接口的应用" in refused.fix


def test_the_sidebar_check_fetches_both_js_sdk_tickets(configured, sandbox_wecom):
    result = doctor.check_jsapi(configured)[0]

    assert result.ok and "jsapi_ticket" in result.message and "可信域名" in result.message
    assert sandbox_wecom.call_count("get_jsapi_ticket") == 1 and sandbox_wecom.call_count("ticket/get") == 1
    no_agent = doctor.check_jsapi(configured.model_copy(update={"wecom_agent_id": 0}))[0]
    assert no_agent.status == doctor.FAIL and "SCRM_WECOM_AGENT_ID" in no_agent.message + no_agent.fix
    sandbox_wecom.inject("ticket/get", errcode=48002)
    refused = doctor.check_jsapi(configured)[0]
    assert refused.status == doctor.FAIL and "48002" in refused.message and "agent_config" in refused.message


def test_the_callback_check_fails_clearly_with_a_token_the_served_app_does_not_have(configured):
    assert doctor.check_callback(configured)[0].ok

    result = doctor.check_callback(configured.model_copy(update={"wecom_token": "NotTheToken"}))[0]

    assert result.status == doctor.FAIL and "bad signature" in result.message and "Token" in result.fix


def test_without_a_callback_url_it_says_what_to_set(configured):
    result = doctor.check_callback(configured.model_copy(update={"wecom_callback_url": ""}))[0]

    assert result.status == doctor.FAIL and "SCRM_WECOM_CALLBACK_URL" in result.message + result.fix


def test_a_wrong_merchant_key_and_an_expired_certificate_fail(configured, tmp_path):
    wrong_key = doctor.check_wechatpay(configured.model_copy(update={"wechatpay_api_key": "x" * 32}))[0]
    assert wrong_key.status == doctor.FAIL and "签名" in wrong_key.message and "APIv2" in wrong_key.fix
    short = doctor.check_wechatpay(configured.model_copy(update={"wechatpay_api_key": "short"}))[0]
    assert short.status == doctor.FAIL and "32" in short.message

    old_folder = tmp_path / "old"
    old_folder.mkdir()
    cert_path, _ = write_certificate(old_folder, days_left=-1)
    expired = by_name(doctor.check_wechatpay(configured.model_copy(
        update={"wechatpay_cert_path": str(cert_path)})))["wechatpay.certificate"]
    assert expired.status == doctor.FAIL and "过期" in expired.message


def test_a_service_that_does_not_answer_is_reported_within_the_timeout(configured, sandbox_wecom):
    sandbox_wecom.inject("gettoken", delay_s=3, times=10)

    result = by_name(doctor.run(timeout_s=1))["wecom.token"]

    assert result.status == doctor.FAIL and "1s" in result.message


def test_the_cli_prints_each_check_and_exits_1_when_one_fails(engine, settings_env, tmp_path):
    settings_env(SCRM_WECOM_CORP_ID="", SCRM_WECOM_SECRET="", SCRM_DATA_DIR=str(tmp_path))

    outcome = CliRunner().invoke(cli_app, ["doctor"])

    assert outcome.exit_code == 1, outcome.output
    assert "OK   数据库 [database]" in outcome.output
    assert "FAIL 企业微信 access_token [wecom.token]" in outcome.output and "SCRM_WECOM_CORP_ID" in outcome.output


@pytest.fixture
def web(db):
    with TestClient(create_app()) as client:
        yield client


def test_the_console_page_is_for_administrators_only(db, web, settings_env, tmp_path):
    settings_env(SCRM_DATA_DIR=str(tmp_path))
    admin, sales = make_employee(db, role=Role.admin), make_employee(db, role=Role.sales)

    web.cookies.set(COOKIE_NAME, issue_staff_token(admin.id))
    page = web.get("/console/admin/doctor")
    assert page.status_code == 200
    assert "系统自检" in page.text and 'data-check="database"' in page.text and 'data-check="wecom.token"' in page.text

    web.cookies.set(COOKIE_NAME, issue_staff_token(sales.id))
    assert web.get("/console/admin/doctor").status_code == 403
    web.cookies.clear()
    anonymous = web.get("/console/admin/doctor", follow_redirects=False)
    assert anonymous.status_code == 303 and "/console/login" in anonymous.headers["location"]
