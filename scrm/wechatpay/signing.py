"""WeChat Pay v2 wire format: XML bodies signed with the merchant key (MD5 or HMAC-SHA256), and the
HMAC-SHA256 body signature of the bank agreement-payment API. One implementation for our client and the
sandboxes; checks are constant time (wechatpy's ``parse_payment_result`` compares with ``!=``).

A notification's signature is inside its XML, so the XML is read before it can be checked: by
``scrm.core.safexml`` (UTF-8 only, no DTD, no entity, bounded), and only the flat ``<xml><field>text</field>…``
shape WeChat Pay signs is accepted."""

from __future__ import annotations

import hashlib
import hmac

from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac, dict_to_xml

from scrm.core import safexml
from scrm.core.errors import BadRequest


class BadSignature(ValueError):
    pass


class RefusedXml(BadRequest):
    """A body in another encoding than UTF-8, with a DTD, or too large: refused before anything reads it,
    and not worth an alert (anyone can send one)."""


def sign(params: dict, key: str) -> str:
    fields = {k: v for k, v in params.items() if k != "sign" and v not in (None, "")}
    if fields.get("sign_type") == "HMAC-SHA256":
        return calculate_signature_hmac(fields, key)
    return calculate_signature(fields, key)


def verify(params: dict, key: str) -> bool:
    given = str(params.get("sign") or "")
    return bool(given) and hmac.compare_digest(given.upper().encode(), sign(params, key).encode())


def to_xml(params: dict, key: str | None = None) -> str:
    """``params`` as WeChat Pay XML; signed when a key is given."""
    fields = {k: v for k, v in params.items() if v is not None and k != "sign"}
    return dict_to_xml(fields, sign(fields, key) if key else None)


def parse_xml(body: bytes | str) -> dict:
    """The fields of a flat ``<xml>`` document; ``RefusedXml`` for unsafe XML, ``BadSignature`` for any other
    shape than WeChat Pay's."""
    raw = body.encode() if isinstance(body, str) else body
    try:
        safexml.check(raw)
    except safexml.XmlRefused as exc:
        raise RefusedXml(f"refused: {exc}") from exc
    try:
        root = safexml.parse(raw)
    except safexml.XmlRefused as exc:
        raise BadSignature("not WeChat Pay XML") from exc
    fields: dict[str, str] = {}
    for child in root:
        if len(child) or child.tag in fields:
            raise BadSignature("not WeChat Pay XML (nested or repeated fields)")
        fields[child.tag] = child.text or ""
    if root.tag != "xml" or not fields:
        raise BadSignature("not WeChat Pay XML")
    return fields


def parse_signed(body: bytes | str, key: str) -> dict:
    """Parse XML and check its signature in constant time; raises ``BadSignature``."""
    data = parse_xml(body)
    if not verify(data, key):
        raise BadSignature("signature does not match")
    return data


def body_signature(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify_body(body: bytes, key: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(body_signature(body, key).encode(), given.strip().lower().encode())
