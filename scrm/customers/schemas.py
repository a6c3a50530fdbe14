"""The shapes the WeCom handlers hand to the customer service (dataclasses), and the API's in/out models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from scrm.core.commands import Command
from scrm.core.params import INTEGER_MAX, RowId

from scrm.customers.models import CustomerSource, CustomerStatus, FollowStatus, Stage

if TYPE_CHECKING:
    from scrm.customers.models import Customer


# ---------------------------------------------------------------- service contract (WeCom handlers)


@dataclass
class ContactInfo:
    external_userid: str
    name: str
    avatar: str | None = None
    gender: int = 0
    unionid: str | None = None
    corp_name: str | None = None


@dataclass
class FollowInfo:
    userid: str  # the WeCom user id of the staff member
    remark: str | None = None
    description: str | None = None
    remark_mobiles: list[str] = field(default_factory=list)
    state: str | None = None
    add_way: int | None = None
    added_at: datetime | None = None


@dataclass
class UpsertResult:
    customer: "Customer"
    created: bool
    # set when a remark mobile already belongs to another salesperson's customer
    duplicate_owner_id: int | None = None


# ---------------------------------------------------------------- API in


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerCreate(_In):
    name: str = Field(min_length=1, max_length=64)
    phone: str = Field(min_length=5, max_length=20, examples=["13800138000"])
    id_no: str | None = Field(default=None, max_length=18)
    city: str | None = Field(default=None, max_length=32)
    region: str | None = Field(default=None, max_length=32)
    product_code: str | None = None
    amount: Decimal | None = Field(default=None, description="loan amount in yuan", examples=["300000.00"])
    term_months: int | None = None
    purpose: str | None = Field(default=None, max_length=200)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    owner_id: RowId | None = Field(default=None, description="defaults to the caller when a salesperson creates it; "
                                                             "otherwise the assignment rules pick one")
    channel_id: RowId | None = None


class CustomerUpdate(Command):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = Field(default=None, min_length=5, max_length=20)
    id_no: str | None = Field(default=None, max_length=18)
    city: str | None = Field(default=None, max_length=32)
    region: str | None = Field(default=None, max_length=32)
    product_code: str | None = None
    amount: Decimal | None = None
    term_months: int | None = None
    purpose: str | None = Field(default=None, max_length=200)
    custom_fields: dict[str, Any] | None = None
    stage: Stage | None = None


class FollowUpCreate(_In):
    kind: Literal["call", "visit", "wechat", "note"] = "note"
    content: str = Field(min_length=1, max_length=5000)
    next_at: datetime | None = Field(default=None, description="when to contact the customer next (with time zone)")


# ---------------------------------------------------------------- API out


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Ref(BaseModel):
    id: int
    name: str


class CustomerOut(_Out):
    id: int
    name: str
    avatar: str | None
    gender: int
    corp_name: str | None
    phone: str | None = Field(description="masked, e.g. 138****8000")
    id_no: str | None = Field(description="masked")
    city: str | None
    region: str | None
    owner: Ref | None
    channel: Ref | None
    source: CustomerSource
    stage: Stage
    status: CustomerStatus
    merged_into_id: int | None
    product_code: str | None
    amount: Decimal | None = Field(description="yuan")
    term_months: int | None
    purpose: str | None
    custom_fields: dict[str, Any]
    wecom_external_userid: str | None
    created_at: datetime
    assigned_at: datetime | None
    last_contact_at: datetime | None


class FollowOut(_Out):
    employee_id: int
    employee_name: str
    remark: str | None
    state: str | None
    add_way: int | None
    added_at: datetime
    status: FollowStatus
    ended_at: datetime | None
    is_owner: bool


class CustomerDetail(CustomerOut):
    follows: list[FollowOut]
    form_version: int | None = Field(description="the version of the product's form the loan need was filled with")
    form_fields: list[dict[str, Any]] = Field(description="that version's fields (an edited product keeps "
                                                          "showing the form this customer filled)")
    required_materials: list[MaterialOut] = Field(description="materials that version asks for")
    missing_materials: list[MaterialOut] = Field(description="required materials not yet on file")


class CustomerSearch(BaseModel):
    """The customer list's filters: query parameters of ``GET /api/customers``, or the JSON body of
    ``POST /api/customers/search``, which keeps a full phone number out of URLs and their logs."""

    model_config = ConfigDict(populate_by_name=True)

    q: str | None = Field(None, max_length=64, description="part of the name")
    phone: str | None = Field(None, max_length=20, description="the full mobile number")
    phone_tail: str | None = Field(None, pattern=r"^\d{4}$", description="last four digits (尾号)")
    stage: Stage | None = None
    status_: CustomerStatus | None = Field(None, alias="status")
    owner_id: RowId | None = None
    unassigned: bool = False
    channel_id: RowId | None = None
    product_code: str | None = None
    sort: str = Field("-created_at", description="name, stage, owner, channel, created_at, assigned_at, "
                                                 "last_contact_at or amount; prefix - for descending")
    page: int = Field(1, ge=1, le=INTEGER_MAX)
    page_size: int = Field(20, ge=1, le=200)


class CustomerSearchBody(CustomerSearch):
    """The same filters as a JSON body, which (like every body) names a field it does not know."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    total: int
    # past 10,000 matches on PostgreSQL, total is the planner's estimate rather than a count
    total_estimated: bool = False
    page: int
    page_size: int


class FollowUpOut(_Out):
    id: int
    customer_id: int
    employee_id: int | None
    kind: str
    content: str
    next_at: datetime | None
    created_at: datetime


class AttachmentOut(_Out):
    id: int
    customer_id: int
    filename: str
    content_type: str = Field(description="told by the file's content: application/pdf, image/jpeg, image/png, image/heic")
    size_bytes: int
    kind: str
    uploaded_by: int | None
    by_customer: bool = Field(description="the customer sent it through the mini-program")
    sha256: str | None
    created_at: datetime


class AttachmentLinkOut(BaseModel):
    url: str = Field(description="GET it with your own token within `expires_in` seconds; it works for no one else")
    expires_in: int


class TimelineOut(_Out):
    id: int
    at: datetime
    kind: str
    summary: str
    data: dict[str, Any]
    actor_employee_id: int | None


class MaterialOut(BaseModel):
    kind: str = Field(description="attachment kind, e.g. credit_report")
    label: str = Field(description="e.g. 征信报告")


class FeeRuleIO(BaseModel):
    """The service fee a sign-up gets: `rate_bp` basis points of the loan amount (1% = 100) or `fixed_fen`,
    and never less than `min_fen`. Amounts in fen."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "rate", "rate_bp": 300, "fixed_fen": None, "min_fen": 100000}]})
    kind: Literal["rate", "fixed"]
    rate_bp: int | None = None
    fixed_fen: int | None = None
    min_fen: int = 0


class OptionIn(_In):
    value: str = Field(max_length=32)
    label: str = Field(max_length=32)


class FormFieldIn(_In):
    """One field of a product's form; `type` is one of text, number, integer, money (yuan), choice, date, bool."""

    key: str = Field(max_length=40, examples=["monthly_salary"])
    label: str = Field(max_length=40, examples=["税后月收入"])
    type: str = Field(max_length=20, examples=["money"])
    required: bool = False
    options: list[OptionIn] | None = Field(default=None, description="the choices of a `choice` field")
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = Field(default=None, description="longest text")
    unit: str | None = Field(default=None, max_length=8)


class ProductCreate(_In):
    code: str = Field(max_length=40, examples=["bridge_loan"], description="lowercase letters, digits, _")
    name: str = Field(max_length=40, examples=["过桥贷"])
    form_fields: list[FormFieldIn] = Field(max_length=60)
    required_materials: list[str] = Field(default_factory=list, max_length=20, examples=[["id_card", "credit_report"]],
                                          description="attachment kinds an application needs on file")
    fee_rule: FeeRuleIO


class ProductChanges(Command):
    """The update command of a product, built by the API from ``ProductUpdate`` and by the console from its form:
    the form's fields as definitions and the fee rule as a mapping, each checked by the products service, which
    names every bad part at once (``form_fields[2].options``, ``fee_rule.rate_bp`` …)."""

    name: Any = None
    form_fields: Any = None
    required_materials: Any = None
    fee_rule: Any = None


class ProductUpdate(_In):
    """Only the keys sent change. A new `form_fields` or `required_materials` is a new form version."""

    name: str | None = Field(default=None, max_length=40)
    form_fields: list[FormFieldIn] | None = Field(default=None, max_length=60)
    required_materials: list[str] | None = Field(default=None, max_length=20)
    fee_rule: FeeRuleIO | None = None


class ProductFormIn(_In):
    form_fields: list[FormFieldIn] = Field(max_length=60)
    required_materials: list[str] | None = Field(default=None, max_length=20,
                                                 description="left out: the current version's")


class LoanProductOut(BaseModel):
    id: int
    code: str
    name: str
    form_fields: list[dict[str, Any]]
    form_version: int
    required_materials: list[MaterialOut]
    fee_rule: FeeRuleIO
    active: bool
    retired_at: datetime | None
    updated_at: datetime | None


class ProductFormOut(BaseModel):
    version: int
    form_fields: list[dict[str, Any]]
    required_materials: list[MaterialOut]
    created_at: datetime
    created_by_id: int | None


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200, description="the basis, e.g. the customer's request number")


class PiiOut(BaseModel):
    customer_id: int
    phone: str | None = None
    id_no: str | None = None
