"""Mass messages for managers: draft one for a tier or tag filter, follow its progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from scrm.auth import ManagerStaff, SessionDep
from scrm.broadcast import schemas
from scrm.broadcast import service as broadcast_service
from scrm.core.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/broadcasts", tags=["broadcasts"], responses=ERROR_RESPONSES)


def _out(session, mass) -> schemas.MassMessageOut:
    tasks = broadcast_service.tasks_of(session, mass.id)
    rows = []
    for t in tasks:
        row = schemas.MassTaskOut.model_validate(t)
        row.recipients = len(t.external_userids)
        rows.append(row)
    return schemas.MassMessageOut(id=mass.id, kind=mass.kind, tier=mass.tier, tags_any=mass.tags_any, text=mass.text,
                                  created_at=mass.created_at, recipients=sum(r.recipients for r in rows),
                                  sent=sum(r.sent for r in rows), tasks=rows)


@router.post("", response_model=schemas.MassMessageOut, status_code=status.HTTP_201_CREATED)
def create(body: schemas.BroadcastIn, staff: ManagerStaff, session: SessionDep) -> schemas.MassMessageOut:
    """Send `text` to the customers in your scope of `tier` and/or with any of `tags_any`: one WeCom mass-send
    task per salesperson (they confirm it in WeCom). Results are polled every 10 minutes."""
    return _out(session, broadcast_service.draft(session, staff, body))


@router.get("/{mass_id}", response_model=schemas.MassMessageOut)
def get(mass_id: Annotated[int, Path(ge=1)], staff: ManagerStaff, session: SessionDep) -> schemas.MassMessageOut:
    """A mass message with each salesperson's task: unsent, sent, not a friend, already received one today."""
    return _out(session, broadcast_service.get(session, staff, mass_id))
