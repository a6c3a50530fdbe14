"""Reimbursements (做单报销): entered by staff or finance, confirmed and paid by finance (posted when paid),
voided and resubmitted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from backoffice.common.history import log_transition
from backoffice.common.money import yuan
from backoffice.ledger import service as ledger
from backoffice.ledger.chart import PAYMENT_ACCOUNT
from backoffice.ledger.service import cr, dr
from backoffice.orders import service as order_service
from backoffice.orders.models import Order
from backoffice.reimbursements import schemas
from backoffice.reimbursements.labels import REIMBURSEMENT_STATUS_NAMES
from backoffice.reimbursements.models import CostType, Reimbursement, ReimbursementStatus
from backoffice.reimbursements.schemas import ClaimChanges
from scrm.core.crypto import mask_card
from scrm.core.db import utcnow
from scrm.core.errors import Forbidden, NotFound, ValidationFailed
from scrm.core.statemachine import Machine
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

R = ReimbursementStatus
REIMBURSEMENT_MACHINE = Machine("reimbursement", "报销单", {
    (R.submitted, "confirm"): R.confirmed,
    (R.confirmed, "pay"): R.paid,
    (R.submitted, "void"): R.voided,
    (R.confirmed, "void"): R.voided,
    (R.voided, "resubmit"): R.voided,  # the claim is entered again as a new one pointing at it
}, log_transition, state_labels=REIMBURSEMENT_STATUS_NAMES, roles={"confirm": (Role.finance, Role.admin), "pay": (Role.finance, Role.admin)})
PAYERS = ("cash", "alipay", "wechat", "online_bank")


@dataclass
class Claim:
    customer_id: int
    cost_type: CostType
    category: str
    amount_fen: int
    spent_on: date
    order_id: int | None = None
    manager_id: int | None = None
    remark: str | None = None
    payee_name: str | None = None  # 收款人
    payee_account: str | None = None  # their bank card or account number (personal data: stored encrypted)
    payee_bank: str | None = None


def clean_payee(name: str | None, account: str | None, bank: str | None) -> tuple[str | None, str | None, str | None]:
    """The payee (收款人) as stored: all three blank, or a name and an account number of 8–30 digits (spaces
    dropped); the bank is optional."""
    name, bank = (name or "").strip(), (bank or "").strip()
    account = "".join((account or "").split())
    if not (name or account or bank):
        return None, None, None
    if not name:
        raise ValidationFailed("请填写收款人姓名", field="payee_name")
    if len(name) > 64:
        raise ValidationFailed("收款人姓名最多 64 字", field="payee_name")
    if not account.isdigit() or not 8 <= len(account) <= 30:
        raise ValidationFailed("收款账号应为 8 到 30 位数字", field="payee_account")
    if len(bank) > 64:
        raise ValidationFailed("开户行最多 64 字", field="payee_bank")
    return name, account, bank or None


def submit(session: Session, actor: Employee, claim: Claim, *, resubmits: Reimbursement | None = None) -> Reimbursement:
    """Enter a cost for a customer in the actor's scope (optionally on one of its orders)."""
    customer = customer_service.get_visible(session, actor, claim.customer_id)
    if claim.amount_fen <= 0:
        raise ValidationFailed("报销金额必须大于 0", field="amount")
    if not (claim.category or "").strip():
        raise ValidationFailed("请填写报销类别", field="category")
    if claim.spent_on > utcnow().date():
        raise ValidationFailed("发生日期不能晚于今天", field="spent_on")
    if claim.order_id is not None:
        order = order_service.get_order(session, claim.order_id)
        if order.customer_id != customer.id:
            raise ValidationFailed("该订单不属于这位客户", field="order_id")
    if claim.manager_id is not None:
        org_service.get_employee(session, claim.manager_id)
    payee_name, payee_account, payee_bank = clean_payee(claim.payee_name, claim.payee_account, claim.payee_bank)
    item = Reimbursement(customer_id=customer.id, customer_name=customer.name, order_id=claim.order_id,
                         cost_type=claim.cost_type, category=claim.category.strip()[:32], amount_fen=claim.amount_fen,
                         spent_on=claim.spent_on, manager_id=claim.manager_id,
                         remark=(claim.remark or "").strip()[:500] or None, entered_by_id=actor.id,
                         resubmits_id=resubmits.id if resubmits else None, payee_name=payee_name,
                         payee_account=payee_account, payee_bank=payee_bank)
    session.add(item)
    REIMBURSEMENT_MACHINE.record_creation(session, item, actor_id=actor.id,
                                          note=f"重新提交 #{resubmits.id}" if resubmits else None)
    return item


def confirm(session: Session, actor: Employee, item: Reimbursement) -> Reimbursement:
    """Finance confirms the claim."""
    REIMBURSEMENT_MACHINE.authorize(actor, "confirm")
    REIMBURSEMENT_MACHINE.advance(session, item, "confirm", actor_id=actor.id)
    item.confirmed_by_id, item.confirmed_at = actor.id, utcnow()
    return item


def pay(session: Session, actor: Employee, item: Reimbursement, payer: str) -> Reimbursement:
    """Finance pays a confirmed claim; the expense is posted."""
    REIMBURSEMENT_MACHINE.authorize(actor, "pay")
    if payer not in PAYERS:
        raise ValidationFailed(f"付款方式只能是 {', '.join(PAYERS)} 之一", field="payer")
    REIMBURSEMENT_MACHINE.advance(session, item, "pay", actor_id=actor.id)
    item.payer, item.paid_at = payer, utcnow()
    ledger.post(session, [dr("reimbursement_expense", item.amount_fen), cr(PAYMENT_ACCOUNT[payer], item.amount_fen)],
                "reimbursement.paid", item.id, f"报销 {item.category}", order_id=item.order_id)
    return item


def void(session: Session, actor: Employee, item: Reimbursement, reason: str) -> Reimbursement:
    """Void a claim not yet paid: whoever entered it, or finance."""
    if actor.role not in (Role.finance, Role.admin) and item.entered_by_id != actor.id:
        raise Forbidden("只有录入人或财务可以作废报销单")
    if not (reason or "").strip():
        raise ValidationFailed("请填写作废原因", field="reason")
    REIMBURSEMENT_MACHINE.advance(session, item, "void", actor_id=actor.id, note=reason)
    return item


def resubmit(session: Session, actor: Employee, item: Reimbursement, command: ClaimChanges) -> Reimbursement:
    """A voided claim entered again, corrected; the new one points at the old."""
    REIMBURSEMENT_MACHINE.check(item, "resubmit")
    if actor.role not in (Role.finance, Role.admin) and item.entered_by_id != actor.id:
        raise Forbidden("只有录入人或财务可以重新提交")
    fields = {k: getattr(item, k) for k in ("customer_id", "cost_type", "category", "amount_fen", "spent_on",
                                            "order_id", "manager_id", "remark", "payee_name", "payee_account",
                                            "payee_bank")}
    new = submit(session, actor, Claim(**(fields | command.changes())), resubmits=item)
    REIMBURSEMENT_MACHINE.advance(session, item, "resubmit", actor_id=actor.id, data={"resubmitted_as": new.id})
    return new


def get_visible(session: Session, viewer: Employee, item_id: int) -> Reimbursement:
    item = session.get(Reimbursement, item_id)
    if item is None or not (viewer.role in (Role.finance, Role.admin) or item.entered_by_id == viewer.id
                            or org_service.can_see_employee(session, viewer, item.entered_by_id)):
        raise NotFound(f"没有编号为 {item_id} 的报销单")
    return item


@dataclass
class ReimbursementFilter:
    status: ReimbursementStatus | None = None
    cost_type: CostType | None = None
    customer_id: int | None = None
    entered_by_id: int | None = None
    spent_from: date | None = None
    spent_to: date | None = None

    def apply(self, stmt: Select) -> Select:
        for value, column in ((self.status, Reimbursement.status), (self.cost_type, Reimbursement.cost_type),
                              (self.customer_id, Reimbursement.customer_id),
                              (self.entered_by_id, Reimbursement.entered_by_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        if self.spent_from:
            stmt = stmt.where(Reimbursement.spent_on >= self.spent_from)
        if self.spent_to:
            stmt = stmt.where(Reimbursement.spent_on <= self.spent_to)
        return stmt


SORTS = {"created_at": Reimbursement.created_at, "spent_on": Reimbursement.spent_on,
         "amount": Reimbursement.amount_fen, "status": Reimbursement.status, "customer": Reimbursement.customer_name,
         "category": Reimbursement.category}


def list_items(session: Session, viewer: Employee, flt: ReimbursementFilter, *, limit: int = 50, offset: int = 0,
               sort: str = "-created_at") -> tuple[list[Reimbursement], int]:
    """A page of the claims the viewer may see (their own and their scope's; finance sees all), newest first
    unless ``sort`` names a key of ``SORTS`` (``-`` for descending)."""
    session.flush()
    stmt = flt.apply(select(Reimbursement).where(
        or_(Reimbursement.entered_by_id == viewer.id,
            org_service.owner_filter(session, viewer, Reimbursement.entered_by_id))))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    column = SORTS.get(sort.lstrip("-"), Reimbursement.created_at)
    descending = sort.startswith("-") or sort.lstrip("-") not in SORTS
    order = (column.desc(), Reimbursement.id.desc()) if descending else (column.asc(), Reimbursement.id.asc())
    items = session.scalars(stmt.order_by(*order).limit(limit).offset(offset))
    return list(items), int(total or 0)


def rows(session: Session, items: list[Reimbursement]) -> list[schemas.ReimbursementOut]:
    """The claims as the list shows them: with the order's agreement number and funder type, and who entered them."""
    order_ids = {i.order_id for i in items if i.order_id}
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))} if order_ids else {}
    staff_ids = {i.entered_by_id for i in items}
    names = dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(staff_ids))).all())
    out = []
    for i in items:
        order = orders.get(i.order_id)
        out.append(schemas.ReimbursementOut(
            id=i.id, customer_id=i.customer_id, customer_name=i.customer_name, order_id=i.order_id,
            agreement_no=order.agreement_no if order else None, funder_type=order.funder_type if order else None,
            cost_type=i.cost_type, category=i.category, amount=yuan(i.amount_fen), spent_on=i.spent_on,
            manager_id=i.manager_id, remark=i.remark, status=i.status,
            confirmed=i.status in (ReimbursementStatus.confirmed, ReimbursementStatus.paid),
            confirmed_at=i.confirmed_at, payer=i.payer, paid_at=i.paid_at, entered_by_id=i.entered_by_id,
            entered_by_name=names.get(i.entered_by_id), created_at=i.created_at, resubmits_id=i.resubmits_id,
            payee_name=i.payee_name, payee_account_masked=mask_card(i.payee_account), payee_bank=i.payee_bank))
    return out


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber: the customer's reimbursements keep amounts and states; the name and the remark go."""
    session.execute(update(Reimbursement).where(Reimbursement.customer_id == event.customer_id)
                    .values(customer_name=order_service.ERASED_CUSTOMER, remark=None))
    session.flush()
