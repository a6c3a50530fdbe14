"""What the rules forms share: who may edit, lists typed with any separator, command or service errors by
input name, and the routes of an editing form (``Editor``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from scrm.auth import ManagerStaff, SessionDep
from scrm.core.errors import AppError
from scrm.org.models import Employee


def may_edit(staff: Employee) -> bool:
    return staff.role.value in ("manager", "admin")


def split(text: str) -> list[str]:
    for sep in "，、;；\n":
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",") if p.strip()]


def _rename_service_field(field: str) -> str:
    # the groups service names fields by API path (conditions.tags_none, rules[0].conditions.x)
    return field.rsplit(".", 1)[-1]


def form_errors(exc: AppError) -> dict[str, str]:
    out = core.field_errors(exc)
    return {_rename_service_field(k): v for k, v in out.items()}


@dataclass(frozen=True)
class Editor:
    """One rules form: what its four routes (a blank form, a saved item's form, saving each) need to know."""

    path: str  # /rules/tiers
    template: str
    context: Callable[[Session, Employee], dict[str, Any]]
    blank: dict[str, Any]  # a new item's form values
    load: Callable[[Session, int], Any]  # the saved item, or 404
    values_of: Callable[[Any], dict[str, Any]]  # a saved item's form values
    parse: Callable[[Any, Any], tuple[Any, dict[str, Any]]]  # (form, item or None) -> (command, values shown again)
    preview: Callable[[Session, Employee, Any, Any, dict[str, Any]], dict[str, Any]]  # (…, item, command, values)
    save: Callable[[Session, Employee, Any, Any, dict[str, Any]], None]
    done: Callable[[], Response]
    shown: Callable[[Any], dict[str, Any]] = lambda item: {"rule_id": item.id if item is not None else None}
    errors: Callable[[AppError], dict[str, str]] | None = None
    delete: Callable[[Session, int], None] | None = None  # when given, POST path/{id}/delete, then ``deleted``
    deleted: Callable[[], Response] | None = None


def add_editor(router: APIRouter, editor: Editor) -> None:
    """Register ``editor``'s routes on ``router``: GET path/new, GET path/{id}, POST path and POST path/{id}
    (and POST path/{id}/delete when the editor deletes)."""

    def page(request: Request, staff: Employee, session: Session, item: Any, values: dict[str, Any]) -> Response:
        core.remember(request, staff)
        ctx = {**editor.context(session, staff), **editor.shown(item), "values": values}
        return core.render(request, editor.template, ctx, staff=staff)

    async def save(request: Request, staff: Employee, session: Session, item: Any) -> Response:
        return await core.preview_or_save(
            request, staff, session, template=editor.template,
            context={**editor.context(session, staff), **editor.shown(item)},
            parse=lambda form: editor.parse(form, item),
            preview=lambda data, values: editor.preview(session, staff, item, data, values),
            save=lambda data, values: editor.save(session, staff, item, data, values),
            done=editor.done(), errors=editor.errors)

    @router.get(f"{editor.path}/new")
    def new_item(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
        return page(request, staff, session, None, dict(editor.blank))

    @router.get(f"{editor.path}/{{item_id}}")
    def edit_item(request: Request, item_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                  session: SessionDep) -> Response:
        item = editor.load(session, item_id)
        return page(request, staff, session, item, editor.values_of(item))

    @router.post(editor.path)
    async def create_item(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
        return await save(request, staff, session, None)

    @router.post(f"{editor.path}/{{item_id}}")
    async def update_item(request: Request, item_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                          session: SessionDep) -> Response:
        return await save(request, staff, session, editor.load(session, item_id))

    if editor.delete is not None:
        @router.post(f"{editor.path}/{{item_id}}/delete")
        def delete_item(request: Request, item_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                        session: SessionDep) -> Response:
            core.remember(request, staff)
            editor.delete(session, item_id)
            return editor.deleted()
