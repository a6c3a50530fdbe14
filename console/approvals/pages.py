"""审批: the approvals waiting for me with 同意 / 驳回 / 退回 and a comment, and the flows editor for managers. Pages go
through ``scrm.approvals``'s service, as the API and the WeCom card do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from scrm.approvals import labels
from scrm.approvals import service as approval_service
from scrm.approvals.schemas import ActIn, FlowIn, FlowPatch
from scrm.auth import CurrentStaff, SessionDep
from scrm.core import commands
from scrm.core.errors import AppError, ValidationFailed
from scrm.core.money import NotAnAmount, to_fen, yuan_amount
from scrm.customers import service as customer_service
from scrm.org import service as org_service
from scrm.org.labels import ROLE_NAMES
from scrm.org.models import Employee, Role

router = core.console_router()
STEP_ROWS = 5
DONE = {"approve": "已同意", "reject": "已驳回", "return": "已退回"}


def _pending_context(session: Session, staff: Employee) -> dict[str, Any]:
    pending = [approval_service.instance_view(session, i, staff) for i in approval_service.pending_for(session, staff)]
    products = {p.code: p.name for p in customer_service.list_products(session)}
    return {"pending": pending, "product_names": products, "action_names": labels.ACTION_NAMES,
            "may_edit": staff.role.value in ("manager", "admin")}


@router.get("/approvals")
def approvals_page(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _pending_context(session, staff)
    done = request.query_params.get("done", "")
    if done in DONE:
        ctx["message"] = f"审批 #{request.query_params.get('id', '')} {DONE[done]}"
    return core.render(request, "approvals/index.html", ctx, staff=staff)


@router.post("/approvals/{instance_id}/act")
async def act(request: Request, instance_id: Annotated[int, Path(ge=1, le=2**53)], staff: CurrentStaff,
              session: SessionDep) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("action", "comment", "step")}
    try:
        command = commands.build(ActIn, {"action": values["action"], "comment": values["comment"] or None,
                                         "step": values["step"] or None})
        approval_service.act(session, staff, instance_id, command)
    except AppError as exc:
        session.rollback()
        ctx = _pending_context(session, staff)
        ctx.update(failed_id=instance_id, problem=exc.message, values=values)
        return core.render(request, "approvals/index.html", ctx, staff=staff, status_code=exc.status_code)
    return core.redirect("/approvals", done=command.action, id=instance_id)


# ---------------------------------------------------------------------------------------------
# flows (managers and admins)


def _flow_context(session: Session, staff: Employee) -> dict[str, Any]:
    approval_service.require_editor(staff)
    return {"kinds": list(labels.APPROVER_KINDS.items()), "subjects": list(labels.SUBJECT_NAMES.items()),
            "roles": [(r.value, ROLE_NAMES[r]) for r in Role],
            "employees": org_service.active_staff_choices(session, staff),
            "products": [(p.code, p.name) for p in customer_service.list_products(session)],
            "rows": range(STEP_ROWS)}


@router.get("/approvals/flows")
def flows_page(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    ctx = _flow_context(session, staff)
    flows = approval_service.list_flows(session)
    names = org_service.employee_names(session, [s["approver"].get("employee_id") for f in flows for s in f.steps])
    ctx["flows"] = [approval_service.flow_view(f, names) for f in flows]
    ctx["saved"] = request.query_params.get("saved")
    return core.render(request, "approvals/flows.html", ctx, staff=staff)


def _flow_values(flow) -> dict[str, Any]:
    values: dict[str, Any] = {"name": flow.name, "active": "on" if flow.active else ""}
    for i, step in enumerate(flow.steps):
        a = step["approver"]
        values.update({f"s{i}_name": step["name"], f"s{i}_kind": a["kind"], f"s{i}_role": a.get("role", ""),
                       f"s{i}_employee": str(a.get("employee_id") or ""),
                       f"s{i}_min": f"{step['min_amount_fen'] / 100:.2f}" if step.get("min_amount_fen") else "",
                       f"s{i}_routed": "on" if step.get("only_when_routed") else ""})
    return values


def _steps_of(form) -> tuple[list[dict], dict[str, Any]]:
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in form if k != "csrf_token"}
    steps = []
    for i in range(STEP_ROWS):
        name = values.get(f"s{i}_name", "")
        if not name:
            continue
        kind = values.get(f"s{i}_kind", "")
        approver: dict[str, Any] = {"kind": kind}
        if kind == "role":
            approver["role"] = values.get(f"s{i}_role") or None
        if kind == "employee":
            approver["employee_id"] = values.get(f"s{i}_employee") or None
        step: dict[str, Any] = {"name": name, "approver": approver, "only_when_routed": values.get(f"s{i}_routed") == "on"}
        if values.get(f"s{i}_min"):
            try:
                step["min_amount_fen"] = to_fen(yuan_amount(values[f"s{i}_min"]))
            except NotAnAmount as exc:
                raise ValidationFailed(str(exc), field=f"steps.{len(steps)}.min_amount_fen") from None
        steps.append(step)
    return steps, values


def _flow_form(request: Request, session: Session, staff: Employee, flow_id: int | None, values: dict,
               errors: dict | None = None, status_code: int = 200) -> Response:
    ctx = _flow_context(session, staff)
    ctx.update(flow_id=flow_id, values=values, errors=errors or {},
               flow=approval_service.flow_view(approval_service.get_flow(session, flow_id)) if flow_id else None)
    return core.render(request, "approvals/flow_form.html", ctx, staff=staff, status_code=status_code)


@router.get("/approvals/flows/new")
def new_flow(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _flow_form(request, session, staff, None, {"subject_kind": "contract", "active": "on"})


@router.get("/approvals/flows/{flow_id}")
def edit_flow(request: Request, flow_id: Annotated[int, Path(ge=1, le=2**53)], staff: CurrentStaff,
              session: SessionDep) -> Response:
    _flow_context(session, staff)
    return _flow_form(request, session, staff, flow_id, _flow_values(approval_service.get_flow(session, flow_id)))


def _errors(exc: AppError) -> dict[str, str]:
    """A step's field (``steps.1.approver.role``) as the row's input (``s1_role``)."""
    out = {}
    for field, message in core.field_errors(exc).items():
        parts = field.split(".")
        if parts[0] == "steps" and len(parts) > 2 and parts[1].isdigit():
            last = {"kind": "kind", "role": "role", "employee_id": "employee", "min_amount_fen": "min",
                    "only_when_routed": "routed", "name": "name"}.get(parts[-1], "name")
            out[f"s{parts[1]}_{last}"] = message
        else:
            out[field] = message
    return out


@router.post("/approvals/flows/new")
async def create_flow(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    form = await request.form()
    steps, values = [], {}
    try:
        steps, values = _steps_of(form)
        command = commands.build(FlowIn, {"subject_kind": values.get("subject_kind"),
                                          "product_code": values.get("product_code") or None,
                                          "name": values.get("name"), "steps": steps, "active": values.get("active") == "on"})
        approval_service.create_flow(session, staff, command)
    except AppError as exc:
        session.rollback()
        return _flow_form(request, session, staff, None, values or dict(form), _errors(exc), exc.status_code)
    return core.redirect("/approvals/flows", saved=1)


@router.post("/approvals/flows/{flow_id}")
async def save_flow(request: Request, flow_id: Annotated[int, Path(ge=1, le=2**53)], staff: CurrentStaff,
                    session: SessionDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {}
    try:
        steps, values = _steps_of(form)
        command = commands.build(FlowPatch, {"name": values.get("name"), "steps": steps,
                                             "active": values.get("active") == "on"})
        approval_service.update_flow(session, staff, flow_id, command)
    except AppError as exc:
        session.rollback()
        return _flow_form(request, session, staff, flow_id, values or dict(form), _errors(exc), exc.status_code)
    return core.redirect("/approvals/flows", saved=1)
