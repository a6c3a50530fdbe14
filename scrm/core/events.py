"""Domain events through an outbox table.

``emit`` writes the event in the caller's transaction; after commit a job delivers it to each
subscriber, each in its own transaction together with a delivery row, so a subscriber's effect
happens once even when the job runs twice. Subscriptions are made by the composition root
(``loan_scrm.wiring``), so that a module hears another without importing it (``scrm`` never imports
``backoffice``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import ForeignKey, String, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from scrm.core import jobs
from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, insert_ignore, session_scope, utcnow

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict], Any]
_subscribers: dict[str, list[Handler]] = {}
_installed = False


def subscribe(name: str, *handlers: Handler) -> None:
    """Deliver ``name`` events to ``handlers``, in this order; the composition root calls this for every
    subscription before the process emits or delivers anything."""
    global _installed
    listed = _subscribers.setdefault(name, [])
    listed.extend(h for h in handlers if h not in listed)
    _installed = True


def subscribers(name: str) -> list[Handler]:
    if not _installed:
        # an event emitted with no subscriptions known would be marked delivered to nobody: refuse instead
        raise RuntimeError("no event subscriptions are installed: start the process through loan_scrm "
                           "(its app, CLI or wiring.install())")
    return list(_subscribers.get(name, ()))


def subscriber_key(handler: Handler) -> str:
    """The name a delivery is recorded under, so a subscriber hears each event once."""
    return f"{handler.__module__}:{handler.__qualname__}"


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
    if subscribers(name):
        jobs.enqueue(session, "events.deliver", event.id, job_id=f"event-{event.id}")
    else:
        event.dispatched_at = utcnow()
    return event


def emit_many(session: Session, name: str, payloads: list[dict[str, Any]]) -> list[int]:
    """Record many events of one kind in one INSERT; each is delivered after commit as if emitted alone."""
    if not payloads:
        return []
    session.flush()
    now = utcnow()
    subscribed = bool(subscribers(name))
    rows = [{"name": name, "payload": payload, "created_at": now, "dispatched_at": None if subscribed else now}
            for payload in payloads]
    # executemany with RETURNING: SQLAlchemy sends multi-row INSERTs and gives the ids back in payload order
    stmt = insert(OutboxEvent.__table__).returning(OutboxEvent.__table__.c.id, sort_by_parameter_order=True)
    ids = list(session.execute(stmt, rows).scalars())
    if subscribed:
        for event_id in ids:
            jobs.enqueue(session, "events.deliver", event_id, job_id=f"event-{event_id}")
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


@jobs.job("events.deliver")
def deliver(event_id: int) -> None:
    """Job: hand one event to each subscriber that has not had it yet."""
    with session_scope() as session:
        event = session.get(OutboxEvent, event_id)
        if event is None or event.dispatched_at is not None:
            return
        name, payload = event.name, dict(event.payload)
    for handler in subscribers(name):
        with session_scope() as session:
            fresh = insert_ignore(session, EventDelivery.__table__,
                                  {"event_id": event_id, "subscriber": subscriber_key(handler), "delivered_at": utcnow()},
                                  ["event_id", "subscriber"])
            if fresh is None:
                continue
            handler(session, payload)
    with session_scope() as session:
        session.get(OutboxEvent, event_id).dispatched_at = utcnow()


@jobs.job("events.redeliver_stale")
def redeliver_stale(older_than_s: int = 60) -> int:
    """Periodic: re-queue events whose delivery job was lost; returns how many."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    with session_scope() as session:
        ids = session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.created_at < cutoff)
        ).all()
    for event_id in ids:
        jobs.enqueue(None, "events.deliver", event_id)
    return len(ids)
