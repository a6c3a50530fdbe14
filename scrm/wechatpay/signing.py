"""WeChat Pay v2 wire format: XML bodies signed with the merchant key (MD5 or HMAC-SHA256), and the
HMAC-SHA256 body signature of the bank agreement-payment API. One implementation for our client and the
sandboxes; checks are constant time (wechatpy's ``parse_payment_result`` compares with ``!=``)."""

from __future__ import annotations

import hashlib
import hmac
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac, dict_to_xml


class BadSignature(ValueError):
    pass


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
    try:
        doc = xmltodict.parse(body)
    except (ExpatError, ValueError) as exc:
        raise BadSignature("not WeChat Pay XML") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("xml"), dict):
        raise BadSignature("not WeChat Pay XML")
    return {k: ("" if v is None else str(v)) for k, v in doc["xml"].items()}


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
