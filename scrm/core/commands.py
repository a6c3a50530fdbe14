"""Typed inputs. A mutating service call takes one command, a pydantic model declared in its domain's
``schemas.py``: the API receives it as the request body, the console builds it from its form with ``build``.
A bad value fails the same way from either side, a 422 naming the field, before the service runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict

from scrm.core.errors import ValidationFailed


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def changes(self) -> dict[str, Any]:
        """The fields the caller set (an update changes only those)."""
        return self.model_dump(exclude_unset=True)


C = TypeVar("C", bound=BaseModel)


def build(command: type[C], values: Mapping[str, Any]) -> C:
    """The command from plain values (a page's form); raises ``ValidationFailed`` naming the first bad field."""
    try:
        return command.model_validate(dict(values))
    except pydantic.ValidationError as exc:
        raise invalid(exc) from None


def _message(err: Mapping[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if "parsing" in kind and kind.startswith(("int_", "decimal_", "float_")):
        return "请填数字"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"超出允许范围（{next(iter(ctx.values()), '')}）"
    if kind in ("string_too_short", "missing", "too_short"):
        return "必填"
    if kind in ("string_too_long", "too_long"):
        return "太长了"
    if kind in ("literal_error", "enum"):
        return "请从列表中选择"
    if kind == "extra_forbidden":
        return "不认识的字段"
    return "格式不正确"


def invalid(exc: pydantic.ValidationError) -> ValidationFailed:
    """A command's validation errors as the one 422: ``field`` is the first bad field's path (``conditions.cities``),
    ``errors`` lists them all."""
    errors = [{"field": ".".join(str(p) for p in err["loc"]) or "__all__", "message": _message(err)}
              for err in exc.errors()]
    first = errors[0]
    return ValidationFailed(first["message"], field=first["field"], errors=errors)
