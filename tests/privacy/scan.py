"""Searching the whole database for values that must not be stored: every text, JSON and binary column of
every table, read as stored (ciphertext for encrypted columns) and, if asked, encrypted columns decrypted."""

from __future__ import annotations

from sqlalchemy import LargeBinary, String, Text, select, type_coerce

from loan_scrm.models import metadata
from scrm.core.crypto import EncryptedText


def _text(value) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def stored_matches(db, needles: list[str], *, decrypt: bool = False) -> list[tuple[str, str, str]]:
    """(table, column, needle) for each stored value that contains one of ``needles``; with ``decrypt``, encrypted
    columns are searched in clear as well."""
    db.flush()
    found = []
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, LargeBinary, EncryptedText))
                   or c.type.__class__.__name__ in ("JSON", "Variant")]
        if not columns:
            continue
        selected = [(c.name, type_coerce(c, String)) for c in columns]
        selected += [(f"{c.name} (decrypted)", c) for c in columns if decrypt and isinstance(c.type, EncryptedText)]
        for row in db.execute(select(*(expr for _, expr in selected))):
            for (name, _), value in zip(selected, row):
                if value is not None:
                    text = _text(value)
                    found += [(table.name, name, n) for n in needles if n in text]
    return found
