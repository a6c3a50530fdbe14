"""Customer pages: the searchable list, one customer (profile tags with evidence, timeline, follow-ups,
loan need and product fields, attachments), adding a follow-up, editing the need, and the audited full view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from console import core
from scrm.approvals import service as approval_service
from scrm.auth import CurrentStaff, SessionDep
from scrm.core import commands
from scrm.core.clock import BEIJING
from scrm.core.crypto import mask_id_no, mask_phone
from scrm.core.errors import AppError, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.api import download_path, read_upload
from scrm.customers.labels import ATTACHMENT_KIND_NAMES, STAGE_NAMES
from scrm.customers.models import Customer, Stage
from scrm.customers.schemas import CustomerUpdate
from scrm.groups import service as groups_service
from scrm.org import service as org_service
from scrm.org.models import Employee, Role
from scrm.pipeline import service as pipeline_service
from scrm.risk import service as risk_service
from scrm.tagging import service as tagging_service

router = core.console_router()

FILTERS = ("q", "phone_tail", "tag", "tier", "owner_id", "stage")
SORTS = ("name", "stage", "owner", "created_at", "last_contact_at", "amount")
FOLLOW_UP_KINDS = [("call", "电话"), ("wechat", "微信"), ("visit", "面谈"), ("note", "备注")]
KIND_NAMES = dict(FOLLOW_UP_KINDS)
DETAIL_PAGE = 10


def page_customer(customer_id: Annotated[int, Path(ge=1)], request: Request, staff: CurrentStaff,
                  session: SessionDep) -> Customer:
    core.remember(request, staff)
    return customer_service.get_visible(session, staff, customer_id)


PageCustomer = Annotated[Customer, Depends(page_customer)]


def _int(value: str | None, field: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed("请填写整数", field=field) from None


@router.get("/customers")
def customer_list(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    listing = core.Listing.read(request, "/customers", FILTERS, default_sort="-created_at", sorts=SORTS)
    f = listing.filters
    errors: dict[str, str] = {}
    rows: list[Customer] = []
    tier_names = groups_service.tier_names(session)
    try:
        stage = Stage(f["stage"]) if f.get("stage") in Stage.__members__ else None
        where = [groups_service.tier_condition(f["tier"])] if f.get("tier") in tier_names else []
        found = customer_service.search(
            session, staff, q=f.get("q"), phone_tail=f.get("phone_tail"), stage=stage,
            owner_id=_int(f.get("owner_id"), "owner_id"), sort=listing.sort, page=listing.page,
            page_size=listing.page_size, where=where,
            any_of=tagging_service.tagged_conditions(session, f["tag"]) if f.get("tag") else ())
        rows, listing.total, listing.estimated = found.rows, found.total, found.estimated
    except ValidationFailed as exc:
        errors = core.field_errors(exc)
    refs = customer_service.refs(session, rows)
    return core.render(request, "customers/list.html", {
        "listing": listing, "rows": rows, "refs": refs, "errors": errors, "mask_phone": mask_phone,
        "product_names": {p.code: p.name for p in customer_service.list_products(session, include_inactive=True)},
        "tags": tagging_service.profile_tags_of(session, [c.id for c in rows]),
        "tiers": groups_service.tiers_of(session, [c.id for c in rows]), "tier_names": tier_names,
        "tier_options": list(tier_names.items()), "tier_colours": groups_service.tier_colours(session),
        "tag_options": [(t, t) for t in tagging_service.searchable_tags(session)], "stage_names": STAGE_NAMES,
        "stage_options": [(s.value, n) for s, n in STAGE_NAMES.items()],
        "owners": org_service.owner_choices(session, staff) if staff.role != Role.sales else [],
    }, staff=staff)


def _detail_context(request: Request, session: Session, staff: Employee, customer: Customer) -> dict[str, Any]:
    path = f"/customers/{customer.id}"
    follow_page = core.Listing.read(request, path, (), page_size=DETAIL_PAGE, page_param="fpage", keep=["tpage"])
    timeline_page = core.Listing.read(request, path, (), page_size=DETAIL_PAGE, page_param="tpage", keep=["fpage"])
    follow_ups = customer_service.list_follow_ups(session, customer.id, limit=DETAIL_PAGE,
                                                  offset=(follow_page.page - 1) * DETAIL_PAGE)
    follow_page.total = customer_service.follow_ups_of_customer(session, customer.id)
    timeline = customer_service.list_timeline(session, customer.id, limit=DETAIL_PAGE,
                                              offset=(timeline_page.page - 1) * DETAIL_PAGE)
    timeline_page.total = customer_service.timeline_of_customer(session, customer.id)
    refs = customer_service.refs(session, [customer])
    profile = tagging_service.get_profile(session, customer.id)
    products = customer_service.list_products(session)
    product = next((p for p in customer_service.list_products(session, include_inactive=True)
                    if p.id == customer.product_id), None)
    if product is not None and not product.active:
        products.append(product)  # retired: still this customer's, offered to nobody else
    filled = customer_service.get_form(session, customer.product_form_id)
    required = filled.required_materials if filled else (product.required_materials if product else [])
    return {
        "filled_form": filled if filled and product and filled.version != product.form_version else None,
        "missing_materials": customer_service.materials(
            customer_service.missing_materials(session, customer.id, required)),
        "required_materials": customer_service.materials(required),
        "c": customer, "refs": refs, "profile": profile,
        "tags": tagging_service.tags_of_customer(session, customer.id, profile),
        "follow_ups": follow_ups, "follow_page": follow_page, "timeline": timeline, "timeline_page": timeline_page,
        "attachments": customer_service.list_attachments(session, customer.id),
        "attachment_kinds": ATTACHMENT_KIND_NAMES,
        "follows": customer_service.list_follows(session, customer.id),
        "names": org_service.employee_names(session, {f.employee_id for f in follow_ups}
                                            | {e.actor_employee_id for e in timeline}),
        "products": products, "product": product,
        "custom": customer_service.custom_fields_for_display(session, customer),
        "amount": customer_service.amount_yuan(customer),
        "phone": mask_phone(customer.phone), "id_no": mask_id_no(customer.id_no),
        "may_see_pii": staff.role in customer_service.PII_ROLES or staff.id == customer.owner_id,
        "stage_names": STAGE_NAMES, "kinds": FOLLOW_UP_KINDS, "kind_names": KIND_NAMES,
        "manual_stages": customer_service.MANUAL_STAGES,
        "stage_choices": [(s.value, STAGE_NAMES[s]) for s in customer_service.MANUAL_STAGES],
        "tier": groups_service.tier_names(session).get(groups_service.tier_of(session, customer.id) or ""),
        "risk": risk_service.customer_risk(session, staff, customer.id),
        # a database without stages (every table emptied) shows no pipeline rather than refusing the page
        "pipeline": pipeline_service.history(session, staff, customer.id)
        if pipeline_service.list_stages(session) else None,
        "approvals": [approval_service.instance_view(session, i, staff)
                      for i in approval_service.history_of_customer(session, staff, customer.id)],
    }


@router.get("/customers/{customer_id}")
def customer_page(request: Request, customer: PageCustomer, staff: CurrentStaff, session: SessionDep) -> Response:
    return core.render(request, "customers/detail.html", _detail_context(request, session, staff, customer),
                       staff=staff)


def _rerender(request: Request, session: Session, staff: Employee, customer_id: int, exc: AppError,
              values: dict[str, Any], rename: dict[str, str] | None = None) -> Response:
    session.rollback()
    customer = customer_service.get_visible(session, staff, customer_id)
    ctx = _detail_context(request, session, staff, customer)
    ctx.update(errors=core.field_errors(exc, rename), values=values)
    return core.render(request, "customers/detail.html", ctx, staff=staff, status_code=422)


def _local_datetime(value: str) -> datetime | None:
    """``datetime-local`` input (Beijing time) to an aware datetime."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("请选择有效的日期和时间", field="next_at") from None
    return naive.replace(tzinfo=BEIJING)


@router.post("/customers/{customer_id}/follow-ups")
async def add_follow_up(request: Request, customer: PageCustomer, staff: CurrentStaff,
                        session: SessionDep) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("kind", "content", "next_at")}
    try:
        customer_service.add_follow_up(session, customer, employee_id=staff.id, kind=values["kind"],
                                       content=values["content"], next_at=_local_datetime(values["next_at"]))
    except AppError as exc:
        return _rerender(request, session, staff, customer.id, exc, values)
    return core.redirect(f"/customers/{customer.id}", msg="follow_up_added")


@router.post("/customers/{customer_id}/need")
async def save_need(request: Request, customer: PageCustomer, staff: CurrentStaff, session: SessionDep) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != core.CSRF_FIELD}
    try:
        changes: dict[str, Any] = {k: values.get(k) or None for k in ("product_code", "purpose", "term_months")}
        changes["amount"] = values.get("amount", "").replace(",", "").strip() or None
        if values.get("stage") and values["stage"] != customer.stage.value:
            changes["stage"] = values["stage"]
        product = customer_service.get_product(session, changes["product_code"]) if changes["product_code"] else None
        if product is not None and product.id == customer.product_id:
            changes["custom_fields"] = {f["key"]: values[f"cf_{f['key']}"] for f in product.form_fields
                                        if values.get(f"cf_{f['key']}", "") != ""}
        customer_service.update_customer(session, staff, customer, commands.build(CustomerUpdate, changes))
    except AppError as exc:
        rename = {f["key"]: f"cf_{f['key']}" for p in customer_service.list_products(session) for f in p.form_fields}
        return _rerender(request, session, staff, customer.id, exc, values, rename)
    return core.redirect(f"/customers/{customer.id}", msg="customer_saved")


@router.post("/customers/{customer_id}/pii")
async def view_pii(request: Request, customer: PageCustomer, staff: CurrentStaff, session: SessionDep) -> Response:
    """The full numbers, shown once on this answer (never stored in the page's URL); the view is audit-logged."""
    form = await request.form()
    reason = str(form.get("reason", ""))
    try:
        pii = customer_service.view_pii(session, staff, customer, fields=[], reason=reason)
    except ValidationFailed as exc:
        return _rerender(request, session, staff, customer.id, exc, {"reason": reason})
    ctx = _detail_context(request, session, staff, customer)
    ctx["pii"] = pii
    return core.render(request, "customers/detail.html", ctx, staff=staff)


# ---------------------------------------------------------------- documents


@router.post("/customers/{customer_id}/attachments")
async def upload_attachment(request: Request, customer: PageCustomer, staff: CurrentStaff,
                            session: SessionDep) -> Response:
    form = await request.form()
    kind, upload = str(form.get("kind", "other")), form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed("请选择要上传的文件", field="file")
        customer_service.upload_attachment(session, customer, data=read_upload(upload), filename=upload.filename,
                                           kind=kind, uploaded_by=staff.id)
    except AppError as exc:
        return _rerender(request, session, staff, customer.id, exc, {"kind": kind})
    return core.redirect(f"/customers/{customer.id}", msg="attachment_added")


@router.post("/customers/{customer_id}/attachments/{attachment_id}/link")
def attachment_link(attachment_id: Annotated[int, Path(ge=1)], customer: PageCustomer, staff: CurrentStaff,
                    session: SessionDep) -> Response:
    """On to the API's download, through a link that is good for five minutes and for this employee only."""
    attachment = customer_service.get_attachment(session, customer, attachment_id)
    token = customer_service.download_token(attachment, staff)
    return RedirectResponse(download_path(customer.id, attachment.id, token), status_code=303)
