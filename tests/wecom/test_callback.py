"""The callback URL against WeCom's official test vectors and against forged or broken input."""

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wechatpy.work.crypto import WeChatCrypto

from loan_scrm.app import create_app
from scrm.core.config import SANDBOX_WECOM
from scrm.ingress import service
from scrm.ingress.models import InboxEvent, InboxStatus
from scrm.wecom import callback

OFFICIAL = dict(token="QDG6eK", aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", corp_id="wx5823bf96d3bd56c7")
OFFICIAL_ECHO = dict(
    msg_signature="5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", timestamp="1409659589", nonce="263014780",
    echostr="P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
)
OFFICIAL_POST_QUERY = dict(msg_signature="477715d11cdb4164915debcba66cb864d751f3e6", timestamp="1409659813",
                           nonce="1372623149")
OFFICIAL_POST_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo"
    "+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLY"
    "L42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s"
    "4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH"
    "27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]>"
    "</Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)


def app_with_keys(settings_env, keys: dict, replay_window_s: int):
    settings_env(SCRM_WECOM_TOKEN=keys["token"], SCRM_WECOM_AES_KEY=keys["aes_key"],
                 SCRM_WECOM_CORP_ID=keys["corp_id"], SCRM_WECOM_REPLAY_WINDOW_S=replay_window_s)
    service.callback_keys.cache_clear()
    return TestClient(create_app())


@pytest.fixture
def official(settings_env, db):
    yield app_with_keys(settings_env, OFFICIAL, 0)
    service.callback_keys.cache_clear()


@pytest.fixture
def sandbox_keys(settings_env, db):
    yield app_with_keys(settings_env, SANDBOX_WECOM, 300)
    service.callback_keys.cache_clear()


def inbox_count(db) -> int:
    return db.scalar(select(func.count()).select_from(InboxEvent))


def sign_and_encrypt(xml: str, timestamp: str | None = None, corp_id: str | None = None) -> tuple[dict, str]:
    crypto = WeChatCrypto(SANDBOX_WECOM["token"], SANDBOX_WECOM["aes_key"], corp_id or SANDBOX_WECOM["corp_id"])
    ts = timestamp or str(int(time.time()))
    envelope = crypto.encrypt_message(xml, "12345", ts)
    fields = callback.parse_xml(envelope)
    return {"msg_signature": fields["MsgSignature"], "timestamp": ts, "nonce": "12345"}, \
        f"<xml><ToUserName><![CDATA[{SANDBOX_WECOM['corp_id']}]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"


def text_message(msg_id: str = "7001") -> str:
    return (f"<xml><ToUserName><![CDATA[{SANDBOX_WECOM['corp_id']}]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
            f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[今日任务]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def test_official_url_verification_vector(official):
    answer = official.get("/wecom/callback", params=OFFICIAL_ECHO)
    assert answer.status_code == 200
    assert answer.text == "1616140317555161061"


def test_official_message_vector_is_decrypted_and_stored(official, db):
    answer = official.post("/wecom/callback", params=OFFICIAL_POST_QUERY, content=OFFICIAL_POST_BODY)
    assert answer.status_code == 200
    row = db.scalars(select(InboxEvent)).one()
    assert row.dedupe_key == "msg:4561255354251345929"
    assert row.kind == "msg:text"
    assert "4561255354251345929" not in row.payload  # encrypted at rest


def test_official_vector_fails_with_replay_window_on(official, settings_env, db):
    settings_env(SCRM_WECOM_REPLAY_WINDOW_S=300)
    service.callback_keys.cache_clear()
    answer = official.post("/wecom/callback", params=OFFICIAL_POST_QUERY, content=OFFICIAL_POST_BODY)
    assert answer.status_code == 403
    assert inbox_count(db) == 0


def test_bad_signature_is_refused_and_nothing_stored(official, db):
    forged = dict(OFFICIAL_POST_QUERY, msg_signature="0" * 40)
    answer = official.post("/wecom/callback", params=forged, content=OFFICIAL_POST_BODY)
    assert answer.status_code == 403
    assert official.get("/wecom/callback", params=dict(OFFICIAL_ECHO, msg_signature="1" * 40)).status_code == 403
    assert inbox_count(db) == 0


def test_wrong_corp_id_is_refused(sandbox_keys, db):
    query, body = sign_and_encrypt(text_message(), corp_id="wwsomebodyelse")
    answer = sandbox_keys.post("/wecom/callback", params=query, content=body)
    assert answer.status_code == 403
    assert "receiver" in answer.text
    assert inbox_count(db) == 0


@pytest.mark.parametrize("body", [
    b"not xml at all",
    b"<xml><Encrypt>",
    b"<xml><NoEncrypt>x</NoEncrypt></xml>",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><Encrypt>&lol2;</Encrypt></xml>',
])
def test_malformed_xml_gets_4xx_and_nothing_stored(sandbox_keys, db, body):
    answer = sandbox_keys.post("/wecom/callback", params={"msg_signature": "a" * 40, "timestamp": str(int(time.time())),
                                                          "nonce": "1"}, content=body)
    assert 400 <= answer.status_code < 500
    assert inbox_count(db) == 0


def test_garbage_ciphertext_with_valid_signature_is_refused(sandbox_keys, db):
    ts, nonce, enc = str(int(time.time())), "9", "bm90IGEgY2lwaGVydGV4dA=="
    sig = callback.signature(SANDBOX_WECOM["token"], ts, nonce, enc)
    answer = sandbox_keys.post("/wecom/callback", params={"msg_signature": sig, "timestamp": ts, "nonce": nonce},
                               content=f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>")
    assert answer.status_code == 400
    assert inbox_count(db) == 0


def test_stale_timestamp_is_refused_inside_replay_window(sandbox_keys, db):
    query, body = sign_and_encrypt(text_message(), timestamp=str(int(time.time()) - 3600))
    assert sandbox_keys.post("/wecom/callback", params=query, content=body).status_code == 403
    assert inbox_count(db) == 0


def test_oversized_body_is_refused(sandbox_keys, db):
    answer = sandbox_keys.post("/wecom/callback", params={"msg_signature": "a", "timestamp": "1", "nonce": "1"},
                               content=b"<xml>" + b"x" * 70_000 + b"</xml>")
    assert answer.status_code == 413
    assert inbox_count(db) == 0


def test_oversized_body_without_a_length_is_refused(sandbox_keys, db):
    def chunks():
        yield b"<xml>"
        for _ in range(20):
            yield b"x" * 4096
        yield b"</xml>"

    answer = sandbox_keys.post("/wecom/callback", params={"msg_signature": "a", "timestamp": "1", "nonce": "1"},
                               content=chunks())
    assert answer.status_code == 413
    assert inbox_count(db) == 0


def test_callback_answers_plain_text_and_stays_documented(sandbox_keys, db):
    query, body = sign_and_encrypt(text_message("8101"))
    answer = sandbox_keys.post("/wecom/callback", params=query, content=body)
    assert (answer.status_code, answer.text) == (200, "")
    assert answer.headers["content-type"].startswith("text/plain")
    refused = sandbox_keys.post("/wecom/callback", params=dict(query, msg_signature="0" * 40), content=body)
    assert (refused.status_code, refused.text) == (403, "bad signature")
    documented = sandbox_keys.get("/openapi.json").json()["paths"]["/wecom/callback"]
    assert set(documented) == {"get", "post"}
    assert inbox_count(db) == 1


def test_same_callback_three_times_is_stored_once(sandbox_keys, db):
    query, body = sign_and_encrypt(text_message("8001"))
    for _ in range(3):
        assert sandbox_keys.post("/wecom/callback", params=query, content=body).status_code == 200
    rows = db.scalars(select(InboxEvent)).all()
    assert len(rows) == 1
    # a text to the app is a bot command; from someone who is not staff it is processed and left unanswered
    assert rows[0].status == InboxStatus.done


def event_xml(**fields) -> str:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


@pytest.mark.pure
def test_two_adds_to_one_salesperson_in_the_same_second_are_two_events():
    base = dict(ToUserName="corp", FromUserName="sys", CreateTime="1700000000", MsgType="event",
                Event="change_external_contact", ChangeType="add_external_contact", UserID="zhangsan")
    first = callback.parse_xml(event_xml(**base, ExternalUserID="wmAAA"))
    second = callback.parse_xml(event_xml(**base, ExternalUserID="wmBBB"))
    assert callback.dedupe_key(first) != callback.dedupe_key(second)
    assert callback.dedupe_key(first) == callback.dedupe_key(callback.parse_xml(event_xml(**base, ExternalUserID="wmAAA")))
    assert callback.kind_of(first) == "event:change_external_contact:add_external_contact"
