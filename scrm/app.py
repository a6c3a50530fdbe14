"""The FastAPI app factory: one exception handler, every module's router."""

from __future__ import annotations

import importlib
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from scrm.errors import AppError

log = logging.getLogger(__name__)

ROUTER_MODULES = (
    "scrm.org.api",
    "scrm.wecom.api",
    "scrm.customers.api",
    "scrm.channels.api",
    "scrm.assignment.api",
    "scrm.tagging.api",
    "scrm.handover.api",
    "scrm.mandates.api",
    "backoffice.direct_debit.api",
)

DESCRIPTION = """
SCRM and WeCom bot service for loan brokers.

Staff endpoints (`/api/...`) take `Authorization: Bearer <token>` from `POST /api/auth/login`.
Errors are JSON `{"error": code, "message": text, "field": name}`; 422 is a malformed payload.
"""


def create_app() -> FastAPI:
    import scrm.models  # noqa: F401  (all tables known before the first request)

    app = FastAPI(title="Loan-broker SCRM", version="0.1.0", description=DESCRIPTION)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        if exc.status_code >= 500:
            log.error("request failed: %s %s: %s", request.method, request.url.path, exc.message)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
    return app
