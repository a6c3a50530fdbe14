"""Sales pipeline (销售流程) pages: the board (a column per stage with its count and the customers longest in it
first, a button to move each one, and what is missing when a move is refused) and the stages editor for managers.
Everything goes through ``scrm.pipeline``'s service, as the API does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from scrm.auth import CurrentStaff, ManagerStaff, SessionDep
from scrm.core import commands
from scrm.core.errors import AppError, ValidationFailed
from scrm.customers.labels import STAGE_NAMES
from scrm.org import service as org_service
from scrm.org.labels import ROLE_NAMES
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.pipeline import labels, schemas
from scrm.pipeline import service as pipeline_service

router = core.console_router()

StageId = Annotated[int, Path(ge=1)]


def _board_page(request: Request, session: Session, staff: Employee, *, refused: dict | None = None,
                status_code: int = 200) -> Response:
    owner = request.query_params.get("owner_id", "")
    owner_id = int(owner) if owner.isdigit() else None
    board = pipeline_service.board(session, staff, owner_id=owner_id)
    return core.render(request, "pipeline/board.html", {
        "board": board, "refused": refused, "owner_id": owner_id,
        "owners": org_service.owner_choices(session, staff) if staff.role != Role.sales else [],
        "may_edit": staff.role in pipeline_service.EDITORS}, staff=staff, status_code=status_code)


@router.get("/pipeline")
def board(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return _board_page(request, session, staff)


@router.post("/pipeline/move")
async def move(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    form = await request.form()
    customer = str(form.get("customer_id", ""))
    if not customer.isdigit():
        raise ValidationFailed("请选择客户", field="customer_id")
    try:
        command = commands.build(schemas.MoveIn, {"stage_id": form.get("stage_id") or None})
        pipeline_service.move(session, staff, int(customer), command)
    except AppError as exc:
        if exc.status_code not in (409, 422):
            raise
        session.rollback()
        refused = {"customer_id": int(customer), "customer_name": str(form.get("customer_name", ""))[:64],
                   "message": exc.message, "missing": exc.extra.get("missing", [])}
        return _board_page(request, session, staff, refused=refused, status_code=exc.status_code)
    back = str(form.get("owner_id", ""))
    return core.redirect("/pipeline", msg="pipeline_moved", owner_id=back if back.isdigit() else None)


# ---------------------------------------------------------------------------------------------
# the stages editor


def _form_context(session: Session) -> dict[str, Any]:
    employees, _ = org_service.list_employees(session, status=EmployeeStatus.active, limit=500)
    return {"lifecycle_options": [(s.value, n) for s, n in STAGE_NAMES.items()],
            "owner_kind_options": [(k.value, n) for k, n in labels.OWNER_KIND_NAMES.items()],
            "role_options": [("", "（不指定）")] + [(r.value, ROLE_NAMES[r]) for r in Role],
            "employee_options": [("", "（不指定）")] + [(e.id, f"{e.name}（{ROLE_NAMES[e.role]}）") for e in employees],
            "requirement_names": labels.REQUIREMENT_NAMES}


def _stages_page(request: Request, session: Session, staff: Employee, *, stage=None, values=None, errors=None,
                 status_code: int = 200) -> Response:
    stages = [pipeline_service.stage_view(session, s) for s in pipeline_service.list_stages(session)]
    return core.render(request, "pipeline/stages.html", {
        **_form_context(session), "stages": stages, "stage": stage, "values": values or {}, "errors": errors or {},
        "may_edit": staff.role in pipeline_service.EDITORS}, staff=staff, status_code=status_code)


def _stage_values(stage) -> dict[str, Any]:
    reqs = {r["kind"]: r for r in stage.requirements or []}
    return {"name": stage.name, "position": stage.position, "lifecycle_stage": stage.lifecycle_stage.value,
            "owner_kind": stage.owner_kind.value, "owner_role": stage.owner_role or "",
            "owner_employee_id": stage.owner_employee_id or "", "sla_hours": stage.sla_hours or "",
            "req_product_chosen": "on" if "product_chosen" in reqs else "",
            "req_materials_complete": "on" if "materials_complete" in reqs else "",
            "min_score": reqs["min_score"]["value"] if "min_score" in reqs else ""}


def _command_values(form) -> tuple[dict[str, Any], dict[str, Any]]:
    values = {k: str(form.get(k, "")).strip() for k in ("name", "position", "lifecycle_stage", "owner_kind",
                                                        "owner_role", "owner_employee_id", "sla_hours", "min_score",
                                                        "req_product_chosen", "req_materials_complete")}
    requirements: list[dict[str, Any]] = [{"kind": k} for k in ("product_chosen", "materials_complete")
                                          if values[f"req_{k}"] == "on"]
    if values["min_score"]:
        requirements.append({"kind": "min_score", "value": values["min_score"]})
    data: dict[str, Any] = {"name": values["name"], "lifecycle_stage": values["lifecycle_stage"],
                            "owner_kind": values["owner_kind"], "requirements": requirements,
                            "sla_hours": values["sla_hours"] or None, "position": values["position"] or None}
    if values["owner_kind"] == "role":
        data["owner_role"] = values["owner_role"] or None
    if values["owner_kind"] == "employee":
        data["owner_employee_id"] = values["owner_employee_id"] or None
    return data, values


def _errors(exc: AppError) -> dict[str, str]:
    """The form's inputs by the command's field names; a requirement's score is the min_score input."""
    out = {}
    for name, message in core.field_errors(exc).items():
        out["min_score" if name.startswith("requirements") else name] = message
    if exc.status_code == 409 and not out:
        out["__all__"] = exc.message
    return out


@router.get("/pipeline/stages")
def stages(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return _stages_page(request, session, staff, values={"owner_kind": "salesperson", "lifecycle_stage": "lead"})


@router.post("/pipeline/stages")
async def create_stage(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    data, values = _command_values(await request.form())
    try:
        pipeline_service.create_stage(session, staff, commands.build(schemas.StageIn, data))
    except AppError as exc:
        session.rollback()
        return _stages_page(request, session, staff, values=values, errors=_errors(exc), status_code=exc.status_code)
    return core.redirect("/pipeline/stages", msg="pipeline_stage_saved")


@router.get("/pipeline/stages/{stage_id}")
def edit_stage(request: Request, stage_id: StageId, staff: ManagerStaff, session: SessionDep) -> Response:
    stage = pipeline_service.get_stage(session, stage_id)
    return _stages_page(request, session, staff, stage=stage, values=_stage_values(stage))


@router.post("/pipeline/stages/{stage_id}")
async def save_stage(request: Request, stage_id: StageId, staff: ManagerStaff, session: SessionDep) -> Response:
    stage = pipeline_service.get_stage(session, stage_id)
    data, values = _command_values(await request.form())
    data.setdefault("owner_role", None)
    data.setdefault("owner_employee_id", None)
    try:
        pipeline_service.update_stage(session, staff, stage_id, commands.build(schemas.StagePatch, data))
    except AppError as exc:
        session.rollback()
        stage = pipeline_service.get_stage(session, stage_id)
        return _stages_page(request, session, staff, stage=stage, values=values, errors=_errors(exc),
                            status_code=exc.status_code)
    return core.redirect("/pipeline/stages", msg="pipeline_stage_saved")


@router.post("/pipeline/stages/{stage_id}/delete")
async def delete_stage(request: Request, stage_id: StageId, staff: ManagerStaff, session: SessionDep) -> Response:
    try:
        pipeline_service.delete_stage(session, staff, stage_id)
    except AppError as exc:
        if exc.status_code != 409:
            raise
        session.rollback()
        stage = pipeline_service.get_stage(session, stage_id)
        return _stages_page(request, session, staff, stage=stage, values=_stage_values(stage),
                            errors={"__all__": exc.message}, status_code=409)
    return core.redirect("/pipeline/stages", msg="pipeline_stage_deleted")
