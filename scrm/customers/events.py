"""The events the customers module emits."""

from __future__ import annotations

from datetime import datetime

from scrm.core.events import Event


class CustomerCreated(Event):
    name = "customer.created"
    customer_id: int
    source: str
    owner_id: int | None
    channel_id: int | None


class CustomersImported(Event):
    """Customers read from WeCom's lists (an import or the nightly reconcile), not new leads: nothing welcomes,
    assigns or announces them."""
    name = "customer.imported"
    customer_ids: list[int]


class CustomerStageChanged(Event):
    name = "customer.stage_changed"
    customer_id: int
    from_stage: str
    to_stage: str


class CustomerOwnerChanged(Event):
    name = "customer.owner_changed"
    customer_id: int
    from_employee_id: int | None
    to_employee_id: int | None
    reason: str


class CustomerDuplicatePhone(Event):
    """Another salesperson added a person whose phone number is already this owner's customer's."""
    name = "customer.duplicate_phone"
    customer_id: int
    owner_id: int | None
    other_employee_id: int
    other_customer_id: int


class CustomerMerged(Event):
    name = "customer.merged"
    customer_id: int
    merged_id: int


class CustomerFollowEnded(Event):
    name = "customer.follow_ended"
    customer_id: int
    employee_id: int
    by_customer: bool
    by_transfer: bool
    remaining: int


class CustomerTransferFailed(Event):
    name = "customer.transfer_failed"
    customer_id: int
    employee_id: int | None
    fail_reason: str


class FollowUpAdded(Event):
    name = "customer.follow_up_added"
    customer_id: int
    follow_up_id: int
    content: str
    at: datetime


class CustomerErased(Event):
    """A customer's personal data is being erased: every module holding a copy drops it."""
    name = "customer.erased"
    customer_id: int
    external_ids: list[str]
    files: list[str]
