"""Domain events through an outbox table.

Each event is declared by the module that emits it (its ``events.py``) as a frozen, strictly validated
``Event`` subclass naming itself, so a payload of the wrong shape fails where it is built, not in a
subscriber. ``emit`` writes the event in the caller's transaction; after commit a job delivers it to each
subscriber, each in its own transaction together with a delivery row, so a subscriber's effect
happens once even when the job runs twice. Subscriptions are made by the composition root
(``loan_scrm.wiring``), so that a module hears another without importing it (``scrm`` never imports
``backoffice``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any, Callable, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, String, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from scrm.core import jobs
from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, insert_ignore, session_scope, utcnow

log = logging.getLogger(__name__)

_declared: dict[str, type[Event]] = {}


class Event(BaseModel):
    """A domain event: subclasses set ``name`` and declare the payload's fields. Built strictly (an ``int``
    field refuses ``"5"``), read back from the outbox leniently (a ``datetime`` arrives as its ISO text)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    name: ClassVar[str] = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.name:
            raise TypeError(f"{cls.__qualname__} declares no event name")
        known = _declared.get(cls.name)
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"event {cls.name!r} is declared twice: {known.__module__}.{known.__qualname__} "
                            f"and {cls.__module__}.{cls.__qualname__}")
        _declared[cls.name] = cls

    def payload(self) -> dict[str, Any]:
        """The JSON stored in the outbox; times as ``isoformat()`` writes them."""
        return {k: _plain(v) for k, v in self.model_dump().items()}


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class UndeclaredEvent(LookupError):
    pass


def declared(name: str) -> type[Event]:
    """The event class declared under ``name``; raises ``UndeclaredEvent`` for a name no module declares."""
    try:
        return _declared[name]
    except KeyError:
        raise UndeclaredEvent(f"no module declares an event named {name!r}") from None


Handler = Callable[[Session, Any], Any]
_subscribers: dict[str, list[Handler]] = {}
_installed = False


def subscribe(event: type[Event], *handlers: Handler) -> None:
    """Deliver ``event`` to ``handlers``, in this order; the composition root calls this for every
    subscription before the process emits or delivers anything."""
    global _installed
    if not (isinstance(event, type) and issubclass(event, Event)) or declared(event.name) is not event:
        raise UndeclaredEvent(f"subscriptions name a declared Event class, not {event!r}")
    listed = _subscribers.setdefault(event.name, [])
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


def _checked(event: Event) -> Event:
    if not isinstance(event, Event):
        raise TypeError(f"emit takes a declared Event (built from its module's events.py), not {event!r}")
    if declared(event.name) is not type(event):
        raise UndeclaredEvent(f"{type(event).__qualname__} is not the declared {event.name!r} event")
    return event


def emit(session: Session, event: Event) -> OutboxEvent:
    """Record a domain event in the caller's transaction; it is delivered after commit."""
    row = OutboxEvent(name=_checked(event).name, payload=event.payload())
    session.add(row)
    session.flush()
    if subscribers(row.name):
        jobs.enqueue(session, "events.deliver", row.id, job_id=f"event-{row.id}")
    else:
        row.dispatched_at = utcnow()
    return row


def emit_many(session: Session, batch: list[Event]) -> list[int]:
    """Record many events in one INSERT; each is delivered after commit as if emitted alone."""
    if not batch:
        return []
    names = {_checked(event).name for event in batch}
    session.flush()
    now = utcnow()
    subscribed = {name: bool(subscribers(name)) for name in names}
    rows = [{"name": event.name, "payload": event.payload(), "created_at": now,
             "dispatched_at": None if subscribed[event.name] else now} for event in batch]
    # executemany with RETURNING: SQLAlchemy sends multi-row INSERTs and gives the ids back in payload order
    stmt = insert(OutboxEvent.__table__).returning(OutboxEvent.__table__.c.id, sort_by_parameter_order=True)
    ids = list(session.execute(stmt, rows).scalars())
    for event_id, event in zip(ids, batch):
        if subscribed[event.name]:
            jobs.enqueue(session, "events.deliver", event_id, job_id=f"event-{event_id}")
    return ids


def redact_payloads(session: Session, event: type[Event], customer_id: int, keys: tuple[str, ...]) -> int:
    """Empty ``keys`` in the ``event`` events about one customer (their free text or identifiers, at an erasure);
    the ids stay. Returns how many events changed."""
    name = event.name
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
    typed = declared(name).model_validate(payload, strict=False)
    for handler in subscribers(name):
        with session_scope() as session:
            fresh = insert_ignore(session, EventDelivery.__table__,
                                  {"event_id": event_id, "subscriber": subscriber_key(handler), "delivered_at": utcnow()},
                                  ["event_id", "subscriber"])
            if fresh is None:
                continue
            handler(session, typed)
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
