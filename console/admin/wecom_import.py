"""The administrator's 企业微信客户导入 page: start an import of the customers already on WeCom, follow it on a
progress bar, stop it (the next run carries on from its checkpoints), and read what each run, the nightly one
included, added and repaired. ``scrm wecom import`` runs the same import from a terminal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

from console import core
from scrm.auth import AdminStaff, SessionDep
from scrm.core import jobs
from scrm.ingress import importer
from scrm.ingress.labels import IMPORT_KIND_NAMES, IMPORT_STATUS_NAMES
from scrm.ingress.models import ImportStatus

router = core.console_router()


@router.get("/admin/wecom-import")
def page(request: Request, staff: AdminStaff, session: SessionDep) -> HTMLResponse:
    core.remember(request, staff)
    runs = importer.latest_runs(session, 10)
    current = importer.running(session)
    return core.render(request, "admin/wecom_import.html", {
        "runs": runs, "current": current, "percent": {r.id: importer.progress_percent(r) for r in runs},
        "kind_names": IMPORT_KIND_NAMES, "status_names": IMPORT_STATUS_NAMES, "running": ImportStatus.running,
    }, staff=staff)


@router.post("/admin/wecom-import/start")
def start(request: Request, staff: AdminStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    if importer.running(session) is not None:
        return core.redirect("/admin/wecom-import", msg="import_running")
    jobs.enqueue(session, "wecom.import_customers", retries=0)
    return core.redirect("/admin/wecom-import", msg="import_started")


@router.post("/admin/wecom-import/{run_id}/stop")
def stop(request: Request, run_id: Annotated[int, Path(ge=1)], staff: AdminStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    importer.request_stop(session, run_id)
    return core.redirect("/admin/wecom-import", msg="import_stopping")
