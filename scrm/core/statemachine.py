"""The one state-machine helper: a table of (state, action) -> new state, a history store, and moves that are
conditional UPDATEs from the state read, so every machine refuses an illegal or raced step with the same 409."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping

from sqlalchemy import update
from sqlalchemy.orm import Session

from scrm.core.errors import Forbidden, InvalidTransition


@dataclass(frozen=True)
class Change:
    """One recorded change, as handed to a machine's history store (``from_state`` is None at creation; ``obj``
    is None for a change made in bulk, which knows only the id)."""

    machine: Machine
    entity_id: int
    obj: Any
    action: str
    from_state: enum.Enum | None
    to_state: enum.Enum
    actor_id: int | None
    note: str | None
    data: dict


HistoryStore = Callable[[Session, Change], None]


@dataclass(frozen=True)
class Machine:
    entity: str  # the name stored in history rows and answered in the 409 (``order``, ``handover_item`` …)
    label: str  # what a person calls it (订单, 交接项 …)
    transitions: Mapping[tuple[Any, str], Any]
    store: HistoryStore
    attribute: str = "status"
    state_labels: Mapping[Any, str] = field(default_factory=dict)
    action_labels: Mapping[str, str] = field(default_factory=dict)
    # action -> the roles that may take it; an action not named here is open to every role
    roles: Mapping[str, Collection[Any]] = field(default_factory=dict)
    # called with (obj, new state) after each move: timestamps such as closed_at
    on_enter: Callable[[Any, Any], None] | None = None

    @property
    def actions(self) -> list[str]:
        return sorted({a for (_, a) in self.transitions})

    def allowed_from(self, action: str) -> list[Any]:
        return sorted((s for (s, a) in self.transitions if a == action), key=lambda s: s.value)

    def _state(self, state: Any) -> str:
        return self.state_labels.get(state, state.value)

    def _action(self, action: str) -> str:
        return self.action_labels.get(action, action)

    def refusal(self, state: Any, action: str, entity_id: int | None = None) -> InvalidTransition:
        """The 409 for ``action`` from ``state``: it names the current state and the states the action is allowed from."""
        allowed = self.allowed_from(action)
        where = "、".join(self._state(s) for s in allowed) or "无"
        who = f"{self.label} #{entity_id}" if entity_id is not None else self.label
        return InvalidTransition(
            f"{who} 当前状态为 {self._state(state)}，不能执行「{self._action(action)}」（仅允许在以下状态执行：{where}）",
            entity=self.entity, entity_id=entity_id, state=state.value, action=action,
            allowed=[s.value for s in allowed])

    def target(self, state: Any, action: str, entity_id: int | None = None) -> Any:
        """The state ``action`` leads to from ``state``; the 409 when it is not allowed."""
        to = self.transitions.get((state, action))
        if to is None:
            raise self.refusal(state, action, entity_id)
        return to

    def check(self, obj: Any, action: str) -> Any:
        """The state ``action`` would move ``obj`` to, without moving it (for a check before an outside call)."""
        return self.target(getattr(obj, self.attribute), action, obj.id)

    def allowed_actions(self, obj: Any, actor: Any = None) -> list[str]:
        """The actions ``obj`` may take now, limited to those ``actor``'s role may take when an actor is given."""
        state = getattr(obj, self.attribute)
        return [a for a in self.actions if (state, a) in self.transitions
                and (actor is None or a not in self.roles or actor.role in self.roles[a])]

    def authorize(self, actor: Any, action: str) -> None:
        """403 unless ``actor``'s role may take ``action`` (the machine's role guard; data scope is the caller's)."""
        if action in self.roles and actor.role not in self.roles[action]:
            names = "、".join(sorted(getattr(r, "value", str(r)) for r in self.roles[action]))
            raise Forbidden(f"{self.label}的「{self._action(action)}」只有以下角色可以执行：{names}",
                            entity=self.entity, action=action)

    def advance(self, session: Session, obj: Any, action: str, *, actor_id: int | None = None,
                note: str | None = None, data: dict | None = None) -> Any:
        """Move ``obj`` along ``action`` and record the change.

        The move is a conditional UPDATE from the state read: when another request moved the same
        object first (two finance users paying one claim at once), its row count is 0 and this one
        answers 409 instead of repeating the move, on every backend, with or without a row lock."""
        before = getattr(obj, self.attribute)
        after = self.target(before, action, obj.id)
        session.flush()
        model = type(obj)
        column = getattr(model, self.attribute)
        moved = session.execute(update(model).where(model.id == obj.id, column == before)
                                .values({self.attribute: after}).execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            session.refresh(obj, attribute_names=[self.attribute])
            now = getattr(obj, self.attribute)
            self.target(now, action, obj.id)
            raise InvalidTransition(f"{self.label} #{obj.id} 刚被其他操作改为 {self._state(now)}，请刷新后再试",
                                    entity=self.entity, entity_id=obj.id, state=now.value, action=action,
                                    allowed=[s.value for s in self.allowed_from(action)])
        # written again with the caller's other changes at the next flush; a rolled-back savepoint expires it
        setattr(obj, self.attribute, after)
        if self.on_enter is not None:
            self.on_enter(obj, after)
        self.store(session, Change(self, obj.id, obj, action, before, after, actor_id, note, data or {}))
        return after

    def advance_many(self, session: Session, model: type, ids: list[int], action: str, *, from_state: Any,
                     values: dict | None = None, returning: tuple = (), note: str | None = None,
                     actor_id: int | None = None) -> list[Any]:
        """Move every row of ``ids`` still in ``from_state`` along ``action`` in one conditional UPDATE (rows
        another request moved first are left alone) and record each change; returns the moved rows
        (id first, then the ``returning`` columns)."""
        after = self.target(from_state, action)
        if not ids:
            return []
        session.flush()
        column = getattr(model, self.attribute)
        rows = session.execute(update(model).where(model.id.in_(ids), column == from_state)
                               .values({self.attribute: after, **(values or {})})
                               .returning(model.id, *returning)
                               .execution_options(synchronize_session=False)).all()
        for row in rows:
            held = session.identity_map.get(session.identity_key(model, row[0]))
            if held is not None:  # a copy the caller holds reloads on next access
                session.expire(held, [self.attribute, *(values or {})])
            self.store(session, Change(self, row[0], None, action, from_state, after, actor_id, note, {}))
        return rows

    def record_creation(self, session: Session, obj: Any, *, action: str = "create", actor_id: int | None = None,
                        note: str | None = None, data: dict | None = None) -> None:
        """Record that ``obj`` came into being in its first state (it is added and flushed for its id)."""
        session.add(obj)
        session.flush()
        self.store(session, Change(self, obj.id, obj, action, None, getattr(obj, self.attribute), actor_id, note, data or {}))

    def record(self, session: Session, obj: Any, action: str, *, actor_id: int | None = None,
               note: str | None = None, data: dict | None = None) -> None:
        """Record a change that keeps the state (an amendment, a correction of an expense)."""
        session.flush()
        state = getattr(obj, self.attribute)
        self.store(session, Change(self, obj.id, obj, action, state, state, actor_id, note, data or {}))
