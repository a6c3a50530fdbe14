"""The WeCom callback URL. The request path only verifies, stores and queues: WeCom retries any
callback not answered within 5 seconds."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from scrm.core.bodylimit import route_path
from scrm.core.config import get_settings
from scrm.core.db import unavailable
from scrm.core.errors import ServiceUnavailable
from scrm.ingress import service
from scrm.ingress.batcher import InboxBatcher
from scrm.wecom import callback

log = logging.getLogger(__name__)
router = APIRouter(tags=["wecom"])

_REFUSALS = {
    400: {"description": "Malformed: not WeCom's XML, not UTF-8, with a DTD, missing parameters, cannot decrypt", "content": {"text/plain": {}}},
    403: {"description": "Bad signature, wrong receiver id, or a timestamp outside the replay window",
          "content": {"text/plain": {}}},
    413: {"description": "Body larger than SCRM_CALLBACK_MAX_BODY", "content": {"text/plain": {}}},
    503: {"description": "WeCom is not configured on this service, or the database is unreachable (retry)",
          "content": {"text/plain": {}}},
}


def _reject(request: Request, exc: callback.CallbackRejected) -> PlainTextResponse:
    log.warning("wecom callback rejected: %s (from %s)", exc.reason, request.client.host if request.client else "?")
    return PlainTextResponse(exc.reason, status_code=exc.status_code)


def _keys():
    try:
        return service.callback_keys()
    except service.WecomNotConfigured as exc:
        raise callback.CallbackRejected(str(exc), 503) from exc


@router.get("/wecom/callback", response_class=PlainTextResponse, responses=_REFUSALS)
def verify_callback_url(request: Request, msg_signature: str = "", timestamp: str = "", nonce: str = "",
                        echostr: str = "") -> PlainTextResponse:
    """WeCom's URL check when the callback is configured: answers the decrypted `echostr`."""
    try:
        return PlainTextResponse(callback.verify_url(_keys(), msg_signature, timestamp, nonce, echostr))
    except callback.CallbackRejected as exc:
        return _reject(request, exc)


_SIGNED_QUERY = {"parameters": [{"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
                                for name in ("msg_signature", "timestamp", "nonce")]}


@router.post("/wecom/callback", response_class=PlainTextResponse, openapi_extra=_SIGNED_QUERY, responses=_REFUSALS)
async def receive_callback(request: Request) -> PlainTextResponse:
    """A signed, encrypted WeCom event or message. Stored once per event (retries are absorbed),
    processed by a job; the answer is an empty 200."""
    limit = get_settings().callback_max_body
    if int(request.headers.get("content-length") or 0) > limit:
        return _reject(request, callback.CallbackRejected("body too large", 413))
    body = await request.body()
    status, text = await _accept(request.app.state, request.query_params, body, limit,
                                 request.client.host if request.client else "?")
    return PlainTextResponse(text, status_code=status, headers=_RETRY_AFTER if status == 503 else None)


async def _accept(state, query, body: bytes, limit: int, client: str) -> tuple[int, str]:
    if len(body) > limit:
        exc = callback.CallbackRejected("body too large", 413)
    else:
        try:
            plain, fields = callback.open_message(_keys(), body, query.get("msg_signature", ""),
                                                  query.get("timestamp", ""), query.get("nonce", ""))
        except callback.CallbackRejected as rejected:
            exc = rejected
        else:
            try:
                await _batcher(state).store(plain, fields)
            except Exception as failure:
                if not unavailable(failure):
                    raise
                log.warning("wecom callback not stored, database unavailable: %s", failure)
                return 503, "database unavailable"
            return 200, ""
    log.warning("wecom callback rejected: %s (from %s)", exc.reason, client)
    return exc.status_code, exc.reason


def _batcher(state) -> InboxBatcher:
    if not hasattr(state, "inbox_batcher"):
        state.inbox_batcher = InboxBatcher()
    return state.inbox_batcher


_TEXT_HEADERS = [(b"content-type", b"text/plain; charset=utf-8")]
_RETRY_AFTER = {"Retry-After": str(ServiceUnavailable.retry_after_s)}


class CallbackFastPath:
    """``POST /wecom/callback`` answered ahead of the API's exception handling and routing: the same
    checks and answer as ``receive_callback``, without the route scan and request wrapping of every
    API route, which cost more than the verification itself on the busiest URL of the service."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or route_path(scope) != "/wecom/callback":
            await self.app(scope, receive, send)
            return
        limit = get_settings().callback_max_body
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        client = scope["client"][0] if scope.get("client") else "?"
        if declared.isdigit() and int(declared) > limit:
            log.warning("wecom callback rejected: body too large (from %s)", client)
            status, text = 413, "body too large"
        else:
            body = await _read_body(receive, limit)
            if body is None:
                return
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            status, text = await _accept(scope["app"].state, query, body, limit, client)
        payload = text.encode()
        headers = _TEXT_HEADERS + [(b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(k.lower().encode(), v.encode()) for k, v in _RETRY_AFTER.items()]
                    if status == 503 else headers})
        await send({"type": "http.response.body", "body": payload})


async def _read_body(receive, limit: int) -> bytes | None:
    """The body, cut short one byte past ``limit``; None when the client went away."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            return b"".join(chunks)


def mount_fast_path(app) -> None:
    """Answer callbacks in ``CallbackFastPath`` (the documented route above stays for the OpenAPI
    schema and for apps built without it)."""
    app.add_middleware(CallbackFastPath)
