"""Encryption at rest, keyed-hash lookup and masking for phone, ID-card and bank-card numbers.

Ciphertexts are ``<key id>:<base64(nonce || AES-256-GCM ciphertext)>`` so old keys stay readable
while ``SCRM_PII_OLD_KEYS`` lists them during a rotation. The keyed hash (HMAC-SHA256 under a key
derived from the master key) lets us find a customer by phone without storing the phone in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from scrm.core.config import get_settings


class PiiKeyMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM
    index_key: bytes
    file_aead: AESGCM
    mac_key: bytes


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"scrm-pii", info=info).derive(master)


def _load_key(b64: str) -> _Key:
    master = base64.b64decode(b64.strip())
    if len(master) != 32:
        raise PiiKeyMissing("SCRM_PII_KEY must be 32 bytes, base64-encoded")
    kid = hashlib.sha256(master).hexdigest()[:8]
    return _Key(kid, AESGCM(_derive(master, b"enc")), _derive(master, b"index"), AESGCM(_derive(master, b"files")),
                _derive(master, b"mac"))


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def embedded_secret(name: str) -> str:
    """A key kept in the data directory for the embedded default; production sets it in the environment."""
    settings = get_settings()
    path = settings.data_dir / name
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(new_key())
    return path.read_text().strip()


@lru_cache
def _keys() -> tuple[_Key, dict[str, _Key]]:
    settings = get_settings()
    current_b64 = settings.pii_key
    if not current_b64:
        if not settings.embedded:
            raise PiiKeyMissing("SCRM_PII_KEY is required when SCRM_DATABASE_URL is set")
        current_b64 = embedded_secret("pii.key")
    current = _load_key(current_b64)
    by_kid = {current.kid: current}
    for old in filter(None, (k.strip() for k in settings.pii_old_keys.split(","))):
        key = _load_key(old)
        by_kid[key.kid] = key
    return current, by_kid


def reset_keys() -> None:
    _keys.cache_clear()


def encrypt(plain: str) -> str:
    current, _ = _keys()
    nonce = os.urandom(12)
    ct = current.aead.encrypt(nonce, plain.encode(), current.kid.encode())
    return f"{current.kid}:{base64.b64encode(nonce + ct).decode()}"


def decrypt(token: str) -> str:
    _, by_kid = _keys()
    kid, _, body = token.partition(":")
    key = by_kid.get(kid)
    if key is None:
        raise PiiKeyMissing(f"no key with id {kid} is configured (add it to SCRM_PII_OLD_KEYS)")
    raw = base64.b64decode(body)
    return key.aead.decrypt(raw[:12], raw[12:], kid.encode()).decode()


_BLOB_MAGIC = b"SCRMF1"


def encrypt_blob(data: bytes, *, bound_to: str) -> tuple[str, bytes]:
    """A file encrypted under the current key: ``(key id, SCRMF1 || key id || nonce || ciphertext)``. The
    ciphertext is bound to ``bound_to`` (its storage key), so one object cannot be passed off as another."""
    current, _ = _keys()
    nonce = os.urandom(12)
    kid = current.kid.encode()
    return current.kid, _BLOB_MAGIC + kid + nonce + current.file_aead.encrypt(nonce, data, kid + b":" + bound_to.encode())


def decrypt_blob(blob: bytes, *, bound_to: str) -> bytes:
    if not blob.startswith(_BLOB_MAGIC):
        raise ValueError("not an encrypted file")
    kid = blob[6:14]
    key = _keys()[1].get(kid.decode(errors="replace"))
    if key is None:
        raise PiiKeyMissing(f"no key with id {kid.decode(errors='replace')} is configured (add it to SCRM_PII_OLD_KEYS)")
    return key.file_aead.decrypt(blob[14:26], blob[26:], kid + b":" + bound_to.encode())


def blob_key_id(blob: bytes) -> str:
    return blob[6:14].decode(errors="replace")


def mac(purpose: str, message: str) -> str:
    """A keyed hash of ``message`` for short-lived signed values (download links); only the current key signs."""
    current, _ = _keys()
    return hmac.new(current.mac_key, f"{purpose}:{message}".encode(), hashlib.sha256).hexdigest()


def current_key_id() -> str:
    return _keys()[0].kid


def needs_reencrypt(token: str) -> bool:
    return not token.startswith(current_key_id() + ":")


def _index(key: _Key, kind: str, normalized: str) -> str:
    return hmac.new(key.index_key, f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()


def blind_index(kind: str, normalized: str) -> str:
    """The keyed hash stored beside an encrypted value, under the current key."""
    current, _ = _keys()
    return _index(current, kind, normalized)


def blind_indexes(kind: str, normalized: str) -> list[str]:
    """The value's keyed hash under every configured key: what a lookup matches while a rotation
    (``scrm pii rotate``) has re-hashed only some rows."""
    current, by_kid = _keys()
    return [_index(current, kind, normalized)] + [_index(k, kind, normalized) for k in by_kid.values() if k is not current]


_DIGITS = re.compile(r"\D")


def normalize_phone(phone: str) -> str:
    """Mainland mobile numbers as 11 digits; a +86/0086 prefix is dropped."""
    digits = _DIGITS.sub("", phone)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def valid_mobile(phone: str) -> bool:
    return bool(re.fullmatch(r"1[3-9]\d{9}", normalize_phone(phone)))


def normalize_id_no(id_no: str) -> str:
    return id_no.strip().upper()


def valid_id_no(id_no: str) -> bool:
    """GB 11643 checksum of an 18-character resident ID number."""
    s = normalize_id_no(id_no)
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(s[:17], weights))
    return "10X98765432"[total % 11] == s[17]


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    p = normalize_phone(phone)
    return p[:3] + "****" + p[-4:] if len(p) >= 7 else "****"


def mask_id_no(id_no: str | None) -> str | None:
    if not id_no:
        return id_no
    return id_no[:4] + "*" * max(len(id_no) - 8, 4) + id_no[-4:]


def mask_card(card: str | None) -> str | None:
    if not card:
        return card
    return "**** " + _DIGITS.sub("", card)[-4:]


def mask_name(name: str | None) -> str | None:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: enough for a friend to recognise, not to identify."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


class EncryptedText(TypeDecorator):
    """A column whose value is encrypted before it reaches the database."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def normalize_card_no(card_no: str) -> str:
    return _DIGITS.sub("", card_no)


def valid_card_no(card_no: str) -> bool:
    """A 16–19 digit bank card number whose Luhn check digit is right."""
    digits = normalize_card_no(card_no)
    if not 16 <= len(digits) <= 19 or len(digits) != len(card_no.replace(" ", "")):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
