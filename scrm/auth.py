"""Who is calling: staff bearer tokens (or the console's cookie: for reading, and for console forms whose
CSRF token was checked), customer tokens for the mini-program (the customer behind one is found by
``scrm.customers.identity``), roles and data scopes.

Tokens are stateless ``<kind><id>.<issued ms>.<expiry>.<HMAC>`` (``s`` staff, ``c`` customer) so any API
process can check them; the employee or customer is loaded on every request so that a departed employee or a
merged customer is locked out at once. A staff token also stops working when its employee's sessions were
ended (``sessions_valid_after``) or when it was signed out itself (``revoked_session``, by its digest).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from scrm.core.config import get_settings
from scrm.core.crypto import embedded_secret
from scrm.core.db import session_scope
from scrm.core.errors import Forbidden, Unauthorized
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus, Role

COOKIE_NAME = "scrm_session"


def get_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# scope="function": commit before the answer is sent, so a 200 means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@lru_cache
def _secret() -> bytes:
    settings = get_settings()
    return (settings.secret_key or embedded_secret("secret.key")).encode()


def _sign(message: str) -> str:
    return hmac.new(_secret(), message.encode(), hashlib.sha256).hexdigest()[:40]


def sign(message: str) -> str:
    """HMAC of ``message`` with the service's secret (staff and customer tokens, the console's CSRF tokens)."""
    return _sign(message)


def _issue(kind: str, subject_id: int, ttl_s: int) -> str:
    now = time.time()
    body = f"{kind}{subject_id}.{int(now * 1000)}.{int(now) + ttl_s}"
    return f"{body}.{_sign(body)}"


def _read(kind: str, token: str) -> tuple[int, int, int]:
    """(subject id, issued at in milliseconds, expiry in seconds) of a valid token of this kind."""
    try:
        body, sig = token.rsplit(".", 1)
        subject, issued, expires = body.split(".")
        if not subject.startswith(kind):
            raise ValueError
        subject_id = int(subject[len(kind):])
        issued_at, expires_at = int(issued), int(expires)
    except ValueError as exc:
        raise Unauthorized("malformed token") from exc
    if not hmac.compare_digest(sig, _sign(body)):
        raise Unauthorized("bad token signature")
    if expires_at < time.time():
        raise Unauthorized("session expired, sign in again")
    return subject_id, issued_at, expires_at


def issue_staff_token(employee_id: int, ttl_s: int | None = None) -> str:
    return _issue("s", employee_id, ttl_s or get_settings().staff_token_ttl_s)


def read_staff_token(token: str) -> int:
    return _read("s", token)[0]


def issue_customer_token(customer_id: int, ttl_s: int | None = None) -> str:
    """A mini-program session: short-lived, for one customer, never valid as a staff token."""
    return _issue("c", customer_id, ttl_s or get_settings().customer_token_ttl_s)


def read_customer_token(token: str) -> int:
    return _read("c", token)[0]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_checked(request: Request) -> None:
    """Let the session cookie authorise this unsafe request: the console calls it once the form's CSRF token passed."""
    request.state.csrf_checked = True


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    cookie = request.cookies.get(COOKIE_NAME)
    # A page on another port of this host can make the browser send the cookie (same site), never a header.
    if cookie and request.method not in SAFE_METHODS and not getattr(request.state, "csrf_checked", False):
        raise Forbidden("a request that changes data must carry its token as 'Authorization: Bearer <token>'; "
                        "the console's session cookie alone is not accepted (CSRF protection)")
    return cookie


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_staff_session(session: Session, token: str) -> None:
    """Sign-out: this token is refused from now on; the same employee's other sessions go on."""
    employee_id, _, expires_at = _read("s", token)
    org_service.revoke_session(session, employee_id, _digest(token), datetime.fromtimestamp(expires_at, timezone.utc))


def current_token(request: Request) -> str:
    token = _token_from(request)
    if not token:
        raise Unauthorized("sign in first")
    return token


def current_staff(request: Request, session: SessionDep) -> Employee:
    token = current_token(request)
    employee_id, issued_at, _ = _read("s", token)
    employee = session.get(Employee, employee_id)
    if employee is None or employee.status != EmployeeStatus.active:
        raise Unauthorized("this account is no longer active")
    if employee.sessions_valid_after is not None and issued_at < round(employee.sessions_valid_after.timestamp() * 1000):
        raise Unauthorized("this session was ended (password changed or signed out everywhere), sign in again")
    if org_service.session_revoked(session, _digest(token)):
        raise Unauthorized("this session was signed out, sign in again")
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
