"""Orders: sign-up (签单), contract confirmation, supervisor review, void and correction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from backoffice.common.history import log_transition
from backoffice.common.loading import get_or_404
from backoffice.common.numbers import next_agreement_no
from backoffice.orders.events import OrderSigned
from backoffice.orders.labels import ORDER_ACTION_NAMES, ORDER_STATUS_NAMES
from backoffice.orders.models import FunderType, Order, OrderStatus, ProcessingFollowUp
from backoffice.orders.schemas import AmendTerms
from scrm.approvals import service as approval_service
from scrm.approvals.models import ApprovalInstance, ApprovalStatus
from scrm.approvals.schemas import ActIn
from scrm.core import crypto, events
from scrm.core.clock import beijing_day_start
from scrm.core.db import utcnow
from scrm.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from scrm.core.statemachine import Machine
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.customers.models import FeeKind, Stage
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

S = OrderStatus
# only finance's contract confirmation sets or corrects amounts: a salesperson never amends a sign-up
AMOUNT_ROLES = (Role.finance, Role.admin)
ORDER_MACHINE = Machine("order", "订单", {
    (S.signed, "amend"): S.signed,
    (S.signed, "confirm"): S.confirmed,
    (S.confirmed, "review"): S.reviewed,
    (S.reviewed, "start_processing"): S.processing,
    (S.processing, "disburse"): S.disbursed,
    (S.disbursed, "settle"): S.settled,
    (S.settled, "reopen_settlement"): S.disbursed,
    (S.processing, "refund_all"): S.refunded,
    (S.signed, "void"): S.voided,
    (S.confirmed, "void"): S.voided,
    (S.reviewed, "void"): S.voided,
    # work on the order's other documents, allowed only in these states (checked here, recorded by those documents)
    (S.processing, "follow_up"): S.processing,
    (S.processing, "refund"): S.processing,  # after disbursement the settlement settles the rest
    (S.processing, "lend"): S.processing,
    (S.disbursed, "lend"): S.disbursed,
}, log_transition, state_labels=ORDER_STATUS_NAMES, action_labels=ORDER_ACTION_NAMES,
    roles={"amend": AMOUNT_ROLES, "confirm": AMOUNT_ROLES})

SIGNABLE_STAGES = {Stage.appointment, Stage.signed, Stage.processing, Stage.disbursed, Stage.settled}
MAX_RATE_BP = 5000  # 50%: anything above is a typo


FEE_FIELDS = {"service_fee_rate_bp": "service_fee_rate", "service_fee_fen": "service_fee",
              "service_fee_min_fen": "service_fee_min", "other_fees_fen": "other_fees"}


@dataclass
class OrderTerms:
    """What is entered at signing. A salesperson enters product, funder type and amounts applied for and as
    deposit; the fees (left ``None``) come from the product's fee rule. Finance sets them when correcting."""
    product_code: str
    funder_type: FunderType
    amount_applied_fen: int
    deposit_fen: int
    service_fee_rate_bp: int | None = None
    service_fee_fen: int | None = None
    other_fees_fen: int | None = None
    marketing_specialist_id: int | None = None
    service_fee_min_fen: int | None = None

    def fees_given(self) -> list[str]:
        return [name for name in FEE_FIELDS if getattr(self, name) is not None]


def _check_terms(session: Session, terms: OrderTerms, *, keep_product: str | None = None) -> None:
    product = customer_service.get_product(session, terms.product_code)
    if product is None:
        raise ValidationFailed(f"没有代码为 {terms.product_code} 的产品", field="product_code")
    if not product.active and terms.product_code != keep_product:
        raise ValidationFailed(f"产品 {product.name} 已停用，不能再签单", field="product_code")
    if terms.amount_applied_fen <= 0:
        raise ValidationFailed("申请金额必须大于 0", field="amount_applied")
    if terms.deposit_fen < 0:
        raise ValidationFailed("定金不能为负数", field="deposit")
    if (terms.service_fee_rate_bp is None) == (terms.service_fee_fen is None):
        raise ValidationFailed("服务费请填写费率或固定金额之一", field="service_fee_rate")
    if terms.service_fee_rate_bp is not None and not 0 <= terms.service_fee_rate_bp <= MAX_RATE_BP:
        raise ValidationFailed("服务费率须在 0 到 50% 之间", field="service_fee_rate")
    for name in ("service_fee_fen", "service_fee_min_fen", "other_fees_fen"):
        if (getattr(terms, name) or 0) < 0:
            raise ValidationFailed("金额不能为负数", field=FEE_FIELDS[name])
    if terms.marketing_specialist_id is not None:
        org_service.get_employee(session, terms.marketing_specialist_id)


def fees_from_rule(session: Session, terms: OrderTerms) -> OrderTerms:
    """``terms`` with the service fee its product's fee rule gives: a rate (the fee is worked out on the amount
    disbursed, never below the minimum) or a fixed amount."""
    product = customer_service.get_product(session, terms.product_code)
    if product is None:
        raise ValidationFailed(f"没有代码为 {terms.product_code} 的产品", field="product_code")
    rule = customer_service.fee_rule(product)
    if rule.kind == FeeKind.rate:
        rate, fixed = rule.rate_bp or 0, None
    else:
        rate, fixed = None, rule.fee_fen(terms.amount_applied_fen)
    return replace(terms, service_fee_rate_bp=rate, service_fee_fen=fixed, service_fee_min_fen=rule.min_fen,
                   other_fees_fen=terms.other_fees_fen or 0)


def expected_fee_fen(order: Order) -> int:
    """The service fee as the contract stands: on the amount disbursed once known, else on the amount applied."""
    if order.service_fee_rate_bp is None:
        return order.service_fee_fen or 0
    base = order.disbursed_amount_fen if order.disbursed_amount_fen is not None else order.amount_applied_fen
    return max(customer_service.rate_fee_fen(base, order.service_fee_rate_bp), order.service_fee_min_fen or 0)


def sign_order(session: Session, actor: Employee, customer_id: int, terms: OrderTerms, *,
               replaces: Order | None = None, signed_at: datetime | None = None) -> Order:
    """Sign a customer who had an appointment; emits ``order.signed`` and moves the customer to signed.
    The service fee comes from the product's fee rule; only finance (correcting) may give it instead."""
    given = terms.fees_given()
    if given and actor.role not in AMOUNT_ROLES:
        raise ValidationFailed("服务费和其他费用由产品的收费规则生成，签单时不能填写；金额由财务在合同确认时核定",
                               field=FEE_FIELDS[given[0]])
    if terms.service_fee_rate_bp is None and terms.service_fee_fen is None:
        terms = fees_from_rule(session, terms)
    terms = replace(terms, other_fees_fen=terms.other_fees_fen or 0, service_fee_min_fen=terms.service_fee_min_fen or 0)
    customer = customer_service.get_visible(session, actor, customer_id)
    if customer.stage not in SIGNABLE_STAGES:
        raise InvalidTransition(f"客户 {customer.name} 处于 {customer.stage.value} 阶段，未预约到访的客户不能签单",
                                field="customer_id")
    _check_terms(session, terms, keep_product=replaces.product_code if replaces else None)
    blocked = None if replaces else approval_service.application_block(session, customer.id)
    if blocked:
        raise InvalidTransition(f"客户 {customer.name} 的{blocked}", field="customer_id")
    salesperson_id = replaces.salesperson_id if replaces else (customer.owner_id or actor.id)
    salesperson = org_service.get_employee(session, salesperson_id)
    department = org_service.get_department(session, salesperson.department_id) if salesperson.department_id else None
    signed_at = signed_at or utcnow()
    order = Order(agreement_no=next_agreement_no(session, signed_at.date()), customer_id=customer.id,
                  customer_name=customer.name, customer_phone_masked=crypto.mask_phone(customer.phone),
                  salesperson_id=salesperson.id, marketing_specialist_id=terms.marketing_specialist_id,
                  department_id=department.id if department else None,
                  center_id=department.center_id if department else None,
                  product_code=terms.product_code, funder_type=terms.funder_type,
                  amount_applied_fen=terms.amount_applied_fen, service_fee_rate_bp=terms.service_fee_rate_bp,
                  service_fee_fen=terms.service_fee_fen, service_fee_min_fen=terms.service_fee_min_fen,
                  deposit_fen=terms.deposit_fen, other_fees_fen=terms.other_fees_fen, status=S.signed,
                  signed_at=signed_at, replaces_order_id=replaces.id if replaces else None)
    session.add(order)
    ORDER_MACHINE.record_creation(session, order, actor_id=actor.id,
                                  note=f"更正订单 {replaces.agreement_no}" if replaces else None)
    customer_service.set_stage(session, customer.id, Stage.signed, actor_employee_id=actor.id,
                               source_key=f"order:{order.id}:signed", note=f"签单 {order.agreement_no}")
    events.emit(session, OrderSigned(
        order_id=order.id, customer_id=customer.id, salesperson_employee_id=salesperson.id,
        product_code=order.product_code, funder_type=order.funder_type.value,
        amount_applied_fen=order.amount_applied_fen))
    return order


def order_condition(session: Session, viewer: Employee):
    """WHERE condition: orders in the viewer's data scope (their own sales, or the files they process)."""
    condition = org_service.owner_filter(session, viewer, Order.salesperson_id)
    if viewer.role == Role.processor:
        condition = or_(condition, Order.processor_id == viewer.id)
    return condition


def get_order(session: Session, order_id: int, *, lock: bool = False) -> Order:
    return get_or_404(session, Order, order_id, "订单", lock=lock)


def get_visible_order(session: Session, viewer: Employee, order_id: int, *, lock: bool = False) -> Order:
    """The order, or NotFound when it does not exist or is outside the viewer's scope (the same answer)."""
    session.flush()
    visible = session.scalar(select(Order.id).where(Order.id == order_id, order_condition(session, viewer)))
    if visible is None:
        raise NotFound(f"没有编号为 {order_id} 的订单")
    return get_order(session, order_id, lock=lock)


def require_role(actor: Employee, *roles: Role) -> None:
    if actor.role not in set(roles) | {Role.admin}:
        names = ", ".join(sorted(r.value for r in set(roles) | {Role.admin}))
        raise Forbidden(f"this needs one of the roles: {names}")


def confirm_contract(session: Session, actor: Employee, order: Order) -> Order:
    """Finance confirms the fees (合同确认); from now on the amounts are read-only."""
    require_role(actor, Role.finance)
    ORDER_MACHINE.advance(session, order, "confirm", actor_id=actor.id)
    order.confirmed_at, order.confirmed_by_id = utcnow(), actor.id
    contract_approval(session, order, actor_id=actor.id)
    return order


def contract_approval(session: Session, order: Order, *, actor_id: int | None) -> ApprovalInstance:
    """The confirmed contract's review (合同审核) in the approval flow of its product: the one under way, or a new one
    (also for a contract confirmed before approval flows existed)."""
    current = approval_service.latest(session, "contract", order.id)
    if current is not None and current.status != ApprovalStatus.cancelled:
        return current
    return approval_service.start(session, subject_kind="contract", subject_id=order.id, customer_id=order.customer_id,
                                  product_code=order.product_code, amount_fen=order.amount_applied_fen,
                                  applicant_id=order.salesperson_id, actor_id=actor_id,
                                  note=f"合同 {order.agreement_no} 已确认")


def review(session: Session, actor: Employee, order: Order, *, note: str | None = None) -> Order:
    """The actor approves the current step of the contract's approval flow (by default one step: the salesperson's
    supervisor, or a manager over them); the order is reviewed when the last step approves."""
    ORDER_MACHINE.check(order, "review")
    instance = contract_approval(session, order, actor_id=actor.id)
    approval_service.act(session, actor, instance.id, ActIn(action="approve", comment=note))
    return order


def on_contract_approval_finished(session: Session, instance: ApprovalInstance, actor_id: int | None) -> None:
    """Installed by the composition root: an approved contract review moves the order to reviewed, from the console,
    the API or a WeCom card alike. A rejection or return leaves it confirmed, the comment in its approval history;
    finance voids or corrects it, or the salesperson resubmits a returned one."""
    if instance.status != ApprovalStatus.approved:
        return
    order = get_order(session, instance.subject_id)
    ORDER_MACHINE.advance(session, order, "review", actor_id=actor_id, note=approval_service.last_comment(session, instance))
    order.reviewed_at, order.reviewed_by_id = utcnow(), actor_id


AMENDABLE = ("amount_applied_fen", "deposit_fen", "service_fee_rate_bp", "service_fee_fen", "other_fees_fen",
             "product_code", "funder_type", "marketing_specialist_id", "service_fee_min_fen")


def amend(session: Session, actor: Employee, order: Order, command: AmendTerms) -> Order:
    """Finance sets or corrects the terms of an order not yet confirmed (a salesperson gets 403); after
    confirmation only void + new order corrects it."""
    ORDER_MACHINE.authorize(actor, "amend")
    changes = command.changes()
    ORDER_MACHINE.check(order, "amend")
    terms = OrderTerms(**{k: changes.get(k, getattr(order, k)) for k in AMENDABLE})
    terms = replace(terms, other_fees_fen=terms.other_fees_fen or 0, service_fee_min_fen=terms.service_fee_min_fen or 0)
    _check_terms(session, terms, keep_product=order.product_code)
    before = {k: getattr(order, k) for k in AMENDABLE}
    for key in AMENDABLE:
        setattr(order, key, getattr(terms, key))
    ORDER_MACHINE.advance(session, order, "amend", actor_id=actor.id,
                          data={k: getattr(v, "value", v) for k, v in before.items()})
    return order


def void(session: Session, actor: Employee, order: Order, reason: str) -> Order:
    """Void an order entered wrongly (作废): its salesperson while only signed, finance until processing."""
    if not (reason or "").strip():
        raise ValidationFailed("请填写作废原因", field="reason")
    require_role(actor, Role.sales, Role.finance)
    if actor.role == Role.sales:
        if order.salesperson_id != actor.id:
            raise Forbidden("只能作废自己的签单")
        if order.status != S.signed:
            raise Forbidden("合同确认后只有财务可以作废")
    ORDER_MACHINE.advance(session, order, "void", actor_id=actor.id, note=reason)
    order.void_reason = reason.strip()[:200]
    approval_service.cancel_open(session, "contract", order.id, actor_id=actor.id, note=f"订单作废：{order.void_reason}")
    customer_service.set_stage(session, order.customer_id, Stage.appointment, actor_employee_id=actor.id,
                               source_key=f"order:{order.id}:voided", note=f"订单 {order.agreement_no} 作废")
    return order


def correct(session: Session, actor: Employee, order: Order, command: AmendTerms, reason: str) -> Order:
    """Finance corrects a confirmed contract: the old order is voided and a new one signed, both recorded."""
    ORDER_MACHINE.authorize(actor, "amend")
    changes = command.changes()
    void(session, actor, order, f"更正：{reason}")
    terms = OrderTerms(**{k: changes.get(k, getattr(order, k)) for k in AMENDABLE})
    return sign_order(session, actor, order.customer_id, terms, replaces=order)


# ---------------------------------------------------------------------------------------------
# lists

SORTS = {"signed_at": Order.signed_at, "amount_applied": Order.amount_applied_fen, "id": Order.id,
         "disbursed_on": Order.disbursed_on, "agreement_no": Order.agreement_no}


@dataclass
class OrderFilter:
    status: list[OrderStatus] | None = None
    signed_from: date | None = None
    signed_to: date | None = None
    center_id: int | None = None
    department_id: int | None = None
    employee_id: int | None = None
    funder_type: FunderType | None = None
    customer_id: int | None = None
    agreement_no: str | None = None
    disbursed_from: date | None = None
    disbursed_to: date | None = None

    def apply(self, stmt: Select) -> Select:
        if self.status:
            stmt = stmt.where(Order.status.in_(self.status))
        if self.disbursed_from:
            stmt = stmt.where(Order.disbursed_on >= self.disbursed_from)
        if self.disbursed_to:
            stmt = stmt.where(Order.disbursed_on <= self.disbursed_to)
        if self.signed_from:
            stmt = stmt.where(Order.signed_at >= beijing_day_start(self.signed_from))
        if self.signed_to:
            stmt = stmt.where(Order.signed_at < beijing_day_start(self.signed_to, 1))
        for value, column in ((self.center_id, Order.center_id), (self.department_id, Order.department_id),
                              (self.employee_id, Order.salesperson_id), (self.funder_type, Order.funder_type),
                              (self.customer_id, Order.customer_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        if self.agreement_no:
            stmt = stmt.where(Order.agreement_no == self.agreement_no.strip())
        return stmt

    def describe(self) -> dict[str, str]:
        out = {}
        for key, value in vars(self).items():
            if value is None or value == []:
                continue
            out[key] = ",".join(v.value for v in value) if isinstance(value, list) else getattr(value, "value", str(value))
        return out


def list_orders(session: Session, viewer: Employee, flt: OrderFilter, *, sort: str = "-signed_at",
                limit: int = 50, offset: int = 0) -> tuple[list[Order], int]:
    """A page of the orders the viewer may see, with the total count."""
    session.flush()
    descending = sort.startswith("-")
    column = SORTS.get(sort.lstrip("-"))
    if column is None:
        raise ValidationFailed(f"不能按 {sort} 排序，可选：{', '.join(SORTS)}", field="sort")
    base = flt.apply(select(Order).where(order_condition(session, viewer)))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    ordered = base.order_by(column.desc() if descending else column.asc(), Order.id.desc() if descending else Order.id)
    return list(session.scalars(ordered.limit(limit).offset(offset))), int(total or 0)


ERASED_CUSTOMER = "已删除客户"


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber: the customer's orders keep their ids, amounts and states; the name and phone copied
    at signing go, and the processing notes on them lose their text (kinds and times stay)."""
    session.execute(update(Order).where(Order.customer_id == event.customer_id)
                    .values(customer_name=ERASED_CUSTOMER, customer_phone_masked=None))
    orders = select(Order.id).where(Order.customer_id == event.customer_id)
    session.execute(update(ProcessingFollowUp).where(ProcessingFollowUp.order_id.in_(orders))
                    .values(content=customer_service.ERASED_TEXT))
    session.flush()
