"""A customer's documents (征信报告, 银行流水, ID and deed photos): upload checked by content, encrypted
storage, short-lived download links bound to one employee, an audit row per download, and deletion with
the customer's personal data."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core import crypto, storage
from scrm.core.config import get_settings
from scrm.core.errors import Conflict, NotFound, PayloadTooLarge
from scrm.customers.labels import ATTACHMENT_KIND_NAMES
from scrm.customers.models import Attachment, Customer, CustomerStatus
from scrm.customers.service.common import ATTACHMENT_KINDS, ATTACHMENT_TYPES, _fail, add_timeline
from scrm.org.models import Employee
from scrm.privacy import service as privacy_service

LINK_TTL_S = 300
ALLOWED_TYPES_TEXT = "PDF、JPEG、PNG 或 HEIC"
# ISO-BMFF brands of HEIF images (iPhone photos); mif1/msf1 are HEIF's own, shared with AVIF
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def detect_type(data: bytes) -> str | None:
    """The content type the file's first bytes prove, among the allowed ones; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 16 and data[4:8] == b"ftyp":
        box = int.from_bytes(data[:4], "big")
        end = min(box if 16 <= box <= 4096 else 16, len(data))
        brands = {data[8:12]} | {data[i:i + 4] for i in range(16, end - 3, 4)}
        if brands & _HEIC_BRANDS or (brands & _HEIF_BRANDS and not brands & _AVIF_BRANDS):
            return "image/heic"
    return None


def max_bytes_text(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


def _clean_name(filename: str, content_type: str, kind: str) -> str:
    """The client's file name without any path, with an extension that matches what the content is."""
    name = _UNSAFE_NAME.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    extensions = ATTACHMENT_TYPES[content_type]
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem = name
    if not dot or f".{ext.lower()}" not in extensions:
        name = f"{stem or ATTACHMENT_KIND_NAMES.get(kind, kind)}{extensions[0]}"
    if len(name) > 255:
        ext = "." + name.rsplit(".", 1)[-1]
        name = name[:255 - len(ext)] + ext
    return name


def upload_attachment(session: Session, customer: Customer, *, data: bytes, filename: str, kind: str = "other",
                      uploaded_by: int | None = None, by_customer: bool = False) -> Attachment:
    """Check, encrypt and store a document for ``customer``. Its type is told by its content (PDF, JPEG, PNG,
    HEIC), never by its name. Nothing is stored when a check fails; the object goes again if the caller's
    transaction rolls back."""
    if customer.status in (CustomerStatus.erased, CustomerStatus.merged):
        raise Conflict("这位客户的记录已删除或已合并，不能再上传资料")
    limit = get_settings().files_max_bytes
    if len(data) > limit:
        raise PayloadTooLarge(f"文件不能超过 {max_bytes_text(limit)}", field="file", limit_bytes=limit)
    errors = []
    content_type = detect_type(data) if data else None
    if not data:
        errors.append(("file", "文件是空的"))
    elif content_type is None:
        errors.append(("file", f"只接受 {ALLOWED_TYPES_TEXT} 文件（按文件内容识别，不看扩展名）"))
    if kind not in ATTACHMENT_KINDS:
        errors.append(("kind", f"资料类别只能是 {', '.join(sorted(ATTACHMENT_KINDS))} 之一"))
    _fail(errors)
    key = f"customers/{customer.id}/{uuid.uuid4().hex}"
    key_id = storage.save(session, key, data)
    attachment = Attachment(customer_id=customer.id, filename=_clean_name(filename, content_type, kind),
                            content_type=content_type, size_bytes=len(data), storage_key=key, kind=kind,
                            uploaded_by=uploaded_by, by_customer=by_customer, key_id=key_id,
                            sha256=hashlib.sha256(data).hexdigest())
    session.add(attachment)
    session.flush()
    who = "客户上传" if by_customer else "上传资料"
    add_timeline(session, customer.id, "attachment_added", f"{who}：{ATTACHMENT_KIND_NAMES.get(kind, kind)}",
                 {"attachment_id": attachment.id, "kind": kind}, actor_employee_id=uploaded_by)
    return attachment


def list_attachments(session: Session, customer_id: int, *, by_customer: bool | None = None) -> list[Attachment]:
    session.flush()
    stmt = select(Attachment).where(Attachment.customer_id == customer_id)
    if by_customer is not None:
        stmt = stmt.where(Attachment.by_customer.is_(by_customer))
    return list(session.scalars(stmt.order_by(Attachment.created_at.desc(), Attachment.id.desc())))


def get_attachment(session: Session, customer: Customer, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.customer_id != customer.id or attachment.key_id is None:
        raise NotFound("没有这个附件")
    return attachment


def _link_mac(attachment_id: int, employee_id: int, expires: int) -> str:
    return crypto.mac("attachment-download", f"{attachment_id}:{employee_id}:{expires}")


def download_token(attachment: Attachment, viewer: Employee, *, ttl_s: int = LINK_TTL_S) -> str:
    """A token for one download link: valid for ``ttl_s`` seconds, for this attachment and this employee only."""
    expires = int(time.time()) + ttl_s
    return f"{expires}.{_link_mac(attachment.id, viewer.id, expires)}"


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    data: bytes


def download(session: Session, viewer: Employee, customer: Customer, attachment_id: int, token: str) -> Download:
    """The decrypted file behind a download link, recorded in the personal-data audit trail. The caller has
    checked that ``viewer``'s scope covers ``customer``; a forged, expired or someone else's token is the
    same 404 as an attachment that does not exist."""
    attachment = get_attachment(session, customer, attachment_id)
    expires_text, _, mac = (token or "").partition(".")
    if not expires_text.isdigit() or int(expires_text) < time.time() or not hmac.compare_digest(
            mac, _link_mac(attachment.id, viewer.id, int(expires_text))):
        raise NotFound("没有这个附件")
    try:
        data = storage.load(attachment.storage_key)
    except storage.FileMissing:
        raise NotFound("没有这个附件") from None
    privacy_service.record_view(session, employee_id=viewer.id, customer_id=customer.id, fields=["attachment"],
                                reason=f"下载资料 #{attachment.id}（{ATTACHMENT_KIND_NAMES.get(attachment.kind, attachment.kind)}）")
    return Download(attachment, data)


def stored_keys(session: Session, customer_id: int) -> list[str]:
    """The storage keys of the files this service stored for the customer."""
    return list(session.scalars(select(Attachment.storage_key).where(
        Attachment.customer_id == customer_id, Attachment.key_id.is_not(None))))
