"""The WeCom callback URL. The request path only verifies, stores and queues: WeCom retries any
callback not answered within 5 seconds."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from scrm.config import get_settings
from scrm.wecom import callback, service
from scrm.wecom.ingress import InboxBatcher

log = logging.getLogger(__name__)
router = APIRouter(tags=["wecom"])

_REFUSALS = {
    400: {"description": "Malformed: not WeCom's XML, missing parameters, cannot decrypt", "content": {"text/plain": {}}},
    403: {"description": "Bad signature, wrong receiver id, or a timestamp outside the replay window",
          "content": {"text/plain": {}}},
    413: {"description": "Body larger than SCRM_CALLBACK_MAX_BODY", "content": {"text/plain": {}}},
    503: {"description": "WeCom is not configured on this service", "content": {"text/plain": {}}},
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
    query = request.query_params
    msg_signature, timestamp, nonce = query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", "")
    limit = get_settings().callback_max_body
    if int(request.headers.get("content-length") or 0) > limit:
        return _reject(request, callback.CallbackRejected("body too large", 413))
    body = await request.body()
    if len(body) > limit:
        return _reject(request, callback.CallbackRejected("body too large", 413))
    try:
        plain, fields = callback.open_message(_keys(), body, msg_signature, timestamp, nonce)
    except callback.CallbackRejected as exc:
        return _reject(request, exc)
    await _batcher(request).store(plain, fields)
    return PlainTextResponse("")


def _batcher(request: Request) -> InboxBatcher:
    state = request.app.state
    if not hasattr(state, "inbox_batcher"):
        state.inbox_batcher = InboxBatcher()
    return state.inbox_batcher
