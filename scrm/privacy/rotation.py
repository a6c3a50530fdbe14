"""Re-encrypting personal data under a new key while the service keeps running.

Rotation: the new key becomes ``SCRM_PII_KEY``, the old one moves to ``SCRM_PII_OLD_KEYS``, every
process restarts with both (reads decrypt under either; lookups match hashes under either), then
``scrm pii rotate`` rewrites every encrypted column and every keyed hash (``info={"blind_index":
(source column, kind)}`` on the hash column) under the new key, batch by batch, each batch its own
transaction. It can be stopped and run again. When it reports nothing left, the old key can go.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, Table, bindparam, func, select, type_coerce, update
from sqlalchemy.engine import Engine

from scrm.core import crypto

NORMALIZERS = {"phone": crypto.normalize_phone, "id_no": crypto.normalize_id_no,
               "card": lambda value: "".join(ch for ch in value if ch.isdigit())}


@dataclass
class TablePlan:
    table: Table
    encrypted: list[str]
    hashes: dict[str, tuple[str, str]] = field(default_factory=dict)  # hash column -> (source column, kind)


def plans(metadata) -> list[TablePlan]:
    out = []
    for table in metadata.sorted_tables:
        encrypted = [c.name for c in table.columns if isinstance(c.type, crypto.EncryptedText)]
        if not encrypted:
            continue
        hashes = {c.name: tuple(c.info["blind_index"]) for c in table.columns if "blind_index" in c.info}
        out.append(TablePlan(table, encrypted, hashes))
    return out


def rotate(engine: Engine, metadata, *, batch_size: int = 500) -> dict[str, int]:
    """Rewrite every row still under an old key; returns rows rewritten per table."""
    done: dict[str, int] = {}
    for plan in plans(metadata):
        done[plan.table.name] = _rotate_table(engine, plan, batch_size)
    return done


def _raw(column):
    return type_coerce(column, String)  # the stored token, not decrypted


def _rotate_table(engine: Engine, plan: TablePlan, batch_size: int) -> int:
    table = plan.table
    pk = list(table.primary_key.columns)[0]
    cols = [_raw(table.c[name]).label(name) for name in plan.encrypted]
    rewritten, last = 0, None
    while True:
        query = select(pk.label("pk"), *cols).order_by(pk).limit(batch_size)
        if last is not None:
            query = query.where(pk > last)
        with engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return rewritten
            last = rows[-1].pk
            changes = []
            for row in rows:
                tokens = {name: getattr(row, name) for name in plan.encrypted}
                if not any(t is not None and crypto.needs_reencrypt(t) for t in tokens.values()):
                    continue
                plain = {name: None if t is None else crypto.decrypt(t) for name, t in tokens.items()}
                change = {"_pk": row.pk}
                change.update({name: None if v is None else crypto.encrypt(v) for name, v in plain.items()})
                for hash_col, (source, kind) in plan.hashes.items():
                    value = plain.get(source)
                    change[hash_col] = None if value is None else crypto.blind_index(kind, NORMALIZERS[kind](value))
                changes.append(change)
            if changes:
                values = {name: bindparam(name, type_=String) for name in changes[0] if name != "_pk"}
                conn.execute(update(table).where(pk == bindparam("_pk")).values(values), changes)
                rewritten += len(changes)


def remaining(engine: Engine, metadata) -> dict[str, int]:
    """Rows per table with a value still encrypted under a key other than the current one."""
    current_prefix = crypto.current_key_id() + ":"
    out = {}
    with engine.connect() as conn:
        for plan in plans(metadata):
            cond = None
            for name in plan.encrypted:
                raw = _raw(plan.table.c[name])
                clause = raw.is_not(None) & ~raw.startswith(current_prefix)
                cond = clause if cond is None else cond | clause
            out[plan.table.name] = conn.scalar(select(func.count()).select_from(plan.table).where(cond))
    return out
