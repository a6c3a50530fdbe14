"""Customer records for staff: search, create, edit, follow-ups, attachments, timeline and the audited full view."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile, status
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from scrm.auth import CurrentStaff, ManagerStaff, SessionDep, SupervisorStaff
from scrm.channels import schemas as channel_schemas
from scrm.core.config import get_settings
from scrm.core.crypto import mask_id_no, mask_phone
from scrm.core.errors import ERROR_RESPONSES, ValidationFailed
from scrm.customers import schemas
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, LoanProduct
from scrm.org.models import Employee

router = APIRouter(prefix="/api/customers", tags=["customers"], responses=ERROR_RESPONSES)
# the customers each channel brought
channel_stats_router = APIRouter(prefix="/api/channels", tags=["channels"], responses=ERROR_RESPONSES)


def visible_customer(customer_id: Annotated[int, Path(ge=1)], staff: CurrentStaff, session: SessionDep) -> Customer:
    return customer_service.get_visible(session, staff, customer_id)


VisibleCustomer = Annotated[Customer, Depends(visible_customer)]


def _out(session: Session, customers: list[Customer], refs=None) -> list[schemas.CustomerOut]:
    refs = refs or customer_service.refs(session, customers)
    out = []
    for c in customers:
        out.append(schemas.CustomerOut(
            id=c.id, name=c.name, avatar=c.avatar, gender=c.gender, corp_name=c.corp_name,
            phone=mask_phone(c.phone), id_no=mask_id_no(c.id_no), city=c.city, region=c.region,
            owner=schemas.Ref(id=c.owner_id, name=refs.owners.get(c.owner_id, "")) if c.owner_id else None,
            channel=schemas.Ref(id=c.channel_id, name=refs.channels.get(c.channel_id, "")) if c.channel_id else None,
            source=c.source, stage=c.stage, status=c.status, merged_into_id=c.merged_into_id,
            product_code=refs.products.get(c.product_id) if c.product_id else None,
            amount=customer_service.amount_yuan(c), term_months=c.term_months, purpose=c.purpose,
            custom_fields=customer_service.custom_fields_for_display(session, c),
            wecom_external_userid=c.wecom_external_userid, created_at=c.created_at,
            assigned_at=c.assigned_at, last_contact_at=c.last_contact_at,
        ))
    return out


def _detail(session: Session, customer: Customer) -> schemas.CustomerDetail:
    base = _out(session, [customer])[0]
    follows = [schemas.FollowOut(employee_id=f.employee_id, employee_name=name, remark=f.remark, state=f.state,
                                 add_way=f.add_way, added_at=f.added_at, status=f.status, ended_at=f.ended_at,
                                 is_owner=f.employee_id == customer.owner_id)
               for f, name in customer_service.list_follows(session, customer.id)]
    form = customer_service.get_form(session, customer.product_form_id)
    fields = form.fields if form else []
    required = form.required_materials if form else []
    if form is None and customer.product_id:  # filled before forms had versions, or nothing filled yet
        product = session.get(LoanProduct, customer.product_id)
        fields, required = product.form_fields, product.required_materials
    missing = customer_service.missing_materials(session, customer.id, required)
    return schemas.CustomerDetail(**base.model_dump(), follows=follows, form_version=form.version if form else None,
                                  form_fields=fields, required_materials=customer_service.materials(required),
                                  missing_materials=customer_service.materials(missing))


def _search(session: Session, staff: Employee, f: schemas.CustomerSearch) -> schemas.CustomerPage:
    found = customer_service.search(
        session, staff, q=f.q, phone=f.phone, phone_tail=f.phone_tail, stage=f.stage, status=f.status_,
        owner_id=f.owner_id, unassigned=f.unassigned, channel_id=f.channel_id, product_code=f.product_code,
        sort=f.sort, page=f.page, page_size=f.page_size)
    return schemas.CustomerPage(items=_out(session, found.rows), total=found.total, total_estimated=found.estimated,
                                page=f.page, page_size=f.page_size)


@router.get("", response_model=schemas.CustomerPage)
def list_customers(staff: CurrentStaff, session: SessionDep,
                   filters: Annotated[schemas.CustomerSearch, Query()]) -> schemas.CustomerPage:
    """Customers in your data scope (a salesperson: their own; a supervisor: the department …), one page at a time.

    Phone numbers in the answer are masked; search by the full number or by its last four digits. A full
    number in a URL ends up in proxy and browser logs: `POST /api/customers/search` takes the same
    filters in its body."""
    return _search(session, staff, filters)


@router.post("/search", response_model=schemas.CustomerPage)
def search_customers(staff: CurrentStaff, session: SessionDep, filters: schemas.CustomerSearchBody) -> schemas.CustomerPage:
    """The customer list, its filters in the JSON body (for a full phone number, which must not travel in a URL)."""
    return _search(session, staff, filters)


def product_out(product: LoanProduct) -> schemas.LoanProductOut:
    return schemas.LoanProductOut(
        id=product.id, code=product.code, name=product.name, form_fields=product.form_fields,
        form_version=product.form_version, required_materials=customer_service.materials(product.required_materials),
        fee_rule=customer_service.fee_rule(product).as_dict(), active=product.active, retired_at=product.retired_at,
        updated_at=product.updated_at)


def _fields(fields: list[schemas.FormFieldIn] | None) -> list[dict[str, Any]] | None:
    return None if fields is None else [f.model_dump(exclude_none=True) for f in fields]


ProductCode = Annotated[str, Path(max_length=40)]


@router.get("/products", response_model=list[schemas.LoanProductOut], tags=["loan products"])
def list_products(staff: CurrentStaff, session: SessionDep,
                  include_retired: Annotated[bool, Query(description="also the retired ones")] = False,
                  ) -> list[schemas.LoanProductOut]:
    """Loan products with their current form (the custom_fields of a customer's loan need), the materials an
    application needs on file and the fee rule that fills a sign-up's service fee."""
    return [product_out(p) for p in customer_service.list_products(session, include_inactive=include_retired)]


@router.post("/products", response_model=schemas.LoanProductOut, status_code=status.HTTP_201_CREATED,
             tags=["loan products"])
def create_product(body: schemas.ProductCreate, staff: ManagerStaff, session: SessionDep) -> schemas.LoanProductOut:
    """Create a product (managers and admins) with version 1 of its form. Every bad input is named in
    `errors` with a 422: `code`, `form_fields[2].options`, `fee_rule.rate_bp`, `required_materials[0]` …"""
    product = customer_service.create_product(
        session, staff, code=body.code, name=body.name, form_fields=_fields(body.form_fields),
        required_materials=body.required_materials, fee_rule=body.fee_rule.model_dump())
    return product_out(product)


@router.get("/products/{code}", response_model=schemas.LoanProductOut, tags=["loan products"])
def get_product(code: ProductCode, staff: CurrentStaff, session: SessionDep) -> schemas.LoanProductOut:
    """One product, retired or not."""
    return product_out(customer_service.product_by_code(session, code))


@router.patch("/products/{code}", response_model=schemas.LoanProductOut, tags=["loan products"])
def update_product(code: ProductCode, body: schemas.ProductUpdate, staff: ManagerStaff,
                   session: SessionDep) -> schemas.LoanProductOut:
    """Change a product's name, fee rule, form or required materials (managers and admins). A changed form
    is a new version: customers and applications already filled keep the version they were filled with."""
    changes = body.model_dump(exclude_unset=True)
    for key in ("name", "form_fields", "required_materials", "fee_rule"):
        if key in changes and changes[key] is None:
            raise ValidationFailed(f"{key} 不能为空", field=key)
    if "form_fields" in changes:
        changes["form_fields"] = _fields(body.form_fields)
    product = customer_service.product_by_code(session, code)
    return product_out(customer_service.update_product(session, staff, product, schemas.ProductChanges(**changes)))


@router.put("/products/{code}/form", response_model=schemas.LoanProductOut, tags=["loan products"])
def replace_form(code: ProductCode, body: schemas.ProductFormIn, staff: ManagerStaff,
                 session: SessionDep) -> schemas.LoanProductOut:
    """Replace the form (and, when sent, the required materials) as a new version (managers and admins)."""
    changes: dict[str, Any] = {"form_fields": _fields(body.form_fields)}
    if body.required_materials is not None:
        changes["required_materials"] = body.required_materials
    product = customer_service.product_by_code(session, code)
    return product_out(customer_service.update_product(session, staff, product, schemas.ProductChanges(**changes)))


@router.get("/products/{code}/forms", response_model=list[schemas.ProductFormOut], tags=["loan products"])
def form_versions(code: ProductCode, staff: CurrentStaff, session: SessionDep) -> list[schemas.ProductFormOut]:
    """Every version of the product's form, newest first."""
    product = customer_service.product_by_code(session, code)
    return [schemas.ProductFormOut(version=f.version, form_fields=f.fields, created_at=f.created_at,
                                   required_materials=customer_service.materials(f.required_materials),
                                   created_by_id=f.created_by_id) for f in customer_service.list_forms(session, product)]


@router.post("/products/{code}/retire", response_model=schemas.LoanProductOut, tags=["loan products"])
def retire_product(code: ProductCode, staff: ManagerStaff, session: SessionDep) -> schemas.LoanProductOut:
    """Stop offering a product (managers and admins): no new applications or sign-ups; customers, applications
    and orders made with it keep showing it."""
    product = customer_service.product_by_code(session, code)
    return product_out(customer_service.retire_product(session, staff, product))


@router.post("/products/{code}/reinstate", response_model=schemas.LoanProductOut, tags=["loan products"])
def reinstate_product(code: ProductCode, staff: ManagerStaff, session: SessionDep) -> schemas.LoanProductOut:
    """Offer a retired product again (managers and admins)."""
    product = customer_service.product_by_code(session, code)
    return product_out(customer_service.reinstate_product(session, staff, product))


@router.get("/{customer_id}", response_model=schemas.CustomerDetail)
def get_customer(customer: VisibleCustomer, session: SessionDep) -> schemas.CustomerDetail:
    """One customer with the salespeople who have them on WeCom. 404 also when outside your scope."""
    return _detail(session, customer)


@router.patch("/{customer_id}", response_model=schemas.CustomerDetail)
def update_customer(body: schemas.CustomerUpdate, customer: VisibleCustomer, staff: CurrentStaff,
                    session: SessionDep) -> schemas.CustomerDetail:
    """Change details, the loan need or the sales stage (lead, contacted, appointment, lost).
    Only the fields sent change; `custom_fields` is replaced as a whole."""
    customer = customer_service.update_customer(session, staff, customer, body)
    return _detail(session, customer)


@router.get("/{customer_id}/pii", response_model=schemas.PiiOut)
def view_pii(
    customer: VisibleCustomer, staff: CurrentStaff, session: SessionDep,
    reason: Annotated[str, Query(min_length=2, max_length=200, description="why you need the full number")],
    fields: Annotated[list[str] | None, Query(description="phone and/or id_no; both when left out")] = None,
) -> schemas.PiiOut:
    """The full phone and ID numbers. For managers, finance, admins and the customer's owner; every call is
    recorded with your reason."""
    values = customer_service.view_pii(session, staff, customer, fields=fields or [], reason=reason)
    return schemas.PiiOut(customer_id=customer.id, **values)


@router.post("/{customer_id}/erase", response_model=schemas.CustomerDetail)
def erase_personal_data(customer: VisibleCustomer, staff: CurrentStaff, session: SessionDep,
                        body: schemas.EraseIn) -> schemas.CustomerDetail:
    """Erase the customer's personal data at their request (managers and admins). Name, phone, ID number,
    WeCom and WeChat ids, free text and attachments go; the record, its stages and every contract and
    ledger entry referring to it stay. Cannot be undone."""
    customer_service.erase_personal_data(session, staff, customer, reason=body.reason)
    return _detail(session, customer)


@router.get("/{customer_id}/follow-ups", response_model=list[schemas.FollowUpOut])
def list_follow_ups(customer: VisibleCustomer, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    offset: Annotated[int, Query(ge=0)] = 0) -> list[schemas.FollowUpOut]:
    """Follow-up records, newest first."""
    return [schemas.FollowUpOut.model_validate(f)
            for f in customer_service.list_follow_ups(session, customer.id, limit=limit, offset=offset)]


@router.post("/{customer_id}/follow-ups", response_model=schemas.FollowUpOut, status_code=status.HTTP_201_CREATED)
def add_follow_up(body: schemas.FollowUpCreate, customer: VisibleCustomer, staff: CurrentStaff,
                  session: SessionDep) -> schemas.FollowUpOut:
    """Record a call, visit, WeChat conversation or note. A first contact moves a fresh lead to `contacted`."""
    follow_up = customer_service.add_follow_up(session, customer, employee_id=staff.id, **body.model_dump())
    return schemas.FollowUpOut.model_validate(follow_up)


@router.get("/{customer_id}/attachments", response_model=list[schemas.AttachmentOut])
def list_attachments(customer: VisibleCustomer, session: SessionDep) -> list[schemas.AttachmentOut]:
    """Documents on file, newest first (the files themselves through `POST …/{attachment_id}/link`)."""
    return [schemas.AttachmentOut.model_validate(a) for a in customer_service.list_attachments(session, customer.id)]


def read_upload(file: StarletteUpload) -> bytes:
    """The uploaded bytes, at most one past the limit (the service names the limit when that is over it)."""
    return file.file.read(get_settings().files_max_bytes + 1)


@router.post("/{customer_id}/attachments", response_model=schemas.AttachmentOut, status_code=status.HTTP_201_CREATED,
             responses={413: {**ERROR_RESPONSES[413],
                              "description": "The file is over `SCRM_FILES_MAX_BYTES` (20 MB unless set)"}})
def add_attachment(customer: VisibleCustomer, staff: CurrentStaff, session: SessionDep,
                   file: Annotated[UploadFile, File(description="PDF, JPEG, PNG or HEIC")],
                   kind: Annotated[str, Form(description="id_card (身份证), credit_report (征信报告), bank_statement "
                                                         "(银行流水), property_deed (房产证), … or other")] = "other",
                   ) -> schemas.AttachmentOut:
    """Upload a document as `multipart/form-data` (`file`, `kind`). Its type is told by its content, not its
    name: PDF, JPEG, PNG or HEIC, anything else is 422 on `file`; over the size limit is 413. The file is
    encrypted before it is stored."""
    attachment = customer_service.upload_attachment(session, customer, data=read_upload(file),
                                                    filename=file.filename or "", kind=kind, uploaded_by=staff.id)
    return schemas.AttachmentOut.model_validate(attachment)


def download_path(customer_id: int, attachment_id: int, token: str) -> str:
    return f"/api/customers/{customer_id}/attachments/{attachment_id}/download?{urlencode({'token': token})}"


@router.post("/{customer_id}/attachments/{attachment_id}/link", response_model=schemas.AttachmentLinkOut)
def attachment_link(attachment_id: Annotated[int, Path(ge=1)], customer: VisibleCustomer, staff: CurrentStaff,
                    session: SessionDep) -> schemas.AttachmentLinkOut:
    """A download link for one document, valid for five minutes and for you alone."""
    attachment = customer_service.get_attachment(session, customer, attachment_id)
    token = customer_service.download_token(attachment, staff)
    return schemas.AttachmentLinkOut(url=download_path(customer.id, attachment.id, token),
                                     expires_in=customer_service.LINK_TTL_S)


def content_disposition(filename: str) -> str:
    fallback = "".join(c for c in filename if c.isascii() and (c.isalnum() or c in "._-")) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{customer_id}/attachments/{attachment_id}/download", response_class=Response,
            responses={200: {"description": "The document", "content": {t: {} for t in customer_service.ATTACHMENT_TYPES}}})
def download_attachment(attachment_id: Annotated[int, Path(ge=1)], customer: VisibleCustomer, staff: CurrentStaff,
                        session: SessionDep, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    """The document behind a link from `…/link`, decrypted. Every download is recorded in the audit trail of
    personal-data views. An expired or forged link, or someone else's, answers 404."""
    got = customer_service.download(session, staff, customer, attachment_id, token)
    return Response(got.data, media_type=got.attachment.content_type, headers={
        "Content-Disposition": content_disposition(got.attachment.filename), "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@router.get("/{customer_id}/timeline", response_model=list[schemas.TimelineOut])
def timeline(customer: VisibleCustomer, session: SessionDep,
             limit: Annotated[int, Query(ge=1, le=200)] = 50,
             offset: Annotated[int, Query(ge=0)] = 0) -> list[schemas.TimelineOut]:
    """Everything that happened to the customer, newest first."""
    return [schemas.TimelineOut.model_validate(e)
            for e in customer_service.list_timeline(session, customer.id, limit=limit, offset=offset)]


@channel_stats_router.get("/stats", response_model=list[channel_schemas.ChannelStatsOut])
def channel_stats(staff: SupervisorStaff, session: SessionDep,
                  since: Annotated[datetime | None, Query(description="from (inclusive, with time zone)")] = None,
                  until: Annotated[datetime | None, Query(description="to (exclusive, with time zone)")] = None,
                  ) -> list[channel_schemas.ChannelStatsOut]:
    """Adds, deletions and conversions per channel, counted over the customers in your data scope."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("时间需要带时区，例如 2025-01-01T00:00:00+08:00", field=name)
        if value is not None and not 2000 <= value.year <= 2099:
            raise ValidationFailed("时间须在 2000–2099 年之间", field=name)
    return [channel_schemas.ChannelStatsOut(**asdict(s))
            for s in customer_service.channel_stats(session, staff, since=since, until=until)]
