"""Hostile input to the WeCom callback protocol: any change to what WeCom signs is refused, and the
replay window holds at its edges. Pure functions, many generated cases."""

from __future__ import annotations

import time
from functools import lru_cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from wechatpy.work.crypto import WeChatCrypto

from scrm.core.config import SANDBOX_WECOM
from scrm.wecom import callback

pytestmark = pytest.mark.pure

KEYS = callback.CallbackKeys.build(SANDBOX_WECOM["token"], SANDBOX_WECOM["aes_key"], SANDBOX_WECOM["corp_id"], 300)
MESSAGE = (f"<xml><ToUserName><![CDATA[{SANDBOX_WECOM['corp_id']}]]></ToUserName><FromUserName><![CDATA[lina]]>"
           "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[查客户 8888]]></Content><MsgId>99</MsgId><AgentID>1000002</AgentID></xml>")


def sealed(timestamp: int, nonce: str = "4242") -> dict:
    crypto = WeChatCrypto(SANDBOX_WECOM["token"], SANDBOX_WECOM["aes_key"], SANDBOX_WECOM["corp_id"])
    envelope = callback.parse_xml(crypto.encrypt_message(MESSAGE, nonce, str(timestamp)))
    return {"encrypt": envelope["Encrypt"], "signature": envelope["MsgSignature"], "timestamp": str(timestamp),
            "nonce": nonce}


def open_(parts: dict):
    body = f"<xml><ToUserName><![CDATA[{SANDBOX_WECOM['corp_id']}]]></ToUserName><Encrypt><![CDATA[{parts['encrypt']}]]></Encrypt></xml>"
    return callback.open_message(KEYS, body.encode(), parts["signature"], parts["timestamp"], parts["nonce"])


@lru_cache(maxsize=1)
def good() -> dict:
    """Sealed when the first test here runs (not at import: the suite may run longer than the replay window)."""
    return sealed(int(time.time()))


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=x"


def test_the_untouched_message_opens():
    plain, fields = open_(good())
    assert fields["Content"] == "查客户 8888" and fields["MsgId"] == "99"


@settings(max_examples=300, deadline=None)
@given(part=st.sampled_from(["encrypt", "signature", "timestamp", "nonce"]), data=st.data())
def test_any_changed_character_in_what_wecom_signs_is_refused(part, data):
    value = good()[part]
    i = data.draw(st.integers(0, len(value) - 1), label="position")
    replacement = data.draw(st.sampled_from(ALPHABET), label="replacement")
    assume(replacement != value[i])
    if part == "signature":  # a hex digest: upper or lower case is the same signature
        assume(replacement.lower() != value[i].lower())
    tampered = dict(good(), **{part: value[:i] + replacement + value[i + 1:]})
    with pytest.raises(callback.CallbackRejected) as refused:
        open_(tampered)
    assert 400 <= refused.value.status_code < 500


@settings(max_examples=100, deadline=None)
@given(offset=st.integers(-10_000, 10_000))
def test_the_replay_window_admits_exactly_what_is_inside_it(offset):
    assume(abs(abs(offset) - KEYS.replay_window_s) > 2)  # clear of the edge, where the test's own clock ticks
    parts = sealed(int(time.time()) + offset)
    if abs(offset) < KEYS.replay_window_s:
        assert open_(parts)[1]["MsgId"] == "99"
    else:
        with pytest.raises(callback.CallbackRejected, match="replay window"):
            open_(parts)


@pytest.mark.parametrize("body", [
    # billion laughs, external entities and parameter entities: any DTD is refused before parsing
    b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>',
    b'<!doctype x [<!ENTITY % p "x">]><xml/>',
    b"<xml><Encrypt>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</Encrypt></xml>",
])
def test_entity_tricks_and_deep_nesting_are_refused(body):
    with pytest.raises(callback.CallbackRejected):
        callback.open_message(KEYS, body, good()["signature"], good()["timestamp"], good()["nonce"])


def _parsed_encrypt(body: bytes) -> str:
    encrypted = callback.parse_xml(body).get("Encrypt")
    if not isinstance(encrypted, str):
        raise callback.CallbackRejected("no <Encrypt> element")
    return encrypted


def _outcome(read, body: bytes):
    try:
        return read(body)
    except callback.CallbackRejected:
        return "refused"


SPACE = st.sampled_from(["", " ", "\n", "\r\n  ", "\t", "\v", "\f"])
TEXT = st.sampled_from(["<![CDATA[wx5823bf96d3bd56c7]]>", "wx5823bf96d3bd56c7", "", "<![CDATA[a]]b]]>",
                        "<![CDATA[<x>]]>", "a&amp;b", "a&b", "<b/>"])
ENCRYPTED = st.sampled_from(["<![CDATA[Rypev+/Q==]]>", "Rypev+/Q==", "<![CDATA[]]>", "<![CDATA[a b]]>",
                             "<![CDATA[x]]><![CDATA[y]]>", "<![CDATA[x]]>y", "<Item>x</Item>"])


@settings(max_examples=400, deadline=None)
@given(decl=st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>']), spaces=st.lists(SPACE, min_size=6, max_size=6),
       to_user=st.one_of(st.none(), TEXT), encrypted=st.lists(ENCRYPTED, min_size=0, max_size=2),
       agent=st.sampled_from([None, "<![CDATA[218]]>", "1000002", "<![CDATA[x]]>"]),
       root=st.sampled_from(["xml", "xml", "XML"]), tail=st.sampled_from(["", "x", "<xml/>", "<!-- c -->"]))
def test_the_envelope_shortcut_reads_what_the_parser_reads(decl, spaces, to_user, encrypted, agent, root, tail):
    """The envelope is read with a pattern when it has WeCom's exact shape; whatever the body, the
    value (or the refusal) is the one the XML parser gives."""
    body = decl + spaces[0] + f"<{root}>" + spaces[1]
    if to_user is not None:
        body += f"<ToUserName>{to_user}</ToUserName>" + spaces[2]
    body += "".join(f"<Encrypt>{e}</Encrypt>" + spaces[3] for e in encrypted)
    if agent is not None:
        body += f"<AgentID>{agent}</AgentID>" + spaces[4]
    body += f"</{root}>" + spaces[5] + tail
    raw = body.encode()
    assert _outcome(callback._encrypted_part, raw) == _outcome(_parsed_encrypt, raw)


def test_wecom_envelopes_take_the_shortcut():
    official = (b"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8Q+/==]]>"
                b"</Encrypt><AgentID><![CDATA[218]]></AgentID></xml>")
    assert callback._ENVELOPE.fullmatch(official).group(1) == b"RypEvHKD8Q+/=="
    assert callback._ENVELOPE.fullmatch(b"<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>\n")
