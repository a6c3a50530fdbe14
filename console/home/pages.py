"""Sign-in (password or WeCom OAuth), sign-out, the home page with the menu per role, and static files."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from console import core
from console.home import read as home_read
from scrm.auth import COOKIE_NAME, CurrentStaff, SessionDep, end_staff_session, issue_staff_token
from scrm.core.config import get_settings
from scrm.core.errors import AppError, NotFound, TooManyRequests, Unauthorized
from scrm.org import service as org_service
from scrm.wecom.client import get_client

router = core.console_router()

OAUTH_STATE_COOKIE = "scrm_oauth_state"
STATIC = {"console.css": "text/css", "console.js": "text/javascript", "sidebar.css": "text/css",
          "sidebar.js": "text/javascript", "pipeline.js": "text/javascript"}


def _safe_next(value: str | None) -> str:
    """Only a path inside the console: never an absolute URL (no open redirect)."""
    if value and value.startswith(core.PREFIX) and not value.startswith("//") and "\\" not in value:
        return value
    return core.PREFIX + "/"


def _signed_in(request: Request, employee_id: int, next_path: str) -> Response:
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(COOKIE_NAME, issue_staff_token(employee_id), max_age=get_settings().staff_token_ttl_s,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


def _wecom_configured() -> bool:
    settings = get_settings()
    return bool(settings.wecom_corp_id and settings.wecom_secret)


def wecom_client() -> Any:

    return get_client()


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise NotFound("没有这个文件")
    return FileResponse(core.HERE / "static" / name, media_type=STATIC[name],
                        headers={"Cache-Control": "public, max-age=3600"})


@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:
    return core.render(request, "home/login.html", {"next": _safe_next(next), "wecom": _wecom_configured()})


@router.post("/login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    try:
        employee = org_service.authenticate(session, username, password,
                                            client=request.client.host if request.client else None)
    except (Unauthorized, TooManyRequests) as exc:
        if isinstance(exc, TooManyRequests):
            message = "登录失败次数过多，请 15 分钟后再试"
        else:
            message = "用户名或密码不正确" if "password" in exc.message else "该账号已停用"
        return core.render(request, "home/login.html", {"next": _safe_next(next), "wecom": _wecom_configured(),
                                                   "values": {"username": username}, "errors": {"password": message}},
                           status_code=exc.status_code)
    return _signed_in(request, employee.id, next)


@router.get("/login/wecom")
def login_wecom(request: Request, client: Annotated[Any, Depends(wecom_client)], next: str = "") -> Response:
    """Send the browser to WeCom's OAuth page; it comes back to the callback with a code and our state."""
    state = secrets.token_hex(16)
    callback = str(request.url_for("login_wecom_callback"))
    response = RedirectResponse(org_service.wecom_authorize_url(client, callback, state), status_code=303)
    response.set_cookie(OAUTH_STATE_COOKIE, f"{state}:{_safe_next(next)}", max_age=600, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path=core.PREFIX)
    return response


@router.get("/login/wecom/callback", name="login_wecom_callback")
def login_wecom_callback(request: Request, session: SessionDep, client: Annotated[Any, Depends(wecom_client)],
                         code: str = "", state: str = "") -> Response:
    expected, _, next_path = request.cookies.get(OAUTH_STATE_COOKIE, "").partition(":")
    error = None
    if not code or not expected or not secrets.compare_digest(state, expected):
        error = "企业微信登录已过期，请重新登录"
    else:
        try:
            employee = org_service.employee_for_oauth_code(session, code, client)
        except AppError as exc:
            error = "企业微信登录失败：" + exc.message
    if error:
        return core.render(request, "home/login.html", {"next": _safe_next(next_path), "wecom": True,
                                                   "errors": {"__all__": error}}, status_code=401)
    response = _signed_in(request, employee.id, next_path)
    response.delete_cookie(OAUTH_STATE_COOKIE, path=core.PREFIX)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """Sign out: the session ends on the server too, so a copy of the cookie no longer signs in."""
    token = request.cookies.get(COOKIE_NAME)
    if token:
        try:
            end_staff_session(session, token)
        except Unauthorized:
            pass  # expired or not ours: there is no session left to end
    response = core.redirect("/login", msg="signed_out")
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("")
def console_root() -> Response:
    return RedirectResponse(core.PREFIX + "/", status_code=307)


@router.get("/")
def home(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return core.render(request, "home/index.html", {"tiles": home_read.home_tiles(session, staff)}, staff=staff)
