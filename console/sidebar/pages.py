"""The chat sidebar (聊天工具栏) pages WeCom opens beside a chat: the customer, the customer group, and the scripts
and materials to send. Mobile-first, one server round trip to a painted page.

The salesperson is known from WeCom OAuth (snsapi_base: code → userid → our signed session cookie). The page learns
the chat from the JS-SDK (``getCurExternalContact`` / ``getCurExternalChat``) and puts it in the URL; the server
trusts that id only as far as this salesperson may see it: they follow the customer on WeCom or their data scope
covers them, and otherwise get a refusal page.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from console import core
from console.sidebar import read
from scrm.auth import COOKIE_NAME, SessionDep, current_staff, issue_staff_token
from scrm.core import jobs
from scrm.core.config import get_settings
from scrm.core.db import utcnow
from scrm.core.errors import AppError, Forbidden, NotFound, Unauthorized, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Customer
from scrm.groups import service as groups_service
from scrm.materials import service as materials_service
from scrm.materials.labels import KIND_NAMES
from scrm.org import service as org_service
from scrm.org.models import Employee
from scrm.sop import service as sop_service
from scrm.tagging import service as tagging_service
from scrm.wecom.client import get_client

router = core.console_router()

BASE = "/sidebar"
STATE_COOKIE = "scrm_sidebar_oauth"
# WeCom's JS-SDK is loaded from WeCom, as WeCom requires; nothing else comes from outside.
WECOM_SCRIPTS = ("https://res.wx.qq.com/open/js/jweixin-1.2.0.js",
                 "https://open.work.weixin.qq.com/wwopen/js/jwxwork-1.0.0.js")
CSP = ("default-src 'self'; script-src 'self' https://res.wx.qq.com https://open.work.weixin.qq.com; "
       "style-src 'self'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")
FOLLOW_UP_KINDS = [("wechat", "微信"), ("call", "电话"), ("visit", "面谈"), ("note", "备注")]
SNOOZE_DAYS = 1
MESSAGES = {"tag_added": "标签已添加，正在同步到企业微信", "tag_removed": "标签已移除，正在同步到企业微信",
            "follow_up_added": "跟进已记录，画像已更新", "task_done": "任务已完成", "task_snoozed": "任务已推迟一天"}


def _safe_next(value: str | None) -> str:
    prefix = core.PREFIX + BASE
    if value and value.startswith(prefix) and not value.startswith("//") and "\\" not in value:
        return value
    return prefix + "/customer"


def _signed_in(request: Request, session: Session) -> Employee | None:
    try:
        staff = current_staff(request, session)
    except Unauthorized:
        return None
    return core.remember(request, staff)


def _to_oauth(request: Request) -> Response:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{core.PREFIX}{BASE}/oauth?{urlencode({'next': path})}", status_code=303)


def _page(request: Request, template: str, context: dict[str, Any], staff: Employee | None, *,
          status_code: int = 200, sign: bool = True) -> Response:
    config, problem = read.js_config(str(request.url)) if sign else (None, None)
    ctx = {"wecom_config": config, "wecom_problem": problem, "wecom_scripts": WECOM_SCRIPTS, "base": core.PREFIX + BASE,
           "flash": MESSAGES.get(request.query_params.get("msg", "")), **context}
    response = core.render(request, template, ctx, staff=staff, status_code=status_code)
    response.headers["Content-Security-Policy"] = CSP
    return response


def _refusal(request: Request, staff: Employee, reason: str) -> Response:
    return _page(request, "sidebar/refused.html", {"reason": reason}, staff, status_code=403, sign=False)


def _back(customer: Customer, msg: str) -> Response:
    return RedirectResponse(f"{core.PREFIX}{BASE}/customer?{urlencode({'ext': customer.wecom_external_userid or '', 'msg': msg})}",
                            status_code=303)


# ---------------------------------------------------------------------------------------------
# WeCom OAuth: the sidebar signs the salesperson in without a password


@router.get(BASE + "/oauth")
def oauth_start(request: Request, next: str = "") -> Response:
    """Off to WeCom's snsapi_base OAuth; WeCom comes back to the callback with a code and our state."""
    if not get_settings().wecom_configured:  # opened outside WeCom on an install without it: the password sign-in
        return RedirectResponse(f"{core.PREFIX}/login?{urlencode({'next': _safe_next(next)})}", status_code=303)
    client = get_client()
    state = secrets.token_hex(16)
    callback = str(request.url_for("sidebar_oauth_callback"))
    response = RedirectResponse(org_service.wecom_authorize_url(client, callback, state), status_code=303)
    response.set_cookie(STATE_COOKIE, f"{state}:{_safe_next(next)}", max_age=600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path=core.PREFIX + BASE)
    return response


@router.get(BASE + "/oauth/callback", name="sidebar_oauth_callback")
def oauth_callback(request: Request, session: SessionDep, code: str = "", state: str = "") -> Response:
    expected, _, next_path = request.cookies.get(STATE_COOKIE, "").partition(":")
    if not code or not expected:  # not on the way back from WeCom: start over
        return RedirectResponse(f"{core.PREFIX}/login?{urlencode({'next': core.PREFIX + BASE + '/customer'})}",
                                status_code=303)
    if not secrets.compare_digest(state, expected):
        return _page(request, "sidebar/refused.html", {"reason": "企业微信登录已过期，请关闭侧边栏后重新打开"}, None,
                     status_code=401, sign=False)
    try:
        employee = org_service.employee_for_oauth_code(session, code, get_client())
    except AppError as exc:
        return _page(request, "sidebar/refused.html", {"reason": "企业微信登录失败：" + exc.message}, None,
                     status_code=401, sign=False)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(COOKIE_NAME, issue_staff_token(employee.id), max_age=get_settings().staff_token_ttl_s,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
    response.delete_cookie(STATE_COOKIE, path=core.PREFIX + BASE)
    return response


# ---------------------------------------------------------------------------------------------
# the customer (single-chat toolbar)


def _visible_customer(session: Session, staff: Employee, customer_id: int) -> Customer:
    customer = customer_service.get(session, customer_id)
    if not read.may_see(session, staff, customer):
        raise Forbidden("你不是该客户的跟进人，该客户也不在你的数据范围内")
    return customer


@router.get(BASE + "/customer")
def customer_page(request: Request, session: SessionDep, ext: str = "") -> Response:
    """Without ``ext`` the page asks WeCom for the chat's customer and comes back with it."""
    staff = _signed_in(request, session)
    if staff is None:
        return _to_oauth(request)
    if not ext:
        return _page(request, "sidebar/entry.html", {"entry": "customer", "title": "客户"}, staff)
    customer = customer_service.get_by_external_userid(session, ext[:64])
    if customer is None:
        return _page(request, "sidebar/missing.html", {"title": "客户"}, staff, status_code=404, sign=False)
    if not read.may_see(session, staff, customer):
        return _refusal(request, staff, "你不是该客户的跟进人，该客户也不在你的数据范围内，不能查看其资料。"
                                        "如需跟进，请联系客户的负责人或你的主管。")
    ctx = read.customer_card(session, staff, customer)
    ctx.update(title=customer.name or "客户", kinds=FOLLOW_UP_KINDS, ext=ext)
    return _page(request, "sidebar/customer.html", ctx, staff, sign=False)


@router.post(BASE + "/customer/{customer_id}/tags")
async def change_tag(customer_id: int, request: Request, session: SessionDep) -> Response:
    staff = current_staff(request, session)
    core.remember(request, staff)
    customer = _visible_customer(session, staff, customer_id)
    form = await request.form()
    tag, on = str(form.get("tag", "")), str(form.get("on", "1")) == "1"
    tagging_service.set_tag_by_staff(session, customer.id, tag, on, employee_id=staff.id,
                                     source_key=f"sidebar:{staff.id}:{secrets.token_hex(8)}")
    jobs.enqueue(session, "tagging.sync_tags", [customer.id], queue="low")
    return _back(customer, "tag_added" if on else "tag_removed")


@router.post(BASE + "/customer/{customer_id}/follow-ups")
async def add_follow_up(customer_id: int, request: Request, session: SessionDep) -> Response:
    staff = current_staff(request, session)
    core.remember(request, staff)
    customer = _visible_customer(session, staff, customer_id)
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("kind", "content")}
    try:
        customer_service.add_follow_up(session, customer, employee_id=staff.id, kind=values["kind"] or "wechat",
                                       content=values["content"])
    except AppError as exc:
        session.rollback()
        customer = _visible_customer(session, staff, customer_id)
        ctx = read.customer_card(session, staff, customer)
        ctx.update(title=customer.name or "客户", kinds=FOLLOW_UP_KINDS, ext=customer.wecom_external_userid,
                   errors=core.field_errors(exc), values=values)
        return _page(request, "sidebar/customer.html", ctx, staff, status_code=422, sign=False)
    return _back(customer, "follow_up_added")


@router.post(BASE + "/tasks/{task_id}/{action}")
async def task_action(task_id: int, action: str, request: Request, session: SessionDep) -> Response:
    staff = current_staff(request, session)
    core.remember(request, staff)
    task = sop_service.get_visible(session, staff, task_id)
    customer = _visible_customer(session, staff, task.customer_id)
    if action == "complete":
        sop_service.complete(session, staff, task_id, note="侧边栏完成")
        return _back(customer, "task_done")
    if action == "snooze":
        sop_service.snooze(session, staff, task_id, max(task.due_at, utcnow()) + timedelta(days=SNOOZE_DAYS))
        return _back(customer, "task_snoozed")
    raise NotFound("没有这个操作")


# ---------------------------------------------------------------------------------------------
# the customer group (group-chat toolbar)


@router.get(BASE + "/group")
def group_page(request: Request, session: SessionDep, chat: str = "") -> Response:
    staff = _signed_in(request, session)
    if staff is None:
        return _to_oauth(request)
    if not chat:
        return _page(request, "sidebar/entry.html", {"entry": "group", "title": "客户群"}, staff)
    summary = groups_service.group_summary(session, chat[:64])
    if summary is None:
        return _page(request, "sidebar/missing.html", {"title": "客户群", "group": True}, staff, status_code=404,
                     sign=False)
    if not read.may_see_group(session, staff, summary):
        return _refusal(request, staff, "你不在这个客户群里，群主也不在你的数据范围内，不能查看该群资料。")
    return _page(request, "sidebar/group.html", {"title": summary.group.name or "客户群", "s": summary,
                                                 "tier": groups_service.tier_names(session).get(summary.tier or "")}, staff, sign=False)


# ---------------------------------------------------------------------------------------------
# scripts and materials: browse, search, one tap to send into the current chat


@router.get(BASE + "/materials")
def materials_page(request: Request, session: SessionDep, q: str = "") -> Response:
    staff = _signed_in(request, session)
    if staff is None:
        return _to_oauth(request)
    rows = materials_service.list_materials(session, q=q)
    groups: dict[str, list] = {}
    for m in rows:
        groups.setdefault(m.group_name, []).append(m)
    return _page(request, "sidebar/materials.html", {"title": "话术素材", "groups": groups, "q": q,
                                                     "kind_names": KIND_NAMES}, staff)


def _send_target(session: Session, staff: Employee, form) -> tuple[Customer | None, str | None]:
    ext, chat = str(form.get("ext", ""))[:64], str(form.get("chat", ""))[:64]
    if ext:
        customer = customer_service.get_by_external_userid(session, ext)
        if customer is None or not read.may_see(session, staff, customer):
            raise Forbidden("你不是该客户的跟进人，该客户也不在你的数据范围内")
        return customer, None
    if chat:
        summary = groups_service.group_summary(session, chat)
        if summary is None or not read.may_see_group(session, staff, summary):
            raise Forbidden("你不在这个客户群里，不能向它发送")
        return None, chat
    raise ValidationFailed("没有取到当前聊天，请从客户聊天的工具栏打开", field="ext")


def _json_error(session: Session, exc: AppError) -> JSONResponse:
    session.rollback()
    return JSONResponse({"error": exc.message, "field": exc.field}, status_code=exc.status_code)


@router.post(BASE + "/materials/{material_id}/prepare")
async def prepare_send(material_id: int, request: Request, session: SessionDep) -> Response:
    """The ``sendChatMessage`` argument for this chat: placeholders filled, media uploaded once and reused."""
    staff = current_staff(request, session)
    form = await request.form()
    try:
        customer, _ = _send_target(session, staff, form)
        material = materials_service.get_active(session, material_id)
        client = get_client() if material.kind.value in ("image", "file") else None
        message = materials_service.chat_message(session, client, material, customer)
    except AppError as exc:
        return _json_error(session, exc)
    return JSONResponse({"message": message})


@router.post(BASE + "/materials/{material_id}/sent")
async def confirm_sent(material_id: int, request: Request, session: SessionDep) -> Response:
    """WeCom answered ``sendChatMessage:ok``: count the send (who, to whom, which script)."""
    staff = current_staff(request, session)
    form = await request.form()
    try:
        customer, chat = _send_target(session, staff, form)
        material = materials_service.get(session, material_id)
        materials_service.record_send(session, material, staff, customer_id=customer.id if customer else None,
                                      chat_id=chat)
    except AppError as exc:
        return _json_error(session, exc)
    return JSONResponse({"ok": True})
