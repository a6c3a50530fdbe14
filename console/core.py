"""What every console page shares: templates, the page route class (sign-in redirect, 403/404 pages,
CSRF on every POST), the menu per role, list-page state kept in the URL, and form errors by field.

A page handler is an ordinary FastAPI route on a ``console_router()``; it authorises with the same
``scrm.auth`` aliases as the API (``CurrentStaff``, ``ManagerStaff`` …) and reads through the same
service functions, so role and data scope are checked once, in one place. ``AppError``s raised by
dependencies or handlers become pages here, not JSON.

Adding a page: a module in its area's folder with ``router = core.console_router()``, handlers that call the
owning module's service and ``core.render(request, "<area>/<page>.html", {...}, staff=staff)`` (the file
``console/<area>/templates/<page>.html``), templates extending ``base.html`` with the ``_ui.html`` macros
(``field``, ``checks``, ``sort_th``, ``pager``, ``post_button``, ``chart``), the module in ``console.api``, and
a ``MENU`` entry with its roles. Lists read their state with ``Listing.read``; forms catch ``AppError`` and
re-render with ``field_errors(exc)`` (status 422), or redirect with a ``MESSAGES`` key on success.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from scrm.auth import COOKIE_NAME, csrf_checked, sign
from scrm.core import db
from scrm.core.clock import BEIJING
from scrm.core.errors import AppError, Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed
from scrm.org.labels import ROLE_NAMES
from scrm.org.models import Employee, Role

DB_AWAY = (OperationalError, InterfaceError, PoolTimeout)
HERE = Path(__file__).parent
PREFIX = "/console"
CSRF_COOKIE = "scrm_csrf"
CSRF_FIELD = "csrf_token"
# Pages load only their own CSS and JS; the inline SVG charts carry style attributes.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")

# Shared layouts and macros live in console/templates; each area's pages live in <area>/templates and are named
# "<area>/<page>.html" (customers/list.html is console/customers/templates/list.html).
templates = Jinja2Templates(env=Environment(autoescape=select_autoescape(), loader=ChoiceLoader([
    FileSystemLoader(HERE / "templates"),
    PrefixLoader({area.parent.name: FileSystemLoader(area) for area in sorted(HERE.glob("*/templates"))}),
])))


MANAGERS = (Role.manager, Role.admin)
SUPERVISORS = (Role.supervisor, Role.manager, Role.admin)
EVERYONE = tuple(Role)


@dataclass(frozen=True)
class MenuItem:
    label: str
    path: str
    roles: tuple[Role, ...]


# The finance centre's pages join this list with their roles; nothing else decides what a role sees.
MENU: list[MenuItem] = [
    MenuItem("首页", "/", EVERYONE),
    MenuItem("客户", "/customers", EVERYONE),
    MenuItem("销售流程", "/pipeline", EVERYONE),
    MenuItem("离职交接", "/handover", MANAGERS),
    MenuItem("贷款产品", "/products", MANAGERS),
    MenuItem("规则", "/rules", SUPERVISORS),
    MenuItem("风控", "/risk", SUPERVISORS),
    MenuItem("审批", "/approvals", EVERYONE),
    MenuItem("数据看板", "/dashboards", SUPERVISORS),
    MenuItem("报表", "/reports", SUPERVISORS),
    # a salesperson follows their own sign-ups through confirmation here (the service scopes the list)
    MenuItem("合同确认", "/finance/contracts", (Role.sales, Role.finance, Role.supervisor, Role.manager)),
    MenuItem("定金", "/finance/deposits", (Role.finance, Role.processor, Role.manager)),
    MenuItem("结算", "/finance/settlements", (Role.finance, Role.manager, Role.admin)),
    MenuItem("代扣", "/finance/debits", (Role.finance, Role.manager, Role.admin)),
    MenuItem("凭证导出", "/finance/accounting", (Role.finance, Role.admin)),
    MenuItem("财务业绩", "/finance/performance", (Role.finance, Role.manager, Role.admin)),
    MenuItem("费用与预算", "/finance/expenses", (Role.finance, Role.manager, Role.admin)),
    MenuItem("支出类型", "/finance/expense-types", (Role.finance, Role.admin)),
    MenuItem("报销", "/reimbursements", EVERYONE),
    MenuItem("推荐佣金", "/referral", (Role.finance, Role.manager, Role.admin)),
    MenuItem("话术素材", "/materials", MANAGERS),
    MenuItem("系统自检", "/admin/doctor", (Role.admin,)),
    MenuItem("企业微信导入", "/admin/wecom-import", (Role.admin,)),
]


def menu_for(staff: Employee) -> list[MenuItem]:
    return [m for m in MENU if staff.role in m.roles or staff.role == Role.admin]


# ---------------------------------------------------------------------------------------------
# CSRF: a double-submit token bound to the session. The cookie holds a random nonce; the form carries
# the nonce and an HMAC of it with the session cookie, so a token from another session (or a token an
# attacker planted as a cookie without knowing our secret) does not pass.


def _csrf_mac(nonce: str, session_token: str) -> str:
    return sign(f"csrf:{nonce}:{session_token}")


def csrf_token(request: Request) -> str:
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(16)
        request.state.csrf_nonce = nonce
    session_token = getattr(request.state, "session_token", request.cookies.get(COOKIE_NAME, ""))
    return f"{nonce}.{_csrf_mac(nonce, session_token)}"


def csrf_ok(request: Request, submitted: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not submitted or "." not in submitted:
        return False
    sent_nonce, mac = submitted.split(".", 1)
    return hmac.compare_digest(sent_nonce, nonce) and hmac.compare_digest(
        mac, _csrf_mac(nonce, request.cookies.get(COOKIE_NAME, "")))


def _keep_csrf_cookie(request: Request, response: Response) -> None:
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax", path=PREFIX,
                            secure=request.url.scheme == "https")


# ---------------------------------------------------------------------------------------------
# rendering


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, staff: Employee | None = None) -> HTMLResponse:
    ctx = {"request": request, "staff": staff, "menu": menu_for(staff) if staff else [],
           "role_names": ROLE_NAMES, "prefix": PREFIX, "csrf": csrf_token(request), "errors": {}, "values": {},
           "message": MESSAGES.get(request.query_params.get("msg", ""))}
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def redirect(path: str, **params: Any) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return RedirectResponse(PREFIX + path + (f"?{query}" if query else ""), status_code=303)


def form_date(value: str | None, field: str, *, required: bool = False) -> date | None:
    """A date typed or picked in a console form (年-月-日), with the error next to ``field``."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed("请选择日期", field=field)
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("请选择有效的日期（年-月-日）", field=field) from None


async def preview_or_save(request: Request, staff: Employee, session, *, template: str, context: dict[str, Any],
                          parse: Callable, preview: Callable, save: Callable, done: Response,
                          errors: Callable[[AppError], dict[str, str]] | None = None) -> Response:
    """A rules form's two buttons. 预览 validates and shows what the rule would do, keeping nothing; 保存
    saves and goes to ``done``. A refusal shows the form again with the errors next to its fields (422).

    ``parse(form)`` returns (data, the form's values to show again); ``preview(data, values)`` the
    context the preview adds; ``save(data, values)`` saves."""
    remember(request, staff)
    form = await request.form()
    values: dict[str, Any] = {}
    try:
        data, values = parse(form)
        if str(form.get("action", "preview")) == "preview":
            return render(request, template, {**context, "values": values, **preview(data, values)}, staff=staff)
        save(data, values)
    except AppError as exc:
        session.rollback()
        shown = values or {k: form.get(k) for k in form}
        return render(request, template, {**context, "values": shown, "errors": (errors or field_errors)(exc)},
                      staff=staff, status_code=422)
    return done


# Flash messages travel as a fixed key in the redirect's query, so no page ever echoes text from the URL.
MESSAGES = {
    "follow_up_added": "已添加跟进记录", "attachment_added": "资料已上传", "customer_saved": "客户资料已保存", "departed": "已标记离职，交接单已建立",
    "planned": "交接计划已保存", "running": "已开始转接，进度会自动刷新", "tracking": "已向企业微信查询转接结果", "excluded": "已将该项移出交接",
    "import_started": "已开始导入，进度会自动刷新", "import_running": "已有导入在进行中",
    "import_stopping": "已要求停止，当前这一页处理完就停下；再次开始会从这里继续",
    "rule_saved": "分配规则已保存", "rule_deleted": "分配规则已删除", "signed_out": "已退出登录",
    "reimbursement_saved": "报销单已提交", "reimbursement_confirmed": "报销单已确认", "reimbursement_paid": "报销单已付款",
    "reimbursement_voided": "报销单已作废", "reimbursement_resubmitted": "报销单已重新提交",
    "withdrawal_approved": "提现已审核通过", "withdrawal_rejected": "提现已驳回", "withdrawal_paid": "提现已付款",
    "withdrawal_failed": "付款失败，可稍后重试", "charges_saved": "费用已保存", "fee_added": "已添加费用",
    "fee_removed": "已删除费用", "expense_added": "已添加支出", "expense_confirmed": "支出已确认",
    "settlement_closed": "已结单", "settlement_voided": "结算单已作废，已生成新的结算单", "debit_started": "已发起代扣，状态会自动刷新",
    "debit_polled": "已向渠道查询", "reconciled": "对账完成", "tier_rule_saved": "分层规则已保存，下次重新分层时生效",
    "tier_rule_deleted": "分层规则已删除", "risk_rule_saved": "风控规则已保存，正在重新评估客户",
    "scorecard_saved": "评分卡已保存，已给全部客户重新评分", "risk_facts_saved": "风控资料已保存",
    "risk_cleared": "已更新风控结论", "tier_saved": "分层已保存", "tier_deleted": "分层已删除", "retiered": "已按现行规则重新分层", "commission_rule_saved": "佣金规则已保存",
    "commission_rule_deactivated": "佣金规则已停用", "schedule_saved": "跟进计划已保存",
    "report_saved": "报表已保存到看板", "report_deleted": "报表已从看板移除",
    "mapping_saved": "科目对照已保存", "vouchers_exported": "凭证已导出，可在导出记录中下载",
    "pipeline_moved": "客户已移到新阶段", "pipeline_stage_saved": "流程阶段已保存", "pipeline_stage_deleted": "流程阶段已删除",
    "budget_saved": "费用预算已保存", "expense_type_saved": "支出类型已保存", "expense_type_deleted": "支出类型已删除",
}


def field_errors(exc: AppError, rename: dict[str, str] | None = None) -> dict[str, str]:
    """Form errors by input name from an AppError (its ``field`` and any ``errors`` list)."""
    rename = rename or {}
    out: dict[str, str] = {}
    for item in exc.extra.get("errors") or []:
        name = rename.get(item["field"], item["field"])
        out.setdefault(name, item["message"])
    if exc.field:
        out.setdefault(rename.get(exc.field, exc.field), exc.message)
    if not out:
        out["__all__"] = exc.message
    return out


def _error_page(request: Request, exc: AppError) -> Response:
    if isinstance(exc, Unauthorized):
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            path = PREFIX + "/"
        response = RedirectResponse(f"{PREFIX}/login?{urlencode({'next': path})}", status_code=303)
        if request.cookies.get(COOKIE_NAME):
            response.delete_cookie(COOKIE_NAME, path="/")
        return response
    title = {403: "没有权限", 404: "找不到页面", 503: "暂时无法访问"}.get(exc.status_code, "出错了")
    return render(request, "error.html", {"title": title, "detail": exc.message, "code": exc.status_code},
                  status_code=exc.status_code, staff=getattr(request.state, "staff", None))


class PageRoute(APIRoute):
    """Checks CSRF on every POST and turns AppErrors into pages (sign-in redirect, 403, 404 …)."""
    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                if request.method == "POST":
                    form = await request.form()
                    if not csrf_ok(request, form.get(CSRF_FIELD)):
                        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
                    csrf_checked(request)
                response = await handler(request)
            except AppError as exc:
                response = _error_page(request, exc)
            except DB_AWAY as exc:
                if not db.unavailable(exc):
                    raise
                away = ServiceUnavailable("数据库暂时无法连接，请稍后刷新重试")
                response = _error_page(request, away)
                response.headers.update(away.headers)
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Content-Security-Policy", CSP)
            _keep_csrf_cookie(request, response)
            return response

        return page


def console_router() -> APIRouter:
    return APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)


def remember(request: Request, staff: Employee) -> Employee:
    """Keep the signed-in employee for the error page's menu."""
    request.state.staff = staff
    return staff


# ---------------------------------------------------------------------------------------------
# list pages: filters, sorting and the page number live in the URL


@dataclass
class Listing:
    """One list page's state, read from the query string, and links that change one thing and keep the rest."""
    path: str
    filters: dict[str, str]
    sort: str
    page: int
    page_size: int
    sorts: tuple[str, ...] = ()
    total: int = 0
    estimated: bool = False  # total is the database's estimate, shown as 约 N
    page_param: str = "page"
    extra: dict[str, str] = field(default_factory=dict)  # other query parameters the links keep

    @classmethod
    def read(cls, request: Request, path: str, filter_names: Iterable[str], *, default_sort: str = "",
             sorts: Iterable[str] = (), page_size: int = 20, page_param: str = "page",
             keep: Iterable[str] = ()) -> "Listing":
        q = request.query_params
        filters = {n: q.get(n, "").strip() for n in filter_names if q.get(n, "").strip()}
        sorts = tuple(sorts)
        sort = q.get("sort", default_sort)
        if sorts and sort.lstrip("-") not in sorts:
            sort = default_sort
        try:
            page = max(1, min(int(q.get(page_param, "1")), 100000))
        except ValueError:
            page = 1
        return cls(path=path, filters=filters, sort=sort, page=page, page_size=page_size, sorts=sorts,
                   page_param=page_param, extra={k: q[k] for k in keep if q.get(k)})

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def url(self, **changes: Any) -> str:
        """This list's URL with ``changes``; changing a filter or the sort goes back to the first page."""
        page = changes.pop("page", None)
        params: dict[str, Any] = {**self.extra, **self.filters}
        if self.sort:
            params["sort"] = self.sort
        params.update(changes)
        params[self.page_param] = page if page is not None else (1 if changes else self.page)
        clean = {k: v for k, v in params.items() if v not in (None, "") and not (k == self.page_param and v == 1)}
        return PREFIX + self.path + (f"?{urlencode(clean)}" if clean else "")

    def sort_url(self, key: str) -> str:
        return self.url(sort=key if self.sort != key else f"-{key}")

    def sort_mark(self, key: str) -> str:
        return {key: " ▲", f"-{key}": " ▼"}.get(self.sort, "")


# ---------------------------------------------------------------------------------------------
# small formatting helpers for templates


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)

    return value.astimezone(BEIJING).strftime(fmt)


def yuan(value: Any) -> str:
    return "" if value is None else f"{value:,.2f}"


def pairs(items: Iterable[Any], key: str, label: str) -> list[tuple[Any, Any]]:
    """Options for a select from objects or dicts."""
    def get(item: Any, name: str) -> Any:
        return item[name] if isinstance(item, dict) else getattr(item, name)

    return [(get(i, key), get(i, label)) for i in items]


templates.env.filters["local"] = local_time
templates.env.filters["pairs"] = pairs
templates.env.filters["yuan"] = yuan
templates.env.globals["role_names"] = ROLE_NAMES
