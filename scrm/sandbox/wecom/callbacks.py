"""Callbacks as WeCom sends them: event XML, AES-encrypted and signed, POSTed to the callback URL,
retried up to three times when no HTTP 200 arrives within the timeout; and the GET echostr handshake.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx
import xmltodict
from wechatpy.utils import WeChatSigner
from wechatpy.work.crypto import PrpCrypto, WeChatCrypto


@dataclass
class Delivery:
    """What happened to one callback: ``ok`` once the receiver answered HTTP 200."""

    ok: bool
    attempts: int
    status: int | None
    errors: list[str] = field(default_factory=list)
    response: str = ""

    def to_dict(self) -> dict:
        return {"ok": self.ok, "attempts": self.attempts, "status": self.status, "errors": list(self.errors),
                "response": self.response}


@dataclass
class SentEvent:
    """A callback the sandbox produced. ``fields`` is the decrypted XML as a dict."""

    fields: dict[str, Any]
    xml: str
    delivery: Delivery | None = None
    future: Future | None = None

    def wait(self, timeout: float | None = None) -> Delivery | None:
        if self.future is not None:
            self.delivery = self.future.result(timeout)
        return self.delivery

    def to_dict(self) -> dict:
        return {"fields": self.fields, "delivery": self.delivery.to_dict() if self.delivery else None,
                "pending": self.future is not None and not self.future.done()}


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_xml(fields: dict[str, Any]) -> str:
    """WeCom's layout: strings in CDATA, numbers bare, lists as <Item> children."""
    parts = ["<xml>"]
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int):
            inner = str(value)
        elif isinstance(value, (list, tuple)):
            inner = "".join(f"<Item>{_cdata(str(v))}</Item>" for v in value)
        else:
            inner = _cdata(str(value))
        parts.append(f"<{name}>{inner}</{name}>")
    parts.append("</xml>")
    return "".join(parts)


class CallbackSender:
    def __init__(self, corp_id: str, token: str, aes_key: str, agent_id: int, *, timeout_s: float = 5.0,
                 retries: int = 3, retry_interval_s: float = 0.0):
        self.corp_id = corp_id
        self.token = token
        self.agent_id = agent_id
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self.timeout_s = timeout_s
        self.retries = retries
        self.retry_interval_s = retry_interval_s

    def _sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce, encrypted)
        return signer.signature

    def envelope(self, plain_xml: str) -> tuple[dict[str, str], str]:
        """The query string and body of the POST WeCom makes for ``plain_xml``."""
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        reply = xmltodict.parse(self.crypto.encrypt_message(plain_xml, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName>{_cdata(self.corp_id)}</ToUserName><Encrypt>{_cdata(reply['Encrypt'])}</Encrypt>"
                f"<AgentID>{_cdata(str(self.agent_id))}</AgentID></xml>")
        return {"msg_signature": reply["MsgSignature"], "timestamp": timestamp, "nonce": nonce}, body

    def deliver(self, url: str, plain_xml: str) -> Delivery:
        """POST until an HTTP 200 arrives: the first try plus ``retries`` more, each bounded by the timeout.
        Every attempt carries the same signed body, as WeCom's retries do."""
        query, body = self.envelope(plain_xml)
        result = Delivery(ok=False, attempts=0, status=None)
        with httpx.Client(timeout=self.timeout_s) as http:
            for attempt in range(1 + self.retries):
                if attempt and self.retry_interval_s:
                    time.sleep(self.retry_interval_s)
                result.attempts += 1
                try:
                    answer = http.post(url, params=query, content=body.encode("utf-8"),
                                       headers={"Content-Type": "text/xml; charset=utf-8"})
                except httpx.TimeoutException:
                    result.status = None
                    result.errors.append("timeout")
                    continue
                except httpx.HTTPError as exc:
                    result.status = None
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                result.status, result.response = answer.status_code, answer.text
                if answer.status_code == 200:
                    result.ok = True
                    return result
                result.errors.append(f"HTTP {answer.status_code}")
        return result

    def verify_url(self, url: str) -> bool:
        """The handshake WeCom does when the callback URL is saved: the receiver must echo the decrypted echostr."""
        plain = str(secrets.randbelow(10**19))
        echostr = PrpCrypto(self.crypto.key).encrypt(plain, self.corp_id)
        echostr = echostr.decode() if isinstance(echostr, bytes) else echostr
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        query = {"msg_signature": self._sign(timestamp, nonce, echostr), "timestamp": timestamp, "nonce": nonce,
                 "echostr": echostr}
        try:
            answer = httpx.get(url, params=query, timeout=self.timeout_s)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200 and answer.text.strip() == plain
