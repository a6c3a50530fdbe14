"""Approval flows: managers and admins define them; approvers list what waits for them and act; anyone who can see
the customer reads a subject's history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from scrm.approvals import schemas
from scrm.approvals import service as approval_service
from scrm.auth import CurrentStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES
from scrm.org import service as org_service

router = APIRouter(prefix="/api/approvals", tags=["approvals"], responses=ERROR_RESPONSES)

Id = Annotated[int, Path(ge=1, le=2**53)]


def _flows_out(session, flows) -> list[dict]:
    names = org_service.employee_names(session, [s["approver"].get("employee_id") for f in flows for s in f.steps])
    return [approval_service.flow_view(f, names) for f in flows]


@router.get("/flows", response_model=list[schemas.FlowOut])
def list_flows(staff: CurrentStaff, session: SessionDep) -> list[dict]:
    """Every flow: per subject kind (贷款申请 ``application``, 合同审核 ``contract``) and product code (``null``: every
    product without its own). The two for every product exist from the start."""
    approval_service.require_editor(staff)
    return _flows_out(session, approval_service.list_flows(session))


@router.post("/flows", response_model=schemas.FlowOut, status_code=status.HTTP_201_CREATED)
def create_flow(body: schemas.FlowIn, staff: CurrentStaff, session: SessionDep) -> dict:
    """A product's own flow. Each step's approver is ``supervisor``, ``role`` {role}, ``employee`` {employee_id} or
    ``routed`` (whoever a risk rule routed the application to); ``min_amount_fen`` and ``only_when_routed`` make a
    step apply only sometimes. A bad step is a 422 naming it (``steps.1.approver.role``)."""
    return _flows_out(session, [approval_service.create_flow(session, staff, body)])[0]


@router.patch("/flows/{flow_id}", response_model=schemas.FlowOut)
def update_flow(flow_id: Id, body: schemas.FlowPatch, staff: CurrentStaff, session: SessionDep) -> dict:
    """Change a flow's name, steps or whether it is in use; running approvals keep the steps they began with."""
    return _flows_out(session, [approval_service.update_flow(session, staff, flow_id, body)])[0]


@router.get("/pending", response_model=list[schemas.InstanceOut])
def my_pending(staff: CurrentStaff, session: SessionDep) -> list[dict]:
    """The approvals whose current step waits for you, oldest first."""
    return [approval_service.instance_view(session, i, staff) for i in approval_service.pending_for(session, staff)]


@router.post("/instances", response_model=schemas.InstanceOut, status_code=status.HTTP_201_CREATED)
def submit_application(body: schemas.SubmitIn, staff: CurrentStaff, session: SessionDep) -> dict:
    """Submit a customer's loan application for approval (资质初审, then 风控复审 when a risk rule routed it). A risk
    rule's ``route_approval`` starts one by itself. Contracts start theirs when finance confirms them."""
    instance = approval_service.submit_application(session, staff, body)
    return approval_service.instance_view(session, instance, staff)


@router.get("/instances/{instance_id}", response_model=schemas.InstanceOut)
def get_instance(instance_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    """One approval with its steps and every decision."""
    return approval_service.instance_view(session, approval_service.get_visible_instance(session, staff, instance_id),
                                          staff)


@router.post("/instances/{instance_id}/act", response_model=schemas.InstanceOut,
             responses={403: {"description": "you are not the approver of the current step"},
                        409: {"description": "already decided, or the step given is not the current one"}})
def act(instance_id: Id, body: schemas.ActIn, staff: CurrentStaff, session: SessionDep) -> dict:
    """Approve, reject or return the current step (reject and return need a ``comment``). Send the ``step`` you saw:
    when someone else decided it first, the answer is a 409 naming who."""
    instance = approval_service.act(session, staff, instance_id, body)
    return approval_service.instance_view(session, instance, staff)


@router.post("/instances/{instance_id}/resubmit", response_model=schemas.InstanceOut)
def resubmit(instance_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    """Submit a returned approval again: its steps run again from the first."""
    instance = approval_service.resubmit(session, staff, instance_id)
    return approval_service.instance_view(session, instance, staff)


@router.get("/history", response_model=list[schemas.InstanceOut])
def subject_history(subject_kind: Literal["application", "contract"], subject_id: Annotated[int, Query(ge=1, le=2**53)],
                    staff: CurrentStaff, session: SessionDep) -> list[dict]:
    """Every approval of a subject (a customer's application: ``subject_id`` is the customer; a contract: the order),
    newest first, with its decisions."""
    return [approval_service.instance_view(session, i, staff)
            for i in approval_service.history(session, staff, subject_kind, subject_id)]
