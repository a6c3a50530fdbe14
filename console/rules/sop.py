"""SOP follow-up schedules (跟进计划): edit, preview today's tasks. The form validates through the SOP
service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.core.errors import NotFound
from scrm.groups.labels import TIER_NAMES
from scrm.org.models import Employee
from scrm.sop import schemas as sop_schemas
from scrm.sop import service as sop_service

router = core.console_router()


def _sop_context() -> dict[str, Any]:
    return {"tiers": list(TIER_NAMES.items()), "tier_names": TIER_NAMES}


def _schedule_values_of(schedule) -> dict[str, Any]:
    return {"name": schedule.name, "tier": schedule.tier, "every_days": schedule.every_days, "hour": schedule.hour,
            "title": schedule.title, "active": "on" if schedule.active else ""}


def _schedule_data(form, schedule) -> tuple[dict[str, Any], dict[str, Any]]:
    values = {k: str(form.get(k, "")).strip() for k in ("name", "tier", "every_days", "hour", "title", "active")}
    if schedule is not None:  # a schedule's name and tier are fixed once made
        values.update(name=schedule.name, tier=schedule.tier)
    try:
        data = sop_schemas.ScheduleIn.model_validate({k: values[k] for k in ("name", "tier", "every_days", "hour",
                                                                             "title")})
    except pydantic.ValidationError as exc:
        raise forms.pydantic_errors(exc) from None
    return data.model_dump(), values


def _get_schedule(session: Session, schedule_id: int):
    for schedule in sop_service.list_schedules(session):
        if schedule.id == schedule_id:
            return schedule
    raise NotFound(f"没有编号为 {schedule_id} 的跟进计划")


@router.get("/rules/sop")
def sop_schedules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _sop_context()
    ctx.update(schedules=sop_service.list_schedules(session), may_edit=forms.may_edit(staff))
    return core.render(request, "rules/sop.html", ctx, staff=staff)


@router.get("/rules/sop/new")
def new_schedule(request: Request, staff: ManagerStaff) -> Response:
    core.remember(request, staff)
    ctx = _sop_context()
    ctx.update(schedule=None, values={"tier": "A", "every_days": 2, "hour": 9, "active": "on"})
    return core.render(request, "rules/sop_form.html", ctx, staff=staff)


@router.get("/rules/sop/{schedule_id}")
def edit_schedule(request: Request, schedule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                  session: SessionDep) -> Response:
    core.remember(request, staff)
    schedule = _get_schedule(session, schedule_id)
    ctx = _sop_context()
    ctx.update(schedule=schedule, values=_schedule_values_of(schedule))
    return core.render(request, "rules/sop_form.html", ctx, staff=staff)


@router.post("/rules/sop")
async def create_schedule(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    return await _save_schedule(request, staff, session, None)


@router.post("/rules/sop/{schedule_id}")
async def update_schedule(request: Request, schedule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                          session: SessionDep) -> Response:
    return await _save_schedule(request, staff, session, _get_schedule(session, schedule_id))


async def _save_schedule(request: Request, staff: Employee, session: Session, schedule) -> Response:
    def preview(data, values) -> dict:
        return {"preview": sop_service.preview_schedule(
            session, tier=data["tier"], every_days=data["every_days"], hour=data["hour"], title=data["title"],
            schedule_id=schedule.id if schedule else None)}

    def save(data, values) -> None:
        if schedule is None:
            sop_service.create_schedule(session, **data)
        else:
            sop_service.update_schedule(session, schedule.id, {
                "every_days": data["every_days"], "hour": data["hour"], "title": data["title"],
                "active": values["active"] == "on"})

    return await core.preview_or_save(
        request, staff, session, template="rules/sop_form.html", context={**_sop_context(), "schedule": schedule},
        parse=lambda form: _schedule_data(form, schedule), preview=preview, save=save,
        done=core.redirect("/rules/sop", msg="schedule_saved"))
