"""The back-office history store: every order, deposit, refund, borrowing, settlement and reimbursement
change is a ``TransitionLog`` row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.common.models import TransitionLog
from scrm.core.statemachine import Change


def log_transition(session: Session, change: Change) -> None:
    session.add(TransitionLog(entity=change.machine.entity, entity_id=change.entity_id, action=change.action,
                              from_status=change.from_state.value if change.from_state is not None else None,
                              to_status=change.to_state.value, actor_employee_id=change.actor_id,
                              note=change.note, data=change.data))


def history(session: Session, entity: str, entity_id: int) -> list[TransitionLog]:
    """The recorded transitions of one object, oldest first."""
    session.flush()
    return list(session.scalars(select(TransitionLog).where(TransitionLog.entity == entity,
                                                            TransitionLog.entity_id == entity_id)
                                .order_by(TransitionLog.id)))
