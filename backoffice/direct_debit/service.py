"""Direct debit: one order per amount due, attempts at the provider, notifications, polling, reconciliation.

A debit is never executed twice for the same amount due:

- ``create_debit`` is unique on (due_key, amount): pressing the button twice returns the same order.
- The attempt row with its ``out_trade_no`` is committed before the provider is called, so a notification
  that arrives before the call returns finds it, and a worker that dies after the call leaves a ``sending``
  attempt that only a query resolves (``poll_debits``), never a second submit.
- A timed-out submit makes the debit ``unknown``; only a query moves it on. A retryable refusal is a new
  attempt with a new ``out_trade_no``, at most ``debit_max_attempts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backoffice.common.loading import get_or_404
from backoffice.direct_debit.events import DebitFailed, DebitSucceeded, PaymentAlertRaised
from backoffice.direct_debit.labels import DEBIT_NAMES
from backoffice.direct_debit.models import (AttemptStatus, DebitAttempt, DebitChange, DebitNotification, DebitOrder,
                                            DebitStatus, PaymentAlert, Reconciliation)
from backoffice.direct_debit.providers import PROVIDERS, Outcome, for_mandate
from scrm.core import events, jobs
from scrm.core.clock import BEIJING
from scrm.core.config import get_settings
from scrm.core.db import insert_ignore, utcnow
from scrm.core.errors import Conflict, Forbidden, ValidationFailed
from scrm.core.money import from_fen
from scrm.core.statemachine import Change, Machine
from scrm.mandates import service as mandate_service
from scrm.mandates.models import Mandate, MandateStatus
from scrm.org.models import Employee, Role
from scrm.wechatpay.client import PayError, beijing_now, papay_window_opens
from scrm.wechatpay.signing import BadSignature

log = logging.getLogger(__name__)

DEBIT_ROLES = {Role.finance, Role.admin}
LIVE = (DebitStatus.submitted, DebitStatus.unknown)
SUCCEEDED = (DebitStatus.succeeded, DebitStatus.reconciled)


# ---------------------------------------------------------------- state machine


def _log(session: Session, change: Change) -> None:
    session.add(DebitChange(debit_id=change.entity_id, to_status=change.to_state.value, reason=(change.note or "")[:255],
                            actor_id=change.actor_id,
                            from_status=change.from_state.value if change.from_state is not None else None))


DS = DebitStatus
DEBIT_MACHINE = Machine("debit", "代扣", {
    (DS.created, "submit"): DS.submitted,
    (DS.created, "fail"): DS.failed,
    (DS.submitted, "succeed"): DS.succeeded,
    (DS.submitted, "fail"): DS.failed,
    (DS.submitted, "mark_unknown"): DS.unknown,
    (DS.unknown, "succeed"): DS.succeeded,
    (DS.unknown, "fail"): DS.failed,
    (DS.unknown, "submit"): DS.submitted,
    (DS.succeeded, "reconcile"): DS.reconciled,
    (DS.submitted, "poll"): DS.submitted,  # asking the provider now; the answer moves it
    (DS.unknown, "poll"): DS.unknown,
}, _log, state_labels=DEBIT_NAMES)


ALERT_NAMES = {"amount_mismatch": "金额不符", "charged_twice": "重复扣款", "succeeded_after_failure": "失败后又成功",
               "bad_signature": "通知验签失败", "unknown_order": "未知订单的通知", "reconciliation": "对账不符"}
# alerts anyone on the internet can cause (a forged or stray notification): finance hears of them hourly
OUTSIDE_ALERTS = ("bad_signature", "unknown_order")


def alert(session: Session, kind: str, message: str, debit_id: int | None = None,
          detail: dict[str, Any] | None = None) -> PaymentAlert:
    """Record something finance must look at, log it as an error, and tell finance (``payment.alert``)."""
    log.error("payment alert %s (debit %s): %s %s", kind, debit_id, message, detail or "")
    row = PaymentAlert(kind=kind, debit_id=debit_id, message=message[:255], detail=detail or {})
    session.add(row)
    session.flush()
    events.emit(session, PaymentAlertRaised(alert_id=row.id, kind=kind, label=ALERT_NAMES.get(kind, kind),
                                             hourly=kind in OUTSIDE_ALERTS, debit_id=debit_id, message=row.message))
    return row


def provider_now() -> datetime:
    """The clock the papay window and ``not_before`` are read on (the wall clock, moved by the configured offset)."""
    return beijing_now()


# ---------------------------------------------------------------- creating


def create_debit(session: Session, actor: Employee, *, customer_id: int, due_key: str, amount_fen: int,
                 description: str, mandate_id: int | None = None, again_after_failure: bool = False) -> DebitOrder:
    """The debit order for this amount due, created once; the same key and amount return the same order.

    With ``again_after_failure`` a debit that ended ``failed`` (the card was short, the contract was
    cancelled) does not block the amount due for good: the next press makes a new round, keyed
    ``<due_key>#2``, ``#3`` …, and a double press of that button still lands on one order."""
    if actor.role not in DEBIT_ROLES:
        raise Forbidden("only finance may debit a customer")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValidationFailed("amount must be at least 0.01 yuan", field="amount")
    due_key = (due_key or "").strip()
    if not due_key or len(due_key) > 120:
        raise ValidationFailed("due_key must be 1 to 120 characters", field="due_key")
    description = (description or "").strip()[:128] or "代扣"
    base_key = due_key
    existing = find_debit(session, due_key, amount_fen)
    while again_after_failure and existing is not None and existing.status == DebitStatus.failed:
        due_key = f"{base_key}#{round_of(due_key) + 1}"
        existing = find_debit(session, due_key, amount_fen)
    if existing is not None:
        return existing
    other = session.scalars(select(DebitOrder).where(
        or_(DebitOrder.due_key == base_key, DebitOrder.due_key.startswith(f"{base_key}#", autoescape=True)),
        DebitOrder.status != DebitStatus.failed)).first()
    if other is not None:
        raise Conflict(f"{due_key} already has debit {other.id} of {from_fen(other.amount_fen)} yuan ({other.status.value})",
                       field="due_key", debit_id=other.id)
    mandate = choose_mandate(session, customer_id, amount_fen, mandate_id)
    provider = for_mandate(mandate)
    not_before = papay_window_opens(provider_now()) if provider.window else None
    new_id = insert_ignore(session, DebitOrder.__table__, {
        "due_key": due_key, "amount_fen": amount_fen, "customer_id": customer_id, "mandate_id": mandate.id,
        "provider": provider.name, "description": description, "status": DebitStatus.created.value,
        "not_before": not_before, "attempts": 0, "created_by_id": actor.id, "created_at": utcnow(),
        "updated_at": utcnow()}, ["due_key", "amount_fen"])
    if new_id is None:  # pressed twice at the same moment: the other press made it
        return find_debit(session, due_key, amount_fen)
    debit = session.get(DebitOrder, new_id)
    why = f"created by {actor.name}" + (f"; papay deducts from {not_before:%Y-%m-%d %H:%M} Beijing time"
                                         if not_before else "")
    DEBIT_MACHINE.record_creation(session, debit, actor_id=actor.id, note=why)
    if not_before is None:
        jobs.enqueue(session, "direct_debit.submit_debit", debit.id, queue="urgent")
    return debit


def round_of(due_key: str) -> int:
    _, sep, n = due_key.rpartition("#")
    return int(n) if sep and n.isdigit() else 1


def base_due_key(due_key: str) -> str:
    """``settlement:12`` for ``settlement:12#3`` (the third round of that amount due)."""
    head, sep, n = due_key.rpartition("#")
    return head if sep and n.isdigit() else due_key


def find_debit(session: Session, due_key: str, amount_fen: int) -> DebitOrder | None:
    return session.scalars(select(DebitOrder).where(DebitOrder.due_key == due_key,
                                                    DebitOrder.amount_fen == amount_fen)).first()


def choose_mandate(session: Session, customer_id: int, amount_fen: int, mandate_id: int | None) -> Mandate:
    usable = mandate_service.active_mandates(session, customer_id)
    if mandate_id is not None:
        mandate = next((m for m in usable if m.id == mandate_id), None)
        if mandate is None:
            raise ValidationFailed(f"authorisation {mandate_id} is not an active authorisation of customer {customer_id}",
                                   field="mandate_id")
    else:
        if not usable:
            raise Conflict(f"customer {customer_id} has no active direct-debit authorisation", field="customer_id")
        fitting = [m for m in usable if (m.max_amount_fen or 0) >= amount_fen]
        mandate = fitting[0] if fitting else usable[0]
    if mandate.max_amount_fen is not None and amount_fen > mandate.max_amount_fen:
        raise ValidationFailed(f"{from_fen(amount_fen)} yuan is more than the {from_fen(mandate.max_amount_fen)} yuan "
                               f"the customer authorised per debit", field="amount")
    return mandate


# ---------------------------------------------------------------- submitting


@dataclass
class Plan:
    """An attempt saved and committed, ready to be sent."""

    attempt_id: int
    debit_id: int
    out_trade_no: str
    amount_fen: int
    description: str
    provider: str
    mandate: Mandate


def latest_attempt(session: Session, debit_id: int) -> DebitAttempt | None:
    return session.scalars(select(DebitAttempt).where(DebitAttempt.debit_id == debit_id)
                           .order_by(DebitAttempt.no.desc()).limit(1)).first()


def begin_attempt(session: Session, debit_id: int) -> Plan | None:
    """Save the next attempt (its out_trade_no) if the debit is due one; None when there is nothing to send."""
    debit = session.get(DebitOrder, debit_id, with_for_update=True)
    if debit is None:
        return None
    latest = latest_attempt(session, debit.id)
    if debit.status == DebitStatus.created:
        if debit.not_before is not None and debit.not_before > provider_now():
            return None
    elif debit.status in LIVE and latest is not None:
        if latest.status == AttemptStatus.sending:
            # the previous run died between calling the provider and recording the answer: ask, never resend
            mark_lost(session, debit, latest)
            return None
        if not (latest.status == AttemptStatus.failed and latest.retryable):
            return None
    else:
        return None
    mandate = session.get(Mandate, debit.mandate_id)
    if mandate is None or mandate.status != MandateStatus.active or \
            (mandate.valid_until is not None and mandate.valid_until <= utcnow()):
        fail(session, debit, "the customer's authorisation is no longer active")
        return None
    provider = PROVIDERS[debit.provider]
    if provider.window:
        opens = papay_window_opens(provider_now())
        if opens is not None:
            debit.not_before = opens
            return None
        if debit.notice_sent_at is None:
            try:
                provider.prepare(mandate, debit.amount_fen)
            except PayError as exc:
                if exc.timeout:
                    raise
                fail(session, debit, f"the pre-deduction notice was refused: {exc.err_code} {exc.err_msg or ''}")
                return None
            debit.notice_sent_at = utcnow()
    no = debit.attempts + 1
    attempt = DebitAttempt(debit_id=debit.id, no=no, out_trade_no=f"DD{debit.id:010d}N{no}",
                           status=AttemptStatus.sending, sent_at=utcnow())
    session.add(attempt)
    debit.attempts = no
    debit.not_before = None
    if debit.status != DebitStatus.submitted:
        DEBIT_MACHINE.advance(session, debit, "submit", note=f"attempt {no} sent as {attempt.out_trade_no}")
    session.flush()
    return Plan(attempt.id, debit.id, attempt.out_trade_no, debit.amount_fen, debit.description, debit.provider, mandate)


def record_submit(session: Session, attempt_id: int, outcome: Outcome | None) -> None:
    """Record the submit call's answer (``None``: it timed out). A notification may have settled it already."""
    attempt = session.get(DebitAttempt, attempt_id)
    debit = session.get(DebitOrder, attempt.debit_id, with_for_update=True)
    session.refresh(attempt)
    if attempt.status != AttemptStatus.sending:
        return
    attempt.answered_at = utcnow()
    if outcome is None:
        attempt.status = AttemptStatus.unknown
        if debit.status == DebitStatus.submitted:
            DEBIT_MACHINE.advance(session, debit, "mark_unknown", note=f"{attempt.out_trade_no}: the provider did not answer")
        _enqueue_poll(session, debit.id)
        return
    apply_outcome(session, debit, attempt, outcome)


def mark_lost(session: Session, debit: DebitOrder, attempt: DebitAttempt) -> None:
    attempt.status = AttemptStatus.unknown
    if debit.status == DebitStatus.submitted:
        DEBIT_MACHINE.advance(session, debit, "mark_unknown", note=f"{attempt.out_trade_no}: the submit's answer was never recorded")
    _enqueue_poll(session, debit.id)


def _enqueue_poll(session: Session, debit_id: int) -> None:
    jobs.enqueue(session, "direct_debit.poll_debit", debit_id)


# ---------------------------------------------------------------- outcomes (answers, notifications, queries)


def apply_outcome(session: Session, debit: DebitOrder, attempt: DebitAttempt, outcome: Outcome) -> str:
    """Apply what the provider says about ``attempt`` (the debit row locked by the caller); returns what happened."""
    if outcome.state == "succeeded":
        return _succeeded(session, debit, attempt, outcome)
    if outcome.state == "failed":
        if attempt.status in (AttemptStatus.succeeded, AttemptStatus.failed):
            return "duplicate"
        _attempt_failed(session, debit, attempt, outcome.reason or "failed", outcome.err_code, outcome.retryable)
        return "failed"
    if outcome.state == "accepted":
        if attempt.status in (AttemptStatus.sending, AttemptStatus.unknown):
            attempt.status = AttemptStatus.accepted
            if debit.status == DebitStatus.unknown and _is_latest(session, debit, attempt):
                DEBIT_MACHINE.advance(session, debit, "submit", note=f"{attempt.out_trade_no}: the provider has the order")
        return "accepted"
    if outcome.state == "not_found":
        grace = timedelta(seconds=get_settings().debit_unknown_grace_s)
        if attempt.status in (AttemptStatus.sending, AttemptStatus.unknown) and utcnow() - attempt.sent_at >= grace:
            _attempt_failed(session, debit, attempt, "the provider has no record of the order", "ORDERNOTEXIST", True)
            return "failed"
        return "pending"
    return "ignored"


def _is_latest(session: Session, debit: DebitOrder, attempt: DebitAttempt) -> bool:
    latest = latest_attempt(session, debit.id)
    return latest is not None and latest.id == attempt.id


def _succeeded(session: Session, debit: DebitOrder, attempt: DebitAttempt, outcome: Outcome) -> str:
    if outcome.amount_fen != debit.amount_fen:
        alert(session, "amount_mismatch", f"{attempt.out_trade_no}: the provider reports {outcome.amount_fen} fen, "
              f"the order is {debit.amount_fen} fen", debit.id,
              {"reported_fen": outcome.amount_fen, "expected_fen": debit.amount_fen, "txn_id": outcome.txn_id})
        return "amount_mismatch"
    previous = attempt.status
    attempt.status = AttemptStatus.succeeded
    if attempt.answered_at is None:
        attempt.answered_at = utcnow()
    if debit.status in SUCCEEDED:
        if previous != AttemptStatus.succeeded:
            alert(session, "charged_twice", f"{attempt.out_trade_no} succeeded but debit {debit.id} had already "
                  "succeeded through another attempt", debit.id, {"txn_id": outcome.txn_id})
            return "alerted"
        return "duplicate"
    if debit.status not in LIVE:
        alert(session, "succeeded_after_failure", f"{attempt.out_trade_no} succeeded after debit {debit.id} was "
              f"marked {debit.status.value}", debit.id, {"txn_id": outcome.txn_id})
        return "alerted"
    DEBIT_MACHINE.advance(session, debit, "succeed", note=f"{attempt.out_trade_no} succeeded ({outcome.txn_id})")
    debit.succeeded_at, debit.provider_txn_id = utcnow(), outcome.txn_id
    events.emit(session, DebitSucceeded(
        debit_id=debit.id, due_key=debit.due_key, customer_id=debit.customer_id, amount_fen=debit.amount_fen,
        provider=debit.provider, succeeded_at=debit.succeeded_at))
    return "succeeded"


def _attempt_failed(session: Session, debit: DebitOrder, attempt: DebitAttempt, reason: str, err_code: str | None,
                    retryable: bool) -> None:
    attempt.status = AttemptStatus.failed
    attempt.err_code, attempt.err_msg, attempt.retryable = err_code, reason[:255], retryable
    attempt.answered_at = attempt.answered_at or utcnow()
    if debit.status not in LIVE or not _is_latest(session, debit, attempt):
        return
    if retryable and debit.attempts < get_settings().debit_max_attempts:
        if debit.status == DebitStatus.unknown:
            DEBIT_MACHINE.advance(session, debit, "submit", note=f"{attempt.out_trade_no} failed ({reason}); trying again")
        jobs.enqueue(session, "direct_debit.submit_debit", debit.id, queue="urgent")
        return
    fail(session, debit, reason if not retryable else f"{reason} (after {debit.attempts} attempts)")


def fail(session: Session, debit: DebitOrder, reason: str) -> None:
    DEBIT_MACHINE.advance(session, debit, "fail", note=reason)
    debit.failure_reason = reason[:255]
    events.emit(session, DebitFailed(debit_id=debit.id, due_key=debit.due_key, customer_id=debit.customer_id,
                                      amount_fen=debit.amount_fen, provider=debit.provider,
                                      reason=debit.failure_reason))


def handle_notification(session: Session, provider_name: str, body: bytes, headers: dict) -> tuple[bool, str]:
    """A provider's asynchronous result: verified in constant time, once per distinct notification, amount
    checked against the order. Returns whether to acknowledge it, and what happened."""
    provider = PROVIDERS[provider_name]
    try:
        notice = provider.parse_notification(body, headers)
    except BadSignature as exc:
        alert(session, "bad_signature", f"a {provider_name} notification failed its signature check: {exc}",
              detail={"body": body[:1000].decode("utf-8", "replace")})
        return False, "bad_signature"
    key = f"{notice.dedupe_key}:{notice.outcome.amount_fen}"
    fresh = insert_ignore(session, DebitNotification.__table__, {
        "provider": provider_name, "dedupe_key": key[:160], "out_trade_no": notice.out_trade_no[:32],
        "outcome": "received", "fields": notice.fields, "received_at": utcnow()}, ["dedupe_key"])
    if fresh is None:
        first = session.scalars(select(DebitNotification.outcome).where(DebitNotification.dedupe_key == key[:160])).first()
        return first != "amount_mismatch", "duplicate"  # a rejected one stays rejected however often it comes
    row = session.get(DebitNotification, fresh)
    attempt = session.scalars(select(DebitAttempt).where(DebitAttempt.out_trade_no == notice.out_trade_no)).first()
    if attempt is None:
        alert(session, "unknown_order", f"a {provider_name} notification for an order we never sent: "
              f"{notice.out_trade_no}", detail={"out_trade_no": notice.out_trade_no})
        row.outcome = "unknown_order"
        return True, "unknown_order"
    debit = session.get(DebitOrder, attempt.debit_id, with_for_update=True)
    session.refresh(attempt)
    result = apply_outcome(session, debit, attempt, notice.outcome)
    row.outcome = result
    return result != "amount_mismatch", result


# ---------------------------------------------------------------- polling


def poll_plan(session: Session, debit_id: int) -> tuple[str, str] | None:
    """(provider, out_trade_no) to ask about, when the debit waits on the provider."""
    debit = session.get(DebitOrder, debit_id)
    attempt = latest_attempt(session, debit_id) if debit is not None else None
    if debit is None or attempt is None or debit.status not in LIVE or \
            attempt.status not in (AttemptStatus.sending, AttemptStatus.accepted, AttemptStatus.unknown):
        return None
    return debit.provider, attempt.out_trade_no


def record_query(session: Session, out_trade_no: str, outcome: Outcome) -> str:
    attempt = session.scalars(select(DebitAttempt).where(DebitAttempt.out_trade_no == out_trade_no)).one()
    debit = session.get(DebitOrder, attempt.debit_id, with_for_update=True)
    session.refresh(attempt)
    if attempt.status == AttemptStatus.sending:
        mark_lost(session, debit, attempt)
    return apply_outcome(session, debit, attempt, outcome)


def sweep(session: Session, stale_after_s: int = 60) -> dict[str, list[int]]:
    """What the periodic poll must do: debits due a submit, and debits to ask the provider about. Attempts
    still ``sending`` after ``stale_after_s`` (a worker died mid-call) become unknown here."""
    now, stale = provider_now(), utcnow() - timedelta(seconds=stale_after_s)
    due = list(session.scalars(select(DebitOrder.id).where(
        DebitOrder.status == DebitStatus.created,
        (DebitOrder.not_before.is_(None) & (DebitOrder.created_at <= stale)) | (DebitOrder.not_before <= now))))
    latest_no = select(DebitAttempt.debit_id, func.max(DebitAttempt.no).label("no")).group_by(DebitAttempt.debit_id).subquery()
    rows = session.execute(
        select(DebitOrder, DebitAttempt)
        .join(latest_no, latest_no.c.debit_id == DebitOrder.id)
        .join(DebitAttempt, (DebitAttempt.debit_id == DebitOrder.id) & (DebitAttempt.no == latest_no.c.no))
        .where(DebitOrder.status.in_(LIVE))).all()
    query = []
    for debit, attempt in rows:
        if attempt.status == AttemptStatus.failed and attempt.retryable:
            due.append(debit.id)
        elif attempt.status == AttemptStatus.sending and attempt.sent_at <= stale:
            session.refresh(debit, with_for_update=True)
            session.refresh(attempt)
            if attempt.status == AttemptStatus.sending and debit.status in LIVE:
                mark_lost(session, debit, attempt)
        elif attempt.status == AttemptStatus.unknown or \
                (attempt.status == AttemptStatus.accepted and attempt.sent_at <= stale):
            query.append(debit.id)
    return {"submit": due, "query": query}


# ---------------------------------------------------------------- reconciliation


def reconcile(session: Session, provider_name: str, day: date) -> Reconciliation:
    """Compare one day's provider bill with our succeeded debits: matched ones become reconciled, every
    difference (missing on either side, amounts) is reported and alerted."""
    if provider_name not in PROVIDERS:
        raise ValidationFailed(f"provider must be one of {', '.join(PROVIDERS)}", field="provider")
    bill = {row.out_trade_no: row for row in PROVIDERS[provider_name].bill(day)}
    mismatches: list[dict] = []
    matched = 0
    attempts = {a.out_trade_no: a for a in session.scalars(
        select(DebitAttempt).where(DebitAttempt.out_trade_no.in_(list(bill))))} if bill else {}
    for out_trade_no, row in bill.items():
        attempt = attempts.get(out_trade_no)
        debit = session.get(DebitOrder, attempt.debit_id, with_for_update=True) if attempt else None
        if debit is None:
            mismatches.append({"kind": "missing_here", "out_trade_no": out_trade_no, "provider_fen": row.amount_fen})
        elif row.amount_fen != debit.amount_fen:
            mismatches.append({"kind": "amount_differs", "debit_id": debit.id, "out_trade_no": out_trade_no,
                               "provider_fen": row.amount_fen, "our_fen": debit.amount_fen})
        elif debit.status == DebitStatus.succeeded:
            DEBIT_MACHINE.advance(session, debit, "reconcile", note=f"in the {provider_name} bill of {day}")
            debit.reconciled_at = utcnow()
            matched += 1
        elif debit.status == DebitStatus.reconciled:
            matched += 1
        else:
            mismatches.append({"kind": "not_succeeded_here", "debit_id": debit.id, "out_trade_no": out_trade_no,
                               "status": debit.status.value, "provider_fen": row.amount_fen})
    offset = timedelta(seconds=get_settings().wechatpay_clock_offset_s)
    day_end = datetime(day.year, day.month, day.day, tzinfo=BEIJING) + timedelta(days=1) - offset
    ours = session.execute(
        select(DebitOrder, DebitAttempt).join(DebitAttempt, DebitAttempt.debit_id == DebitOrder.id)
        .where(DebitOrder.provider == provider_name, DebitOrder.status == DebitStatus.succeeded,
               DebitOrder.succeeded_at < day_end, DebitAttempt.status == AttemptStatus.succeeded)).all()
    for debit, attempt in ours:
        if attempt.out_trade_no not in bill:
            mismatches.append({"kind": "missing_at_provider", "debit_id": debit.id, "out_trade_no": attempt.out_trade_no,
                               "our_fen": debit.amount_fen})
    for m in mismatches:
        alert(session, "reconciliation", f"{provider_name} {day}: {m['kind']} {m.get('out_trade_no')}",
              m.get("debit_id"), m)
    run = (session.scalar(select(func.max(Reconciliation.run)).where(Reconciliation.provider == provider_name,
                                                                     Reconciliation.bill_date == day)) or 0) + 1
    rec = Reconciliation(provider=provider_name, bill_date=day, run=run, matched=matched, mismatches=mismatches)
    session.add(rec)
    session.flush()
    return rec


# ---------------------------------------------------------------- reading


def get_debit(session: Session, debit_id: int) -> DebitOrder:
    return get_or_404(session, DebitOrder, debit_id, "代扣单")


def get_reconciliation(session: Session, reconciliation_id: int) -> Reconciliation:
    return get_or_404(session, Reconciliation, reconciliation_id, "对账记录")


def list_debits(session: Session, *, status: DebitStatus | None = None, customer_id: int | None = None,
                page: int = 1, page_size: int = 20, due_key: str | None = None) -> tuple[list[DebitOrder], int]:
    """Debit orders, newest first; ``due_key`` also matches its later rounds (``settlement:7#2``)."""
    stmt = select(DebitOrder)
    if due_key is not None:
        stmt = stmt.where(or_(DebitOrder.due_key == due_key, DebitOrder.due_key.startswith(f"{due_key}#", autoescape=True)))
    if status is not None:
        stmt = stmt.where(DebitOrder.status == status)
    if customer_id is not None:
        stmt = stmt.where(DebitOrder.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = session.scalars(stmt.order_by(DebitOrder.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    return list(items), total


def attempts_of(session: Session, debit_id: int) -> list[DebitAttempt]:
    return list(session.scalars(select(DebitAttempt).where(DebitAttempt.debit_id == debit_id).order_by(DebitAttempt.no)))


def changes_of(session: Session, debit_id: int) -> list[DebitChange]:
    return list(session.scalars(select(DebitChange).where(DebitChange.debit_id == debit_id).order_by(DebitChange.id)))


def yesterday() -> date:
    return (provider_now() - timedelta(days=1)).date()
