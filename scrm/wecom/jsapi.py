"""WeCom's JS-SDK on our pages: the two tickets and the signature.

``wx.config`` / ``ww.register``'s corp signature uses the corp's jsapi ticket (``get_jsapi_ticket``) and
``wx.agentConfig`` the app's ticket (``ticket/get?type=agent_config``); both are documented at
https://developer.work.weixin.qq.com/document/path/90506 (附录1-JS-SDK使用权限签名算法). WeCom limits how often a
ticket may be fetched (400 times an hour per corp, 100 per app), so each ticket is cached for its lifetime: in Redis
when ``SCRM_REDIS_URL`` is set (every process shares it; one process fetches under a lock while the others wait),
else in the process.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

from scrm.wecom.client import REDIS_PREFIX, WecomClient, WecomError

CORP = "corp"
AGENT = "agent"
# kind -> (endpoint, query)
TICKET_ENDPOINTS = {CORP: ("get_jsapi_ticket", {}), AGENT: ("ticket/get", {"type": "agent_config"})}
LOCK_TTL_MS = 30_000
WAIT_S = 40.0
EARLY_S = 300  # renew a little before WeCom's expiry, so no page is signed with a ticket about to lapse

_local_locks = {CORP: threading.Lock(), AGENT: threading.Lock()}
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """sha1 of ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` with the URL cut at its ``#`` (WeCom's algorithm)."""
    url = url.split("#", 1)[0]
    raw = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def _key(client: WecomClient, kind: str) -> str:
    agent = getattr(client, "agent_id", None) or ""
    return f"{client.corp_id}_jsapi_ticket_{kind}" + (f"_{agent}" if kind == AGENT else "")


def _fetch(client: WecomClient, kind: str, key: str) -> str:
    endpoint, query = TICKET_ENDPOINTS[kind]
    answer = client.get(endpoint, params=dict(query))
    ticket = answer.get("ticket")
    if not ticket:
        raise WecomError(f"WeCom answered {endpoint} without a ticket", endpoint=endpoint,
                         errcode=answer.get("errcode"), errmsg=answer.get("errmsg"))
    expires_in = int(answer.get("expires_in") or 7200)
    client.session.set(key, ticket, max(1, expires_in - min(EARLY_S, expires_in // 5)))
    return ticket


def get_ticket(client: WecomClient, kind: str) -> str:
    """The live ticket of this kind, fetched from WeCom only when none is cached."""
    if kind not in TICKET_ENDPOINTS:
        raise ValueError(f"unknown ticket kind {kind!r}")
    key = _key(client, kind)
    ticket = client.session.get(key)
    if ticket:
        return ticket
    if client.redis is None:
        with _local_locks[kind]:
            return client.session.get(key) or _fetch(client, kind, key)
    lock_key = f"{REDIS_PREFIX}:ticket-lock:{key}"
    deadline = time.monotonic() + WAIT_S
    while True:
        me = uuid.uuid4().hex
        if client.redis.set(lock_key, me, nx=True, px=LOCK_TTL_MS):
            try:
                return client.session.get(key) or _fetch(client, kind, key)
            finally:
                client.redis.eval(_RELEASE, 1, lock_key, me)
        time.sleep(0.02 + random.random() * 0.03)
        ticket = client.session.get(key)
        if ticket:
            return ticket
        if time.monotonic() > deadline:
            raise WecomError("timed out waiting for another process to fetch the WeCom jsapi ticket",
                             endpoint=TICKET_ENDPOINTS[kind][0])


def forget_tickets(client: WecomClient) -> None:
    """Drop both cached tickets (WeCom refused one): the next page fetches them again."""
    for kind in TICKET_ENDPOINTS:
        client.session.delete(_key(client, kind))


@dataclass(frozen=True)
class Signed:
    timestamp: int
    nonceStr: str  # noqa: N815  (the JS-SDK's spelling, handed to the page as is)
    signature: str

    def to_dict(self) -> dict:
        return {"timestamp": self.timestamp, "nonceStr": self.nonceStr, "signature": self.signature}


def sign(client: WecomClient, kind: str, url: str, *, now: float | None = None) -> Signed:
    """A fresh nonce and timestamp signed with the ticket of ``kind`` for the page at ``url``."""
    nonce = secrets.token_hex(8)
    timestamp = int(now if now is not None else time.time())
    return Signed(timestamp, nonce, signature(get_ticket(client, kind), nonce, timestamp, url))


def page_config(client: WecomClient, url: str, *, agent_id: int, api_list: list[str]) -> dict:
    """What the page hands to ``wx.config`` + ``wx.agentConfig`` (or ``ww.register``): both signatures for ``url``."""
    return {"corpId": client.corp_id, "agentId": agent_id, "jsApiList": list(api_list),
            "url": url.split("#", 1)[0], "config": sign(client, CORP, url).to_dict(),
            "agentConfig": sign(client, AGENT, url).to_dict()}
