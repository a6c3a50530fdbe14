"""Organisation, staff accounts, sign-in, data scopes and the WeCom address-book mirror.

Data scope: an employee sees the records owned by the employees returned by
``visible_employee_ids`` (or, inside a query, matched by ``owner_filter``). Departed employees stay
visible: their customers must still be found and handed over.

WeCom mapping (``sync_from_wecom``, ``apply_contact_change``): every WeCom department is a
``Department``; the root (parentid 0, normally id 1) is the company and has no center; each direct
child of the root is also a ``Center``; every department below it carries that center. Employees
get their main department. WeCom owns the name, department and mobile of a linked employee; we own
role, scope, username and password.
"""

from __future__ import annotations

from scrm.org.service.common import (
    UNSET,
    can_see_employee,
    employee_center_id,
    find_by_mobile,
    find_by_username,
    find_by_wecom_userid,
    get_center,
    get_department,
    get_employee,
    get_visible_employee,
    mobile_hash,
    normalize_username,
    owner_filter,
    visible_department_ids,
    visible_employee_ids,
)
from scrm.org.service.passwords import (
    LOGIN_FAILURES_PER_CLIENT,
    LOGIN_FAILURES_PER_USER,
    LOGIN_WINDOW_S,
    MAX_PASSWORD_LEN,
    MIN_PASSWORD_LEN,
    authenticate,
    change_own_password,
    check_password_policy,
    end_sessions,
    hash_password,
    purge_revoked_sessions,
    revoke_session,
    session_revoked,
    set_password,
    verify_password,
)
from scrm.org.service.access import (
    ensure_can_manage_center,
    ensure_can_manage_department,
    ensure_can_manage_employee,
)
from scrm.org.service.structure import (
    create_center,
    create_department,
    find_department,
    list_centers,
    list_departments,
    update_center,
    update_department,
)
from scrm.org.service.employees import (
    create_employee,
    list_employees,
    mark_departed,
    set_role,
    update_employee,
)
from scrm.org.service.directory import (
    active_staff_choices,
    employee_names,
    employees_with_teams,
    find_employee,
    owner_choices,
    team_member_ids,
)
from scrm.org.service.wecom_sync import (
    CONTACT_CHANGE_TYPES,
    SyncReport,
    WECOM_LEFT,
    WECOM_NO_SUCH_USER,
    apply_contact_change,
    apply_wecom_org,
    employee_for_oauth_code,
    employee_for_wecom_user,
    fetch_wecom_org,
    sync_from_wecom,
    wecom_authorize_url,
)

__all__ = [
    "UNSET",
    "can_see_employee",
    "employee_center_id",
    "find_by_mobile",
    "find_by_username",
    "find_by_wecom_userid",
    "get_center",
    "get_department",
    "get_employee",
    "get_visible_employee",
    "mobile_hash",
    "normalize_username",
    "owner_filter",
    "visible_department_ids",
    "visible_employee_ids",
    "LOGIN_FAILURES_PER_CLIENT",
    "LOGIN_FAILURES_PER_USER",
    "LOGIN_WINDOW_S",
    "MAX_PASSWORD_LEN",
    "MIN_PASSWORD_LEN",
    "authenticate",
    "change_own_password",
    "check_password_policy",
    "end_sessions",
    "hash_password",
    "purge_revoked_sessions",
    "revoke_session",
    "session_revoked",
    "set_password",
    "verify_password",
    "ensure_can_manage_center",
    "ensure_can_manage_department",
    "ensure_can_manage_employee",
    "create_center",
    "create_department",
    "find_department",
    "list_centers",
    "list_departments",
    "update_center",
    "update_department",
    "create_employee",
    "list_employees",
    "mark_departed",
    "set_role",
    "update_employee",
    "active_staff_choices",
    "employee_names",
    "employees_with_teams",
    "find_employee",
    "owner_choices",
    "team_member_ids",
    "CONTACT_CHANGE_TYPES",
    "SyncReport",
    "WECOM_LEFT",
    "WECOM_NO_SUCH_USER",
    "apply_contact_change",
    "apply_wecom_org",
    "employee_for_oauth_code",
    "employee_for_wecom_user",
    "fetch_wecom_org",
    "sync_from_wecom",
    "wecom_authorize_url",
]
