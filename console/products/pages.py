"""Loan products (贷款产品): the list, a product's form, required materials and fee rule, its form versions, and
retiring. Managers and admins edit; the customers service validates and keeps every form version."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from scrm.auth import ManagerStaff, SessionDep
from scrm.core import commands
from scrm.core.errors import AppError, ValidationFailed
from scrm.core.money import NotAnAmount, to_fen, yuan_amount
from scrm.customers import forms
from scrm.customers import service as customer_service
from scrm.customers.labels import ATTACHMENT_KIND_NAMES, FEE_KIND_NAMES, FIELD_TYPE_NAMES
from scrm.customers.models import LoanProduct
from scrm.customers.schemas import ProductChanges
from scrm.org.models import Employee

router = core.console_router()

ProductCode = Annotated[str, Path(max_length=40)]
BLANK_ROWS = 3
ROW_ATTRS = ("key", "label", "type", "options", "min", "max", "max_length", "unit")
FEE_NAMES = {"fee_rule.kind": "fee_kind", "fee_rule.rate_bp": "fee_rate", "fee_rule.fixed_fen": "fee_fixed",
             "fee_rule.min_fen": "fee_min", "fee_rule": "fee_kind"}

core.MESSAGES.update({"product_saved": "产品已保存", "product_form_saved": "产品已保存，表单已生成新版本",
                      "product_retired": "产品已停用：不再接受新申请和签单", "product_reinstated": "产品已重新启用"})


def _materials_choices() -> list[tuple[str, str]]:
    return [(k, v) for k, v in ATTACHMENT_KIND_NAMES.items() if k != "other"]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _rows_of(fields: list[dict]) -> list[dict[str, Any]]:
    rows = []
    for f in fields:
        rows.append({"key": f.get("key", ""), "label": f.get("label", ""), "type": f.get("type", "text"),
                     "required": bool(f.get("required")), "min": _text(f.get("min")), "max": _text(f.get("max")),
                     "max_length": _text(f.get("max_length")), "unit": _text(f.get("unit")),
                     "options": "\n".join(f"{o.get('value')}={o.get('label')}" for o in f.get("options") or [])})
    return rows


def _values_of(product: LoanProduct) -> dict[str, Any]:
    rule = customer_service.fee_rule(product)
    return {"code": product.code, "name": product.name, "materials": list(product.required_materials or []),
            "fee_kind": rule.kind.value,
            "fee_rate": "" if rule.rate_bp is None else f"{Decimal(rule.rate_bp) / 100:f}",
            "fee_fixed": "" if rule.fixed_fen is None else f"{Decimal(rule.fixed_fen) / 100:.2f}",
            "fee_min": f"{Decimal(rule.min_fen) / 100:.2f}", "rows": _rows_of(product.form_fields)}


def _number(text: str, name: str) -> int | float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed("请填写数字", field=name) from None
    if not value.is_finite():
        raise ValidationFailed("请填写数字", field=name)
    return int(value) if value == value.to_integral_value() else float(value)


def _options(text: str) -> list[dict[str, str]] | None:
    """``value=label`` items, one a line or comma-separated; an item without ``=`` is its own label."""
    out = []
    for item in re.split(r"[\n,，;；]+", text):
        item = item.strip()
        if not item:
            continue
        match = re.match(r"^(.*?)\s*[=＝:：]\s*(.*)$", item)
        value, label = (match.group(1), match.group(2)) if match else (item, item)
        out.append({"value": value.strip(), "label": label.strip()})
    return out or None


def _fen(text: str, name: str, label: str) -> int | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return to_fen(yuan_amount(text))
    except NotAnAmount:
        raise ValidationFailed(f"{label}请填写金额（元），最多两位小数", field=name) from None


def _read(form) -> dict[str, Any]:
    """The form's inputs, to show again."""
    rows = []
    i = 0
    while f"f{i}_key" in form or f"f{i}_label" in form:
        row = {a: str(form.get(f"f{i}_{a}", "")).strip() for a in ROW_ATTRS}
        row["required"] = form.get(f"f{i}_required") == "on"
        rows.append(row)
        i += 1
    values = {"code": str(form.get("code", "")).strip(), "name": str(form.get("name", "")).strip(),
              "materials": [str(v) for v in form.getlist("materials")], "rows": rows,
              **{k: str(form.get(k, "")).strip() for k in ("fee_kind", "fee_rate", "fee_fixed", "fee_min")}}
    return values


def _rename(values: dict[str, Any]) -> dict[str, str]:
    """The service's error names (``form_fields[2].options``, ``fee_rule.rate_bp``) → the inputs they belong to.
    Rows left blank are not sent, so the service's index counts only the filled rows."""
    rename = dict(FEE_NAMES)
    position = 0
    for index, row in enumerate(values["rows"]):
        if not row["key"] and not row["label"]:
            continue
        for attr in ROW_ATTRS + ("required",):
            rename[f"form_fields[{position}].{attr}"] = f"f{index}_{attr}"
        rename[f"form_fields[{position}]"] = f"f{index}_key"
        position += 1
    return rename


def _convert(values: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the service's arguments."""
    fields: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for index, row in enumerate(values["rows"]):
        if not row["key"] and not row["label"]:
            continue
        field: dict[str, Any] = {"key": row["key"], "label": row["label"], "type": row["type"],
                                 "required": row["required"]}
        for attr in ("min", "max", "max_length"):
            try:
                number = _number(row[attr], f"f{index}_{attr}")
            except ValidationFailed as exc:
                errors.append({"field": exc.field, "message": exc.message})
                continue
            if number is not None:
                field[attr] = number
        if row["unit"]:
            field["unit"] = row["unit"]
        options = _options(row["options"])
        if options is not None:
            field["options"] = options
        fields.append(field)
    fee: dict[str, Any] = {"kind": values["fee_kind"], "min_fen": 0}
    try:
        if values["fee_kind"] == "rate":
            try:
                percent = Decimal(values["fee_rate"] or "x")
            except InvalidOperation:
                raise ValidationFailed("请填写费率（%），例如 3 或 1.5", field="fee_rate") from None
            bp = percent * 100
            if not bp.is_finite() or bp != bp.to_integral_value():
                raise ValidationFailed("费率最多精确到 0.01%", field="fee_rate")
            fee["rate_bp"] = int(bp)
        elif values["fee_kind"] == "fixed":
            fee["fixed_fen"] = _fen(values["fee_fixed"], "fee_fixed", "固定服务费")
    except ValidationFailed as exc:
        errors.append({"field": exc.field, "message": exc.message})
    try:
        fee["min_fen"] = _fen(values["fee_min"], "fee_min", "最低服务费") or 0
    except ValidationFailed as exc:
        errors.append({"field": exc.field, "message": exc.message})
    if errors:  # the form's own faults are shown with everything else wrong, not one round after another
        errors += [{"field": e.field, "message": e.message} for e in forms.definition_errors(fields)]
        raise ValidationFailed(errors[0]["message"], field=errors[0]["field"], errors=errors)
    return {"name": values["name"], "form_fields": fields, "required_materials": values["materials"], "fee_rule": fee}


def _form_context(session: Session, product: LoanProduct | None, values: dict[str, Any]) -> dict[str, Any]:
    rows = list(values.get("rows") or [])
    while len(rows) < len(values.get("rows") or []) + BLANK_ROWS:
        rows.append({"key": "", "label": "", "type": "text", "required": False, "options": "", "min": "", "max": "",
                     "max_length": "", "unit": ""})
    return {"product": product, "values": {**values, "rows": rows},
            "type_choices": list(FIELD_TYPE_NAMES.items()), "fee_kinds": list(FEE_KIND_NAMES.items()),
            "material_choices": _materials_choices(), "kind_names": ATTACHMENT_KIND_NAMES,
            "type_names": FIELD_TYPE_NAMES,
            "versions": customer_service.list_forms(session, product) if product else []}


@router.get("/products")
def product_list(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    products = customer_service.list_products(session, include_inactive=True)
    return core.render(request, "products/list.html", {
        "products": products, "rules": {p.id: customer_service.fee_rule(p) for p in products},
        "kind_names": ATTACHMENT_KIND_NAMES}, staff=staff)


@router.get("/products/new")
def new_product(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _form_context(session, None, {"fee_kind": "rate", "fee_min": "0.00", "rows": []})
    return core.render(request, "products/form.html", ctx, staff=staff)


@router.get("/products/{code}")
def edit_product(code: ProductCode, request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    product = customer_service.product_by_code(session, code)
    return core.render(request, "products/form.html", _form_context(session, product, _values_of(product)),
                       staff=staff)


async def _save(request: Request, staff: Employee, session: Session, code: str | None) -> Response:
    core.remember(request, staff)
    form = await request.form()
    product = customer_service.product_by_code(session, code) if code else None
    values = _read(form)
    rename = _rename(values)
    try:
        data = _convert(values)
        if product is None:
            product = customer_service.create_product(session, staff, code=values["code"], **data)
            msg = "product_saved"
        else:
            version = product.form_version
            product = customer_service.update_product(session, staff, product, commands.build(ProductChanges, data))
            msg = "product_form_saved" if product.form_version != version else "product_saved"
    except AppError as exc:
        if exc.status_code == 403:
            raise
        session.rollback()
        product = customer_service.product_by_code(session, code) if code else None
        ctx = _form_context(session, product, values)
        ctx["errors"] = core.field_errors(exc, rename)
        return core.render(request, "products/form.html", ctx, staff=staff, status_code=422)
    return core.redirect(f"/products/{product.code}", msg=msg)


@router.post("/products")
async def create_product(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    return await _save(request, staff, session, None)


@router.post("/products/{code}")
async def update_product(code: ProductCode, request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    return await _save(request, staff, session, code)


@router.post("/products/{code}/retire")
def retire_product(code: ProductCode, request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    customer_service.retire_product(session, staff, customer_service.product_by_code(session, code))
    return core.redirect(f"/products/{code}", msg="product_retired")


@router.post("/products/{code}/reinstate")
def reinstate_product(code: ProductCode, request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    customer_service.reinstate_product(session, staff, customer_service.product_by_code(session, code))
    return core.redirect(f"/products/{code}", msg="product_reinstated")
