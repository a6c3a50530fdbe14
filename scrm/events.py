"""Domain events through an outbox table.

``emit`` writes the event in the caller's transaction; after commit a job delivers it to each
subscriber, each in its own transaction together with a delivery row, so a subscriber's effect
happens once even when the job runs twice. Subscribers are named here, by dotted path, so that a
module can hear another without importing it (``scrm`` never imports ``backoffice``).
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import ForeignKey, String, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from scrm import jobs
from scrm.db import Base, BigId, JSONDoc, UTCDateTime, insert_ignore, session_scope, utcnow

log = logging.getLogger(__name__)

SUBSCRIBERS: dict[str, list[str]] = {
    # event name -> "module:function" taking (session, payload)
    "customer.duplicate_phone": ["scrm.wecom.service:notify_duplicate_phone"],
    "employee.departed": ["scrm.handover.service:on_employee_departed"],
    "customer.transfer_failed": ["scrm.handover.service:on_transfer_failed"],
    "customer.follow_up_added": ["scrm.tagging.tasks:on_follow_up_added"],
    # every module holding a copy of a customer's personal data drops it; the customers module runs last, to
    # drop from the event itself the identifiers the others needed to find their copies
    "customer.erased": ["scrm.tagging.service:on_customer_erased", "scrm.mandates.service:on_customer_erased",
                        "scrm.referral.service:on_customer_erased", "scrm.miniprogram_api.service:on_customer_erased",
                        "scrm.wecom.service:on_customer_erased", "scrm.wechatpay.service:on_customer_erased",
                        "backoffice.contracts.service:on_customer_erased",
                        "backoffice.processing.service:on_customer_erased",
                        "backoffice.reimbursements.service:on_customer_erased",
                        "scrm.customers.service:on_customer_erased"],
    "customer.created": ["scrm.referral.service:on_customer_created"],
    "customer.merged": ["scrm.referral.service:on_customer_merged"],
    "customer.application_submitted": ["scrm.tagging.tasks:on_application_submitted"],
    "order.signed": ["scrm.referral.service:on_order_signed"],
    "settlement.closed": ["scrm.miniprogram_api.service:on_settlement_closed",
                          "scrm.referral.service:on_settlement_closed", "scrm.sop.service:on_settlement_closed"],
    "settlement.voided": ["scrm.miniprogram_api.service:on_settlement_voided",
                          "scrm.referral.service:on_settlement_voided", "scrm.sop.service:on_settlement_voided"],
    "deposit.refunded": ["scrm.referral.service:on_deposit_refunded"],
    "profile.changed": ["scrm.groups.service:on_profile_changed"],
    "customer.assigned": ["scrm.bot.service:on_customer_assigned"],
    "customer.follow_ended": ["scrm.bot.service:on_follow_ended"],
    "sop.sla_breached": ["scrm.bot.service:on_sla_breached"],
    "loan.disbursed": ["scrm.sop.service:on_loan_disbursed"],
    "debit.succeeded": ["backoffice.settlements.service:on_debit_succeeded"],
    "payment.alert": ["scrm.bot.service:on_payment_alert"],
    "referral.commission_confirmed": ["backoffice.ledger.service:on_commission_confirmed"],
    "referral.commission_reversed": ["backoffice.ledger.service:on_commission_reversed"],
    "referral.withdrawal_paid": ["backoffice.ledger.service:on_withdrawal_paid"],
}


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[dict] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class EventDelivery(Base):
    __tablename__ = "event_delivery"
    __table_args__ = (UniqueConstraint("event_id", "subscriber"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"))
    subscriber: Mapped[str] = mapped_column(String(120))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def emit(session: Session, name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record a domain event in the caller's transaction; it is delivered after commit."""
    event = OutboxEvent(name=name, payload=payload)
    session.add(event)
    session.flush()
    if SUBSCRIBERS.get(name):
        jobs.enqueue(session, deliver, event.id, job_id=f"event-{event.id}")
    else:
        event.dispatched_at = utcnow()
    return event


def emit_many(session: Session, name: str, payloads: list[dict[str, Any]]) -> list[int]:
    """Record many events of one kind in one INSERT; each is delivered after commit as if emitted alone."""
    if not payloads:
        return []
    session.flush()
    now = utcnow()
    subscribed = bool(SUBSCRIBERS.get(name))
    rows = [{"name": name, "payload": payload, "created_at": now, "dispatched_at": None if subscribed else now}
            for payload in payloads]
    # executemany with RETURNING: SQLAlchemy sends multi-row INSERTs and gives the ids back in payload order
    stmt = insert(OutboxEvent.__table__).returning(OutboxEvent.__table__.c.id, sort_by_parameter_order=True)
    ids = list(session.execute(stmt, rows).scalars())
    if subscribed:
        for event_id in ids:
            jobs.enqueue(session, deliver, event_id, job_id=f"event-{event_id}")
    return ids


def redact_payloads(session: Session, name: str, customer_id: int, keys: tuple[str, ...]) -> int:
    """Empty ``keys`` in the ``name`` events about one customer (their free text or identifiers, at an erasure);
    the ids stay. Returns how many events changed."""
    session.flush()
    rows = session.scalars(select(OutboxEvent).where(
        OutboxEvent.name == name, OutboxEvent.payload["customer_id"].as_integer() == customer_id)).all()
    changed = 0
    for event in rows:
        payload = {k: (type(v)() if isinstance(v, (str, list, dict)) else None) if k in keys else v
                   for k, v in event.payload.items()}
        if payload != event.payload:
            event.payload = payload
            changed += 1
    session.flush()
    return changed


def _resolve(path: str) -> Callable[[Session, dict], Any]:
    module, _, func = path.partition(":")
    return getattr(importlib.import_module(module), func)


def deliver(event_id: int) -> None:
    """Job: hand one event to each subscriber that has not had it yet."""
    with session_scope() as session:
        event = session.get(OutboxEvent, event_id)
        if event is None or event.dispatched_at is not None:
            return
        name, payload = event.name, dict(event.payload)
    for subscriber in SUBSCRIBERS.get(name, []):
        with session_scope() as session:
            fresh = insert_ignore(session, EventDelivery.__table__,
                                  {"event_id": event_id, "subscriber": subscriber, "delivered_at": utcnow()},
                                  ["event_id", "subscriber"])
            if fresh is None:
                continue
            _resolve(subscriber)(session, payload)
    with session_scope() as session:
        session.get(OutboxEvent, event_id).dispatched_at = utcnow()


def redeliver_stale(older_than_s: int = 60) -> int:
    """Periodic: re-queue events whose delivery job was lost; returns how many."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    with session_scope() as session:
        ids = session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.created_at < cutoff)
        ).all()
    for event_id in ids:
        jobs.enqueue(None, deliver, event_id)
    return len(ids)
