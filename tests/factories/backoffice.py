"""A small finance world (staff of every role, a customer who had an appointment) and orders driven along the
flow: signed, in processing, disbursed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backoffice.orders import service as order_service
from backoffice.orders.models import FollowUpKind, FunderType, Order
from backoffice.orders.schemas import AmendTerms
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import Settlement
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, Stage
from scrm.org.models import Employee, Role
from tests.factories.customers import make_customer, phone
from tests.factories.org import make_department, make_employee


@dataclass
class World:
    sales: Employee
    other_sales: Employee
    supervisor: Employee
    finance: Employee
    processor: Employee
    other_processor: Employee
    manager: Employee
    admin: Employee
    dept_id: int

    def customer(self, db, stage: Stage = Stage.appointment, owner: Employee | None = None) -> Customer:
        n = customer_phone_seq()
        return make_customer(db, owner=owner or self.sales, stage=stage, phone=phone(n))


_n = [70000000]


def customer_phone_seq() -> int:
    _n[0] += 1
    return _n[0]



def make_world(db) -> World:
    customer_service.seed_products(db)
    dept = make_department(db)
    other_dept = make_department(db)
    return World(
        sales=make_employee(db, role=Role.sales, department=dept),
        other_sales=make_employee(db, role=Role.sales, department=other_dept),
        supervisor=make_employee(db, role=Role.supervisor, department=dept),
        finance=make_employee(db, role=Role.finance, department=dept),
        processor=make_employee(db, role=Role.processor, department=dept),
        other_processor=make_employee(db, role=Role.processor, department=dept),
        manager=make_employee(db, role=Role.manager, department=dept),
        admin=make_employee(db, role=Role.admin, department=dept),
        dept_id=dept.id,
    )


def terms(**kw) -> order_service.OrderTerms:
    """A sign-up as a salesperson enters it: the fees are left to the product's fee rule (信用贷: 3%, at least
    1,000.00)."""
    base = dict(product_code="credit", funder_type=FunderType.bank, amount_applied_fen=20_000_000,
                deposit_fen=500_000)
    base.update(kw)
    return order_service.OrderTerms(**base)


def signed(db, w: World, **kw) -> Order:
    """Signed by the salesperson; fee terms given in ``kw`` are then set by finance, as only finance may."""
    fees = {k: kw.pop(k) for k in list(kw) if k in order_service.FEE_FIELDS}
    order = order_service.sign_order(db, w.sales, w.customer(db).id, terms(**kw))
    if fees:
        if fees.get("service_fee_fen") is not None and "service_fee_rate_bp" not in fees:
            fees["service_fee_rate_bp"] = None
        order_service.amend(db, w.finance, order, AmendTerms(**fees))
    return order


def processing(db, w: World, **kw) -> Order:
    order = signed(db, w, **kw)
    order_service.confirm_contract(db, w.finance, order)
    order_service.review(db, w.supervisor, order)
    order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
    return order


def disbursed(db, w: World, amount_fen: int = 18_000_000, **kw) -> tuple[Order, Settlement]:
    order = processing(db, w, **kw)
    order_service.add_follow_up(db, w.processor, order, FollowUpKind.disbursed_pending, "银行已放款")
    settlement = settlement_service.disburse(db, w.processor, order, amount_fen=amount_fen,
                                             disbursed_on=date(2026, 11, 20), funder_name="招商银行",
                                             term_months=36, repayment_day=15)
    return order, settlement
