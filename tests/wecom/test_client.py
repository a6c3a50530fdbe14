"""The WeCom client against the sandbox: token renewal, retries, limits, idempotency and the call log."""

from __future__ import annotations

import pytest
import redis as redis_lib
from sqlalchemy import select
from wechatpy.session.redisstorage import RedisStorage

from scrm.core.config import SANDBOX_WECOM, get_settings
from scrm.core.db import session_scope
from scrm.wecom.client import REDIS_PREFIX, WecomClient, WecomError, get_client
from scrm.wecom.models import WecomCall
from tests.conftest import race


@pytest.fixture
def corp(sandbox_wecom):
    sandbox_wecom.seed_user("zhangsan", "张三", mobile="13800000001")
    sandbox_wecom.seed_user("lisi", "李四")
    return sandbox_wecom


def calls(session, endpoint: str) -> list[WecomCall]:
    session.expire_all()
    return list(session.scalars(select(WecomCall).where(WecomCall.endpoint == endpoint).order_by(WecomCall.id)))


def test_expired_token_is_renewed_once_and_the_call_succeeds(corp, wecom_client, db):
    assert wecom_client.user.get("zhangsan")["name"] == "张三"
    assert corp.call_count("gettoken") == 1
    corp.expire_tokens()
    assert wecom_client.user.get("lisi")["name"] == "李四"
    assert corp.call_count("gettoken") == 2
    assert [e["errcode"] for e in corp.request_log("user/get")] == [0, 42001, 0]
    last = calls(db, "user/get")[-1]
    assert (last.errcode, last.attempts) == (0, 2)


def test_unknown_token_is_renewed_too(corp, wecom_client):
    wecom_client.user.get("zhangsan")
    corp.revoke_tokens()
    assert wecom_client.user.get("zhangsan")["userid"] == "zhangsan"
    assert [e["errcode"] for e in corp.request_log("user/get")] == [0, 40014, 0]


def test_45009_is_retried_with_backoff_and_the_attempts_recorded(corp, wecom_client, db):
    corp.inject("user/get", errcode=45009, times=2)
    assert wecom_client.user.get("zhangsan")["name"] == "张三"
    assert [e["errcode"] for e in corp.request_log("user/get")] == [45009, 45009, 0]
    (row,) = calls(db, "user/get")
    assert (row.errcode, row.attempts) == (0, 3)


def test_http_5xx_until_attempts_run_out_raises_a_clear_error(corp, wecom_client, db, settings_env):
    settings_env(SCRM_WECOM_RETRY_ATTEMPTS=3)
    corp.inject("department/list", http_status=503, times=10)
    with pytest.raises(WecomError) as caught:
        wecom_client.department.list()
    assert caught.value.attempts == 3 and "HTTP 503" in caught.value.message and "gave up" in caught.value.message
    assert corp.call_count("department/list") == 3
    (row,) = calls(db, "department/list")
    assert (row.errcode, row.attempts) == (None, 3) and "503" in row.errmsg


def test_a_timeout_is_retried(corp, wecom_client, db):
    wecom_client.timeout = (2, 0.5)
    corp.inject("user/get", delay_s=2.0)
    assert wecom_client.user.get("zhangsan")["name"] == "张三"
    (row,) = calls(db, "user/get")
    assert row.errcode == 0 and row.attempts >= 2


def test_a_wecom_error_is_raised_at_once_and_recorded_without_the_token(corp, wecom_client, db):
    with pytest.raises(WecomError) as caught:
        wecom_client.external_contact.get("wmNoSuchCustomer")
    assert (caught.value.errcode, caught.value.attempts) == (40096, 1)
    assert caught.value.status_code == 502 and caught.value.to_dict()["wecom_errcode"] == 40096
    (row,) = calls(db, "externalcontact/get")
    assert row.errcode == 40096 and row.errmsg.startswith("invalid external userid")
    assert row.request == {"method": "GET", "query": {"external_userid": "wmNoSuchCustomer"}, "body": None}
    token_row = calls(db, "gettoken")[0]
    assert token_row.request["query"] == {"corpid": SANDBOX_WECOM["corp_id"]}  # no secret
    assert token_row.response["access_token"] == "***"


def test_phone_numbers_stay_out_of_the_call_log(corp, wecom_client, db):
    assert wecom_client.user.get("zhangsan")["mobile"] == "13800000001"
    (row,) = calls(db, "user/get")
    assert row.response["mobile"] == "138****0001"


def test_wrong_secret_is_not_retried(corp, settings_env, db):
    settings_env(SCRM_WECOM_SECRET="not-the-secret")
    with pytest.raises(WecomError) as caught:
        get_client().user.get("zhangsan")
    assert (caught.value.errcode, caught.value.attempts) == (40001, 1)
    assert corp.call_count("gettoken") == 1 and corp.call_count("user/get") == 0


def test_idempotency_key_prevents_a_second_call(corp, wecom_client, db):
    tag = corp.seed_tag_group("意向", ["高"])["tags"]["高"]
    ext = corp.seed_external_contact("王五", ["zhangsan"])
    first = wecom_client.external_contact.mark_tag("zhangsan", ext, add_tag=[tag], idempotency_key=f"mark:{ext}:高")
    again = wecom_client.external_contact.mark_tag("zhangsan", ext, add_tag=[tag], idempotency_key=f"mark:{ext}:高")
    assert first["errcode"] == again["errcode"] == 0
    assert corp.call_count("externalcontact/mark_tag") == 1
    assert [r.idempotency_key for r in calls(db, "externalcontact/mark_tag")] == [f"mark:{ext}:高"]


def test_a_failed_keyed_call_may_be_tried_again_and_succeeds_once(corp, wecom_client, db):
    code = corp.contact_added("zhangsan").fields["WelcomeCode"]
    message = {"welcome_code": code, "text": {"content": "您好"}}
    corp.inject("externalcontact/send_welcome_msg", errcode=41096)  # another app is sending: try again
    with pytest.raises(WecomError):
        wecom_client.external_contact.send_welcome_msg(message, idempotency_key=f"welcome:{code}")
    for _ in range(2):
        wecom_client.external_contact.send_welcome_msg(message, idempotency_key=f"welcome:{code}")
    assert [e["errcode"] for e in corp.request_log("externalcontact/send_welcome_msg")] == [41096, 0]
    (row,) = calls(db, "externalcontact/send_welcome_msg")
    assert (row.idempotency_key, row.errcode) == (f"welcome:{code}", 0)
    assert len(corp.welcome_messages) == 1


def test_several_calls_in_one_idempotent_block_get_their_own_keys(corp, wecom_client, db):
    def send():
        with wecom_client.idempotent("reminder:2024-06-01:zhangsan"):
            wecom_client.message.send_text(SANDBOX_WECOM["agent_id"], "zhangsan", "第一条")
            wecom_client.message.send_text(SANDBOX_WECOM["agent_id"], "zhangsan", "第二条")

    send()
    send()  # a rerun of the job
    assert [m["text"]["content"] for m in corp.messages] == ["第一条", "第二条"]
    assert [r.idempotency_key for r in calls(db, "message/send")] == [
        "reminder:2024-06-01:zhangsan", "reminder:2024-06-01:zhangsan:2"]


def test_the_call_log_survives_a_business_rollback(corp, committed_db):
    with pytest.raises(RuntimeError):
        with session_scope():
            get_client().user.get("zhangsan")
            raise RuntimeError("the business transaction fails after the call")
    assert [r.errcode for r in calls(committed_db, "user/get")] == [0]


def _process_like_client(redis_url: str) -> WecomClient:
    """A client with its own Redis connection and HTTP session, as another worker process would have."""
    settings = get_settings()
    connection = redis_lib.Redis.from_url(redis_url)
    return WecomClient(settings.wecom_corp_id, settings.wecom_secret, api_base=settings.wecom_api_base,
                       storage=RedisStorage(connection, prefix=REDIS_PREFIX), redis=connection)


def test_eight_workers_hitting_an_expired_token_fetch_it_once(corp, redis_url, committed_db):
    assert get_client().redis is not None
    assert _process_like_client(redis_url).user.get("zhangsan")["userid"] == "zhangsan"
    corp.expire_tokens()
    corp.clear_request_log()
    clients = [_process_like_client(redis_url) for _ in range(8)]
    results = race(8, lambda i: clients[i].user.get("lisi")["name"])
    assert results == ["李四"] * 8
    assert corp.call_count("gettoken") == 1
    assert {e["errcode"] for e in corp.request_log("user/get")} <= {0, 42001}


def test_threads_of_one_process_without_redis_fetch_the_token_once(corp, committed_db):
    client = get_client()
    assert client.redis is None
    client.user.get("zhangsan")
    corp.expire_tokens()
    assert race(8, lambda i: client.user.get("lisi")["name"]) == ["李四"] * 8
    assert corp.call_count("gettoken") == 2


@pytest.mark.parametrize("shared", ["redis", "process"])
def test_mark_tag_runs_at_most_five_at_a_time(corp, committed_db, request, shared):
    if shared == "redis":
        request.getfixturevalue("redis_url")
    tag = corp.seed_tag_group("意向", ["高"])["tags"]["高"]
    customers = [corp.seed_external_contact(f"客户{i}", ["zhangsan"]) for i in range(12)]
    corp.mark_tag_latency_s = 0.2
    client = get_client()
    assert (client.redis is not None) == (shared == "redis")
    results = race(12, lambda i: client.external_contact.mark_tag("zhangsan", customers[i],
                                                                          add_tag=[tag])["errcode"])
    assert results == [0] * 12
    assert 45033 not in {e["errcode"] for e in corp.request_log("externalcontact/mark_tag")}
    assert corp.peak_concurrency("externalcontact/mark_tag") <= 5
    assert all(row.attempts == 1 for row in calls(committed_db, "externalcontact/mark_tag"))


def test_handover_endpoints_wechatpy_lacks(corp, wecom_client, db):
    customers = [corp.seed_external_contact(f"客户{i}", ["zhangsan"]) for i in range(2)]
    chat_id = corp.seed_group("zhangsan", "老客户群", customers)
    corp.user_deleted("zhangsan")
    unassigned = wecom_client.transfer.get_unassigned_list()
    assert {row["external_userid"] for row in unassigned["info"]} == set(customers) and unassigned["is_last"]
    started = wecom_client.transfer.resigned_transfer_customer("zhangsan", "lisi", customers)
    assert [c["errcode"] for c in started["customer"]] == [0, 0]  # 0 = handover started, not done
    assert {c["status"] for c in wecom_client.transfer.resigned_transfer_result("zhangsan", "lisi")["customer"]} == {2}
    corp.complete_transfers(1)
    assert {c["status"] for c in wecom_client.transfer.resigned_transfer_result("zhangsan", "lisi")["customer"]} == {1}
    assert wecom_client.transfer.groupchat_transfer([chat_id], "lisi")["failed_chat_list"] == []
    with pytest.raises(ValueError):
        wecom_client.transfer.resigned_transfer_customer("zhangsan", "lisi", [f"wm{i}" for i in range(101)])


def test_onjob_transfer_and_mass_message_results(corp, wecom_client, db):
    ext = corp.seed_external_contact("客户", ["zhangsan"])
    started = wecom_client.transfer.transfer_customer("zhangsan", "lisi", [ext], "后续由李四为您服务")
    assert started["customer"] == [{"external_userid": ext, "errcode": 0}]
    corp.complete_transfers(3)
    assert wecom_client.transfer.transfer_result("zhangsan", "lisi")["customer"][0]["status"] == 3
    sent = wecom_client.external_contact.add_msg_template(
        {"chat_type": "single", "sender": "zhangsan", "external_userid": [ext], "text": {"content": "新品"}})
    corp.confirm_group_msg(sent["msgid"])
    result = wecom_client.group_msg.get_groupmsg_send_result(sent["msgid"], "zhangsan")
    assert [(r["external_userid"], r["status"]) for r in result["send_list"]] == [(ext, 1)]
    assert wecom_client.auth.get_user_info(corp.oauth_code("lisi"))["userid"] == "lisi"


@pytest.mark.pure
def test_not_configured_is_a_clear_error(settings_env):
    settings_env(SCRM_WECOM_CORP_ID="", SCRM_WECOM_SECRET="")
    with pytest.raises(WecomError, match="not configured"):
        get_client()
