"""话术素材: managers keep the scripts and materials salespeople send from the chat sidebar, and see which are
used, by how many salespeople, to how many customers, and which of those customers signed afterwards."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from console import core
from scrm.auth import ManagerStaff, SessionDep
from scrm.core.errors import AppError, ValidationFailed
from scrm.customers import service as customer_service
from scrm.materials import schemas
from scrm.materials import service as materials_service
from scrm.materials.labels import KIND_NAMES, PLACEHOLDERS
from scrm.org import service as org_service

router = core.console_router()

FIELDS = ("kind", "group_name", "title", "content", "url", "cover_url", "mp_appid", "mp_page")
MESSAGES = {"saved": "已保存", "withdrawn": "已停用，侧边栏不再显示", "restored": "已恢复"}


def _parse(form) -> tuple[schemas.MaterialIn, dict[str, Any]]:
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    data = {k: v for k, v in values.items() if v != ""}
    try:
        return schemas.MaterialIn(**data), values
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "title"
        messages = {"kind": "请选择类型", "title": "请填写标题（64 字以内）", "url": "链接需以 http:// 或 https:// 开头",
                    "cover_url": "封面地址需以 http:// 或 https:// 开头", "group_name": "请填写分组（32 字以内）",
                    "content": "内容不能超过 2000 字"}
        raise ValidationFailed(messages.get(field, "请检查这一项"), field=field) from None


async def _file(form) -> tuple[str, bytes] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return upload.filename, await upload.read()


def _context(session, staff) -> dict[str, Any]:
    usage = materials_service.usage(session, staff)
    signed_ids = {cid for u in usage for cid in u.signed_after}
    return {"rows": materials_service.list_materials(session, include_inactive=True), "usage": usage,
            "used": {u.material.id: u for u in usage}, "kind_names": KIND_NAMES,
            "kinds": [(k.value, n) for k, n in KIND_NAMES.items()], "placeholders": PLACEHOLDERS,
            "customer_names": customer_service.names_by_id(session, signed_ids)}


@router.get("/materials")
def materials_page(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _context(session, staff)
    ctx["message"] = MESSAGES.get(request.query_params.get("msg", ""))
    return core.render(request, "materials/index.html", ctx, staff=staff)


@router.post("/materials")
async def add_material(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values: dict[str, Any] = {}
    try:
        data, values = _parse(form)
        materials_service.create_material(session, staff, data, await _file(form))
    except AppError as exc:
        session.rollback()
        return core.render(request, "materials/index.html", {**_context(session, staff), "values": values,
                                                              "errors": core.field_errors(exc)},
                           staff=staff, status_code=422)
    return core.redirect("/materials", msg="saved")


@router.get("/materials/{material_id}")
def material_page(material_id: int, request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    material = materials_service.get(session, material_id)
    sends = materials_service.sends_of(session, material.id)
    return core.render(request, "materials/edit.html", {
        "m": material, "sends": sends, "kind_names": KIND_NAMES, "placeholders": PLACEHOLDERS,
        "values": {k: getattr(material, k) if k != "kind" else material.kind.value for k in FIELDS},
        "staff_names": org_service.employee_names(session, {s.employee_id for s in sends}),
        "customer_names": customer_service.names_by_id(session, {s.customer_id for s in sends}),
        "message": MESSAGES.get(request.query_params.get("msg", ""))}, staff=staff)


@router.post("/materials/{material_id}")
async def save_material(material_id: int, request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    material = materials_service.get(session, material_id)
    if "active" in form:
        materials_service.set_active(session, staff, material.id, str(form.get("active")) == "1")
        return core.redirect("/materials", msg="restored" if str(form.get("active")) == "1" else "withdrawn")
    values: dict[str, Any] = {}
    try:
        data, values = _parse({**{k: form.get(k) for k in form}, "kind": material.kind.value})
        materials_service.update_material(session, staff, material.id, data, await _file(form))
    except AppError as exc:
        session.rollback()
        material = materials_service.get(session, material_id)
        return core.render(request, "materials/edit.html", {
            "m": material, "sends": [], "kind_names": KIND_NAMES, "placeholders": PLACEHOLDERS, "values": values,
            "errors": core.field_errors(exc), "staff_names": {}, "customer_names": {}}, staff=staff, status_code=422)
    return core.redirect(f"/materials/{material.id}", msg="saved")

