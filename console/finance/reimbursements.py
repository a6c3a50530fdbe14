"""Reimbursement pages (做单报销): enter, list, confirm, pay, void, resubmit, on the
``backoffice.reimbursements`` service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.common.money import parse_yuan
from backoffice.orders import service as order_service
from backoffice.orders.labels import FUNDER_LABELS as FUNDER_NAMES
from backoffice.reimbursements import service as reimbursement_service
from backoffice.reimbursements.labels import COST_TYPE_NAMES, PAYER_NAMES
from backoffice.reimbursements.labels import REIMBURSEMENT_STATUS_NAMES as STATUS_NAMES
from backoffice.reimbursements.models import CostType, Reimbursement, ReimbursementStatus
from backoffice.reimbursements.schemas import ClaimChanges
from console import core
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep
from scrm.core.db import utcnow
from scrm.core.errors import AppError, NotFound, ValidationFailed
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

router = core.console_router()
Id = Annotated[int, Path(ge=1)]

CATEGORIES = ("交通", "办公用品", "餐费", "资料费", "快递", "其他")
R_FILTERS = ("status", "cost_type", "customer_id", "entered_by_id", "spent_from", "spent_to")
R_SORTS = tuple(reimbursement_service.SORTS)
CLAIM_FIELDS = ("customer_id", "order_id", "cost_type", "category", "amount", "spent_on", "manager_id", "remark",
                "payee_name", "payee_account", "payee_bank")
FINANCE = (Role.finance, Role.admin)


def _int(value: str | None, field: str, *, required: bool = False) -> int | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed("请填写编号", field=field)
        return None
    if not value.isdigit() or len(value) > 18:
        raise ValidationFailed("请填写数字编号", field=field)
    return int(value)


def _filter_of(f: dict[str, str]) -> reimbursement_service.ReimbursementFilter:
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    for name, parse in (("customer_id", _int), ("entered_by_id", _int), ("spent_from", core.form_date),
                        ("spent_to", core.form_date)):
        try:
            values[name] = parse(f.get(name), name)
        except ValidationFailed as exc:
            errors.append({"field": name, "message": exc.message})
    if errors:
        raise ValidationFailed("筛选条件有误", errors=errors)
    return reimbursement_service.ReimbursementFilter(
        status=ReimbursementStatus(f["status"]) if f.get("status") in ReimbursementStatus.__members__ else None,
        cost_type=CostType(f["cost_type"]) if f.get("cost_type") in CostType.__members__ else None, **values)


def _may_act(staff: Employee, item: Any) -> dict[str, bool]:
    finance = staff.role in FINANCE
    mine = finance or item.entered_by_id == staff.id
    allowed = reimbursement_service.REIMBURSEMENT_MACHINE.allowed_actions(item, staff)
    return {"confirm": "confirm" in allowed, "pay": "pay" in allowed,
            "void": mine and "void" in allowed, "resubmit": mine and "resubmit" in allowed}


def _list_context(request: Request, session: Session, staff: Employee) -> dict[str, Any]:
    listing = core.Listing.read(request, "/reimbursements", R_FILTERS, default_sort="-created_at", sorts=R_SORTS)
    errors: dict[str, str] = {}
    items: list[Reimbursement] = []
    try:
        items, listing.total = reimbursement_service.list_items(
            session, staff, _filter_of(listing.filters), limit=listing.page_size, offset=listing.offset,
            sort=listing.sort)
    except ValidationFailed as exc:
        errors = core.field_errors(exc)
    shown = reimbursement_service.rows(session, items)
    return {
        "list_query": listing.url()[len(core.PREFIX + listing.path):],
        "listing": listing, "rows": shown, "errors": errors, "may": {r.id: _may_act(staff, r) for r in shown},
        "status_names": STATUS_NAMES, "cost_type_names": COST_TYPE_NAMES, "payer_names": PAYER_NAMES,
        "funder_names": FUNDER_NAMES, "payer_options": list(PAYER_NAMES.items()),
        "status_options": [("", "全部")] + [(s.value, n) for s, n in STATUS_NAMES.items()],
        "cost_type_options": [("", "全部")] + [(c.value, n) for c, n in COST_TYPE_NAMES.items()],
        "staff_options": [("", "全部")] + org_service.owner_choices(session, staff)
        if staff.role != Role.sales else [],
        "is_finance": staff.role in FINANCE,
    }


@router.get("/reimbursements")
def reimbursement_list(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return core.render(request, "finance/reimbursements.html", _list_context(request, session, staff), staff=staff)


def _form_context(session: Session, staff: Employee, values: dict[str, Any], *, item_id: int | None = None
                  ) -> dict[str, Any]:
    customers = customer_service.search(session, staff, sort="-created_at", page=1, page_size=200).rows
    return {
        "values": values, "resubmits": item_id,
        "customer_options": [(c.id, c.name or f"客户 #{c.id}") for c in customers],
        "cost_type_options": [(c.value, n) for c, n in COST_TYPE_NAMES.items()],
        "categories": CATEGORIES,
        "manager_options": [("", "（无）")] + org_service.active_staff_choices(session, staff),
        "today": utcnow().date().isoformat(),
    }


def _claim(session: Session, staff: Employee, values: dict[str, str], *, partial: bool = False
           ) -> dict[str, Any]:
    """The form's fields parsed, every bad one reported at once, each next to its input."""
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}

    def check(name: str, parse) -> None:
        try:
            out[name] = parse()
        except ValidationFailed as exc:
            errors.append({"field": name, "message": exc.message})

    if not partial:
        check("customer_id", lambda: _visible_customer(session, staff, values.get("customer_id")))
        check("order_id", lambda: _order_id(session, values.get("order_id")))
        check("cost_type", lambda: _cost_type(values.get("cost_type")))
        check("manager_id", lambda: _manager_id(session, values.get("manager_id")))
    check("category", lambda: _category(values.get("category")))
    check("amount_fen", lambda: _positive_fen(values.get("amount")))
    check("spent_on", lambda: core.form_date(values.get("spent_on"), "spent_on", required=True))
    out["remark"] = (values.get("remark") or "").strip() or None
    if out["remark"] and len(out["remark"]) > 500:
        errors.append({"field": "remark", "message": "备注最多 500 字"})
    try:
        payee = reimbursement_service.clean_payee(values.get("payee_name"), values.get("payee_account"),
                                                  values.get("payee_bank"))
        if any(payee) or not partial:
            out["payee_name"], out["payee_account"], out["payee_bank"] = payee
    except ValidationFailed as exc:
        errors.append({"field": exc.field, "message": exc.message})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return out


def _visible_customer(session: Session, staff: Employee, value: str | None) -> int:
    customer_id = _int(value, "customer_id")
    if customer_id is None:
        raise ValidationFailed("请选择客户", field="customer_id")
    try:
        return customer_service.get_visible(session, staff, customer_id).id
    except NotFound:
        raise ValidationFailed(f"找不到你可见的客户 #{customer_id}", field="customer_id") from None


def _order_id(session: Session, value: str | None) -> int | None:
    order_id = _int(value, "order_id")
    if order_id is not None:
        try:
            order_service.get_order(session, order_id)
        except NotFound:
            raise ValidationFailed(f"没有编号为 {order_id} 的订单", field="order_id") from None
    return order_id


def _cost_type(value: str | None) -> CostType:
    if value not in CostType.__members__:
        raise ValidationFailed("请选择成本类型", field="cost_type")
    return CostType(value)


def _manager_id(session: Session, value: str | None) -> int | None:
    manager_id = _int(value, "manager_id")
    if manager_id is not None:
        try:
            org_service.get_employee(session, manager_id)
        except NotFound:
            raise ValidationFailed("没有这位员工", field="manager_id") from None
    return manager_id


def _category(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("请填写报销类别，例如 交通、办公用品", field="category")
    if len(value) > 32:
        raise ValidationFailed("类别最多 32 个字", field="category")
    return value


def _positive_fen(value: str | None) -> int:
    fen = parse_yuan(value, "amount")
    if fen <= 0:
        raise ValidationFailed("报销金额必须大于 0", field="amount")
    return fen


def _form_values(form: Any) -> dict[str, str]:
    return {k: str(form.get(k, "")) for k in CLAIM_FIELDS}


RENAME = {"amount_fen": "amount"}


@router.get("/reimbursements/new")
def reimbursement_new(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    values = {"spent_on": utcnow().date().isoformat(), "cost_type": "processing",
              "customer_id": request.query_params.get("customer_id", "")}
    return core.render(request, "finance/reimbursement_form.html", _form_context(session, staff, values), staff=staff)


@router.post("/reimbursements")
async def reimbursement_create(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    values = _form_values(await request.form())
    try:
        claim = reimbursement_service.Claim(**_claim(session, staff, values))
        reimbursement_service.submit(session, staff, claim)
    except AppError as exc:
        session.rollback()
        ctx = _form_context(session, staff, values)
        ctx["errors"] = core.field_errors(exc, RENAME)
        return core.render(request, "finance/reimbursement_form.html", ctx, staff=staff, status_code=422)
    return core.redirect("/reimbursements", msg="reimbursement_saved")


def _back_to_list(request: Request, msg: str) -> Response:
    """Back to the list as it was (its filters, sort and page ride on the action's query string)."""
    kept = {k: request.query_params[k] for k in (*R_FILTERS, "sort", "page") if request.query_params.get(k)}
    return core.redirect("/reimbursements", msg=msg, **kept)


def _item(session: Session, staff: Employee, item_id: int) -> Reimbursement:
    return reimbursement_service.get_visible(session, staff, item_id)


def _list_with_errors(request: Request, session: Session, staff: Employee, exc: AppError, item_id: int,
                      values: dict[str, str]) -> Response:
    session.rollback()
    ctx = _list_context(request, session, staff)
    ctx["errors"] = {f"{k}_{item_id}" if k != "__all__" else k: v for k, v in core.field_errors(exc).items()}
    ctx["values"] = {f"{k}_{item_id}": v for k, v in values.items()}
    return core.render(request, "finance/reimbursements.html", ctx, staff=staff, status_code=422)


@router.post("/reimbursements/{item_id}/confirm")
def reimbursement_confirm(item_id: Id, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    reimbursement_service.confirm(session, staff, _item(session, staff, item_id))
    return _back_to_list(request, "reimbursement_confirmed")


@router.post("/reimbursements/{item_id}/pay")
async def reimbursement_pay(item_id: Id, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    payer = str((await request.form()).get("payer", ""))
    try:
        reimbursement_service.pay(session, staff, _item(session, staff, item_id), payer)
    except ValidationFailed as exc:
        return _list_with_errors(request, session, staff, exc, item_id, {"payer": payer})
    return _back_to_list(request, "reimbursement_paid")


@router.post("/reimbursements/{item_id}/void")
async def reimbursement_void(item_id: Id, request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    reason = str((await request.form()).get("reason", "")).strip()
    item = _item(session, staff, item_id)
    try:
        if len(reason) > 200:
            raise ValidationFailed("作废原因最多 200 字", field="reason")
        reimbursement_service.void(session, staff, item, reason)
    except ValidationFailed as exc:
        return _list_with_errors(request, session, staff, exc, item_id, {"reason": reason})
    return _back_to_list(request, "reimbursement_voided")


@router.get("/reimbursements/{item_id}/resubmit")
def reimbursement_resubmit_form(item_id: Id, request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    item = _item(session, staff, item_id)
    reimbursement_service.REIMBURSEMENT_MACHINE.check(item, "resubmit")
    values = {"customer_id": item.customer_id, "order_id": item.order_id or "", "cost_type": item.cost_type.value,
              "category": item.category, "amount": f"{from_fen(item.amount_fen):.2f}",
              "spent_on": item.spent_on.isoformat(), "manager_id": item.manager_id or "", "remark": item.remark or ""}
    ctx = _form_context(session, staff, values, item_id=item.id)
    ctx["item"] = reimbursement_service.rows(session, [item])[0]
    return core.render(request, "finance/reimbursement_form.html", ctx, staff=staff)


@router.post("/reimbursements/{item_id}/resubmit")
async def reimbursement_resubmit(item_id: Id, request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    item = _item(session, staff, item_id)
    values = _form_values(await request.form())
    try:
        changes = _claim(session, staff, values, partial=True)
        reimbursement_service.resubmit(session, staff, item, ClaimChanges(**changes))
    except ValidationFailed as exc:
        session.rollback()
        item = _item(session, staff, item_id)
        ctx = _form_context(session, staff, values, item_id=item.id)
        ctx["item"] = reimbursement_service.rows(session, [item])[0]
        ctx["errors"] = core.field_errors(exc, RENAME)
        return core.render(request, "finance/reimbursement_form.html", ctx, staff=staff, status_code=422)
    return core.redirect("/reimbursements", msg="reimbursement_resubmitted")
