"""Finance centre: contract confirmation (合同确认) and deposits (定金) — the order lists, one order with its fees,
history, deposit, refunds, borrowings and processing follow-ups, and every action the services allow on it.

Staff mobiles are encrypted personal data in this codebase (``Employee.mobile``), so they are shown masked
like the customer's phone."""

from __future__ import annotations

from typing import Annotated, Any, Callable

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.common.history import history
from backoffice.common.money import fen_from_text, two_decimals, yuan
from backoffice.orders import service as order_service
from backoffice.orders.labels import DEPOSIT_STATUS_NAMES, FOLLOW_UP_NAMES, FUNDER_LABELS
from backoffice.orders.labels import ORDER_ACTION_NAMES as ACTION_NAMES
from backoffice.orders.labels import ORDER_STATUS_NAMES as STATUS_NAMES
from backoffice.orders.labels import PAYMENT_LABELS, REFUND_STATUS_NAMES
from backoffice.orders.models import DepositRefund, FunderType, Order, OrderStatus
from backoffice.orders.schemas import AmendTerms
from console import core
from scrm.auth import CurrentStaff, FinanceStaff, SessionDep, SupervisorStaff, require_roles
from scrm.core.crypto import mask_phone
from scrm.core.errors import NotFound, ValidationFailed
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus, Role

router = core.console_router()

OrderId = Annotated[int, Path(ge=1)]
SalesOrFinance = Annotated[Employee, Depends(require_roles(Role.sales, Role.finance))]
ProcessorStaff = Annotated[Employee, Depends(require_roles(Role.processor))]

METHODS = [(k, PAYMENT_LABELS[k]) for k in order_service.CASH_METHODS]

CONTRACT_STATUSES = (OrderStatus.signed, OrderStatus.confirmed)
DEPOSIT_STATUSES = (OrderStatus.reviewed, OrderStatus.processing)
FILTERS = ("status", "funder_type", "signed_from", "signed_to", "agreement_no")
SORTS = ("signed_at", "amount_applied", "agreement_no")
TERM_FIELDS = (("amount_applied", "申请金额"), ("deposit", "定金"), ("service_fee", "固定服务费"), ("other_fees", "其他费用"))

core.MESSAGES.update({
    "contract_confirmed": "合同已确认，金额已锁定", "order_reviewed": "签单已审核", "order_amended": "合同条款已保存",
    "order_voided": "订单已作废", "order_corrected": "已作废原订单并生成更正后的订单", "deposit_confirmed": "定金已确认，订单进入做单",
    "borrowing_added": "借款已登记", "borrowing_repaid": "借款已还清", "refund_filed": "退定申请已提交，等待财务确认",
    "refund_confirmed": "退定已确认", "refund_rejected": "退定申请已驳回",
})


# ---------------------------------------------------------------------------------------------
# lists


def _order_list(request: Request, staff: Employee, session: Session, path: str, template: str,
                default_statuses: tuple[OrderStatus, ...], statuses: tuple[OrderStatus, ...]) -> Response:
    core.remember(request, staff)
    listing = core.Listing.read(request, path, FILTERS, default_sort="-signed_at", sorts=SORTS)
    f = listing.filters
    errors: dict[str, str] = {}
    rows: list[Order] = []
    try:
        chosen = f.get("status")
        if chosen and chosen not in OrderStatus.__members__:
            raise ValidationFailed("没有这个状态", field="status")
        flt = order_service.OrderFilter(
            status=[OrderStatus(chosen)] if chosen else list(default_statuses),
            funder_type=FunderType(f["funder_type"]) if f.get("funder_type") in FunderType.__members__ else None,
            signed_from=core.form_date(f.get("signed_from"), "signed_from"),
            signed_to=core.form_date(f.get("signed_to"), "signed_to"),
            agreement_no=f.get("agreement_no"))
        rows, listing.total = order_service.list_orders(session, staff, flt, sort=listing.sort,
                                                        limit=listing.page_size, offset=listing.offset)
    except ValidationFailed as exc:
        errors = core.field_errors(exc)
    deposits = order_service.deposits_of(session, [o.id for o in rows])
    return core.render(request, template, {
        "listing": listing, "rows": rows, "errors": errors, "deposits": deposits,
        "names": org_service.employee_names(session, {i for o in rows for i in
                                                      (o.salesperson_id, o.marketing_specialist_id, o.processor_id)}),
        "status_names": STATUS_NAMES, "funder_names": FUNDER_LABELS,
        "status_options": [("", "待办（默认）")] + [(s.value, STATUS_NAMES[s]) for s in statuses],
        "funder_options": [("", "全部")] + [(t.value, FUNDER_LABELS[t.value]) for t in FunderType],
        "deposit_status_names": DEPOSIT_STATUS_NAMES, "yuan_of": yuan,
    }, staff=staff)


ContractReader = Annotated[Employee, Depends(require_roles(Role.sales, Role.finance, Role.supervisor, Role.manager))]
DepositReader = Annotated[Employee, Depends(require_roles(Role.finance, Role.processor, Role.manager))]


@router.get("/finance/contracts")
def contract_list(request: Request, staff: ContractReader, session: SessionDep) -> Response:
    return _order_list(request, staff, session, "/finance/contracts", "finance/contracts.html", CONTRACT_STATUSES,
                       tuple(OrderStatus))


@router.get("/finance/deposits")
def deposit_list(request: Request, staff: DepositReader, session: SessionDep) -> Response:
    return _order_list(request, staff, session, "/finance/deposits", "finance/deposits.html", DEPOSIT_STATUSES,
                       (OrderStatus.reviewed, OrderStatus.processing, OrderStatus.disbursed, OrderStatus.settled,
                        OrderStatus.refunded))


# ---------------------------------------------------------------------------------------------
# one order


def _staff_card(session: Session, employee_id: int | None) -> dict[str, Any] | None:
    if employee_id is None:
        return None
    employee = org_service.find_employee(session, employee_id)
    return None if employee is None else {"name": employee.name, "phone": mask_phone(employee.mobile) or ""}


FINANCE = (Role.finance, Role.admin)


def _buttons(staff: Employee, order: Order, *, has_deposit: bool) -> dict[str, bool]:
    """Which forms the page offers; the services decide, these only hide what would surely be refused."""
    finance = staff.role in FINANCE
    own_sale = staff.role == Role.sales and order.salesperson_id == staff.id
    allowed = order_service.ORDER_MACHINE.allowed_actions(order)
    mine = order_service.ORDER_MACHINE.allowed_actions(order, staff)
    return {
        # amounts are finance's: a salesperson sees the fees their product's rule gave, read-only
        "amend": "amend" in mine,
        "confirm": "confirm" in mine,
        "review": "review" in allowed and staff.role in (Role.supervisor, Role.manager, Role.admin),
        # a sale voids its own order only before confirmation
        "void": "void" in allowed and (finance or (own_sale and "confirm" in allowed)),
        # once the terms can no longer be amended, finance corrects them by voiding and signing again
        "correct": "void" in allowed and "amend" not in allowed and finance,
        "deposit": "start_processing" in allowed and finance,
        "finance": finance,
        "lend": "lend" in allowed and finance,
        "file_refund": "refund" in allowed and has_deposit
        and (staff.role == Role.admin or order.processor_id == staff.id),
    }


def _detail_context(session: Session, staff: Employee, order: Order) -> dict[str, Any]:
    deposit = order_service.deposit_of(session, order.id)
    refunds = order_service.refunds_of(session, deposit.id) if deposit else []
    borrowings = order_service.borrowings_of(session, order.id)
    transitions = history(session, "order", order.id)
    follow_ups = order_service.follow_ups(session, order.id)
    processors, _ = org_service.list_employees(session, role=Role.processor, status=EmployeeStatus.active, limit=500)
    return {
        "o": order, "deposit": deposit, "refunds": refunds,
        "refundable": yuan(order_service.refundable_fen(session, deposit)) if deposit else None,
        "borrowings": borrowings, "history": transitions,
        "follow_ups": follow_ups, "marketing": _staff_card(session, order.marketing_specialist_id),
        "salesperson": _staff_card(session, order.salesperson_id),
        "processor": _staff_card(session, order.processor_id),
        "names": org_service.employee_names(session, {t.actor_employee_id for t in transitions}
                                            | {f.employee_id for f in follow_ups} | {r.filed_by_id for r in refunds}),
        "processors": [(p.id, p.name) for p in processors],
        "status_names": STATUS_NAMES, "action_names": ACTION_NAMES, "funder_names": FUNDER_LABELS,
        "deposit_status_names": DEPOSIT_STATUS_NAMES, "refund_status_names": REFUND_STATUS_NAMES,
        "follow_up_names": FOLLOW_UP_NAMES, "methods": METHODS, "method_names": PAYMENT_LABELS,
        "funder_options": [(t.value, FUNDER_LABELS[t.value]) for t in FunderType],
        "yuan_of": yuan, "term_fields": TERM_FIELDS, "expected_fee": order_service.expected_fee_fen(order),
        "can": _buttons(staff, order, has_deposit=deposit is not None),
        "refund_actions": {r.id: order_service.allowed_actions(r, staff) for r in refunds},
        "borrowing_actions": {b.id: order_service.allowed_actions(b, staff) for b in borrowings},
    }


def _order(request: Request, staff: Employee, session: Session, order_id: int, *, lock: bool = False) -> Order:
    core.remember(request, staff)
    return order_service.get_visible_order(session, staff, order_id, lock=lock)


@router.get("/finance/orders/{order_id}")
def order_page(order_id: OrderId, request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    order = _order(request, staff, session, order_id)
    return core.render(request, "finance/order.html", _detail_context(session, staff, order), staff=staff)


async def _act(request: Request, staff: Employee, session: Session, order_id: int, names: tuple[str, ...],
               action: Callable[[Order, dict[str, str]], Any], msg: str, *, prefix: str = "",
               lock: bool = True) -> Response:
    """Run one action from a form on the order page. A field error re-renders the page at 422 with the error
    next to its field (nothing written); a refused role or an illegal transition is the service's 403/409 page."""
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in names}
    order = _order(request, staff, session, order_id, lock=lock)
    try:
        result = action(order, values)
    except ValidationFailed as exc:
        session.rollback()
        order = _order(request, staff, session, order_id)
        ctx = _detail_context(session, staff, order)
        rename = {n[len(prefix):]: n for n in names if prefix and n.startswith(prefix)}
        ctx.update(errors=core.field_errors(exc, rename), values=values)
        return core.render(request, "finance/order.html", ctx, staff=staff, status_code=422)
    target = result.id if isinstance(result, Order) else order_id
    return core.redirect(f"/finance/orders/{target}", msg=msg)


def _terms_changes(values: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """The service's field names for a fee-schedule form: yuan to fen, percent to basis points."""
    errors: list[dict[str, str]] = []
    changes: dict[str, Any] = {}
    for name, label in TERM_FIELDS:
        try:
            changes[f"{name}_fen"] = fen_from_text(values.get(prefix + name), name, label=label)
        except ValidationFailed as exc:
            errors.append({"field": name, "message": exc.message})
    try:
        rate = two_decimals(values.get(prefix + "service_fee_rate"), "service_fee_rate", label="服务费率")
        changes["service_fee_rate_bp"] = None if rate is None else int(rate * 100)
    except ValidationFailed as exc:
        errors.append({"field": "service_fee_rate", "message": exc.message})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    for key in ("amount_applied_fen", "deposit_fen", "other_fees_fen"):
        if changes[key] is None:
            changes[key] = 0
    changes["product_code"] = values.get(prefix + "product_code") or ""
    funder = values.get(prefix + "funder_type", "")
    if funder not in FunderType.__members__:
        raise ValidationFailed("请选择资方类型", field="funder_type")
    changes["funder_type"] = FunderType(funder)
    return changes


TERM_NAMES = ("product_code", "funder_type", "amount_applied", "deposit", "service_fee_rate", "service_fee",
              "other_fees")


@router.post("/finance/orders/{order_id}/amend")
async def amend(order_id: OrderId, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    return await _act(request, staff, session, order_id, TERM_NAMES,
                      lambda o, v: order_service.amend(session, staff, o, AmendTerms(**_terms_changes(v))), "order_amended")


@router.post("/finance/orders/{order_id}/confirm")
async def confirm(order_id: OrderId, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    return await _act(request, staff, session, order_id, (),
                      lambda o, v: order_service.confirm_contract(session, staff, o), "contract_confirmed")


@router.post("/finance/orders/{order_id}/review")
async def review(order_id: OrderId, request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    return await _act(request, staff, session, order_id, ("note",),
                      lambda o, v: order_service.review(session, staff, o, note=v["note"] or None), "order_reviewed")


@router.post("/finance/orders/{order_id}/void")
async def void(order_id: OrderId, request: Request, staff: SalesOrFinance, session: SessionDep) -> Response:
    return await _act(request, staff, session, order_id, ("reason",),
                      lambda o, v: order_service.void(session, staff, o, v["reason"]), "order_voided")


@router.post("/finance/orders/{order_id}/correct")
async def correct(order_id: OrderId, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    names = tuple("c_" + n for n in TERM_NAMES) + ("c_reason",)

    def run(order: Order, values: dict[str, str]) -> Order:
        if not values["c_reason"]:
            raise ValidationFailed("请填写更正原因", field="reason")
        return order_service.correct(session, staff, order, AmendTerms(**_terms_changes(values, "c_")),
                                     values["c_reason"])

    return await _act(request, staff, session, order_id, names, run, "order_corrected", prefix="c_")


@router.post("/finance/orders/{order_id}/deposit")
async def confirm_deposit(order_id: OrderId, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    def run(order: Order, values: dict[str, str]) -> Any:
        if not values["processor_id"].isdigit():
            raise ValidationFailed("请选择做单专员", field="processor_id")
        return order_service.confirm_deposit(
            session, staff, order, processor_id=int(values["processor_id"]), method=values["method"] or "cash",
            amount_fen=fen_from_text(values["amount"], "amount", label="实收定金"))

    return await _act(request, staff, session, order_id, ("processor_id", "amount", "method"), run,
                      "deposit_confirmed")


@router.post("/finance/orders/{order_id}/borrowings")
async def lend(order_id: OrderId, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    def run(order: Order, v: dict[str, str]) -> Any:
        principal = fen_from_text(v["principal"], "principal", label="借款本金")
        rate = two_decimals(v["annual_rate"], "annual_rate", label="年利率")
        cost = fen_from_text(v["cost"], "cost", label="借款成本")
        lent_on = core.form_date(v["lent_on"], "lent_on")
        if principal is None:
            raise ValidationFailed("请填写借款本金", field="principal")
        if rate is None:
            raise ValidationFailed("请填写年利率", field="annual_rate")
        if lent_on is None:
            raise ValidationFailed("请选择借款日期", field="lent_on")
        return order_service.lend(session, staff, order, principal_fen=principal, lent_on=lent_on,
                                  annual_rate_bp=int(rate * 100), cost_fen=cost or 0,
                                  method=v["lend_method"] or "online_bank")

    return await _act(request, staff, session, order_id, ("principal", "lent_on", "annual_rate", "cost", "lend_method"),
                      run, "borrowing_added")


@router.post("/finance/orders/{order_id}/borrowings/{borrowing_id}/repay")
async def repay(order_id: OrderId, borrowing_id: Annotated[int, Path(ge=1)], request: Request, staff: FinanceStaff,
                session: SessionDep) -> Response:
    def run(order: Order, v: dict[str, str]) -> Any:
        borrowing = _of_order(order_service.get_borrowing(session, borrowing_id), order, "借款")
        on = core.form_date(v["repaid_on"], "repaid_on")
        if on is None:
            raise ValidationFailed("请选择还款日期", field="repaid_on")
        return order_service.repay_separately(session, staff, borrowing, on=on,
                                              method=v["repay_method"] or "online_bank")

    return await _act(request, staff, session, order_id, ("repaid_on", "repay_method"), run, "borrowing_repaid")


def _of_order(item: Any, order: Order, what: str) -> Any:
    if item.order_id != order.id:
        raise NotFound(f"该订单没有这条{what}")
    return item


@router.post("/finance/orders/{order_id}/refunds")
async def file_refund(order_id: OrderId, request: Request, staff: ProcessorStaff, session: SessionDep) -> Response:
    def run(order: Order, v: dict[str, str]) -> Any:
        amount = fen_from_text(v["refund_amount"], "amount", label="退定金额")
        if amount is None:
            raise ValidationFailed("请填写退定金额", field="amount")
        return order_service.file_refund(session, staff, order, amount, v["refund_reason"])

    return await _act(request, staff, session, order_id, ("refund_amount", "refund_reason"), run, "refund_filed",
                      prefix="refund_")


def _refund_of(session: Session, refund_id: int, order: Order) -> DepositRefund:
    refund = order_service.get_refund(session, refund_id)
    deposit = order_service.deposit_of(session, order.id)
    if deposit is None or refund.deposit_id != deposit.id:
        raise NotFound("该订单没有这条退定申请")
    return refund


@router.post("/finance/orders/{order_id}/refunds/{refund_id}/confirm")
async def confirm_refund(order_id: OrderId, refund_id: Annotated[int, Path(ge=1)], request: Request,
                         staff: FinanceStaff, session: SessionDep) -> Response:
    def run(order: Order, v: dict[str, str]) -> Any:
        refund = _refund_of(session, refund_id, order)
        return order_service.confirm_refund(session, staff, refund, method=v["refund_method"] or "cash")

    return await _act(request, staff, session, order_id, ("refund_method",), run, "refund_confirmed")


@router.post("/finance/orders/{order_id}/refunds/{refund_id}/reject")
async def reject_refund(order_id: OrderId, refund_id: Annotated[int, Path(ge=1)], request: Request,
                        staff: FinanceStaff, session: SessionDep) -> Response:
    def run(order: Order, v: dict[str, str]) -> Any:
        refund = _refund_of(session, refund_id, order)
        if not v["note"]:
            raise ValidationFailed("请填写驳回原因", field="note")
        return order_service.reject_refund(session, staff, refund, v["note"])

    return await _act(request, staff, session, order_id, ("note",), run, "refund_rejected")
