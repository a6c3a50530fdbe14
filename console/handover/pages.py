"""Handover pages for managers: mark an employee departed, preview and save a plan, run it, follow each
customer to the end (the same ``scrm.handover.service`` functions as ``/api/handover``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from scrm.auth import ManagerStaff, SessionDep
from scrm.core import jobs
from scrm.core.errors import AppError, ValidationFailed
from scrm.customers import service as customer_service
from scrm.handover import service as handover_service
from scrm.handover.labels import CASE_STATUS_NAMES as STATUS_NAMES
from scrm.handover.labels import FLAG_NAMES
from scrm.handover.labels import ITEM_STATUS_NAMES as ITEM_NAMES
from scrm.handover.labels import STRATEGY_NAMES
from scrm.handover.models import CaseStatus, HandoverCase, ItemStatus
from scrm.handover.service import CASE_MACHINE, ITEM_MACHINE, STRATEGIES
from scrm.org import service as org_service
from scrm.org.models import Employee

router = core.console_router()

DONE = {ItemStatus.accepted, ItemStatus.skipped}
BAD = {ItemStatus.refused, ItemStatus.lost, ItemStatus.rejected, ItemStatus.over_limit, ItemStatus.no_record,
       ItemStatus.failed}
PREVIEW_ROWS = 100
CASES_PER_PAGE = 20


def page_case(case_id: Annotated[int, Path(ge=1)], request: Request, staff: ManagerStaff,
              session: SessionDep) -> HandoverCase:
    core.remember(request, staff)
    return handover_service.get_visible_case(session, staff, case_id)


PageCase = Annotated[HandoverCase, Depends(page_case)]


def _list_context(request: Request, session: Session, staff: Employee) -> dict[str, Any]:
    listing = core.Listing.read(request, "/handover", ("status",), page_size=CASES_PER_PAGE)
    status = listing.filters.get("status")
    cases = handover_service.list_cases(session, staff, status=CaseStatus(status) if status in CaseStatus.__members__
                                        else None, open_only=status is None)
    listing.total = len(cases)
    shown = cases[listing.offset:listing.offset + listing.page_size]
    progress = handover_service.progress(session, [c.id for c in shown])
    return {
        "listing": listing, "cases": shown, "progress": progress, "bars": {c.id: _bar(progress[c.id]) for c in shown},
        "names": org_service.employee_names(session, {c.employee_id for c in shown}),
        "status_names": STATUS_NAMES, "status_options": [("", "进行中"), ("all", "全部")]
        + [(s.value, n) for s, n in STATUS_NAMES.items()],
        "active": [(i, n) for i, n in org_service.active_staff_choices(session, staff) if i != staff.id],
    }


@router.get("/handover")
def case_list(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return core.render(request, "handover/list.html", _list_context(request, session, staff), staff=staff)


def _bar(progress: dict[str, int]) -> dict[str, Any]:
    total = sum(progress.values()) or 1
    done = sum(n for s, n in progress.items() if ItemStatus(s) in DONE)
    bad = sum(n for s, n in progress.items() if ItemStatus(s) in BAD)
    return {"done": round(100 * done / total), "bad": round(100 * bad / total),
            "wait": round(100 * (total - done - bad) / total), "total": sum(progress.values())}


@router.post("/handover/depart")
async def mark_departed(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    raw = str(form.get("employee_id", ""))
    try:
        if not raw.isdigit():
            raise ValidationFailed("请选择离职的员工", field="employee_id")
        employee = org_service.get_visible_employee(session, staff, int(raw))
        if employee.id == staff.id:
            raise ValidationFailed("不能把自己标记为离职", field="employee_id")
        org_service.ensure_can_manage_employee(session, staff, employee, action="depart")
        org_service.mark_departed(session, employee.id, by=staff.id)
        case = handover_service.open_case(session, employee.id, source="manual", opened_by_id=staff.id)
    except AppError as exc:
        session.rollback()
        ctx = _list_context(request, session, staff)
        ctx.update(errors=core.field_errors(exc), values={"employee_id": raw})
        return core.render(request, "handover/list.html", ctx, staff=staff, status_code=422)
    return core.redirect(f"/handover/{case.id}", msg="departed")


def _case_context(request: Request, session: Session, staff: Employee, case: HandoverCase) -> dict[str, Any]:
    listing = core.Listing.read(request, f"/handover/{case.id}", ("item_status",), page_size=50)
    item_status = listing.filters.get("item_status")
    items, listing.total = handover_service.list_items(
        session, case.id, status=ItemStatus(item_status) if item_status in ItemStatus.__members__ else None,
        failures_only=item_status == "failures", page=listing.page, page_size=listing.page_size)
    progress = handover_service.progress(session, [case.id])[case.id]
    customers = {i.customer_id for i in items}
    takers = [(i, n) for i, n in org_service.active_staff_choices(session, staff) if i != case.employee_id]
    plan = case.plan or {}
    return {
        "case": case, "giver": org_service.get_employee(session, case.employee_id), "items": items,
        "listing": listing, "progress": progress, "bar": _bar(progress),
        "names": org_service.employee_names(session, {i.taker_id for i in items} | set(plan.get("taker_ids", []))),
        "customer_names": customer_service.names_by_id(session, customers),
        "takers": takers, "status_names": STATUS_NAMES, "item_names": ITEM_NAMES, "flag_names": FLAG_NAMES,
        "strategies": [(s, STRATEGY_NAMES[s]) for s in STRATEGIES if s != "by_tier"],
        "item_options": [("", "全部"), ("failures", "只看失败")] + [(s.value, n) for s, n in ITEM_NAMES.items()],
        "values": {"strategy": plan.get("strategy", "round_robin"), "taker_ids": plan.get("taker_ids", [])},
        "sending": progress.get(ItemStatus.queued.value, 0) > 0,
        "actions": CASE_MACHINE.allowed_actions(case, staff),
        "item_actions": {i.id: ITEM_MACHINE.allowed_actions(i, staff) for i in items},
        "replannable": handover_service.may_replan(case, progress),
    }


@router.get("/handover/{case_id}")
def case_page(request: Request, case: PageCase, staff: ManagerStaff, session: SessionDep) -> Response:
    return core.render(request, "handover/case.html", _case_context(request, session, staff, case), staff=staff)


@router.post("/handover/{case_id}/plan")
async def plan(request: Request, case: PageCase, staff: ManagerStaff, session: SessionDep) -> Response:
    """Preview (nothing saved), save the plan, or re-plan the failed items, by the button pressed."""
    form = await request.form()
    action = str(form.get("action", "preview"))
    values = {"strategy": str(form.get("strategy", "")), "taker_ids": [str(v) for v in form.getlist("taker_ids")]}
    try:
        rule = handover_service.make_rule(session, case, strategy=values["strategy"],
                                          taker_ids=[int(v) for v in values["taker_ids"] if v.isdigit()], actor=staff)
        if action == "preview":
            rows = handover_service.preview_plan(session, case.id, rule)
            ctx = _case_context(request, session, staff, case)
            ctx.update(values=values, preview=_summary(rows))
            return core.render(request, "handover/case.html", ctx, staff=staff)
        handover_service.plan_case(session, case.id, rule, only_failed=action == "replan")
    except AppError as exc:
        session.rollback()
        case = handover_service.get_visible_case(session, staff, case.id)
        ctx = _case_context(request, session, staff, case)
        ctx.update(values=values, errors=core.field_errors(exc))
        return core.render(request, "handover/case.html", ctx, staff=staff, status_code=422)
    return core.redirect(f"/handover/{case.id}", msg="planned")


def _summary(rows) -> dict[str, Any]:
    per_taker: dict[str, int] = {}
    for r in rows:
        if r.taker_id:
            per_taker[r.taker_name or str(r.taker_id)] = per_taker.get(r.taker_name or str(r.taker_id), 0) + 1
    return {"rows": rows[:PREVIEW_ROWS], "total": len(rows), "per_taker": per_taker,
            "flagged": sum(1 for r in rows if r.flag), "unassigned": sum(1 for r in rows if not r.taker_id)}


@router.post("/handover/{case_id}/run")
def run(request: Request, case: PageCase, staff: ManagerStaff, session: SessionDep) -> Response:
    handover_service.ensure_runnable(case)
    jobs.enqueue(session, "handover.run_case", case.id, job_id=None)
    return core.redirect(f"/handover/{case.id}", msg="running")


@router.post("/handover/{case_id}/track")
def track(request: Request, case: PageCase, staff: ManagerStaff, session: SessionDep) -> Response:
    jobs.enqueue(session, "handover.track_case", case.id)
    return core.redirect(f"/handover/{case.id}", msg="tracking")


@router.post("/handover/{case_id}/items/{item_id}/exclude")
def exclude(request: Request, case: PageCase, item_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
            session: SessionDep) -> Response:
    handover_service.exclude_item(session, case.id, item_id)
    return core.redirect(f"/handover/{case.id}", msg="excluded")
