"""Text carrying the NUL character (U+0000) is refused before routing: a 422 naming the field.

PostgreSQL's text and JSON columns cannot hold it (the database refused it after the service had run, naming no
field) while SQLite stored it, so the same request was kept on one database and refused on the other. No name,
phone, note or filter a person types contains it; a JSON body or a query parameter that does is the caller's
mistake, answered the same on both. Other bodies (files, WeCom's and WeChat Pay's XML) are left to their readers.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from scrm.core.errors import ValidationFailed

NUL = "\x00"


class NulText:
    """Answers 422 when a JSON body or the query string has a string (a value or a key) with a NUL in it.
    Placed inside ``BodyLimit``, which has already read the body whole and bounded it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _in_query(scope.get("query_string", b""))
        if field is None and _is_json(scope):
            body, receive = await _read(receive)
            if body is None:  # the client went away
                return
            field = _in_json(body)
        if field is None:
            await self.app(scope, receive, send)
            return
        error = ValidationFailed(f"{field}: text must not contain the NUL character (\\u0000)", field=field)
        payload = json.dumps(error.to_dict(), ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": error.status_code,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


def _in_query(query_string: bytes) -> str | None:
    if b"%00" not in query_string:
        return None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                 errors="replace"):
        if NUL in name or NUL in value:
            return _printable(name) or "query"  # a parameter with no name: the query string is where it is
    return None


def _is_json(scope) -> bool:
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


async def _read(receive) -> tuple[bytes | None, Any]:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, receive
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed():
        return pending.pop() if pending else await receive()

    return body, replayed


def _in_json(body: bytes) -> str | None:
    if b"\\u0000" not in body:  # JSON writes a NUL only so escaped (a raw one is no JSON at all)
        return None
    try:
        document = json.loads(body)
    except ValueError:  # not JSON after all: the route's own parser says so
        return None
    return _find(document, ())


def _find(value: Any, path: tuple[str, ...]) -> str | None:
    if isinstance(value, str):
        return _join(path) if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return _join((*path, key))
            found = _find(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def _join(path: tuple[str, ...]) -> str:
    return ".".join(_printable(part) for part in path) or "body"


def _printable(name: str) -> str:
    return name.replace(NUL, "\\u0000")[:100]
