"""The customer list: filters, sorting and the references shown beside each row."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import ColumnElement, Select, case, null, select, true, union, union_all
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import Session, aliased

from scrm.channels.models import Channel
from scrm.core import crypto, db
from scrm.core.errors import ValidationFailed
from scrm.customers import forms
from scrm.customers.models import Customer, CustomerStatus, LoanProduct, Stage
from scrm.customers.service.common import STAGE_ORDER, not_merged, phone_hashes, visible_condition
from scrm.customers.service.products import get_form
from scrm.org.models import Employee

# A department scope is a recursive CTE (scrm.org); referenced inside the owner sort's LATERAL, SQLAlchemy's FROM
# linter takes the CTE's recursive member (joined to department in its WHERE) for a cartesian product. The SQL is
# right (tests/customers/test_list_queries.py checks the order under a department scope); the warning is silenced
# for this module's statements only.
warnings.filterwarnings("ignore", message=r"SELECT statement has a cartesian product between FROM element\(s\) "
                        r"\"(anon_\d+|department)\" and FROM element \"(anon_\d+|department)\"", category=SAWarning,
                        module=r"scrm\.customers\.service\.search")

SHORT_NAME = 3
SORTS = {"name", "stage", "owner", "channel", "created_at", "assigned_at", "last_contact_at", "amount"}


@dataclass
class Refs:
    owners: dict[int, str]
    channels: dict[int, str]
    products: dict[int, str]


@dataclass
class Found:
    rows: list[Customer]
    total: int
    estimated: bool  # more matched than are counted exactly (scrm.core.db.EXACT_COUNT_UP_TO): total is an estimate


def search(session: Session, viewer: Employee, *, q: str | None = None, phone: str | None = None,
           phone_tail: str | None = None, stage: Stage | None = None, status: CustomerStatus | None = None,
           owner_id: int | None = None, unassigned: bool = False, channel_id: int | None = None,
           product_code: str | None = None, sort: str = "-created_at", page: int = 1,
           page_size: int = 20, where: Iterable[ColumnElement[bool]] = (),
           any_of: Sequence[ColumnElement[bool]] = ()) -> Found:
    """Customers in the viewer's scope matching the filters, the ``where`` conditions of other modules and at least
    one of ``any_of`` (a tag is in the profile or put on by hand), one page, and how many match.

    Each of ``any_of`` is planned on its own and the pages merged: an OR of them would make PostgreSQL read every
    match of each before it could return the first page."""
    session.flush()
    field = sort.lstrip("-")
    if field not in SORTS:
        raise ValidationFailed(f"排序只能按 {', '.join(sorted(SORTS))}", field="sort")
    descending = sort.startswith("-")
    stmt = (select(Customer.id).outerjoin(Employee, Employee.id == Customer.owner_id)
            .outerjoin(Channel, Channel.id == Customer.channel_id).where(visible_condition(session, viewer)))
    if status is None:
        stmt = stmt.where(not_merged())
    else:
        stmt = stmt.where(Customer.status == status)
    if q := (q or "").strip():
        # one or two characters (a surname, a two-character name) match the start of the name, longer text anywhere
        # in it: a trigram index serves both on PostgreSQL, where a two-character middle would have no trigram to
        # look up; the embedded SQLite default reads the table
        pattern = f"{_escape_like(q)}%" if len(q) < SHORT_NAME else f"%{_escape_like(q)}%"
        stmt = stmt.where(Customer.name.ilike(pattern, escape="\\"))
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
    branches = [stmt.where(condition) for condition in any_of] or [stmt]
    page, page_size = max(page, 1), min(max(page_size, 1), 200)
    windows = [_sorted_window(session, branch, field, descending, page * page_size).subquery()
               for branch in branches]
    merged = windows[0] if len(windows) == 1 else union(*(select(w) for w in windows)).subquery()
    keys = [merged.c[k] for k in merged.c.keys() if k != "id"]
    order = [(k.desc() if descending else k.asc()).nulls_last() for k in keys]
    ids = session.scalars(select(merged.c.id).order_by(*order, merged.c.id.desc() if descending else merged.c.id)
                          .limit(page_size).offset((page - 1) * page_size)).all()
    if 0 < len(ids) < page_size or (page == 1 and not ids):
        # the last page: counting again would only repeat the scan
        count = db.Count((page - 1) * page_size + len(ids))
    else:
        count = db.count_rows(session, *branches)
    rows = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    return Found([rows[i] for i in ids], count.n, count.estimated)


def _sorted_window(session: Session, branch: Select, field: str, descending: bool, limit: int) -> Select:
    """The first ``limit`` ids of ``branch`` in the list's order, with the sort keys beside them as k0, k1 …

    Only ids are sorted (sorting whole rows, with their encrypted columns and JSON, costs several times more). By
    owner on PostgreSQL, the staff are walked in name order and each one's customers read through the (owner, id)
    index until the window is full, instead of sorting every match by its owner's name."""
    tiebreak = Customer.id.desc() if descending else Customer.id.asc()
    if field == "owner" and db.is_postgres(session):
        owner = aliased(Employee, name="list_owner")
        per_owner = (branch.where(Customer.owner_id == owner.id).order_by(tiebreak).limit(limit)
                     .lateral("owned"))
        by_name = [owner.name.desc(), owner.id.desc()] if descending else [owner.name, owner.id]
        assigned = (select(per_owner.c.id, owner.name.label("k0"), owner.id.label("k1"))
                    .select_from(owner).join(per_owner, true())
                    .order_by(*by_name, per_owner.c.id.desc() if descending else per_owner.c.id).limit(limit))
        unassigned = (branch.add_columns(null().label("k0"), null().label("k1")).where(Customer.owner_id.is_(None))
                      .order_by(tiebreak).limit(limit))
        return select(union_all(assigned, unassigned).subquery())
    column = {
        "name": Customer.name, "owner": Employee.name, "channel": Channel.name, "created_at": Customer.created_at,
        "assigned_at": Customer.assigned_at, "last_contact_at": Customer.last_contact_at,
        "amount": Customer.amount_fen,
        "stage": case({s.value: i for i, s in enumerate(STAGE_ORDER)}, value=Customer.stage),
    }[field]
    if field in ("created_at", "name", "stage"):  # never NULL: a plain order lets an index serve it
        order = column.desc() if descending else column.asc()
    else:
        order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return branch.add_columns(column.label("k0")).order_by(order, tiebreak).limit(limit)


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
