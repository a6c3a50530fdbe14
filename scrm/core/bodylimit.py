"""The bound on every request body, applied before routing and before anything parses the body."""

from __future__ import annotations

import json
import logging
from typing import Callable

from scrm.core.errors import PayloadTooLarge

log = logging.getLogger(__name__)

LimitFor = Callable[[str], tuple[int, str]]
"""The most bytes a path accepts, and the setting that says so (named in the 413)."""


class BodyLimit:
    """A body longer than its path's limit is answered 413: at once when Content-Length declares it
    (nothing is read), else as soon as the chunks read add up past it (the rest is never read). A body
    within the limit is read here and handed on whole; the JSON and form parsers downstream read all of
    it into memory anyway, so this costs nothing they did not already spend."""

    def __init__(self, app, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(route_path(scope))
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit():
            if int(declared) > limit:
                await _too_large(scope, send, limit, setting)
                return
            if int(declared) == 0:
                await self.app(scope, receive, send)
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, send, limit, setting)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive):
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed():
        return pending.pop() if pending else await receive()

    return replayed


def route_path(scope) -> str:
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


async def _too_large(scope, send, limit: int, setting: str) -> None:
    client = scope["client"][0] if scope.get("client") else "?"
    log.warning("request body over %d bytes refused: %s %s (from %s)", limit, scope["method"], scope["path"][:200],
                client)
    error = PayloadTooLarge(f"the request body is larger than {limit} bytes, the most this URL accepts ({setting})",
                            limit_bytes=limit)
    payload = json.dumps(error.to_dict()).encode()
    await send({"type": "http.response.start", "status": error.status_code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
