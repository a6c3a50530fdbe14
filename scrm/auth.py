"""Who is calling: staff bearer tokens (or the console's cookie), roles and data scopes.

Tokens are stateless ``<employee id>.<expiry>.<HMAC>`` so any API process can check them; the
employee is loaded on every request so that a departed employee is locked out at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import lru_cache
from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from scrm.config import get_settings
from scrm.db import new_session
from scrm.errors import Forbidden, Unauthorized
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.privacy.crypto import embedded_secret

COOKIE_NAME = "scrm_session"


def get_session() -> Iterator[Session]:
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the answer is sent, so a 200 means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@lru_cache
def _secret() -> bytes:
    settings = get_settings()
    return (settings.secret_key or embedded_secret("secret.key")).encode()


def _sign(message: str) -> str:
    return hmac.new(_secret(), message.encode(), hashlib.sha256).hexdigest()[:40]


def issue_staff_token(employee_id: int, ttl_s: int | None = None) -> str:
    expires = int(time.time()) + (ttl_s or get_settings().staff_token_ttl_s)
    body = f"s{employee_id}.{expires}"
    return f"{body}.{_sign(body)}"


def read_staff_token(token: str) -> int:
    try:
        body, sig = token.rsplit(".", 1)
        emp, expires = body.split(".")
        if not emp.startswith("s"):
            raise ValueError
        employee_id = int(emp[1:])
        expires_at = int(expires)
    except ValueError as exc:
        raise Unauthorized("malformed token") from exc
    if not hmac.compare_digest(sig, _sign(body)):
        raise Unauthorized("bad token signature")
    if expires_at < time.time():
        raise Unauthorized("session expired, sign in again")
    return employee_id


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE_NAME)


def current_staff(request: Request, session: SessionDep) -> Employee:
    token = _token_from(request)
    if not token:
        raise Unauthorized("sign in first")
    employee = session.get(Employee, read_staff_token(token))
    if employee is None or employee.status != EmployeeStatus.active:
        raise Unauthorized("this account is no longer active")
    return employee


CurrentStaff = Annotated[Employee, Depends(current_staff)]


def require_roles(*roles: Role):
    allowed = set(roles) | {Role.admin}

    def check(staff: CurrentStaff) -> Employee:
        if staff.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"this needs one of the roles: {names}")
        return staff

    return check


ManagerStaff = Annotated[Employee, Depends(require_roles(Role.manager))]
SupervisorStaff = Annotated[Employee, Depends(require_roles(Role.supervisor, Role.manager))]
FinanceStaff = Annotated[Employee, Depends(require_roles(Role.finance))]
AdminStaff = Annotated[Employee, Depends(require_roles())]
