"""The WeCom address book: syncing departments and staff, and WeCom OAuth sign-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core.config import get_settings
from scrm.core.errors import Conflict, ExternalServiceError, Unauthorized, ValidationFailed
from scrm.org.models import DEFAULT_SCOPE, Center, Department, Employee, EmployeeStatus, Role
from scrm.org.service.common import _clean_mobile, find_by_wecom_userid, log
from scrm.org.service.employees import mark_departed
from scrm.org.service.structure import _center_name_taken

WECOM_LEFT = 5  # member status "退出企业"
WECOM_ROOT, WECOM_ROOT_PARENT = 1, 0
WECOM_NO_SUCH_USER = 60111


@dataclass
class SyncReport:
    departments_created: int = 0
    departments_deleted: int = 0
    centers_created: int = 0
    employees_created: int = 0
    employees_updated: int = 0
    employees_departed: int = 0
    skipped: list[str] = field(default_factory=list)


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _int_list(value: Any) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        items: Iterable[Any] = value
    else:
        items = str(value).split(",")
    return [i for i in (_int(v) for v in items) if i is not None]


def _placeholder_name(wecom_id: int) -> str:
    return f"WeCom department {wecom_id}"


def _upsert_wecom_department(session: Session, wecom_id: int, name: str | None = None,
                             parent_wecom_id: int | None = None) -> tuple[Department, bool]:
    department = session.scalar(select(Department).where(Department.wecom_id == wecom_id))
    created = department is None
    if created:
        # a department heard of before its own event is a placeholder until create_party or a sync;
        # WeCom's root is always id 1
        department = Department(wecom_id=wecom_id, name=_placeholder_name(wecom_id), deleted=False,
                                wecom_parent_id=WECOM_ROOT_PARENT if wecom_id == WECOM_ROOT else None)
        session.add(department)
    if name:
        department.name = name.strip()[:64]
    if parent_wecom_id is not None:
        department.wecom_parent_id = parent_wecom_id
    department.deleted = False
    session.flush()
    return department, created


def _ensure_wecom_department(session: Session, wecom_id: int) -> Department:
    department = session.scalar(select(Department).where(Department.wecom_id == wecom_id))
    if department is None:
        department, _ = _upsert_wecom_department(session, wecom_id)
    return department


def _rebuild_wecom_tree(session: Session, report: SyncReport | None = None) -> None:
    """Recompute parent_id and center_id of the WeCom departments, creating the centers (see module doc)."""
    departments = list(session.scalars(select(Department).where(Department.wecom_id.is_not(None))))
    by_wecom = {d.wecom_id: d for d in departments}
    for d in departments:
        parent = by_wecom.get(d.wecom_parent_id) if d.wecom_parent_id else None
        d.parent_id = parent.id if parent is not None else None

    def is_root(d: Department) -> bool:
        # parentid 0 is WeCom's root; a parent we cannot see makes the department the top of our view.
        # A department whose parent we have not heard of yet (None) is not placed at all.
        return d.wecom_parent_id is not None and (d.wecom_parent_id == 0 or d.wecom_parent_id not in by_wecom)

    def top_of(d: Department) -> Department | None:
        """The direct child of a root above (or at) d, None for a root or an unplaced department."""
        seen = set()
        while d.wecom_id not in seen:
            seen.add(d.wecom_id)
            if is_root(d):
                return None
            parent = by_wecom.get(d.wecom_parent_id)
            if parent is None:
                return None
            if is_root(parent):
                return d
            d = parent
        return None

    centers: dict[int, Center] = {}
    for d in departments:
        top = top_of(d)
        if top is None:
            d.center_id = None
            continue
        if top.wecom_id not in centers:
            centers[top.wecom_id] = _center_for(session, top, report)
        d.center_id = centers[top.wecom_id].id
    session.flush()


def _center_for(session: Session, top: Department, report: SyncReport | None) -> Center:
    center = session.scalar(select(Center).where(Center.wecom_id == top.wecom_id))
    if center is None:
        # a center created by hand before WeCom was connected is adopted by its name
        center = session.scalar(select(Center).where(Center.name == top.name, Center.wecom_id.is_(None)))
    name = top.name
    if _center_name_taken(session, name, exclude_id=center.id if center is not None else None):
        name = f"{top.name[:50]} ({top.wecom_id})"
    if center is None:
        center = Center(name=name, wecom_id=top.wecom_id)
        session.add(center)
        if report is not None:
            report.centers_created += 1
    else:
        center.wecom_id, center.name = top.wecom_id, name
    session.flush()
    return center


def _wecom_user_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """WeCom's user, from the API (lower-case keys) or a callback (CamelCase), as the keys present in it."""
    def pick(*keys: str) -> Any:
        for key in keys:
            if key in raw and raw[key] is not None and raw[key] != "":
                return raw[key]
        return None

    out: dict[str, Any] = {"userid": pick("userid", "UserID", "UserId")}
    for key, names in {"new_userid": ("new_userid", "NewUserID"), "name": ("name", "Name"),
                       "mobile": ("mobile", "Mobile")}.items():
        value = pick(*names)
        if value is not None:
            out[key] = str(value).strip()
    departments = pick("department", "Department")
    if departments is not None:
        out["departments"] = _int_list(departments)
    main = _int(pick("main_department", "MainDepartment"))
    if main is not None:
        out["main_department"] = main
    status = _int(pick("status", "Status"))
    if status is not None:
        out["status"] = status
    return out


def _apply_wecom_user(session: Session, fields: dict[str, Any], *, rejoin: bool) -> tuple[Employee, bool]:
    """Create or update the employee for a WeCom user; (employee, created).

    ``rejoin``: a create_user for a departed employee's user id makes them active again (WeCom only
    reuses a user id after deleting the member); a sync or an update never undoes a departure.
    """
    userid = fields["userid"]
    employee = find_by_wecom_userid(session, userid)
    created = False
    mobile, hashed = None, None
    if fields.get("mobile"):
        try:
            mobile, hashed = _clean_mobile(fields["mobile"])
        except ValidationFailed:
            log.warning("WeCom user %s has a mobile number we cannot use; kept without it", userid)
    if employee is None and hashed is not None:
        # someone entered by hand before they joined WeCom: link rather than duplicate
        employee = session.scalar(select(Employee).where(
            Employee.mobile_hash == hashed, Employee.wecom_userid.is_(None),
            Employee.status == EmployeeStatus.active).limit(1))
        if employee is not None:
            employee.wecom_userid = userid
    if employee is None:
        employee = Employee(wecom_userid=userid, name=fields.get("name") or userid, role=Role.sales,
                            scope=DEFAULT_SCOPE[Role.sales], status=EmployeeStatus.active)
        session.add(employee)
        created = True
    if fields.get("name"):
        employee.name = fields["name"][:64]
    main = fields.get("main_department") or next(iter(fields.get("departments") or []), None)
    if main is not None:
        employee.department_id = _ensure_wecom_department(session, main).id
    if hashed is not None:
        employee.mobile, employee.mobile_hash = mobile, hashed
    if "status" in fields:
        employee.wecom_status = fields["status"]
    if rejoin and employee.status == EmployeeStatus.departed and fields.get("status") != WECOM_LEFT:
        employee.status, employee.departed_at = EmployeeStatus.active, None
    session.flush()
    if fields.get("status") == WECOM_LEFT:
        mark_departed(session, employee.id, source="wecom")
    return employee, created


def _rename_wecom_user(session: Session, old: str, new: str) -> None:
    if old == new:
        return
    holder = find_by_wecom_userid(session, new)
    current = find_by_wecom_userid(session, old)
    if current is None:
        return  # already renamed (the event applied before), or never known: the update then creates it
    if holder is not None:
        if holder.status == EmployeeStatus.active:
            raise Conflict(f"WeCom renamed {old!r} to {new!r}, but an active employee already has {new!r}")
        holder.wecom_userid = None  # WeCom reused a departed member's id
        session.flush()
    current.wecom_userid = new
    session.flush()


def fetch_wecom_org(client: Any) -> tuple[list[dict], list[dict]]:
    """WeCom's departments and members visible to our app (no database work: fetch, then apply)."""
    departments = client.department.list()
    ids = {d["id"] for d in departments}
    roots = [d["id"] for d in departments if d.get("parentid") in (0, None) or d.get("parentid") not in ids]
    users: dict[str, dict] = {}
    for root in roots:
        for user in client.user.list(root, fetch_child=True):
            users[user["userid"]] = user
    return departments, list(users.values())


def apply_wecom_org(session: Session, departments: list[dict], users: list[dict]) -> SyncReport:
    """Make our org mirror WeCom's: upsert departments and members, mark missing ones deleted/departed."""
    report = SyncReport()
    seen_departments = set()
    for d in departments:
        wecom_id = _int(d.get("id"))
        if wecom_id is None:
            report.skipped.append(f"department without id: {d!r}")
            continue
        seen_departments.add(wecom_id)
        _, created = _upsert_wecom_department(session, wecom_id, d.get("name"), _int(d.get("parentid")) or 0)
        report.departments_created += created
    if seen_departments:
        for gone in session.scalars(select(Department).where(
                Department.wecom_id.is_not(None), Department.wecom_id.not_in(seen_departments),
                Department.deleted.is_(False))):
            gone.deleted = True
            report.departments_deleted += 1
    _rebuild_wecom_tree(session, report)

    seen_users = set()
    for raw in users:
        fields = _wecom_user_fields(raw)
        if not fields.get("userid"):
            report.skipped.append("member without userid")
            continue
        seen_users.add(fields["userid"])
        _, created = _apply_wecom_user(session, fields, rejoin=False)
        if created:
            report.employees_created += 1
        else:
            report.employees_updated += 1
    # An empty member list means a misconfigured app, not a company that fired everyone.
    if seen_users:
        for missing in session.scalars(select(Employee).where(
                Employee.wecom_userid.is_not(None), Employee.wecom_userid.not_in(seen_users),
                Employee.status == EmployeeStatus.active)):
            mark_departed(session, missing.id, source="wecom-sync")
            report.employees_departed += 1
    session.flush()
    return report


def sync_from_wecom(session: Session, client: Any) -> SyncReport:
    """Pull WeCom's department/list and user/list (fetch_child) through the wechatpy client and mirror them."""
    departments, users = fetch_wecom_org(client)
    return apply_wecom_org(session, departments, users)


CONTACT_CHANGE_TYPES = ("create_user", "update_user", "delete_user", "create_party", "update_party", "delete_party")


def apply_contact_change(session: Session, change_type: str, fields: dict[str, Any], client: Any = None
                         ) -> Employee | Department | None:
    """Apply one change_contact callback (fields: the decrypted XML's elements); applying it twice changes nothing.

    Since 2022-08 WeCom sends only some fields (UserID/Department, Id/ParentId) to newly configured
    callback URLs; with a ``client`` the missing name is fetched, otherwise a placeholder stays until the
    next sync. Returns the employee or department touched, or None.
    """
    if change_type in ("create_user", "update_user"):
        user = _wecom_user_fields(fields)
        if not user.get("userid"):
            raise ValidationFailed(f"{change_type} without UserID", field="UserID")
        if user.get("new_userid"):
            _rename_wecom_user(session, user["userid"], user["new_userid"])
            user["userid"] = user["new_userid"]
        if "name" not in user and client is not None and find_by_wecom_userid(session, user["userid"]) is None:
            user = {**_fetch_user(client, user["userid"]), **user}
        employee, _ = _apply_wecom_user(session, user, rejoin=change_type == "create_user")
        if user.get("main_department") or user.get("departments"):
            _rebuild_wecom_tree(session)
        return employee
    if change_type == "delete_user":
        userid = _wecom_user_fields(fields).get("userid")
        employee = find_by_wecom_userid(session, userid) if userid else None
        if employee is not None:
            mark_departed(session, employee.id, source="wecom")
        return employee
    if change_type in ("create_party", "update_party"):
        wecom_id = _int(fields.get("Id"))
        if wecom_id is None:
            raise ValidationFailed(f"{change_type} without Id", field="Id")
        name = fields.get("Name")
        parent = _int(fields.get("ParentId"))
        existing = session.scalar(select(Department).where(Department.wecom_id == wecom_id))
        if not name and client is not None and (existing is None or existing.name == _placeholder_name(wecom_id)):
            fetched = _fetch_department(client, wecom_id)
            name = fetched.get("name")
            parent = parent if parent is not None else _int(fetched.get("parentid"))
        if parent:
            _ensure_wecom_department(session, parent)
        department, _ = _upsert_wecom_department(session, wecom_id, name, parent)
        _rebuild_wecom_tree(session)
        return department
    if change_type == "delete_party":
        wecom_id = _int(fields.get("Id"))
        department = session.scalar(select(Department).where(Department.wecom_id == wecom_id)) if wecom_id else None
        if department is not None and not department.deleted:
            department.deleted = True
            session.flush()
        return department
    log.info("ignoring change_contact %s", change_type)
    return None


def _fetch_user(client: Any, userid: str) -> dict[str, Any]:
    try:
        return _wecom_user_fields(client.user.get(userid))
    except ExternalServiceError as exc:  # cosmetic: the placeholder name is corrected by the next sync
        log.warning("could not fetch WeCom user %s: %s", userid, exc)
        return {}


def _fetch_department(client: Any, wecom_id: int) -> dict[str, Any]:
    try:
        # department/list?id= rather than department/get, which older apps (and the sandbox) lack
        return next((d for d in client.department.list(wecom_id) if d.get("id") == wecom_id), {})
    except ExternalServiceError as exc:
        log.warning("could not fetch WeCom department %s: %s", wecom_id, exc)
        return {}


# WeCom answers these for an OAuth code that is wrong, used or expired: the person should just sign in again.
_BAD_CODE_ERRCODES = {40029, 40163, 42003, 50001}


def wecom_authorize_url(client: Any, redirect_uri: str, state: str | None) -> str:
    """WeCom's OAuth (snsapi_base) URL for the app's agent, sending the browser back to ``redirect_uri``."""
    url = client.oauth.authorize_url(redirect_uri, state)
    agent_id = getattr(client, "agent_id", None) or get_settings().wecom_agent_id
    if agent_id:
        url = url.replace("#wechat_redirect", f"&agentid={agent_id}#wechat_redirect")
    return url


def employee_for_oauth_code(session: Session, code: str, client: Any) -> Employee:
    """The employee a WeCom OAuth ``code`` stands for (the API's and the console's WeCom sign-in)."""
    try:
        info = client.oauth.get_user_info(code)
    except ExternalServiceError as exc:  # scrm.wecom.client.WecomError carries WeCom's errcode
        if getattr(exc, "errcode", None) in _BAD_CODE_ERRCODES:
            raise Unauthorized("the WeCom sign-in code is invalid or already used; sign in again") from exc
        raise
    userid = info.get("UserId") or info.get("userid")
    if not userid:
        raise Unauthorized("this WeChat user is not a member of the company on WeCom")
    return employee_for_wecom_user(session, userid, client)


def employee_for_wecom_user(session: Session, userid: str, client: Any = None) -> Employee:
    """The employee behind a WeCom user id (OAuth); a member we have not synced yet is fetched and created."""
    employee = find_by_wecom_userid(session, userid)
    if employee is None and client is not None:
        try:
            fields = _wecom_user_fields(client.user.get(userid))
        except ExternalServiceError as exc:
            if getattr(exc, "errcode", None) != WECOM_NO_SUCH_USER:
                raise
            fields = {}
        if fields.get("userid"):
            employee, _ = _apply_wecom_user(session, fields, rejoin=False)
            _rebuild_wecom_tree(session)
    if employee is None:
        raise Unauthorized("this WeCom account has no staff account here; ask an admin to sync the address book")
    if employee.status != EmployeeStatus.active:
        raise Unauthorized("this account is no longer active")
    return employee
