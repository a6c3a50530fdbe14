"""The administrator's 系统自检 page: the checks ``scrm doctor`` runs, one line each, rendered for the browser.

The checks span every domain, so they live at the composition root, which hands them to the app as
``app.state.doctor``; this page only shows what they return.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from console import core
from scrm.auth import AdminStaff
from scrm.core.errors import NotFound

router = core.console_router()

STATUS_NAMES = {"ok": "正常", "warn": "注意", "fail": "失败"}


@router.get("/admin/doctor")
def doctor(request: Request, staff: AdminStaff) -> HTMLResponse:
    core.remember(request, staff)
    run = getattr(request.app.state, "doctor", None)
    if run is None:
        raise NotFound("这个服务没有提供系统自检")
    results = run()
    counts = {status: sum(r.status == status for r in results) for status in STATUS_NAMES}
    return core.render(request, "admin/doctor.html", {"results": results, "counts": counts,
                                                      "status_names": STATUS_NAMES}, staff=staff)
