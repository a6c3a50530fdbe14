"""Dashboards: the customer funnel, channel conversion, and employee and team rankings, for a period,
center and department, each chart with its numbers beside it."""

from __future__ import annotations

import threading
import time as clock
from datetime import datetime, time, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import charts, core
from console.dashboards import read as dashboard_read
from console.reports import pages as report_pages
from scrm.auth import SessionDep, SupervisorStaff
from scrm.core.clock import BEIJING, beijing_day_start, beijing_today
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.org import service as org_service
from scrm.org.models import Employee

router = core.console_router()

DEFAULT_DAYS = 30
# Counting a long period scans the customer table (about 100 ms at 100,000 customers) and drawing the
# four charts takes about 50 ms more; the drawn charts are kept this long per viewer and filters, and
# dropped at once when a customer is added (the newest customer id is part of the key). A stage change
# or a new employee name shows within this time.
CACHE_SECONDS = 60
CACHE_SIZE = 256
_cache: dict[tuple, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _period(listing: core.Listing) -> dashboard_read.Period:
    f = listing.filters
    until_day = core.form_date(f.get("until"), "until") or beijing_today()
    since_day = core.form_date(f.get("since"), "since") or until_day - timedelta(days=DEFAULT_DAYS - 1)
    if since_day > until_day:
        raise ValidationFailed("开始日期不能晚于结束日期", field="since")
    center = f.get("center_id", "")
    department = f.get("department_id", "")
    return dashboard_read.Period(
        since=beijing_day_start(since_day), until=beijing_day_start(until_day, 1),
        center_id=int(center) if center.isdigit() else None, department_id=int(department) if department.isdigit()
        else None)


def _build_panels(session: Session, staff: Employee, period: dashboard_read.Period) -> list[charts.Chart]:
    counts = dashboard_read.stage_counts(session, staff, period)
    stages = dashboard_read.funnel(counts)
    channel_rows = dashboard_read.channels(session, staff, period)
    people, teams = dashboard_read.rankings(session, counts)
    funnel_rows = [(name, now, reached, f"{100 * reached / stages[0][2]:.1f}%" if stages[0][2] else "—")
                   for name, now, reached in stages]
    return [
        charts.bars("客户漏斗（期间新增客户到达各阶段）", [r[0] for r in stages[:-1]],
                    {"到达此阶段": [r[2] for r in stages[:-1]]}, ("阶段", "当前在此阶段", "到达此阶段", "占新增"),
                    funnel_rows),
        charts.bars("渠道转化", [c.name for c in channel_rows],
                    {"新增客户": [c.customers for c in channel_rows], "已签约及以后": [c.conversions for c in channel_rows]},
                    ("渠道", "添加", "删除", "客户", "转化", "转化率"),
                    [(c.name, c.adds, c.deletions, c.customers, c.conversions, f"{100 * c.conversion_rate:.1f}%")
                     for c in channel_rows]),
        charts.bars("员工排名（线索数）", [p[0] for p in people],
                    {"线索": [p[2] for p in people], "转化": [p[3] for p in people]},
                    ("员工", "团队", "线索", "转化"), people),
        charts.bars("团队排名（线索数）", [t[0] for t in teams],
                    {"线索": [t[1] for t in teams], "转化": [t[2] for t in teams]},
                    ("团队", "线索", "转化"), teams),
    ]


def _build_kpi_panels(session: Session, staff: Employee, period: dashboard_read.Period) -> list[charts.Chart]:
    """Per product and channel, in the viewer's scope for the period (the center and department choice does not
    narrow them). They read every order and customer of the period, so they are a tab of their own and the main
    dashboard stays quick."""
    return report_pages.kpi_panels(session, staff, period.since.date(), (period.until - timedelta(days=1)).date())


def _panels(session: Session, staff: Employee, period: dashboard_read.Period,
            build=_build_panels) -> tuple[list[charts.Chart], datetime]:
    """The charts ``build`` draws and when they were counted, from the short-lived cache when fresh."""
    newest = customer_service.newest_customer_id(session)
    key = (build.__name__, staff.id, staff.role, staff.scope, staff.department_id, period.since, period.until,
           period.center_id, period.department_id, newest)
    now = clock.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = (build(session, staff, period), datetime.now(BEIJING))
    with _cache_lock:
        for old in [k for k, (at, _) in _cache.items() if now - at >= CACHE_SECONDS]:
            del _cache[old]
        if len(_cache) >= CACHE_SIZE:
            del _cache[min(_cache, key=lambda k: _cache[k][0])]
        _cache[key] = (now, value)
    return value


def forget_charts() -> None:
    """Drop every drawn chart, so the next view counts afresh (the benchmark measures first views)."""
    with _cache_lock:
        _cache.clear()


def _read_period(request: Request, path: str) -> tuple[core.Listing, dashboard_read.Period, dict[str, str]]:
    listing = core.Listing.read(request, path, ("since", "until", "center_id", "department_id"))
    errors: dict[str, str] = {}
    try:
        period = _period(listing)
    except ValidationFailed as exc:
        errors = core.field_errors(exc)
        listing.filters = {}
        period = _period(listing)
    return listing, period, errors


@router.get("/dashboards/kpis")
def kpi_dashboard(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    listing, period, errors = _read_period(request, "/dashboards/kpis")
    panels, counted_at = _panels(session, staff, period, build=_build_kpi_panels)
    return core.render(request, "dashboards/kpis.html", {
        "listing": listing, "panels": panels, "errors": errors, "counted_at": counted_at,
        "cache_seconds": CACHE_SECONDS,
        "values": {"since": period.since.date().isoformat(),
                   "until": (period.until - timedelta(days=1)).date().isoformat()},
    }, staff=staff)


@router.get("/dashboards")
def dashboards(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    listing, period, errors = _read_period(request, "/dashboards")
    panels, counted_at = _panels(session, staff, period)
    centers = org_service.list_centers(session, staff)
    departments = org_service.list_departments(session, staff)
    # saved reports are run on every view (one grouped query each), so one just saved shows at once
    return core.render(request, "dashboards/index.html", {
        "listing": listing, "panels": panels, "errors": errors, "counted_at": counted_at,
        "saved_reports": report_pages.saved_panels(session, staff),
        "cache_seconds": CACHE_SECONDS,
        "values": {"since": period.since.date().isoformat(),
                   "until": (period.until - timedelta(days=1)).date().isoformat()},
        "centers": [("", "全部")] + [(c.id, c.name) for c in centers],
        "departments": [("", "全部")] + [(d.id, d.name) for d in departments if not d.deleted],
    }, staff=staff)
