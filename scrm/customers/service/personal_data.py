"""Personal data: the audited full view and erasure."""

from __future__ import annotations

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from scrm.core import events, storage
from scrm.core.errors import Conflict, Forbidden, ValidationFailed
from scrm.customers.events import CustomerErased, FollowUpAdded
from scrm.customers.models import (Attachment, Customer, CustomerFollow, CustomerStatus, DuplicateContact, FollowUp,
                                   TimelineEntry)
from scrm.customers.service.attachments import stored_keys
from scrm.customers.service.common import PII_FIELDS, PII_ROLES, add_timeline
from scrm.org.models import Employee, Role
from scrm.privacy import service as privacy_service


def view_pii(session: Session, viewer: Employee, customer: Customer, *, fields: list[str],
             reason: str) -> dict[str, str | None]:
    """Full phone / ID number for managers, finance, admins and the owner; every view is audit-logged."""
    if viewer.role not in PII_ROLES and viewer.id != customer.owner_id:
        raise Forbidden("只有经理、财务、管理员和该客户的跟进人可以查看完整号码")
    wanted = list(dict.fromkeys(fields or PII_FIELDS))
    unknown = [f for f in wanted if f not in PII_FIELDS]
    if unknown:
        raise ValidationFailed(f"只能查看 {', '.join(PII_FIELDS)}", field="fields")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("请说明查看完整号码的原因", field="reason")
    privacy_service.record_view(session, employee_id=viewer.id, customer_id=customer.id, fields=wanted,
                                reason=reason[:200])
    return {f: getattr(customer, f) for f in wanted}


ERASED_TEXT = "[已按客户要求删除]"


def erase_personal_data(session: Session, actor: Employee | None, customer: Customer, *, reason: str) -> Customer:
    """Anonymise a customer at their request (个人信息删除): identifiers, free text and attachments go;
    ids, stages and amounts stay, so contracts and the ledger keep balancing. Other modules erase
    their own copies on ``customer.erased``."""
    if actor is not None and actor.role not in (Role.manager, Role.admin):
        raise Forbidden("只有经理或管理员可以删除客户的个人信息")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("请说明删除的依据（例如客户的申请编号）", field="reason")
    if customer.status == CustomerStatus.erased:
        raise Conflict("这位客户的个人信息已经删除")
    external_ids = [v for v in (customer.wecom_external_userid, customer.mp_openid, customer.unionid) if v]
    for attr in ("phone", "phone_hash", "phone_tail", "id_no", "id_no_hash", "avatar", "corp_name", "purpose",
                 "wecom_external_userid", "mp_openid", "unionid"):
        setattr(customer, attr, None)
    customer.name = f"已注销客户{customer.id}"
    customer.custom_fields = {}
    customer.status = CustomerStatus.erased
    session.execute(update(FollowUp).where(FollowUp.customer_id == customer.id).values(content=ERASED_TEXT))
    session.execute(update(CustomerFollow).where(CustomerFollow.customer_id == customer.id)
                    .values(remark=None, description=None))
    session.execute(update(TimelineEntry).where(TimelineEntry.customer_id == customer.id)
                    .values(summary=ERASED_TEXT, data={}))
    files = stored_keys(session, customer.id)
    session.execute(delete(Attachment).where(Attachment.customer_id == customer.id))
    session.execute(update(DuplicateContact).where(or_(DuplicateContact.customer_id == customer.id,
                                                       DuplicateContact.existing_customer_id == customer.id))
                    .values(phone_hash=""))
    events.redact_payloads(session, FollowUpAdded, customer.id, ("content",))
    session.flush()
    add_timeline(session, customer.id, "personal_data_erased", "个人信息已按客户要求删除",
                 {"reason": reason[:200]}, actor_employee_id=actor.id if actor else None)
    events.emit(session, CustomerErased(customer_id=customer.id, external_ids=external_ids, files=files))
    return customer


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber, the erasure's last: the customer's stored files are deleted (after the erasure
    committed, so a rolled-back erasure keeps them; a failed delete is retried with the delivery), and the
    event forgets the ids the other subscribers looked for."""
    storage.delete(event.files)
    events.redact_payloads(session, CustomerErased, event.customer_id, ("external_ids", "files"))
