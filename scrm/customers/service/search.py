"""The customer list: filters, sorting and the references shown beside each row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core import crypto
from scrm.core.errors import ValidationFailed
from scrm.customers import forms
from scrm.customers.models import Customer, CustomerStatus, LoanProduct, Stage
from scrm.customers.service.common import STAGE_ORDER, not_merged, phone_hashes, visible_condition
from scrm.customers.service.products import get_form
from scrm.org.models import Employee

SORTS = {"name", "stage", "owner", "channel", "created_at", "assigned_at", "last_contact_at", "amount"}


@dataclass
class Refs:
    owners: dict[int, str]
    channels: dict[int, str]
    products: dict[int, str]


def search(session: Session, viewer: Employee, *, q: str | None = None, phone: str | None = None,
           phone_tail: str | None = None, stage: Stage | None = None, status: CustomerStatus | None = None,
           owner_id: int | None = None, unassigned: bool = False, channel_id: int | None = None,
           product_code: str | None = None, sort: str = "-created_at", page: int = 1,
           page_size: int = 20, where: Iterable[ColumnElement[bool]] = ()) -> tuple[list[Customer], int]:
    """Customers in the viewer's scope matching the filters (and any ``where`` conditions of other modules,
    such as a tag), one page, and the total count."""
    session.flush()
    field = sort.lstrip("-")
    if field not in SORTS:
        raise ValidationFailed(f"排序只能按 {', '.join(sorted(SORTS))}", field="sort")
    stmt = (select(Customer).outerjoin(Employee, Employee.id == Customer.owner_id)
            .outerjoin(Channel, Channel.id == Customer.channel_id).where(visible_condition(session, viewer)))
    if status is None:
        stmt = stmt.where(not_merged())
    else:
        stmt = stmt.where(Customer.status == status)
    if q:
        stmt = stmt.where(Customer.name.ilike(f"%{_escape_like(q.strip())}%", escape="\\"))
    if phone:
        if not crypto.valid_mobile(phone):
            raise ValidationFailed("请填写 11 位手机号；按尾号查请用 phone_tail", field="phone")
        stmt = stmt.where(Customer.phone_hash.in_(phone_hashes(phone)))
    if phone_tail:
        if not re.fullmatch(r"\d{4}", phone_tail):
            raise ValidationFailed("手机尾号是 4 位数字", field="phone_tail")
        stmt = stmt.where(Customer.phone_tail == phone_tail)
    if stage is not None:
        stmt = stmt.where(Customer.stage == stage)
    if unassigned:
        stmt = stmt.where(Customer.owner_id.is_(None))
    elif owner_id is not None:
        stmt = stmt.where(Customer.owner_id == owner_id)
    if channel_id is not None:
        stmt = stmt.where(Customer.channel_id == channel_id)
    if product_code:
        stmt = stmt.where(Customer.product_id.in_(select(LoanProduct.id).where(LoanProduct.code == product_code)))
    stmt = stmt.where(*where)
    column = {
        "name": Customer.name, "owner": Employee.name, "channel": Channel.name, "created_at": Customer.created_at,
        "assigned_at": Customer.assigned_at, "last_contact_at": Customer.last_contact_at,
        "amount": Customer.amount_fen,
        "stage": case({s.value: i for i, s in enumerate(STAGE_ORDER)}, value=Customer.stage),
    }[field]
    if field in ("created_at", "name", "stage"):  # never NULL: a plain order lets an index serve it
        order = column.desc() if sort.startswith("-") else column.asc()
    else:
        order = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    tiebreak = Customer.id.desc() if sort.startswith("-") else Customer.id.asc()
    page, page_size = max(page, 1), min(max(page_size, 1), 200)
    # sort and skip over ids only, then load the page's rows: sorting whole rows (encrypted columns, JSON)
    # costs several times more on a big table
    ids = session.scalars(stmt.with_only_columns(Customer.id).order_by(order, tiebreak).limit(page_size)
                          .offset((page - 1) * page_size)).all()
    if 0 < len(ids) < page_size or (page == 1 and not ids):
        total = (page - 1) * page_size + len(ids)  # the last page: counting again would only repeat the scan
    else:
        total = session.scalar(select(func.count()).select_from(stmt.with_only_columns(Customer.id).subquery()))
    rows = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids], int(total or 0)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def refs(session: Session, customers: Iterable[Customer]) -> Refs:
    """Names of the owners and channels and codes of the products of these customers, in three queries."""
    customers = list(customers)
    owner_ids = {c.owner_id for c in customers if c.owner_id}
    channel_ids = {c.channel_id for c in customers if c.channel_id}
    product_ids = {c.product_id for c in customers if c.product_id}
    return Refs(
        owners=dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(owner_ids))).all())
        if owner_ids else {},
        channels=dict(session.execute(select(Channel.id, Channel.name).where(Channel.id.in_(channel_ids))).all())
        if channel_ids else {},
        products=dict(session.execute(select(LoanProduct.id, LoanProduct.code)
                                      .where(LoanProduct.id.in_(product_ids))).all()) if product_ids else {},
    )


def custom_fields_for_display(session: Session, customer: Customer) -> dict[str, Any]:
    """The loan need's product fields as filled, read with the form version they were filled with."""
    filled = get_form(session, customer.product_form_id)
    if filled is not None:
        return forms.present(filled.fields, customer.custom_fields or {})
    product = session.get(LoanProduct, customer.product_id) if customer.product_id else None
    return forms.present(product.form_fields if product else [], customer.custom_fields or {})
