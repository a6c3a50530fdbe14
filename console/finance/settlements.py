"""Finance's settlement pages: disbursed orders waiting for settlement (结算), one settlement's charges, fees,
expenses, totals, vouchers, closing (结单), void and the one-click debit (一键代扣), and the Excel export.
Every rule lives in ``backoffice.settlements.service``; these handlers parse the forms and show the result."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from backoffice.common.money import parse_yuan
from backoffice.direct_debit import service as debit_service
from backoffice.direct_debit.models import DebitStatus
from backoffice.orders import service as order_service
from backoffice.orders.labels import FUNDER_LABELS, PAYMENT_LABELS
from backoffice.orders.models import FunderType, OrderStatus
from backoffice.settlements import api as settlement_api
from backoffice.settlements import service as settlement_service
from backoffice.settlements import vouchers
from backoffice.settlements.labels import DISCOUNT_NAMES, SETTLEMENT_NAMES
from backoffice.settlements.models import DiscountKind, PaymentMethod, Settlement
from console import core
from console.finance.debits import DEBIT_NAMES, MANDATE_KINDS, MANDATE_NAMES
from scrm.auth import SessionDep, require_roles
from scrm.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from scrm.core.money import from_fen
from scrm.mandates import service as mandate_service
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

router = core.console_router()

FinanceReader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]
FILTERS = ("status", "funder_type", "disbursed_from", "disbursed_to", "center_id", "department_id")
SORTS = ("disbursed_on", "agreement_no", "signed_at", "amount_applied")
LIST_STATUSES = (OrderStatus.disbursed, OrderStatus.settled)
ORDER_NAMES = {OrderStatus.disbursed: "待结算", OrderStatus.settled: "已结算"}
DOWNLOAD_COOKIE = "scrm_download"
TOKEN = re.compile(r"[A-Za-z0-9]{1,32}")


def page_settlement(settlement_id: Annotated[int, Path(ge=1)], request: Request, staff: FinanceReader,
                    session: SessionDep) -> Settlement:
    core.remember(request, staff)
    return settlement_api.visible_settlement(session, staff, settlement_id)


PageSettlement = Annotated[Settlement, Depends(page_settlement)]


# ---------------------------------------------------------------------------------------------- the list


def _int(value: str | None, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed("请选择列表中的一项", field=field)
    return int(value)


def order_filter(filters: dict[str, str]) -> order_service.OrderFilter:
    """The list's URL filters as the contracts service's filter (the export uses the same one)."""
    status = filters.get("status")
    if status and status not in {s.value for s in LIST_STATUSES}:
        raise ValidationFailed("请选择待结算或已结算", field="status")
    funder = filters.get("funder_type")
    if funder and funder not in FunderType.__members__:
        raise ValidationFailed("请选择资方类型", field="funder_type")
    flt = order_service.OrderFilter(
        status=[OrderStatus(status)] if status else list(LIST_STATUSES),
        funder_type=FunderType(funder) if funder else None,
        disbursed_from=core.form_date(filters.get("disbursed_from"), "disbursed_from"),
        disbursed_to=core.form_date(filters.get("disbursed_to"), "disbursed_to"),
        center_id=_int(filters.get("center_id"), "center_id"),
        department_id=_int(filters.get("department_id"), "department_id"))
    if flt.disbursed_from and flt.disbursed_to and flt.disbursed_from > flt.disbursed_to:
        raise ValidationFailed("开始日期不能晚于结束日期", field="disbursed_to")
    return flt


@router.get("/finance/settlements")
def settlement_list(request: Request, staff: FinanceReader, session: SessionDep) -> Response:
    core.remember(request, staff)
    listing = core.Listing.read(request, "/finance/settlements", FILTERS, default_sort="-disbursed_on", sorts=SORTS)
    errors: dict[str, str] = {}
    orders: list = []
    try:
        orders, listing.total = order_service.list_orders(session, staff, order_filter(listing.filters),
                                                          sort=listing.sort, limit=listing.page_size,
                                                          offset=listing.offset)
    except ValidationFailed as exc:
        errors = core.field_errors(exc)
    settlements = settlement_service.current_settlements(session, [o.id for o in orders])
    export_query = {k: v for k, v in listing.filters.items()}
    return core.render(request, "finance/settlements.html", {
        "listing": listing, "orders": orders, "settlements": settlements, "errors": errors,
        "settle_due": {o.id for o in orders if "settle" in order_service.allowed_actions(o, staff)},
        "order_names": ORDER_NAMES, "settlement_names": SETTLEMENT_NAMES, "funder_labels": FUNDER_LABELS,
        "status_options": [("", "全部")] + [(s.value, n) for s, n in ORDER_NAMES.items()],
        "funder_options": [("", "全部")] + [(k, v) for k, v in FUNDER_LABELS.items()],
        "centers": [("", "全部")] + [(c.id, c.name) for c in org_service.list_centers(session, staff)],
        "departments": [("", "全部")] + [(d.id, d.name) for d in org_service.list_departments(session, staff)
                                       if not d.deleted],
        "export_query": export_query, "fen": from_fen,
    }, staff=staff)


@router.get("/finance/settlements/export.xlsx")
def export(request: Request, staff: FinanceReader, session: SessionDep) -> Response:
    """The settled orders matching the list's filters, through the streaming export of the settlements module.
    ``dl`` comes back as a cookie when the file is ready, so the page can stop its spinner."""
    core.remember(request, staff)
    listing = core.Listing.read(request, "/finance/settlements", FILTERS)
    try:
        flt = order_filter(listing.filters)
    except ValidationFailed as exc:
        raise ValidationFailed(f"筛选条件有误：{exc.message}", field=exc.field) from None
    response = settlement_api.export_settlements(staff, session, flt)
    token = request.query_params.get("dl", "")
    if TOKEN.fullmatch(token):
        response.set_cookie(DOWNLOAD_COOKIE, token, path=core.PREFIX, samesite="strict", max_age=120,
                            secure=request.url.scheme == "https")
    return response


# ---------------------------------------------------------------------------------------------- one settlement


def _yuan_text(fen: int | None) -> str:
    return "" if fen is None else f"{from_fen(fen):.2f}"


def _charges_values(s: Settlement) -> dict[str, Any]:
    if s.discount_kind == DiscountKind.percent:
        discount = f"{s.discount_value / 100:g}"
    elif s.discount_kind in (DiscountKind.fixed, DiscountKind.per_count):
        discount = _yuan_text(s.discount_value)
    else:
        discount = ""
    return {"service_fee": _yuan_text(s.service_fee_fen), "discount_kind": s.discount_kind.value,
            "discount_value": discount, "loan_count": s.loan_count, "installment_fee": _yuan_text(s.installment_fee_fen),
            "payment_method": s.payment_method.value if s.payment_method else ""}


def _context(request: Request, session: Session, staff: Employee, s: Settlement) -> dict[str, Any]:
    order = order_service.get_order(session, s.order_id)
    totals = settlement_service.totals(session, s)
    debits, _ = debit_service.list_debits(session, due_key=f"settlement:{s.id}", page_size=10)
    mandates = mandate_service.list_for_customer(session, order.customer_id)
    active = mandate_service.active_mandates(session, order.customer_id)
    due = settlement_service.amount_due_fen(session, s.id)
    posting = settlement_service.awaiting_credit(session, s.id, debits)
    may_act = staff.role in (Role.finance, Role.admin)
    allowed = settlement_service.SETTLEMENT_MACHINE.allowed_actions(s, staff)
    # a debit that may still fail is under way: no second one while it runs
    debit_open = any("fail" in debit_service.DEBIT_MACHINE.allowed_actions(d) for d in debits)
    return {
        "s": s, "order": order, "t": totals, "fen": from_fen,
        "fees": settlement_service.fees_of(session, s.id), "expenses": settlement_service.expenses_of(session, s.id),
        "borrowings": order_service.borrowings_of(session, order.id),
        "values": _charges_values(s), "may_act": may_act, "editable": may_act and "edit" in allowed,
        "may_void": may_act and "void" in allowed,
        "debits": debits, "mandates": mandates, "active_mandates": active, "amount_due_fen": due,
        "may_debit": may_act and "debit" in allowed and due > 0 and bool(active) and not posting and not debit_open,
        "debit_posting": posting,
        "debit_pending": any(d.status in debit_service.LIVE or (d.status == DebitStatus.created and d.not_before is None)
                             for d in debits),
        "settlement_names": SETTLEMENT_NAMES, "order_names": ORDER_NAMES, "funder_labels": FUNDER_LABELS,
        "payment_labels": PAYMENT_LABELS, "expense_names": settlement_service.expense_type_names(session),
        "debit_names": DEBIT_NAMES,
        "mandate_names": MANDATE_NAMES, "mandate_kinds": MANDATE_KINDS,
        "discount_options": [(k.value, n) for k, n in DISCOUNT_NAMES.items()],
        "payment_options": [("", "请选择")] + [(m.value, PAYMENT_LABELS[m.value]) for m in PaymentMethod],
        "expense_options": [(t.code, t.name) for t in settlement_service.expense_types(session, active_only=True)],
        "mandate_options": [("", "自动选择可用授权")] + [
            (m.id, f"{MANDATE_KINDS[m.kind.value]}{' 尾号 ' + m.card_last4 if m.card_last4 else ''}") for m in active],
        "base": f"/finance/settlements/{s.id}",
    }


@router.get("/finance/settlements/{settlement_id}")
def settlement_page(request: Request, settlement: PageSettlement, staff: FinanceReader,
                    session: SessionDep) -> Response:
    return core.render(request, "finance/settlement.html", _context(request, session, staff, settlement), staff=staff)


def _failed(request: Request, session: Session, staff: Employee, settlement_id: int, exc: AppError,
            values: dict[str, Any], rename: dict[str, str] | None = None) -> Response:
    """The page again with the error next to its field (422); nothing of the failed action is kept."""
    if isinstance(exc, (Forbidden, NotFound)):
        raise exc
    session.rollback()
    settlement = settlement_api.visible_settlement(session, staff, settlement_id)
    ctx = _context(request, session, staff, settlement)
    ctx["values"] = ctx["values"] | values
    ctx["errors"] = core.field_errors(exc, rename)
    return core.render(request, "finance/settlement.html", ctx, staff=staff, status_code=422)


async def _form(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {n: str(form.get(n, "")).strip() for n in names}


def _lock(session: Session, staff: Employee, settlement: Settlement) -> Settlement:
    return settlement_api.visible_settlement(session, staff, settlement.id, lock=True)


@router.post("/finance/settlements/{settlement_id}/charges")
async def save_charges(request: Request, settlement: PageSettlement, staff: FinanceReader,
                       session: SessionDep) -> Response:
    values = await _form(request, ("service_fee", "discount_kind", "discount_value", "loan_count", "installment_fee",
                                   "payment_method"))
    try:
        s = _lock(session, staff, settlement)
        kind_raw = values["discount_kind"] or "none"
        if kind_raw not in DiscountKind.__members__:
            raise ValidationFailed("请选择优惠方式", field="discount_kind")
        kind = DiscountKind(kind_raw)
        discount = 0
        if kind == DiscountKind.percent:
            try:
                discount = parse_yuan(values["discount_value"], "discount_value")  # percent × 100 = basis points
            except ValidationFailed:
                raise ValidationFailed("请填写 0 到 100 之间的百分比，最多两位小数", field="discount_value") from None
        elif kind in (DiscountKind.fixed, DiscountKind.per_count):
            discount = parse_yuan(values["discount_value"], "discount_value")
        count = values["loan_count"] or "1"
        if not count.isdigit():
            raise ValidationFailed("放款笔数须为 1 到 100 的整数", field="loan_count")
        method = values["payment_method"]
        if method and method not in PaymentMethod.__members__:
            raise ValidationFailed("请选择收款方式", field="payment_method")
        settlement_service.set_charges(
            session, staff, s, service_fee_fen=parse_yuan(values["service_fee"], "service_fee"),
            discount_kind=kind, discount_value=discount, loan_count=int(count),
            installment_fee_fen=parse_yuan(values["installment_fee"] or "0", "installment_fee"),
            payment_method=PaymentMethod(method) if method else None)
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, values)
    return core.redirect(f"/finance/settlements/{settlement.id}", msg="charges_saved")


@router.post("/finance/settlements/{settlement_id}/fees")
async def add_fee(request: Request, settlement: PageSettlement, staff: FinanceReader, session: SessionDep) -> Response:
    values = await _form(request, ("fee_name", "fee_amount"))
    rename = {"name": "fee_name", "amount": "fee_amount"}
    try:
        s = _lock(session, staff, settlement)
        amount = parse_yuan(values["fee_amount"], "fee_amount")
        settlement_service.add_fee(session, staff, s, values["fee_name"], amount)
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, values, rename)
    return core.redirect(f"/finance/settlements/{settlement.id}", msg="fee_added")


@router.post("/finance/settlements/{settlement_id}/fees/{fee_id}/remove")
async def remove_fee(request: Request, settlement: PageSettlement, fee_id: Annotated[int, Path(ge=1)],
                     staff: FinanceReader, session: SessionDep) -> Response:
    try:
        settlement_service.remove_fee(session, staff, _lock(session, staff, settlement), fee_id)
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, {})
    return core.redirect(f"/finance/settlements/{settlement.id}", msg="fee_removed")


@router.post("/finance/settlements/{settlement_id}/expenses")
async def add_expense(request: Request, settlement: PageSettlement, staff: FinanceReader,
                      session: SessionDep) -> Response:
    values = await _form(request, ("expense_kind", "payee", "expense_amount"))
    rename = {"amount": "expense_amount", "kind": "expense_kind"}
    try:
        s = _lock(session, staff, settlement)
        if not values["expense_kind"]:
            raise ValidationFailed("请选择支出类型", field="expense_kind")
        amount = parse_yuan(values["expense_amount"], "expense_amount")
        settlement_service.add_expense(session, staff, s, values["expense_kind"], values["payee"], amount)
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, values, rename)
    return core.redirect(f"/finance/settlements/{settlement.id}", msg="expense_added")


@router.post("/finance/settlements/{settlement_id}/expenses/{expense_id}/confirm")
async def confirm_expense(request: Request, settlement: PageSettlement, expense_id: Annotated[int, Path(ge=1)],
                          staff: FinanceReader, session: SessionDep) -> Response:
    """Confirm as entered, or with a corrected amount when one is typed."""
    name = f"correct_{expense_id}"
    values = await _form(request, (name,))
    try:
        s = _lock(session, staff, settlement)
        corrected = parse_yuan(values[name], name) if values[name] else None
        settlement_service.confirm_expense(session, staff, s, expense_id, corrected_fen=corrected)
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, values, {"amount": name})
    return core.redirect(f"/finance/settlements/{settlement.id}", msg="expense_confirmed")


@router.post("/finance/settlements/{settlement_id}/close")
async def close(request: Request, settlement: PageSettlement, staff: FinanceReader, session: SessionDep) -> Response:
    try:
        settlement_service.close(session, staff, _lock(session, staff, settlement))
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, {}, {"deposit": "__all__"})
    return core.redirect(f"/finance/settlements/{settlement.id}", msg="settlement_closed")


@router.post("/finance/settlements/{settlement_id}/void")
async def void(request: Request, settlement: PageSettlement, staff: FinanceReader, session: SessionDep) -> Response:
    values = await _form(request, ("reason",))
    try:
        s = _lock(session, staff, settlement)
        settlement_service.void(session, staff, s, values["reason"])
        fresh = settlement_service.current_settlement(session, s.order_id)
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, values)
    return core.redirect(f"/finance/settlements/{fresh.id}", msg="settlement_voided")


@router.post("/finance/settlements/{settlement_id}/debit")
async def debit(request: Request, settlement: PageSettlement, staff: FinanceReader, session: SessionDep) -> Response:
    """一键代扣: the settlement debit service, as ``POST /api/backoffice/settlements/{id}/debit``."""
    values = await _form(request, ("mandate_id",))
    rename = {k: "mandate_id" for k in ("settlement_id", "customer_id", "due_key", "amount")}
    try:
        if values["mandate_id"] and not values["mandate_id"].isdigit():
            raise ValidationFailed("请选择代扣授权", field="mandate_id")
        s = _lock(session, staff, settlement)
        settlement_service.debit_amount_due(session, staff, s, mandate_id=int(values["mandate_id"]) if values["mandate_id"]
                                            else None)
    except AppError as exc:
        return _failed(request, session, staff, settlement.id, exc, values, rename)
    return core.redirect(f"/finance/settlements/{settlement.id}", msg="debit_started")


@router.get("/finance/settlements/{settlement_id}/vouchers/{kind}.{fmt}")
def voucher(request: Request, settlement: PageSettlement, kind: str, fmt: str, session: SessionDep) -> Response:
    """The customer or internal voucher, as HTML for the browser's print (A4) or as PDF."""
    if kind not in ("customer", "internal") or fmt not in ("html", "pdf"):
        raise NotFound("没有这种凭证")
    v = vouchers.settlement_voucher(session, settlement, internal=kind == "internal")
    if fmt == "html":
        return HTMLResponse(vouchers.to_html(v))
    return Response(vouchers.to_pdf(v), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{kind}-voucher-{settlement.id}.pdf"'})
