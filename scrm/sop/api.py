"""Follow-up tasks: today's list, all tasks in scope, complete / snooze / reassign, missed counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from scrm.auth import CurrentStaff, ManagerStaff, SessionDep, SupervisorStaff
from scrm.core.errors import ERROR_RESPONSES
from scrm.sop import schemas
from scrm.sop import service as sop_service
from scrm.sop.models import TaskStatus

router = APIRouter(prefix="/api/sop", tags=["sop"], responses=ERROR_RESPONSES)

TaskId = Annotated[int, Path(ge=1)]


@router.get("/today", response_model=list[schemas.TaskOut])
def today(staff: CurrentStaff, session: SessionDep) -> list[schemas.TaskOut]:
    """Your open tasks due by the end of today (overdue ones included), earliest first."""
    return [schemas.TaskOut.model_validate(t) for t in sop_service.today_tasks(session, staff.id)]


@router.get("/tasks", response_model=list[schemas.TaskOut])
def list_tasks(staff: CurrentStaff, session: SessionDep, status: TaskStatus | None = TaskStatus.open,
               assignee_id: int | None = None, kind: str | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> list[schemas.TaskOut]:
    """Tasks assigned to employees in your data scope (supervisors also see unassigned ones)."""
    return [schemas.TaskOut.model_validate(t) for t in sop_service.list_tasks(
        session, staff, status=status, assignee_id=assignee_id, kind=kind, limit=limit, offset=offset)]


@router.post("/tasks/{task_id}/complete", response_model=schemas.TaskOut)
def complete(task_id: TaskId, body: schemas.CompleteIn, staff: CurrentStaff, session: SessionDep) -> schemas.TaskOut:
    """Mark the task done (409 when it is already done or cancelled)."""
    return schemas.TaskOut.model_validate(sop_service.complete(session, staff, task_id, body.note))


@router.post("/tasks/{task_id}/snooze", response_model=schemas.TaskOut)
def snooze(task_id: TaskId, body: schemas.SnoozeIn, staff: CurrentStaff, session: SessionDep) -> schemas.TaskOut:
    """Move the task's due time to `until` (a future time with a time zone)."""
    return schemas.TaskOut.model_validate(sop_service.snooze(session, staff, task_id, body.until))


@router.post("/tasks/{task_id}/reassign", response_model=schemas.TaskOut)
def reassign(task_id: TaskId, body: schemas.ReassignIn, staff: CurrentStaff, session: SessionDep) -> schemas.TaskOut:
    """Give the task to a colleague in your data scope."""
    return schemas.TaskOut.model_validate(sop_service.reassign(session, staff, task_id, body.employee_id))


@router.get("/missed", response_model=schemas.MissedOut)
def missed(staff: CurrentStaff, session: SessionDep) -> schemas.MissedOut:
    """Open tasks past due by more than `SCRM_SOP_MISSED_AFTER_HOURS`, in your scope: total, per assignee, per kind."""
    counts = sop_service.missed_counts(session, staff)
    return schemas.MissedOut(total=counts["total"], by_kind=counts["by_kind"],
                             by_assignee={str(k or "unassigned"): v for k, v in counts["by_assignee"].items()})


@router.get("/schedules", response_model=list[schemas.ScheduleOut])
def list_schedules(staff: SupervisorStaff, session: SessionDep) -> list[schemas.ScheduleOut]:
    """The recurring follow-ups per tier."""
    return [schemas.ScheduleOut.model_validate(s) for s in sop_service.list_schedules(session)]


@router.post("/schedules", response_model=schemas.ScheduleOut, status_code=201)
def create_schedule(body: schemas.ScheduleIn, staff: ManagerStaff, session: SessionDep) -> schemas.ScheduleOut:
    """Add a recurring follow-up: every customer of `tier` gets a task for their owner every `every_days` days."""
    return schemas.ScheduleOut.model_validate(sop_service.create_schedule(session, body))


@router.patch("/schedules/{schedule_id}", response_model=schemas.ScheduleOut)
def update_schedule(schedule_id: Annotated[int, Path(ge=1)], body: schemas.SchedulePatch, staff: ManagerStaff,
                    session: SessionDep) -> schemas.ScheduleOut:
    """Change the rhythm, hour or title, or switch the schedule off (`active: false`)."""
    return schemas.ScheduleOut.model_validate(
        sop_service.update_schedule(session, schedule_id, body))
