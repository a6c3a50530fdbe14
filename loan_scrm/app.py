"""The FastAPI app factory: the subscriptions installed, one exception handler, every module's router."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from backoffice.accounting import api as bo_accounting_api
from backoffice.budgets import api as bo_budgets_api
from backoffice.direct_debit import api as bo_direct_debit_api
from backoffice.ledger import api as bo_ledger_api
from backoffice.orders import api as bo_orders_api
from backoffice.reimbursements import api as bo_reimbursements_api
from backoffice.reports import api as bo_reports_api
from backoffice.reports.builder import api as bo_report_builder_api
from backoffice.settlements import api as bo_settlements_api
from console import api as console_api
from loan_scrm import models  # noqa: F401  (every table known before the first request)
from loan_scrm import doctor, wiring
from scrm.approvals import api as approvals_api
from scrm.assignment import api as assignment_api
from scrm.broadcast import api as broadcast_api
from scrm.channels import api as channels_api
from scrm.core import db
from scrm.core.bodylimit import BodyLimit
from scrm.core.config import get_settings
from scrm.core.errors import AppError, ServiceUnavailable
from scrm.core.nultext import NulText
from scrm.core.params import BIGINT
from scrm.customers import api as customers_api
from scrm.groups import api as groups_api
from scrm.handover import api as handover_api
from scrm.ingress import api as ingress_api
from scrm.mandates import api as mandates_api
from scrm.materials import api as materials_api
from scrm.miniprogram_api import api as miniprogram_api
from scrm.org import api as org_api
from scrm.pipeline import api as pipeline_api
from scrm.referral import api as referral_api
from scrm.risk import api as risk_api
from scrm.sop import api as sop_api
from scrm.tagging import api as tagging_api

log = logging.getLogger(__name__)

ROUTERS = (
    org_api.router,
    ingress_api.router,
    customers_api.router,
    assignment_api.customers_router,
    customers_api.channel_stats_router,  # before the channels' /{channel_id}, which would take /stats
    channels_api.router,
    assignment_api.router,
    tagging_api.router,
    handover_api.router,
    miniprogram_api.router,
    bo_settlements_api.mp_router,
    referral_api.router,
    groups_api.router,
    sop_api.router,
    broadcast_api.router,
    materials_api.router,
    risk_api.router,
    risk_api.customers_router,
    risk_api.mp_router,
    approvals_api.router,
    pipeline_api.router,
    pipeline_api.customers_router,
    console_api.router,
    bo_orders_api.router,
    bo_orders_api.deposits_router,
    bo_orders_api.processing_router,
    bo_settlements_api.disbursement_router,
    bo_settlements_api.router,
    bo_ledger_api.router,
    bo_orders_api.ledger_router,
    bo_settlements_api.vouchers_router,
    bo_reimbursements_api.router,
    bo_reports_api.router,
    bo_budgets_api.router,
    bo_report_builder_api.router,
    mandates_api.router,
    bo_direct_debit_api.router,
    bo_accounting_api.router,
)

DESCRIPTION = """
SCRM and WeCom bot service for loan brokers.

Staff endpoints (`/api/...`) take `Authorization: Bearer <token>` from `POST /api/auth/login`.
Errors are JSON `{"error": code, "message": text, "field": name}`; 422 is a malformed payload (with
pydantic's `detail` list, long inputs cut short); 413 a body over the URL's limit (1 MiB, 64 KiB for payment
notifications, 20 MiB for a file upload); 503 with `Retry-After` while the database is unreachable.
"""


UPLOAD_PATH = re.compile(r"(/api|/console)/customers/\d+/attachments|/mp/attachments|/console/materials(/\d+)?")
UPLOAD_FORM_ALLOWANCE = 64 * 1024


def body_limit(path: str) -> tuple[int, str]:
    """The most bytes a request body to ``path`` may have, and the setting that says so."""
    settings = get_settings()
    if path.startswith("/pay/notify/"):
        return settings.notify_max_body, "SCRM_NOTIFY_MAX_BODY"
    if path == "/wecom/callback":  # normally answered ahead of this by its fast path, with the same bound
        return settings.callback_max_body, "SCRM_CALLBACK_MAX_BODY"
    if UPLOAD_PATH.fullmatch(path):  # a file and its form fields; the service names the file's own limit
        return settings.files_max_bytes + UPLOAD_FORM_ALLOWANCE, "SCRM_FILES_MAX_BYTES"
    return settings.max_body, "SCRM_MAX_BODY"


# what a 422 may repeat of the input: enough to recognise it, never the whole of a large one
ECHO_CHARS = 100
ECHO_ITEMS = 10
ECHO_DEPTH = 2


def bounded(value: Any, depth: int = 0) -> Any:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value[:ECHO_CHARS * 4]).decode("utf-8", "replace")
    if isinstance(value, str):
        return value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + f"… ({len(value)} characters)"
    if isinstance(value, dict):
        if depth >= ECHO_DEPTH or len(value) > ECHO_ITEMS:
            return f"(an object with {len(value)} keys)"
        return {bounded(str(k), depth + 1): bounded(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        if depth >= ECHO_DEPTH or len(value) > ECHO_ITEMS:
            return f"(a list of {len(value)} items)"
        return [bounded(v, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return bounded(str(value), depth)


def _bounded_error(error: dict) -> dict:
    out = {k: bounded(v) if k in ("input", "msg") else v for k, v in error.items() if k not in ("ctx", "loc")}
    out["loc"] = [bounded(part) if isinstance(part, str) else part for part in error.get("loc", ())]  # an extra key's name
    if "ctx" in error:  # a validator's own message may quote the input
        out["ctx"] = {k: bounded(str(v) if isinstance(v, Exception) else v) for k, v in error["ctx"].items()}
    return out


def _past_64_bits(request: Request) -> str | None:
    """The path or query parameter holding a whole number the database cannot, if one does."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        try:
            number = int(str(value))
        except ValueError:  # not a number, or too many digits even to read
            continue
        if number not in BIGINT:
            return name
    return None


BODY_UNREADABLE = "There was an error parsing the body"  # FastAPI's 400 for a body it could not decode


def _unreadable_body(problem: str) -> JSONResponse:
    return JSONResponse({"error": "bad_request", "field": "body", "message": f"body: {problem}"}, status_code=400)


def create_app() -> FastAPI:
    problem = get_settings().startup_problem()
    if problem:  # fail at start, not at the first request that reads a phone number
        raise RuntimeError(problem)
    wiring.install()
    app = FastAPI(title="Loan-broker SCRM", version="0.1.0", description=DESCRIPTION)
    app.state.doctor = doctor.run  # the admin's 系统自检 page (console.admin) runs the checks the CLI runs

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

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_bounded_error(e) for e in exc.errors()]
        first = errors[0] if errors else {}
        loc = first.get("loc", ())
        # a part's path past where it is ("body", "name"), or the part itself when the whole of it is wrong
        # a key that is the empty string is still named, as "", rather than read as the whole part
        field = ".".join(str(part) if part != "" else '""' for part in loc[1:]) or (str(loc[0]) if loc else None)
        message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid payload"))
        if first.get("type") == "json_invalid":  # loc is ("body", the character it failed at)
            field = "body"
            message = f"body: not valid JSON ({first.get('ctx', {}).get('error', 'unreadable')} at character {loc[-1]})"
        body = {"error": "invalid", "message": message, "field": field, "detail": errors}
        return JSONResponse(jsonable_encoder({k: v for k, v in body.items() if v is not None}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        cause = exc.__cause__ or exc.__context__
        if exc.status_code == 400 and isinstance(cause, MultiPartException):
            return _unreadable_body(f"not a readable multipart form ({exc.detail})")
        if exc.status_code == 400 and exc.detail == BODY_UNREADABLE:
            return _unreadable_body("not UTF-8 text" if isinstance(cause, UnicodeDecodeError) else "not readable JSON")
        return await http_exception_handler(request, exc)

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: DataError) -> JSONResponse:
        # a number or text the database cannot hold (an id past 2^63, …): the caller's input, not our fault
        log.info("input the database refused: %s %s: %s", request.method, request.url.path, exc.orig)
        field = _past_64_bits(request)
        if field:
            return JSONResponse({"error": "invalid", "field": field,
                                 "message": f"{field}: out of range, must be between {BIGINT.start} "
                                            f"and {BIGINT.stop - 1}"},
                                status_code=422)
        return JSONResponse({"error": "invalid", "message": "a value in the request is out of range"}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(NulText)  # inside BodyLimit: reads a body already bounded
    app.add_middleware(BodyLimit, limit_for=body_limit)
    ingress_api.mount_fast_path(app)  # outside BodyLimit: it bounds its own body
    return app
