"""What the rules forms share: who may edit, lists typed with any separator, and schema or service errors
by input name."""

from __future__ import annotations

import pydantic

from console import core
from scrm.core.errors import AppError, ValidationFailed
from scrm.org.models import Employee


def may_edit(staff: Employee) -> bool:
    return staff.role.value in ("manager", "admin")


def split(text: str) -> list[str]:
    for sep in "，、;；\n":
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",") if p.strip()]


def pydantic_errors(exc: pydantic.ValidationError) -> ValidationFailed:
    """A schema's errors as form errors, by input name (the last part of each error's location)."""
    errors = []
    for err in exc.errors():
        name = str(err["loc"][-1]) if err["loc"] else "__all__"
        if err["type"].startswith(("int_", "decimal_")) and "parsing" in err["type"]:
            message = "请填数字"
        elif err["type"] in ("greater_than_equal", "less_than_equal"):
            message = f"超出允许范围（{err['ctx'].get('ge', err['ctx'].get('le'))}）"
        elif err["type"] in ("string_too_short", "missing"):
            message = "必填"
        elif err["type"] == "string_too_long":
            message = "太长了"
        elif err["type"] == "literal_error":
            message = "请从列表中选择"
        else:
            message = "格式不正确"
        errors.append({"field": name, "message": message})
    return ValidationFailed(errors[0]["message"], field=errors[0]["field"], errors=errors)


def _rename_service_field(field: str) -> str:
    # the groups service names fields by API path (conditions.tags_none, rules[0].conditions.x)
    return field.rsplit(".", 1)[-1]


def form_errors(exc: AppError) -> dict[str, str]:
    out = core.field_errors(exc)
    return {_rename_service_field(k): v for k, v in out.items()}
