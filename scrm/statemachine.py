"""Explicit state machines: a table of allowed transitions, and one check that says why a move is refused."""

from __future__ import annotations

import enum
from typing import Mapping

from scrm.errors import InvalidTransition


def check_transition(table: Mapping[enum.Enum, frozenset | set], what: str, current: enum.Enum,
                     target: enum.Enum) -> None:
    """Raise ``InvalidTransition`` (409) unless ``current`` → ``target`` is in ``table``."""
    allowed = table.get(current, frozenset())
    if target not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "nothing (it is final)"
        raise InvalidTransition(f"{what} is {current.value} and cannot become {target.value}; "
                                f"from {current.value} it can become: {options}",
                                current=current.value, target=target.value)
