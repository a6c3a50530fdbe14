"""The FastAPI app factory: one exception handler, every module's router."""

from __future__ import annotations

import importlib
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from scrm import db
from scrm.errors import AppError, ServiceUnavailable

log = logging.getLogger(__name__)

ROUTER_MODULES = (
    "scrm.org.api",
    "scrm.wecom.api",
    "scrm.customers.api",
    "scrm.channels.api",
    "scrm.assignment.api",
    "scrm.tagging.api",
    "scrm.handover.api",
    "scrm.miniprogram_api.api",
    "scrm.referral.api",
    "scrm.groups.api",
    "scrm.sop.api",
    "scrm.broadcast.api",
    "backoffice.web.api",
    "backoffice.contracts.api",
    "backoffice.deposits.api",
    "backoffice.processing.api",
    "backoffice.settlements.api",
    "backoffice.ledger.api",
    "backoffice.vouchers.api",
    "backoffice.reimbursements.api",
    "backoffice.reports.api",
    "scrm.mandates.api",
    "backoffice.direct_debit.api",
)

DESCRIPTION = """
SCRM and WeCom bot service for loan brokers.

Staff endpoints (`/api/...`) take `Authorization: Bearer <token>` from `POST /api/auth/login`.
Errors are JSON `{"error": code, "message": text, "field": name}`; 422 is a malformed payload; 503 with
`Retry-After` while the database is unreachable.
"""


def create_app() -> FastAPI:
    import scrm.models  # noqa: F401  (all tables known before the first request)

    app = FastAPI(title="Loan-broker SCRM", version="0.1.0", description=DESCRIPTION)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        if exc.status_code >= 500:
            log.error("request failed: %s %s: %s", request.method, request.url.path, exc.message)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    async def _database_away(request: Request, exc: Exception) -> JSONResponse:
        if not db.unavailable(exc):
            raise exc
        log.warning("database unavailable: %s %s: %s", request.method, request.url.path, exc)
        return await _app_error(request, ServiceUnavailable())

    for away in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(away, _database_away)

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: DataError) -> JSONResponse:
        # a number or text the database cannot hold (an id past 2^63, …): the caller's input, not our fault
        log.info("input the database refused: %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse({"error": "invalid", "message": "a value in the request is out of range"}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
    importlib.import_module("scrm.wecom.api").mount_fast_path(app)
    return app
