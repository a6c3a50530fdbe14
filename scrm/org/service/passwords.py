"""Passwords and sign-in, with the failure limits."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scrm.core import ratelimit
from scrm.core.db import insert_ignore, utcnow
from scrm.core.errors import TooManyRequests, Unauthorized, ValidationFailed
from scrm.org.models import Employee, EmployeeStatus, RevokedSession
from scrm.org.service.common import get_employee, normalize_username

# argon2id with the library's defaults (RFC 9106 low-memory profile); raising them later makes
# ``verify_password`` rehash each password at its owner's next sign-in.
_hasher = PasswordHasher()
MIN_PASSWORD_LEN = 8
MAX_PASSWORD_LEN = 128


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise ValidationFailed(f"the password needs at least {MIN_PASSWORD_LEN} characters", field="password")
    if len(password) > MAX_PASSWORD_LEN:
        raise ValidationFailed(f"the password can have at most {MAX_PASSWORD_LEN} characters", field="password")
    if len(set(password)) < 3:
        raise ValidationFailed("the password is too simple: use at least 3 different characters",
                               field="password")


def hash_password(password: str) -> str:
    """argon2id hash of a password that meets the policy."""
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(employee: Employee, password: str) -> bool:
    """Check a password; upgrades the stored hash in place when the hashing parameters changed."""
    if not employee.password_hash:
        return False
    try:
        _hasher.verify(employee.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(employee.password_hash):
        employee.password_hash = _hasher.hash(password)
    return True


@lru_cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password")


# Failed sign-ins allowed per username, and per client address, within the window.
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_CLIENT = 30
LOGIN_WINDOW_S = 15 * 60


def authenticate(session: Session, username: str, password: str, *, client: str | None = None) -> Employee:
    """The active employee with this username and password, or Unauthorized (429 after repeated failures)."""
    username = normalize_username(username)
    keys = [(f"login:user:{username}", LOGIN_FAILURES_PER_USER, "failed sign-ins for this username")]
    if client:
        keys.append((f"login:client:{client}", LOGIN_FAILURES_PER_CLIENT, "failed sign-ins from this address"))
    taken = []
    try:
        for key, limit, what in keys:
            ratelimit.take(key, limit, LOGIN_WINDOW_S, what)
            taken.append(key)
    except TooManyRequests:
        for key in taken:
            ratelimit.give_back(key, LOGIN_WINDOW_S)
        raise
    # every attempt holds its slot while the password is checked; a right one gives them back
    employee = _check_credentials(session, username, password)
    ratelimit.clear(keys[0][0])
    for key in taken[1:]:
        ratelimit.give_back(key, LOGIN_WINDOW_S)
    return employee


def _check_credentials(session: Session, username: str, password: str) -> Employee:
    employee = session.scalar(select(Employee).where(Employee.username == username))
    if employee is None or not employee.password_hash:
        # same work as a real check, so the answer time does not tell which usernames exist
        try:
            _hasher.verify(_dummy_hash(), password)
        except VerificationError:
            pass
        raise Unauthorized("wrong username or password")
    if not verify_password(employee, password):
        raise Unauthorized("wrong username or password")
    if employee.status != EmployeeStatus.active:
        raise Unauthorized("this account is no longer active")
    session.flush()
    return employee


def end_sessions(employee: Employee) -> None:
    """Every token issued to this employee until now stops working (password changed, signed out everywhere)."""
    now = utcnow()
    # milliseconds, as tokens carry their issue time: a token issued after this call stays valid
    employee.sessions_valid_after = now.replace(microsecond=now.microsecond // 1000 * 1000)


def revoke_session(session: Session, employee_id: int, digest: str, expires_at: datetime) -> None:
    """End one session (sign-out) by its token's digest; signing out twice changes nothing."""
    insert_ignore(session, RevokedSession.__table__,
                  {"digest": digest, "employee_id": employee_id, "expires_at": expires_at, "revoked_at": utcnow()},
                  ["digest"])


def session_revoked(session: Session, digest: str) -> bool:
    return session.get(RevokedSession, digest) is not None


def purge_revoked_sessions(session: Session, now: datetime | None = None) -> int:
    """Forget signed-out tokens that have expired anyway (their signature check refuses them now); how many."""
    result = session.execute(delete(RevokedSession).where(RevokedSession.expires_at < (now or utcnow())))
    return result.rowcount or 0


def set_password(session: Session, employee_id: int, password: str) -> Employee:
    """Set (or reset) an employee's password."""
    employee = get_employee(session, employee_id)
    employee.password_hash = hash_password(password)
    end_sessions(employee)
    session.flush()
    return employee


def change_own_password(session: Session, employee: Employee, current_password: str, new_password: str) -> None:
    """An employee changing their password, proving they know the current one."""
    if not verify_password(employee, current_password):
        raise ValidationFailed("the current password is wrong", field="current_password")
    if current_password == new_password:
        raise ValidationFailed("the new password must differ from the current one", field="new_password")
    try:
        employee.password_hash = hash_password(new_password)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="new_password") from exc
    end_sessions(employee)
    session.flush()
