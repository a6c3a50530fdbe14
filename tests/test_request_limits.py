"""Every request body is bounded before anything parses it, and no error answer echoes a large input
(issue 15, item 6: a 20 MB JSON sign-in blocked the server and came back whole in the 422)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backoffice.direct_debit.models import DebitNotification, PaymentAlert
from loan_scrm.app import create_app
from tests.conftest import run_on_own_loop


@pytest.fixture
def client(db):
    return TestClient(create_app())


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_20_mb_sign_in_is_refused_by_its_length_without_being_echoed(client):
    password = "p" * (20 * 1024 * 1024)
    answer = client.post("/api/auth/login", json={"username": "lina", "password": password})
    assert answer.status_code == 413
    body = answer.json()
    assert body["error"] == "too_large" and body["limit_bytes"] == 1024 * 1024
    assert "1048576" in body["message"] and "SCRM_MAX_BODY" in body["message"]
    assert len(answer.content) < 1000


def chunks(sent: list):
    yield b'{"username": "lina", "password": "'
    for _ in range(64):  # 2 MiB in 32 KiB pieces
        sent.append(1)
        yield b"p" * 32 * 1024
    yield b'"}'


def test_a_chunked_body_without_a_length_is_refused(client):
    answer = client.post("/api/auth/login", content=chunks([]), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"
    assert len(answer.content) < 1000


def test_a_streamed_body_is_read_no_further_than_the_limit(db):
    """The ASGI conversation a server has with the app for a chunked upload: the app asks for the body
    piece by piece and stops asking once more than the limit came in."""
    sent, answered = [], []
    pieces = chunks(sent)

    async def receive():
        piece = next(pieces, None)
        return {"type": "http.request", "body": piece or b"", "more_body": piece is not None}

    async def send(message):
        answered.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/auth/login", "raw_path": b"/api/auth/login", "root_path": "", "query_string": b"",
             "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    run_on_own_loop(create_app()(scope, receive, send))
    assert answered[0]["status"] == 413
    assert len(sent) <= 33  # 1 MiB is 32 pieces: the 33rd went over, the other 31 were never asked for


def test_the_limit_is_a_setting(client, settings_env):
    settings_env(SCRM_MAX_BODY=100)
    answer = client.post("/api/auth/login", json={"username": "lina", "password": "x" * 200})
    assert answer.status_code == 413 and answer.json()["limit_bytes"] == 100


def test_a_body_under_the_limit_goes_through(client):
    answer = client.post("/api/auth/login", json={"username": "nobody", "password": "x" * 200})
    assert answer.status_code == 401


def test_a_validation_error_does_not_echo_a_long_string(client):
    long_name = "我" * 50_000
    answer = client.post("/api/auth/login", json={"username": long_name, "password": "x"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid" and body["field"] == "username"
    assert "我" * 200 not in answer.text
    assert len(answer.content) < 2000
    assert body["detail"][0]["loc"] == ["body", "username"]  # the machine-readable part stays


def test_a_validation_error_does_not_echo_a_big_container(client):
    answer = client.post("/api/auth/login", json={"username": {"k%d" % i: "v" * 50 for i in range(5000)},
                                                  "password": "x"})
    assert answer.status_code == 422
    assert "k4999" not in answer.text and len(answer.content) < 2000


def test_a_validation_error_does_not_echo_a_long_unknown_key(client):
    answer = client.post("/api/auth/login", json={"username": "lina", "password": "x", "k" * 100_000: 1})
    assert answer.status_code == 422
    assert "k" * 200 not in answer.text and len(answer.content) < 2000


def test_a_2_mb_xml_to_the_papay_notify_url_is_refused_and_nothing_stored(client, db):
    xml = b"<xml><return_code>SUCCESS</return_code><attach>" + b"a" * (2 * 1024 * 1024) + b"</attach></xml>"
    answer = client.post("/pay/notify/papay", content=xml, headers={"content-type": "text/xml"})
    assert answer.status_code == 413
    assert answer.json()["limit_bytes"] == 64 * 1024
    assert count(db, DebitNotification) == 0 and count(db, PaymentAlert) == 0


def test_the_wecom_callback_keeps_its_own_limit(client):
    answer = client.post("/wecom/callback", params={"msg_signature": "a", "timestamp": "1", "nonce": "1"},
                         content=b"<xml>" + b"x" * 70_000 + b"</xml>")
    assert answer.status_code == 413


def test_a_body_that_is_no_json_object_is_refused_naming_the_body(client):
    """Found by API fuzzing: bytes that are not UTF-8 came back as FastAPI's bare {"detail": …} 400, and a JSON
    array, a truncated document or a bad multipart form named no field."""
    login = "/api/auth/login"
    for content, headers, status, message in (
            (b"\xa5", {"content-type": "application/json"}, 400, "body: not UTF-8 text"),
            (b'{"username": "a", "password": ', {"content-type": "application/json"}, 422, "body: not valid JSON"),
            (b"[null, null]", {"content-type": "application/json"}, 422, "body: Input should be a valid dictionary"),
            (b"-2.00001", {"content-type": "multipart/form-data"}, 400, "body: not a readable multipart form")):
        path = "/mp/attachments" if headers["content-type"].startswith("multipart") else login
        answer = client.post(path, content=content, headers=headers)
        assert answer.status_code == status, (content, answer.text)
        assert answer.json()["field"] == "body", (content, answer.text)
        assert answer.json()["message"].startswith(message), (content, answer.text)
    assert client.get("/api/no-such-thing").json() == {"detail": "Not Found"}  # other HTTP errors as they were
