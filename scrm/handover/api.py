"""Handover console for managers: open cases, per-customer progress, failures, plan / preview / run / re-plan."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from scrm.core import jobs
from scrm.auth import ManagerStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.params import INTEGER_MAX
from scrm.handover import schemas
from scrm.handover import service as handover_service
from scrm.handover.models import CaseStatus, HandoverCase, ItemStatus
from scrm.org import service as org_service

router = APIRouter(prefix="/api/handover", tags=["handover"], responses=ERROR_RESPONSES)

CaseId = Annotated[int, Path(ge=1)]


def _case_out(session, case: HandoverCase, progress: dict[str, int]) -> schemas.CaseOut:
    out = schemas.CaseOut.model_validate(case)
    out.employee_name = org_service.get_employee(session, case.employee_id).name
    out.progress = progress
    out.total = sum(progress.values())
    return out


def _plan_out(rows) -> schemas.PlanOut:
    return schemas.PlanOut(rows=rows,
                           per_taker=dict(Counter(r.taker_id for r in rows if r.taker_id)),
                           flagged=sum(1 for r in rows if r.flag), unassigned=sum(1 for r in rows if not r.taker_id))


@router.get("/cases", response_model=list[schemas.CaseOut])
def list_cases(staff: ManagerStaff, session: SessionDep, status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
               open_only: bool = True) -> list[schemas.CaseOut]:
    """Cases whose giver is in your data scope, newest first; open ones only unless `open_only=false`."""
    cases = handover_service.list_cases(session, staff, status=status_, open_only=open_only)
    progress = handover_service.progress(session, [c.id for c in cases])
    return [_case_out(session, c, progress[c.id]) for c in cases]


@router.post("/cases", response_model=schemas.CaseOut, status_code=status.HTTP_201_CREATED)
def open_case(body: schemas.CaseCreate, staff: ManagerStaff, session: SessionDep) -> schemas.CaseOut:
    """Open a case for a departed employee (离职继承) or move an active one's customers (在职继承).
    Answers the open case if there already is one."""
    org_service.get_visible_employee(session, staff, body.employee_id)
    case = handover_service.open_case(session, body.employee_id, kind=body.kind, source="manual",
                                      opened_by_id=staff.id, customer_ids=body.customer_ids,
                                      transfer_msg=body.transfer_msg)
    return _case_out(session, case, handover_service.progress(session, [case.id])[case.id])


@router.get("/cases/{case_id}", response_model=schemas.CaseOut)
def get_case(case_id: CaseId, staff: ManagerStaff, session: SessionDep) -> schemas.CaseOut:
    """A case with its items counted per status."""
    case = handover_service.get_visible_case(session, staff, case_id)
    return _case_out(session, case, handover_service.progress(session, [case.id])[case.id])


@router.get("/cases/{case_id}/items", response_model=schemas.ItemPage)
def list_items(case_id: CaseId, staff: ManagerStaff, session: SessionDep,
               status_: Annotated[ItemStatus | None, Query(alias="status")] = None, failures: bool = False,
               page: Annotated[int, Query(ge=1, le=INTEGER_MAX)] = 1,
               page_size: Annotated[int, Query(ge=1, le=500)] = 100) -> schemas.ItemPage:
    """Progress per customer and group. `failures=true`: lost, refused, rejected, failed and unplanned ones."""
    case = handover_service.get_visible_case(session, staff, case_id)
    rows, total = handover_service.list_items(session, case.id, status=status_, failures_only=failures,
                                              page=page, page_size=page_size)
    return schemas.ItemPage(items=[schemas.ItemOut.model_validate(r) for r in rows], total=total, page=page,
                            page_size=page_size)


def _rule(session, staff, case, body: schemas.PlanIn):
    return handover_service.make_rule(session, case, strategy=body.strategy, taker_ids=body.taker_ids,
                                      department_id=body.department_id, tier_takers=body.tier_takers, actor=staff)


@router.post("/cases/{case_id}/preview", response_model=schemas.PlanOut)
def preview(case_id: CaseId, body: schemas.PlanIn, staff: ManagerStaff, session: SessionDep) -> schemas.PlanOut:
    """The plan this rule would make, changing nothing. Flags: `contract_in_progress` (signed or processing),
    `gone`, `onjob_limit` (moved twice in 90 days: WeCom refuses a third time)."""
    case = handover_service.get_visible_case(session, staff, case_id)
    return _plan_out(handover_service.preview_plan(session, case.id, _rule(session, staff, case, body)))


@router.post("/cases/{case_id}/plan", response_model=schemas.PlanOut)
def plan(case_id: CaseId, body: schemas.PlanIn, staff: ManagerStaff, session: SessionDep) -> schemas.PlanOut:
    """Give every item not yet sent a taker by the rule: `one`, `round_robin`, `least_loaded` (fewest open
    leads and planned customers), `by_tier` (`tier_takers`, `*` for the rest)."""
    case = handover_service.get_visible_case(session, staff, case_id)
    return _plan_out(handover_service.plan_case(session, case.id, _rule(session, staff, case, body)))


@router.post("/cases/{case_id}/replan", response_model=schemas.PlanOut)
def replan(case_id: CaseId, body: schemas.PlanIn, staff: ManagerStaff, session: SessionDep) -> schemas.PlanOut:
    """Plan only the failed items (taker over limit, no record, call failed) and those left without a taker,
    never to a taker who already failed for them. Then `run` again."""
    case = handover_service.get_visible_case(session, staff, case_id)
    return _plan_out(handover_service.plan_case(session, case.id, _rule(session, staff, case, body),
                                                only_failed=True))


@router.post("/cases/{case_id}/run", response_model=schemas.CaseOut, status_code=status.HTTP_202_ACCEPTED)
def run(case_id: CaseId, staff: ManagerStaff, session: SessionDep) -> schemas.CaseOut:
    """Start the transfers (a job, in batches of 100); 409 unless the case is planned or running."""
    case = handover_service.get_visible_case(session, staff, case_id)
    handover_service.ensure_runnable(case)
    jobs.enqueue(session, "handover.run_case", case.id, job_id=None)
    return _case_out(session, case, handover_service.progress(session, [case.id])[case.id])


@router.post("/cases/{case_id}/track", response_model=schemas.CaseOut, status_code=status.HTTP_202_ACCEPTED)
def track(case_id: CaseId, staff: ManagerStaff, session: SessionDep) -> schemas.CaseOut:
    """Poll WeCom for results now instead of waiting for the periodic poll."""
    case = handover_service.get_visible_case(session, staff, case_id)
    jobs.enqueue(session, "handover.track_case", case.id)
    return _case_out(session, case, handover_service.progress(session, [case.id])[case.id])


@router.post("/cases/{case_id}/items/{item_id}/exclude", response_model=schemas.ItemOut)
def exclude(case_id: CaseId, item_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
            session: SessionDep) -> schemas.ItemOut:
    """Keep one customer or group out of the handover (it is not sent; the case can close without it)."""
    case = handover_service.get_visible_case(session, staff, case_id)
    return schemas.ItemOut.model_validate(handover_service.exclude_item(session, case.id, item_id))
