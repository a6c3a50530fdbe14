"""The JS-SDK signature and the two tickets' cache."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from scrm.wecom import jsapi
from scrm.wecom.client import get_client, reset
from scrm.wecom.models import WecomCall


@pytest.mark.pure
def test_signature_reproduces_wecoms_published_example():
    # The worked example of WeCom's 附录1-JS-SDK使用权限签名算法 (https://developer.work.weixin.qq.com/document/path/90506):
    # these four inputs sign to 0f9de62fce790f9a083d5c99e95740ceb90c27ed.
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    assert jsapi.signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value") \
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    # the same document: the URL is signed without its fragment (#…)
    assert jsapi.signature(ticket, "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com?params=value#top") \
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_both_tickets_come_from_the_sandbox_once_and_sign_the_page(sandbox_wecom, db):
    client = get_client()
    cfg = jsapi.page_config(client, "http://side.example/console/sidebar/customer?x=1#frag", agent_id=1000002,
                            api_list=["sendChatMessage"])
    for _ in range(3):
        jsapi.page_config(client, "http://side.example/console/sidebar/customer", agent_id=1000002, api_list=[])
    assert sandbox_wecom.call_count("get_jsapi_ticket") == 1
    assert sandbox_wecom.call_count("ticket/get") == 1
    assert sandbox_wecom.request_log("ticket/get")[0]["query"]["type"] == "agent_config"
    corp_ticket, agent_ticket = sandbox_wecom.jsapi_tickets["corp"], sandbox_wecom.jsapi_tickets["agent_config"]
    assert corp_ticket != agent_ticket
    url = "http://side.example/console/sidebar/customer?x=1"
    assert cfg["url"] == url
    c, a = cfg["config"], cfg["agentConfig"]
    assert c["signature"] == jsapi.signature(corp_ticket, c["nonceStr"], c["timestamp"], url)
    assert a["signature"] == jsapi.signature(agent_ticket, a["nonceStr"], a["timestamp"], url)
    logged = db.scalars(select(WecomCall).where(WecomCall.endpoint.in_(["get_jsapi_ticket", "ticket/get"]))).all()
    assert len(logged) == 2 and all(c.response["ticket"] == "***" for c in logged)  # the call log keeps no ticket


def test_a_ticket_is_fetched_again_only_after_its_lifetime(sandbox_wecom, db):
    client = get_client()
    first = jsapi.get_ticket(client, jsapi.CORP)
    sandbox_wecom.advance(7200)  # the sandbox's clock: WeCom's ticket lives 7200 s
    jsapi.forget_tickets(client)  # what the cache's TTL does after expires_in
    second = jsapi.get_ticket(client, jsapi.CORP)
    answered = [r for r in sandbox_wecom.request_log("get_jsapi_ticket") if r["errcode"] == 0]
    assert first != second and len(answered) == 2  # (the expired access token's 42001 is retried, not counted)


def test_processes_sharing_redis_fetch_each_ticket_once(sandbox_wecom, redis_url, db):
    # four clients with nothing shared but Redis stand for four server processes asking at the same instant
    clients = []
    for _ in range(4):
        reset()
        clients.append(get_client())
    start = threading.Barrier(8)
    got: list[str] = []

    def ask(client, kind):
        start.wait()
        got.append(jsapi.get_ticket(client, kind))

    threads = [threading.Thread(target=ask, args=(c, k)) for c in clients for k in (jsapi.CORP, jsapi.AGENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 8 and len(set(got)) == 2
    assert sandbox_wecom.call_count("get_jsapi_ticket") == 1 and sandbox_wecom.call_count("ticket/get") == 1
