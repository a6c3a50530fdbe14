"""File storage: put, get and delete bytes by key, on a local directory (the embedded default,
``SCRM_DATA_DIR/files``) or in S3-compatible object storage (``SCRM_FILES_S3_BUCKET``).

Files are encrypted before they reach either (``crypto.encrypt_blob``: AES-GCM under a key derived from
the personal-data key, a random nonce per object, the key id in the object's header), so neither the
disk nor the bucket holds anything readable without the key. ``save`` ties a written object to the
session that records it: when that transaction rolls back, the object is deleted again.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import event
from sqlalchemy.orm import Session

from scrm.core import crypto
from scrm.core.config import get_settings

log = logging.getLogger(__name__)

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*")
_WRITTEN = "scrm_stored_files"


class Store(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class FileMissing(LookupError):
    pass


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise FileMissing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str,
                 addressing_style: str = "auto") -> None:
        self.bucket = bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint or None, region_name=region or None,
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3},
                          s3={"addressing_style": addressing_style or "auto"}))

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_checked(key), Body=data,
                               ContentType="application/octet-stream")

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_checked(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileMissing(key) from None
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_checked(key))


@lru_cache(maxsize=4)
def _store(root: Path, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str,
           addressing_style: str) -> Store:
    if bucket:
        return S3Store(endpoint=endpoint, bucket=bucket, access_key=access_key, secret_key=secret_key, region=region,
                       addressing_style=addressing_style)
    return LocalStore(root)


def get_store() -> Store:
    """The store the settings name (one per distinct configuration, reused)."""
    s = get_settings()
    return _store((s.data_dir / "files").resolve(), s.files_s3_endpoint, s.files_s3_bucket, s.files_s3_access_key,
                  s.files_s3_secret_key, s.files_s3_region, s.files_s3_addressing_style)


def save(session: Session, key: str, data: bytes) -> str:
    """Encrypt and store ``data`` under ``key``; returns the id of the key it was encrypted with. Deleted
    again if ``session``'s transaction rolls back, so a refused or failed record leaves no object behind."""
    key_id, blob = crypto.encrypt_blob(data, bound_to=key)
    get_store().put(key, blob)
    session.info.setdefault(_WRITTEN, []).append(key)
    return key_id


def load(key: str) -> bytes:
    """The decrypted file stored under ``key`` (``FileMissing`` when there is none)."""
    return crypto.decrypt_blob(get_store().get(key), bound_to=key)


def delete(keys: list[str]) -> None:
    """Delete the objects; a key with no object is no error (deleting twice is harmless)."""
    store = get_store()
    for key in keys:
        if not _KEY.fullmatch(key) or ".." in key:
            log.warning("not deleting %r: not a key this service stores under", key)
            continue
        store.delete(key)


@event.listens_for(Session, "after_commit")
def _keep_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_rollback")
def _delete_after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for key in session.info.pop(_WRITTEN, None) or ():
        try:
            get_store().delete(key)
        except Exception:  # an orphaned object holds only ciphertext; the failure is logged for a sweep
            log.exception("could not delete the stored file %s of a rolled-back transaction", key)
