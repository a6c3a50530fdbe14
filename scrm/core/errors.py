"""The one error hierarchy. Services raise these; one handler in ``loan_scrm.app`` turns them into answers."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, status_code: int | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra
        if status_code is not None:
            self.status_code = status_code

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class ValidationFailed(AppError):
    """A business-level validation failure on a named field (payload shape errors stay 422)."""

    status_code = 422
    code = "invalid"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "too_large"


class ExternalServiceError(AppError):
    """WeCom or WeChat Pay answered with an error we cannot resolve by retrying."""

    status_code = 502
    code = "external_error"


class ServiceUnavailable(AppError):
    """The database cannot be reached for now; the answer says when to try again."""

    status_code = 503
    code = "unavailable"
    retry_after_s = 5

    def __init__(self, message: str = "the service is briefly unavailable (database unreachable); retry after a few seconds", **extra: Any):
        super().__init__(message, retry_after_s=self.retry_after_s, **extra)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": desc, "content": {"application/json": {"example": {"error": name, "message": "…"}}}}
    for code, desc, name in [
        (400, "Bad request", "bad_request"),
        (401, "Not signed in", "unauthorized"),
        (403, "Role or data scope does not allow this", "forbidden"),
        (404, "Not found, or not visible to the caller", "not_found"),
        (409, "Conflicts with the current state", "conflict"),
        (413, "The request body is larger than the route accepts (`limit_bytes`)", "too_large"),
        (429, "Too many attempts; wait and try again", "rate_limited"),
        (503, "The database is unreachable for now; retry after `Retry-After` seconds", "unavailable"),
    ]
}
"""Declared in routers' ``responses`` so the OpenAPI document shows the error shape."""
