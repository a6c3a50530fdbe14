"""While PostgreSQL cannot be reached, callers get 503 with Retry-After and a clear error, not a 500."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from scrm.core import db as scrm_db
from loan_scrm.app import create_app
from scrm.auth import COOKIE_NAME, issue_customer_token, issue_staff_token


@pytest.fixture
def database_away(engine):
    """The app's engine points at a loopback port where no server listens (as when PostgreSQL is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/scrm", pool_pre_ping=True,
                         connect_args={"connect_timeout": 2})
    scrm_db.set_engine(away)
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            yield client
    finally:
        scrm_db.set_engine(None)
        away.dispose()


@pytest.mark.parametrize("path, headers", [
    ("/api/customers", {"Authorization": f"Bearer {issue_staff_token(1)}"}),
    ("/mp/me", {"Authorization": f"Bearer {issue_customer_token(1)}"}),
])
def test_api_answers_503_with_retry_after(database_away, path, headers):
    answer = database_away.get(path, headers=headers)
    assert answer.status_code == 503
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert body["error"] == "unavailable" and "database unreachable" in body["message"]


def test_console_shows_a_503_page(database_away):
    database_away.cookies.set(COOKIE_NAME, issue_staff_token(1))
    page = database_away.get("/console/customers", follow_redirects=False)
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert int(page.headers["retry-after"]) > 0
    assert "503 · 暂时无法访问" in page.text and "数据库暂时无法连接" in page.text


def test_a_query_error_is_not_an_outage(db):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError) as caught, db.begin_nested():
        db.execute(text("SET LOCAL statement_timeout = 1"))
        db.execute(text("SELECT pg_sleep(0.2)"))
    assert caught.value.orig.sqlstate == "57014" and not scrm_db.unavailable(caught.value)


def test_a_wecom_callback_answers_503_so_wecom_retries(database_away, settings_env):
    from scrm.core.config import SANDBOX_WECOM
    from scrm.ingress import service
    from tests.wecom.test_callback import sign_and_encrypt, text_message

    settings_env(SCRM_WECOM_TOKEN=SANDBOX_WECOM["token"], SCRM_WECOM_AES_KEY=SANDBOX_WECOM["aes_key"],
                 SCRM_WECOM_CORP_ID=SANDBOX_WECOM["corp_id"])
    service.callback_keys.cache_clear()
    try:
        query, body = sign_and_encrypt(text_message())
        answer = database_away.post("/wecom/callback", params=query, content=body)
    finally:
        service.callback_keys.cache_clear()
    assert answer.status_code == 503 and int(answer.headers["retry-after"]) > 0
    assert answer.text == "database unavailable"
