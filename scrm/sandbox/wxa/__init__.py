"""A WeChat mini-program's server API on loopback: ``cgi-bin/token``, ``sns/jscode2session``,
``wxa/business/getuserphonenumber`` and ``wxa/getwxacodeunlimit``, with WeChat's JSON and errcodes.

Tests and the demo play the phone's part: ``login_code()`` is what ``wx.login`` would hand the
mini-program, ``phone_code()`` what the getPhoneNumber button would. Codes are single use and live
five minutes on the sandbox clock (``advance()`` moves it). A process that is not the sandbox's own (the
mini-program's tests under Node) asks for them over HTTP: ``POST /sandbox/login_code`` with
``{"openid"?, "unionid"?}`` answers ``{"code", "openid"}`` as ``wx.login``'s success does, and
``POST /sandbox/phone_code`` with ``{"phone"}`` answers ``{"code"}`` as the button's ``getphonenumber``
event carries it in ``detail.code``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from scrm.core.config import SANDBOX_WXA
from scrm.sandbox.loopback import LoopbackSandbox

CODE_TTL_S = 300
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    40169: "invalid length for scene, or the data is not json string",
    41002: "appid missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    47001: "data format error",
}
SCENE_RE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]*")


class WxaApiError(Exception):
    def __init__(self, errcode: int, errmsg: str | None = None):
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")


@dataclass
class _Code:
    kind: str  # login | phone
    value: dict
    expires_at: float
    used: bool = False


def png(seed: bytes, size: int = 21, scale: int = 4) -> bytes:
    """A small valid greyscale PNG whose pattern depends on ``seed`` (a stand-in for the mini-program code)."""
    bits = hashlib.shake_256(seed).digest(size * size)
    rows = b""
    for y in range(size * scale):
        row = bytes(0 if bits[(y // scale) * size + x // scale] & 1 else 255 for x in range(size * scale))
        rows += b"\x00" + row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size * scale, size * scale, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class SandboxWxa(LoopbackSandbox):
    """The mini-program API of one app. ``start()`` returns the base to use as ``SCRM_WXA_API_BASE``."""

    name = "sandbox mini-program API"

    def __init__(self, appid: str | None = None, secret: str | None = None, *, token_ttl_s: int = 7200,
                 pages: tuple[str, ...] = ("pages/index/index", "pages/referral/landing")):
        self.appid = appid or SANDBOX_WXA["appid"]
        self.secret = secret or SANDBOX_WXA["secret"]
        self.token_ttl_s = token_ttl_s
        self.pages = set(pages)
        self.clock_offset = 0.0
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._codes: dict[str, _Code] = {}
        self._sessions: dict[str, str] = {}  # openid -> session_key
        self._faults: dict[str, list[int]] = {}
        self._log: list[dict] = []
        self.app = Starlette(routes=[Route("/sandbox/login_code", self._http_login_code, methods=["POST"]),
                                     Route("/sandbox/phone_code", self._http_phone_code, methods=["POST"]),
                                     Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    # ------------------------------------------------------------------ the phone's side and test controls

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock (code and token expiry) forward."""
        self.clock_offset += seconds

    def _issue(self, kind: str, value: dict) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = _Code(kind, value, self.now() + CODE_TTL_S)
        return code

    def login_code(self, openid: str | None = None, unionid: str | None = None) -> str:
        """What ``wx.login`` gives the mini-program for this user (a new openid when none is given)."""
        openid = openid or "o" + secrets.token_hex(13)
        return self._issue("login", {"openid": openid, "unionid": unionid})

    async def _http_login_code(self, request: Request) -> Response:
        body = json.loads((await request.body()) or b"{}")
        openid = body.get("openid") or "o" + secrets.token_hex(13)
        return JSONResponse({"code": self.login_code(openid, body.get("unionid")), "openid": openid})

    async def _http_phone_code(self, request: Request) -> Response:
        body = json.loads((await request.body()) or b"{}")
        if not body.get("phone"):
            return JSONResponse({"error": "phone is required"}, status_code=400)
        return JSONResponse({"code": self.phone_code(str(body["phone"]), str(body.get("country_code") or "86"))})

    def phone_code(self, phone: str, country_code: str = "86") -> str:
        """What the getPhoneNumber button gives the mini-program once the user allows it."""
        return self._issue("phone", {"phone": phone, "country_code": country_code})

    def inject(self, path: str, errcode: int, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` answer ``errcode``."""
        with self._lock:
            self._faults.setdefault(path.strip("/"), []).extend([errcode] * times)

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = {t: min(exp, self.now() - 1) for t, exp in self._tokens.items()}

    def request_log(self, path: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._log if path is None or e["path"] == path.strip("/")]

    def call_count(self, path: str) -> int:
        return len(self.request_log(path))

    # ------------------------------------------------------------------ the API

    def _token(self, query: dict) -> dict:
        if query.get("grant_type") != "client_credential":
            raise WxaApiError(40002)
        self._check_app(query)
        now = self.now()
        with self._lock:
            live = [(t, exp) for t, exp in self._tokens.items() if exp > now]
            if live:
                token, expires_at = live[-1]
            else:
                token, expires_at = secrets.token_urlsafe(48), now + self.token_ttl_s
                self._tokens[token] = expires_at
        return {"access_token": token, "expires_in": max(int(expires_at - now), 1)}

    def _check_app(self, query: dict) -> None:
        if not query.get("appid"):
            raise WxaApiError(41002)
        if query["appid"] != self.appid:
            raise WxaApiError(40013)
        if query.get("secret") != self.secret:
            raise WxaApiError(40125)

    def _check_token(self, query: dict) -> None:
        with self._lock:
            expires_at = self._tokens.get(query.get("access_token") or "")
        if expires_at is None:
            raise WxaApiError(40001)
        if expires_at <= self.now():
            raise WxaApiError(42001)

    def _take(self, code: str | None, kind: str) -> dict:
        if not code:
            raise WxaApiError(41008)
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.kind != kind or entry.expires_at <= self.now():
                raise WxaApiError(40029)
            if entry.used:
                raise WxaApiError(40163)
            entry.used = True
            return dict(entry.value)

    def _jscode2session(self, query: dict) -> dict:
        self._check_app(query)
        if query.get("grant_type") != "authorization_code":
            raise WxaApiError(40002)
        user = self._take(query.get("js_code"), "login")
        with self._lock:
            session_key = self._sessions.setdefault(user["openid"], secrets.token_urlsafe(16))
        answer = {"openid": user["openid"], "session_key": session_key}
        if user["unionid"]:
            answer["unionid"] = user["unionid"]
        return answer

    def _phone(self, query: dict, body: dict) -> dict:
        self._check_token(query)
        got = self._take(body.get("code"), "phone")
        return {"phone_info": {"phoneNumber": got["phone"], "purePhoneNumber": got["phone"],
                               "countryCode": got["country_code"],
                               "watermark": {"timestamp": int(self.now()), "appid": self.appid}}}

    def _wxacode(self, query: dict, body: dict) -> bytes:
        self._check_token(query)
        scene = body.get("scene")
        if not isinstance(scene, str) or not scene or len(scene) > 32:
            raise WxaApiError(40169)
        if not SCENE_RE.fullmatch(scene):
            raise WxaApiError(40129)
        page = body.get("page")
        if page is not None and page not in self.pages:
            raise WxaApiError(41030)
        return png(f"{page}?{scene}".encode())

    async def _handle(self, request: Request) -> Response:
        path = request.path_params["path"].strip("/")
        query = dict(request.query_params)
        raw = await request.body()
        body: Any = None
        errcode = 0
        try:
            with self._lock:
                faults = self._faults.get(path)
                fault = faults.pop(0) if faults else None
            if fault is not None:
                raise WxaApiError(fault)
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise WxaApiError(47001) from None
            if path == "cgi-bin/token":
                answer: Any = self._token(query)
            elif path == "sns/jscode2session":
                answer = self._jscode2session(query)
            elif path == "wxa/business/getuserphonenumber":
                answer = {"errcode": 0, "errmsg": "ok", **self._phone(query, body or {})}
            elif path == "wxa/getwxacodeunlimit":
                answer = self._wxacode(query, body or {})
            else:
                self._record(request, path, query, body, None, 404)
                return PlainTextResponse("unknown api", status_code=404)
        except WxaApiError as exc:
            errcode = exc.errcode
            answer = {"errcode": exc.errcode, "errmsg": f"{exc.errmsg} rid: {secrets.token_hex(6)}"}
        self._record(request, path, query, body, errcode, 200)
        if isinstance(answer, bytes):
            return Response(answer, media_type="image/png")
        return JSONResponse(answer)

    def _record(self, request: Request, path: str, query: dict, body: Any, errcode: int | None, status: int) -> None:
        shown = {k: ("***" if k in ("secret", "access_token") else v) for k, v in query.items()}
        with self._lock:
            self._log.append({"path": path, "method": request.method, "query": shown, "body": body,
                              "errcode": errcode, "http_status": status, "time": time.time()})
