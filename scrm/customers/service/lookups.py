"""Customers by id, for pages that show other records with their customer's name."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.customers.models import Customer, DuplicateContact


def names_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Customer id -> name for the ids given (unknown ids are left out)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all())


def customers_by_id(session: Session, ids: Iterable[int]) -> list[Customer]:
    """The customers with these ids (no scope check: the caller has already decided what may be shown)."""
    ids = set(ids)
    if not ids:
        return []
    return list(session.scalars(select(Customer).where(Customer.id.in_(ids))))


def duplicate_owners(session: Session, customer_id: int) -> list[tuple[int, int | None]]:
    """(the other customer's id, its owner's employee id) for each record that already held this customer's phone
    when a salesperson gave it (the same person added twice)."""
    rows = session.execute(select(DuplicateContact.existing_customer_id, Customer.owner_id)
                           .join(Customer, Customer.id == DuplicateContact.existing_customer_id)
                           .where(DuplicateContact.customer_id == customer_id)
                           .order_by(DuplicateContact.id)).all()
    return [(cid, owner) for cid, owner in rows]
