"""Follow-ups and attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.customers.models import Attachment, Customer, CustomerFollow, FollowUp, Stage
from scrm.customers.service.common import (_STORAGE_KEY, ATTACHMENT_KINDS, ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES,
                                           FOLLOW_UP_KINDS, _fail, add_timeline)
from scrm.core.db import utcnow
from scrm.org.models import Employee


def add_follow_up(session: Session, customer: Customer, *, employee_id: int | None, kind: str, content: str,
                  next_at: datetime | None = None) -> FollowUp:
    """Record a contact with the customer; a first real contact moves a fresh lead to contacted."""
    errors = []
    if kind not in FOLLOW_UP_KINDS:
        errors.append(("kind", f"跟进方式只能是 {', '.join(sorted(FOLLOW_UP_KINDS))} 之一"))
    content = (content or "").strip()
    if not content:
        errors.append(("content", "请填写跟进内容"))
    if next_at is not None and next_at.tzinfo is None:
        errors.append(("next_at", "下次跟进时间需要带时区"))
    _fail(errors)
    now = utcnow()
    follow_up = FollowUp(customer_id=customer.id, employee_id=employee_id, kind=kind, content=content[:5000],
                         next_at=next_at, created_at=now)
    session.add(follow_up)
    if kind != "note":
        customer.last_contact_at = now
        if customer.stage == Stage.lead:
            customer.stage = Stage.contacted
    session.flush()
    add_timeline(session, customer.id, "follow_up", f"{kind}：{content[:200]}",
                 {"follow_up_id": follow_up.id, "next_at": next_at.isoformat() if next_at else None},
                 actor_employee_id=employee_id)
    events.emit(session, "customer.follow_up_added", {"customer_id": customer.id, "follow_up_id": follow_up.id,
                                                      "content": content[:2000], "at": now.isoformat()})
    return follow_up


def list_follow_ups(session: Session, customer_id: int, *, limit: int = 50, offset: int = 0) -> list[FollowUp]:
    session.flush()
    return list(session.scalars(select(FollowUp).where(FollowUp.customer_id == customer_id)
                                .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(limit).offset(offset)))


def add_attachment(session: Session, customer: Customer, *, filename: str, content_type: str, size_bytes: int,
                   storage_key: str, kind: str = "other", uploaded_by: int | None = None) -> Attachment:
    """Record an uploaded file's metadata after checking its type, size and name."""
    errors = []
    filename = (filename or "").strip()
    content_type = (content_type or "").strip().lower()
    if not filename or any(c in filename for c in "/\\\x00") or filename in (".", ".."):
        errors.append(("filename", "文件名不能包含路径"))
    extensions = ATTACHMENT_TYPES.get(content_type)
    if extensions is None:
        errors.append(("content_type", "只接受图片（jpg/png/webp/heic）、PDF、Excel 和 Word 文件"))
    elif not filename.lower().endswith(extensions):
        errors.append(("filename", f"文件扩展名应为 {' / '.join(extensions)}"))
    if not isinstance(size_bytes, int) or size_bytes <= 0:
        errors.append(("size_bytes", "文件是空的"))
    elif size_bytes > ATTACHMENT_MAX_BYTES:
        errors.append(("size_bytes", f"文件不能超过 {ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB"))
    if not _STORAGE_KEY.fullmatch(storage_key or "") or ".." in storage_key:
        errors.append(("storage_key", "存储路径不合法"))
    if kind not in ATTACHMENT_KINDS:
        errors.append(("kind", f"资料类别只能是 {', '.join(sorted(ATTACHMENT_KINDS))} 之一"))
    _fail(errors)
    attachment = Attachment(customer_id=customer.id, filename=filename, content_type=content_type,
                            size_bytes=size_bytes, storage_key=storage_key, kind=kind, uploaded_by=uploaded_by)
    session.add(attachment)
    session.flush()
    add_timeline(session, customer.id, "attachment_added", f"上传资料：{filename}",
                 {"attachment_id": attachment.id, "kind": kind}, actor_employee_id=uploaded_by)
    return attachment


def list_attachments(session: Session, customer_id: int) -> list[Attachment]:
    session.flush()
    return list(session.scalars(select(Attachment).where(Attachment.customer_id == customer_id)
                                .order_by(Attachment.created_at.desc(), Attachment.id.desc())))


def list_follows(session: Session, customer_id: int) -> list[tuple[CustomerFollow, str]]:
    """The customer's follows with each salesperson's name, earliest first."""
    session.flush()
    return [(f, n) for f, n in session.execute(
        select(CustomerFollow, Employee.name).join(Employee, Employee.id == CustomerFollow.employee_id)
        .where(CustomerFollow.customer_id == customer_id).order_by(CustomerFollow.added_at, CustomerFollow.id))]
