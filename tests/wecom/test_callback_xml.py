"""The callback refuses a DTD in any encoding and reads only what the signature needs before checking it
(issue 15, item 9: a UTF-16 body's entities were expanded before the signature was checked).

WeCom's callback protocol (developer docs, 加解密方案说明): the POST body is the envelope
``<xml><ToUserName/><Encrypt/><AgentID/></xml>`` in UTF-8, and msg_signature = sha1 of the sorted token,
timestamp, nonce and Encrypt; nothing else in the envelope is signed or needed.
"""

from __future__ import annotations

import time

import pytest

from tests.wecom.test_callback import (OFFICIAL_POST_BODY, OFFICIAL_POST_QUERY, inbox_count, official,  # noqa: F401
                                       sandbox_keys, sign_and_encrypt, text_message)

LAUGHS = ('<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><ToUserName>x</ToUserName><Encrypt>&c;</Encrypt></xml>')
QUERY = {"msg_signature": "a" * 40, "timestamp": str(int(time.time())), "nonce": "1"}


@pytest.mark.parametrize("body", [
    ('<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS).encode("utf-16"),  # with its byte-order mark
    ('<?xml version="1.0" encoding="UTF-16LE"?>' + LAUGHS).encode("utf-16-le"),  # without one
    ('<?xml version="1.0" encoding="UTF-16BE"?>' + LAUGHS).encode("utf-16-be"),
    LAUGHS.encode("utf-32"),
    LAUGHS.encode("utf-8"),
    OFFICIAL_POST_BODY.replace("<xml>", LAUGHS.split("<xml>")[0] + "<xml>").encode(),
    OFFICIAL_POST_BODY.encode() + b"<!DOCTYPE x>",
], ids=["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8", "official-with-dtd", "dtd-after-root"])
def test_a_dtd_in_any_encoding_is_refused_with_400_and_nothing_stored(sandbox_keys, db, body):
    answer = sandbox_keys.post("/wecom/callback", params=QUERY, content=body)
    assert answer.status_code == 400
    assert inbox_count(db) == 0


@pytest.mark.parametrize("declaration", ['<?xml version="1.0" encoding="ISO-8859-1"?>',
                                         '<?xml version="1.0" encoding="UTF-7"?>',
                                         '<?xml version="1.0" encoding="GBK"?>'])
def test_an_envelope_declaring_another_encoding_than_utf8_is_refused(official, db, declaration):
    answer = official.post("/wecom/callback", params=OFFICIAL_POST_QUERY,
                           content=(declaration + OFFICIAL_POST_BODY).encode())
    assert answer.status_code == 400
    assert inbox_count(db) == 0


def test_the_official_sample_is_accepted_with_or_without_a_utf8_declaration(official, db):
    """WeCom's published test vector (token QDG6eK, the docs' 加解密 sample), as in test_callback."""
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + OFFICIAL_POST_BODY.replace("<Encrypt>", "\n  <Encrypt>")
    answer = official.post("/wecom/callback", params=OFFICIAL_POST_QUERY, content=body.encode())
    assert answer.status_code == 200
    assert inbox_count(db) == 1


def test_a_signed_message_whose_decrypted_xml_has_a_dtd_is_refused(sandbox_keys, db):
    query, body = sign_and_encrypt(LAUGHS.replace("<Encrypt>&c;</Encrypt>", "<MsgType>text</MsgType><Content>&c;</Content>"))
    answer = sandbox_keys.post("/wecom/callback", params=query, content=body)
    assert answer.status_code == 400
    assert inbox_count(db) == 0


def test_a_signed_message_with_an_encoding_other_than_utf8_inside_is_refused(sandbox_keys, db):
    inner = text_message("9301").replace("<xml>", '<?xml version="1.0" encoding="ISO-8859-1"?><xml>', 1)
    query, body = sign_and_encrypt(inner)
    answer = sandbox_keys.post("/wecom/callback", params=query, content=body)
    assert answer.status_code == 400
    assert inbox_count(db) == 0


def test_a_bad_signature_is_found_before_the_inner_xml_is_read(sandbox_keys, db):
    query, body = sign_and_encrypt(LAUGHS)
    answer = sandbox_keys.post("/wecom/callback", params=dict(query, msg_signature="0" * 40), content=body)
    assert (answer.status_code, answer.text) == (403, "bad signature")
    assert inbox_count(db) == 0
