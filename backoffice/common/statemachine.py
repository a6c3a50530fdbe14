"""Explicit state machines: a table of (state, action) -> new state, and a recorded transition."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.common.models import TransitionLog
from scrm.errors import InvalidTransition


@dataclass(frozen=True)
class Machine:
    entity: str
    label: str
    transitions: dict[tuple[Any, str], Any]

    def target(self, state: enum.Enum, action: str) -> enum.Enum:
        """The state ``action`` leads to from ``state``; 409 naming the states it is allowed from."""
        to = self.transitions.get((state, action))
        if to is None:
            allowed = sorted({s.value for (s, a) in self.transitions if a == action})
            where = "、".join(allowed) if allowed else "无"
            raise InvalidTransition(
                f"{self.label}当前状态为 {state.value}，不能执行 {action}（仅允许在以下状态执行：{where}）",
                entity=self.entity, state=state.value, action=action)
        return to

    def advance(self, session: Session, obj: Any, action: str, *, actor_id: int | None = None,
                note: str | None = None, data: dict | None = None) -> enum.Enum:
        """Move ``obj.status`` along ``action`` and record the change.

        The move is a conditional UPDATE from the state read: when another request moved the same
        object first (two finance users paying one claim at once), its row count is 0 and this one
        answers 409 instead of repeating the move, on every backend, with or without a row lock."""
        before = obj.status
        after = self.target(before, action)
        session.flush()
        model = type(obj)
        moved = session.execute(update(model).where(model.id == obj.id, model.status == before)
                                .values(status=after).execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            session.refresh(obj, attribute_names=["status"])
            self.target(obj.status, action)
            raise InvalidTransition(f"{self.label}刚被其他操作改为 {obj.status.value}，请刷新后再试",
                                    entity=self.entity, state=obj.status.value, action=action)
        obj.status = after  # written again with the caller's other changes at the next flush; a rolled-back savepoint expires it
        session.add(TransitionLog(entity=self.entity, entity_id=obj.id, action=action, from_status=before.value,
                                  to_status=after.value, actor_employee_id=actor_id, note=note, data=data or {}))
        return after

    def record_creation(self, session: Session, obj: Any, *, actor_id: int | None = None,
                        note: str | None = None) -> None:
        self.record(session, obj, "create", actor_id=actor_id, note=note, initial=True)

    def record(self, session: Session, obj: Any, action: str, *, actor_id: int | None = None,
               note: str | None = None, data: dict | None = None, initial: bool = False) -> None:
        """Record a change that keeps the state (creation, an amendment, a correction of an expense)."""
        session.flush()
        session.add(TransitionLog(entity=self.entity, entity_id=obj.id, action=action,
                                  from_status=None if initial else obj.status.value, to_status=obj.status.value,
                                  actor_employee_id=actor_id, note=note, data=data or {}))


def history(session: Session, entity: str, entity_id: int) -> list[TransitionLog]:
    """The recorded transitions of one object, oldest first."""
    session.flush()
    return list(session.scalars(select(TransitionLog).where(TransitionLog.entity == entity,
                                                            TransitionLog.entity_id == entity_id)
                                .order_by(TransitionLog.id)))
