"""The WeCom callback protocol: signature, AES decryption, the event's fields and its dedupe key.

Pure functions; nothing here touches the database. wechatpy's ``PrpCrypto`` does the AES part; the
signature is checked here because wechatpy compares it with ``!=``, not in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from lxml import etree
from wechatpy.work.crypto import PrpCrypto

from scrm.core import safexml


class CallbackRejected(Exception):
    """The callback is not from WeCom, or not for us; answered with a 4xx and never stored."""

    def __init__(self, reason: str, status_code: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


@dataclass(frozen=True)
class CallbackKeys:
    token: str
    aes_key: bytes
    corp_id: str
    replay_window_s: int

    @classmethod
    def build(cls, token: str, encoding_aes_key: str, corp_id: str, replay_window_s: int) -> "CallbackKeys":
        try:
            key = base64.b64decode(encoding_aes_key + "=")
        except ValueError as exc:
            raise ValueError("SCRM_WECOM_AES_KEY is not a 43-character EncodingAESKey") from exc
        if len(key) != 32:
            raise ValueError("SCRM_WECOM_AES_KEY is not a 43-character EncodingAESKey")
        return cls(token, key, corp_id, replay_window_s)


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def _check(keys: CallbackKeys, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
    if not (msg_signature and timestamp and nonce and encrypted):
        raise CallbackRejected("missing msg_signature, timestamp, nonce or encrypted body")
    expected = signature(keys.token, timestamp, nonce, encrypted)
    if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
        raise CallbackRejected("bad signature", 403)
    if keys.replay_window_s:
        try:
            sent = int(timestamp)
        except ValueError as exc:
            raise CallbackRejected("timestamp is not a number") from exc
        if abs(time.time() - sent) > keys.replay_window_s:
            raise CallbackRejected("timestamp outside the replay window", 403)


def _decrypt(keys: CallbackKeys, encrypted: str) -> str:
    try:
        return PrpCrypto(keys.aes_key).decrypt(encrypted, keys.corp_id)
    except Exception as exc:  # wrong receiver id, bad base64, bad padding, not UTF-8 …
        name = type(exc).__name__
        reason = "wrong receiver id" if name == "InvalidCorpIdException" else "cannot decrypt"
        raise CallbackRejected(reason, 403 if reason == "wrong receiver id" else 400) from exc


def verify_url(keys: CallbackKeys, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
    """The GET handshake: answer with the decrypted echostr."""
    _check(keys, msg_signature, timestamp, nonce, echostr)
    return _decrypt(keys, echostr)


def parse_xml(body: bytes | str) -> dict:
    """A WeCom XML document to a dict: text for leaf elements, a list for ``<Item>`` lists, a dict
    for other nested elements. Only UTF-8 is read, and any DTD is refused (``scrm.core.safexml``)."""
    raw = body.encode() if isinstance(body, str) else body
    try:
        root = safexml.parse(raw)
    except safexml.XmlRefused as exc:
        raise CallbackRejected(str(exc)) from exc
    if root.tag != "xml":
        raise CallbackRejected("XML root must be <xml>")
    return _element_dict(root, 0)


# WeCom's documents nest four levels at most; a deeper one is not from WeCom and would exhaust the stack
MAX_XML_DEPTH = 8


def _element_dict(element: etree._Element, depth: int) -> dict:
    if depth > MAX_XML_DEPTH:
        raise CallbackRejected("XML nested too deeply")
    out: dict = {}
    for child in element:
        if len(child):
            items = [c for c in child if c.tag == "Item"]
            out[child.tag] = ([_element_value(c, depth + 1) for c in items] if len(items) == len(child)
                              else _element_dict(child, depth + 1))
        else:
            out[child.tag] = child.text or ""
    return out


def _element_value(element: etree._Element, depth: int):
    return _element_dict(element, depth) if len(element) else (element.text or "")


# The envelope exactly as WeCom sends it. A body this matches whole is well-formed ASCII XML holding one
# <Encrypt> and no DTD, so reading it with the pattern gives what the parser would, at a tenth of the
# cost; any other body goes through the safe parser. Either way the only value read before the signature
# is checked is <Encrypt>, the one the signature covers.
_ENVELOPE = re.compile(
    rb"[ \t\r\n]*<xml>[ \t\r\n]*(?:<ToUserName>(?:<!\[CDATA\[[^\]<>&]*\]\]>|[^<>&]*)</ToUserName>[ \t\r\n]*)?"
    rb"<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]+)\]\]></Encrypt>[ \t\r\n]*"
    rb"(?:<AgentID>(?:<!\[CDATA\[[0-9]*\]\]>|[0-9]*)</AgentID>[ \t\r\n]*)?</xml>[ \t\r\n]*")


def _encrypted_part(body: bytes) -> str:
    envelope = _ENVELOPE.fullmatch(body)
    if envelope:
        return envelope.group(1).decode("ascii")
    encrypted = parse_xml(body).get("Encrypt")
    if not isinstance(encrypted, str):
        raise CallbackRejected("no <Encrypt> element")
    return encrypted


def open_message(keys: CallbackKeys, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> tuple[str, dict]:
    """Verify and decrypt a POSTed callback; returns the decrypted XML and its fields. The decrypted XML is
    read only once the signature has been checked, under the same rules as the envelope."""
    encrypted = _encrypted_part(body)
    _check(keys, msg_signature, timestamp, nonce, encrypted)
    plain = _decrypt(keys, encrypted)
    fields = parse_xml(plain)
    if fields.get("ToUserName") not in (None, keys.corp_id):
        raise CallbackRejected("wrong receiver id", 403)
    return plain, fields


# What tells one WeCom event from another when it has no MsgId. FromUserName + CreateTime alone is
# not enough: two customers added to one salesperson in the same second are two events.
IDENTIFYING_FIELDS = (
    "CreateTime", "Event", "ChangeType", "UserID", "ExternalUserID", "ChatId", "UpdateDetail",
    "JoinScene", "QuitScene", "MemChangeCnt", "MemChangeList", "Id", "TagType", "StrategyId",
    "FailReason", "Source", "NewUserID",
)

# 模板卡片事件推送 (https://developer.work.weixin.qq.com/document/path/90240) has no MsgId; two approvers pressing one
# card's buttons in the same second differ in FromUserName and ResponseCode, which a retry repeats.
CARD_EVENT_FIELDS = ("CreateTime", "Event", "FromUserName", "TaskId", "EventKey", "ResponseCode")


def _text(value) -> str:
    if isinstance(value, dict):
        return repr(sorted(value.items()))
    if isinstance(value, list):
        return repr(value)
    return "" if value is None else str(value)


def dedupe_key(fields: dict) -> str:
    msg_id = fields.get("MsgId")
    if msg_id:
        return f"msg:{msg_id}"
    names = CARD_EVENT_FIELDS if fields.get("Event") == "template_card_event" else IDENTIFYING_FIELDS
    material = "\x1f".join(f"{name}={_text(fields.get(name))}" for name in names)
    return "evt:" + hashlib.sha256(material.encode()).hexdigest()


def kind_of(fields: dict) -> str:
    msg_type = str(fields.get("MsgType") or "").lower()
    if msg_type == "event":
        parts = ["event", str(fields.get("Event") or "").lower()]
        if fields.get("ChangeType"):
            parts.append(str(fields["ChangeType"]).lower())
        return ":".join(parts)[:80]
    return f"msg:{msg_type}"[:80]
