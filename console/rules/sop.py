"""SOP follow-up schedules (跟进计划): edit, preview today's tasks. The form validates through the SOP
service; preview runs the same checks and keeps nothing."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from console.rules import forms
from scrm.auth import SessionDep, SupervisorStaff
from scrm.core import commands
from scrm.core.errors import NotFound
from scrm.groups import service as group_service
from scrm.org.models import Employee
from scrm.sop import schemas as sop_schemas
from scrm.sop import service as sop_service

router = core.console_router()


def _sop_context(session) -> dict[str, Any]:
    names = group_service.tier_names(session)
    return {"tiers": list(names.items()), "tier_names": names}


def _schedule_values_of(schedule) -> dict[str, Any]:
    return {"name": schedule.name, "tier": schedule.tier, "every_days": schedule.every_days, "hour": schedule.hour,
            "title": schedule.title, "active": "on" if schedule.active else ""}


def _schedule_data(form, schedule) -> tuple[sop_schemas.ScheduleIn, dict[str, Any]]:
    values = {k: str(form.get(k, "")).strip() for k in ("name", "tier", "every_days", "hour", "title", "active")}
    if schedule is not None:  # a schedule's name and tier are fixed once made
        values.update(name=schedule.name, tier=schedule.tier)
    data = commands.build(sop_schemas.ScheduleIn, {k: values[k] for k in ("name", "tier", "every_days", "hour",
                                                                          "title")})
    return data, values


def _get_schedule(session: Session, schedule_id: int):
    for schedule in sop_service.list_schedules(session):
        if schedule.id == schedule_id:
            return schedule
    raise NotFound(f"没有编号为 {schedule_id} 的跟进计划")


@router.get("/rules/sop")
def sop_schedules(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _sop_context(session)
    ctx.update(schedules=sop_service.list_schedules(session), may_edit=forms.may_edit(staff))
    return core.render(request, "rules/sop.html", ctx, staff=staff)


def _preview_schedule(session: Session, staff: Employee, schedule, data: sop_schemas.ScheduleIn, values) -> dict:
    return {"preview": sop_service.preview_schedule(
        session, tier=data.tier, every_days=data.every_days, hour=data.hour, title=data.title,
        schedule_id=schedule.id if schedule else None)}


def _save_schedule(session: Session, staff: Employee, schedule, data: sop_schemas.ScheduleIn, values) -> None:
    if schedule is None:
        sop_service.create_schedule(session, data)
    else:
        sop_service.update_schedule(session, schedule.id, sop_schemas.SchedulePatch(
            every_days=data.every_days, hour=data.hour, title=data.title, active=values["active"] == "on"))


forms.add_editor(router, forms.Editor(
    path="/rules/sop", template="rules/sop_form.html", context=lambda session, staff: _sop_context(session),
    blank={"tier": "A", "every_days": 2, "hour": 9, "active": "on"}, load=_get_schedule,
    values_of=_schedule_values_of, parse=_schedule_data, preview=_preview_schedule, save=_save_schedule,
    done=lambda: core.redirect("/rules/sop", msg="schedule_saved"), shown=lambda schedule: {"schedule": schedule}))
