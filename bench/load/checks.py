"""What the database says after (and during) a run: queue lag, the backlog, and the invariants —
every accepted callback stored once and processed, no side effect twice."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import psycopg

DONE = ("done", "ignored")


def _connect(conninfo: str) -> psycopg.Connection:
    return psycopg.connect(conninfo, connect_timeout=3, autocommit=True)


def queue_lag_ms(conninfo: str, since: datetime, until: datetime) -> dict[str, float]:
    """p50/p95/p99/max of processed_at - received_at for callbacks received in [since, until)."""
    with _connect(conninfo) as conn:
        row = conn.execute(
            "SELECT count(*), percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY lag), max(lag) FROM ("
            " SELECT extract(epoch FROM processed_at - received_at) * 1000 AS lag FROM inbox_event"
            " WHERE received_at >= %s AND received_at < %s AND processed_at IS NOT NULL) x",
            (since, until)).fetchone()
    count, pcts, worst = row
    pcts = pcts or [float("nan")] * 3
    return {"count": count, "p50": pcts[0], "p95": pcts[1], "p99": pcts[2], "max": worst or float("nan")}


def unprocessed(conninfo: str, keys: set[str]) -> int | None:
    """How many of these accepted callbacks are not (yet) processed, or None when the database is away."""
    if not keys:
        return 0
    try:
        with _connect(conninfo) as conn:
            done = conn.execute("SELECT count(*) FROM inbox_event WHERE dedupe_key = ANY(%s) AND status = ANY(%s)",
                                (list(keys), list(DONE))).fetchone()[0]
    except psycopg.Error:
        return None
    return len(keys) - done


def wait_processed(conninfo: str, keys: set[str], timeout_s: float, interval: float = 0.5) -> float | None:
    """Seconds until every one of ``keys`` is processed; None when that did not happen within ``timeout_s``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if unprocessed(conninfo, keys) == 0:
            return time.monotonic() - start
        time.sleep(interval)
    return None


@dataclass
class Invariants:
    accepted: int
    stored: int
    lost: int  # accepted, not in the inbox
    unprocessed: int  # in the inbox, not processed (yet)
    duplicate_inbox: int
    duplicate_customers: int  # external user ids with more than one customer
    missing_customers: int  # contacts whose add was processed, without a customer
    duplicate_created_entries: int  # customers with more than one "created" timeline entry
    duplicate_timeline: int  # (customer, source_key) pairs written twice
    duplicate_created_events: int  # customers with more than one customer.created domain event

    @property
    def duplicated_side_effects(self) -> int:
        return (self.duplicate_inbox + self.duplicate_customers + self.duplicate_created_entries
                + self.duplicate_timeline + self.duplicate_created_events)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.unprocessed == 0 and self.missing_customers == 0 \
            and self.duplicated_side_effects == 0


def invariants(conninfo: str, accepted_keys: set[str], adds: dict[str, str]) -> Invariants:
    """``adds``: dedupe key -> external_userid of the add callbacks among ``accepted_keys``; each one
    processed must have left a customer."""
    with _connect(conninfo) as conn:
        rows = dict(conn.execute("SELECT dedupe_key, status FROM inbox_event WHERE dedupe_key = ANY(%s)",
                                 (list(accepted_keys),)).fetchall())
        added_contacts = {ext for key, ext in adds.items() if rows.get(key) == "done"}
        one = lambda sql, *args: conn.execute(sql, args or None).fetchone()[0]  # noqa: E731
        dup_inbox = one("SELECT count(*) - count(DISTINCT dedupe_key) FROM inbox_event")
        dup_customers = one("SELECT count(*) FROM (SELECT wecom_external_userid FROM customer WHERE "
                            "wecom_external_userid IS NOT NULL GROUP BY 1 HAVING count(*) > 1) x")
        have = {r[0] for r in conn.execute("SELECT wecom_external_userid FROM customer WHERE wecom_external_userid "
                                           "= ANY(%s)", (list(added_contacts),))}
        dup_created = one("SELECT count(*) FROM (SELECT customer_id FROM timeline_entry WHERE kind = 'created' "
                          "GROUP BY 1 HAVING count(*) > 1) x")
        dup_timeline = one("SELECT count(*) FROM (SELECT customer_id, source_key FROM timeline_entry WHERE "
                           "source_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) x")
        dup_events = one("SELECT count(*) FROM (SELECT payload::jsonb->>'customer_id' FROM outbox_event WHERE "
                         "name = 'customer.created' GROUP BY 1 HAVING count(*) > 1) x")
    return Invariants(
        accepted=len(accepted_keys), stored=len(rows), lost=len(accepted_keys) - len(rows),
        unprocessed=sum(1 for s in rows.values() if s not in DONE), duplicate_inbox=dup_inbox,
        duplicate_customers=dup_customers, missing_customers=len(added_contacts - have),
        duplicate_created_entries=dup_created, duplicate_timeline=dup_timeline, duplicate_created_events=dup_events)


def bot_answered(conninfo: str, keys: set[str]) -> int:
    """How many of these text-message callbacks have exactly one bot reply."""
    if not keys:
        return 0
    with _connect(conninfo) as conn:
        return conn.execute("SELECT count(*) FROM (SELECT reply_to FROM bot_message WHERE reply_to = ANY(%s) "
                            "GROUP BY 1 HAVING count(*) = 1) x", (list(keys),)).fetchone()[0]
