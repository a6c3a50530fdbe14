"""Customers entered by hand with their loan need and stage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core import crypto, events
from scrm.core.db import utcnow
from scrm.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from scrm.core.money import NotAnAmount, to_fen, yuan_amount
from scrm.customers import forms
from scrm.customers.models import Customer, CustomerSource, CustomerStatus, LoanProduct, Stage
from scrm.customers.service.common import (MANUAL_STAGES, MAX_AMOUNT, MAX_TERM_MONTHS, _fail, _name_of, add_timeline,
                                           find_by_phone, id_no_hash, id_no_hashes, lock_customer, phone_hashes,
                                           set_phone)
from scrm.customers.service.products import current_form, get_form, get_product
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.customers.events import CustomerCreated, CustomerStageChanged
from scrm.customers.schemas import CustomerUpdate

# ---------------------------------------------------------------------------------------------
# manual records and the loan need


_UNSET: Any = object()


def _resolve_need(session: Session, customer: Customer, changes: dict[str, Any],
                  errors: list[tuple[str, str]], *, new_application: bool = False) -> list[str]:
    """Apply product/amount/term/purpose/custom_fields from ``changes``; returns labels of what changed. A retired
    product stays on a record that has it, but takes no new application."""
    touched: list[str] = []
    product = session.get(LoanProduct, customer.product_id) if customer.product_id else None
    if "product_code" in changes:
        code = changes["product_code"]
        if code is None:
            product = None
        else:
            product = get_product(session, code)
            if product is None or (not product.active and (new_application or product.id != customer.product_id)):
                errors.append(("product_code", f"没有可用的贷款产品 {code}"))
                return touched
        if (product.id if product else None) != customer.product_id:
            customer.product_id = product.id if product else None
            touched.append("贷款产品")
    if "amount" in changes:
        amount = changes["amount"]
        if amount is None:
            customer.amount_fen = None
        else:
            out_of_range = ("amount", f"贷款金额应在 0 到 {MAX_AMOUNT} 元之间")
            try:
                amount = yuan_amount(amount, MAX_AMOUNT)
            except NotAnAmount as exc:
                errors.append(("amount", "贷款金额最多精确到分") if exc.kind == "decimals" else out_of_range)
            else:
                if amount <= 0:
                    errors.append(out_of_range)
                elif to_fen(amount) != customer.amount_fen:
                    customer.amount_fen = to_fen(amount)
                    touched.append("贷款金额")
    if "term_months" in changes:
        term = changes["term_months"]
        if term is not None and not (1 <= term <= MAX_TERM_MONTHS):
            errors.append(("term_months", f"贷款期限应为 1 到 {MAX_TERM_MONTHS} 个月"))
        elif term != customer.term_months:
            customer.term_months = term
            touched.append("贷款期限")
    if "purpose" in changes and changes["purpose"] != customer.purpose:
        customer.purpose = changes["purpose"]
        touched.append("贷款用途")
    if "custom_fields" in changes or "product_code" in changes:
        values = changes.get("custom_fields")
        if values is None:
            filled = get_form(session, customer.product_form_id)
            values = forms.present(filled.fields if filled else product.form_fields,
                                   customer.custom_fields) if product else {}
        if product is None:
            if values:
                errors.append(("product_code", "请先选择贷款产品，再填写产品资料"))
            elif customer.custom_fields or customer.product_form_id:
                customer.custom_fields, customer.product_form_id = {}, None
        else:
            cleaned, field_errors = forms.clean(product.form_fields, values)
            errors.extend((e.field, e.message) for e in field_errors)
            form = current_form(session, product)
            if not field_errors and (cleaned != (customer.custom_fields or {})
                                     or customer.product_form_id != (form.id if form else None)):
                if cleaned != (customer.custom_fields or {}):
                    touched.append("产品资料")
                customer.custom_fields = cleaned
                customer.product_form_id = form.id if form else None
    return touched


def _check_owner(session: Session, actor: Employee, owner_id: int) -> Employee:
    owner = session.get(Employee, owner_id)
    if owner is None or not org_service.can_see_employee(session, actor, owner_id):
        raise ValidationFailed(f"没有编号为 {owner_id} 的员工", field="owner_id")
    if owner.status != EmployeeStatus.active:
        raise ValidationFailed(f"{owner.name} 已离职，不能接收客户", field="owner_id")
    return owner


def phone_conflict(session: Session, existing: Customer) -> Conflict:
    if existing.owner_id is None:
        return Conflict("该客户已在公海池中，请联系主管分配", field="phone", customer_owner=None)
    name = _name_of(session, existing.owner_id)
    return Conflict(f"该客户已由 {name} 跟进", field="phone", customer_owner=name)


def create_customer(session: Session, actor: Employee, *, name: str, phone: str, id_no: str | None = None,
                    city: str | None = None, region: str | None = None, product_code: str | None = None,
                    amount: Decimal | None = None, term_months: int | None = None, purpose: str | None = None,
                    custom_fields: dict[str, Any] | None = None, owner_id: int | None = None,
                    channel_id: int | None = None, source: CustomerSource = CustomerSource.manual) -> Customer:
    """A customer entered by staff; 409 naming the salesperson when the phone is already someone's customer."""
    errors: list[tuple[str, str]] = []
    name = (name or "").strip()
    if not name:
        errors.append(("name", "请填写客户姓名"))
    if not crypto.valid_mobile(phone or ""):
        errors.append(("phone", "请填写 11 位中国大陆手机号"))
    if id_no and not crypto.valid_id_no(id_no):
        errors.append(("id_no", "身份证号码不正确"))
    if channel_id is not None and session.get(Channel, channel_id) is None:
        errors.append(("channel_id", f"没有编号为 {channel_id} 的渠道"))
    _fail(errors)
    existing = find_by_phone(session, phone)
    if existing is not None:
        raise phone_conflict(session, existing)
    owner = None
    if owner_id is not None:
        owner = _check_owner(session, actor, owner_id)
    elif actor.role == Role.sales:
        owner = actor

    customer = Customer(name=name[:64], city=city, region=region, source=source, stage=Stage.lead,
                        status=CustomerStatus.active, channel_id=channel_id, custom_fields={},
                        owner_id=owner.id if owner else None, assigned_at=utcnow() if owner else None)
    set_phone(customer, crypto.normalize_phone(phone))
    if id_no:
        customer.id_no, customer.id_no_hash = crypto.normalize_id_no(id_no), id_no_hash(id_no)
    need = {k: v for k, v in (("product_code", product_code), ("amount", amount), ("term_months", term_months),
                              ("purpose", purpose), ("custom_fields", custom_fields)) if v is not None}
    _resolve_need(session, customer, need, errors)
    _fail(errors)
    try:
        with session.begin_nested():
            session.add(customer)
            session.flush()
    except IntegrityError:
        existing = find_by_phone(session, phone)
        if existing is not None:
            raise phone_conflict(session, existing) from None
        raise
    add_timeline(session, customer.id, "created", f"{actor.name} 录入客户", {"owner_id": customer.owner_id},
                 actor_employee_id=actor.id)
    events.emit(session, CustomerCreated(customer_id=customer.id, source=source.value, owner_id=customer.owner_id,
                                          channel_id=channel_id))
    return customer


def update_customer(session: Session, actor: Employee, customer: Customer, command: CustomerUpdate) -> Customer:
    """Change the record's details, loan need or (sales) stage; only the fields the command sets."""
    changes = command.changes()
    errors: list[tuple[str, str]] = []
    touched: list[str] = []
    session.flush()
    customer = lock_customer(session, customer.id)
    if "name" in changes and changes["name"] and changes["name"] != customer.name:
        customer.name = changes["name"][:64]
        touched.append("姓名")
    for attr, label in (("city", "城市"), ("region", "地区")):
        if attr in changes and changes[attr] != getattr(customer, attr):
            setattr(customer, attr, changes[attr])
            touched.append(label)
    if changes.get("phone") is not None:
        phone = changes["phone"]
        if not crypto.valid_mobile(phone):
            errors.append(("phone", "请填写 11 位中国大陆手机号"))
        elif customer.phone_hash not in phone_hashes(phone):
            existing = find_by_phone(session, phone)
            if existing is not None and existing.id != customer.id:
                raise phone_conflict(session, existing)
            set_phone(customer, crypto.normalize_phone(phone))
            touched.append("手机号")
    if changes.get("id_no") is not None:
        if not crypto.valid_id_no(changes["id_no"]):
            errors.append(("id_no", "身份证号码不正确"))
        elif customer.id_no_hash not in id_no_hashes(changes["id_no"]):
            customer.id_no, customer.id_no_hash = crypto.normalize_id_no(changes["id_no"]), id_no_hash(changes["id_no"])
            touched.append("身份证号")
    touched += _resolve_need(session, customer, changes, errors)
    stage = changes.get("stage")
    if stage is not None and stage != customer.stage:
        if stage not in MANUAL_STAGES or customer.stage not in MANUAL_STAGES:
            raise InvalidTransition(f"阶段不能由 {customer.stage.value} 手动改为 {Stage(stage).value}；"
                                    "签约及以后的阶段由合同与放款流程推进")
        touched.append("阶段")
        old = customer.stage
        customer.stage = Stage(stage)
        session.flush()
        add_timeline(session, customer.id, "stage_changed", f"阶段：{old.value} → {customer.stage.value}",
                     {"from": old.value, "to": customer.stage.value}, actor_employee_id=actor.id)
    _fail(errors)
    if touched:
        session.flush()
        add_timeline(session, customer.id, "updated", f"{actor.name} 修改了：" + "、".join(touched),
                     {"fields": touched}, actor_employee_id=actor.id)
    return customer


def set_stage(session: Session, customer_id: int, stage: Stage, *, actor_employee_id: int | None = None,
              source_key: str | None = None, note: str | None = None) -> Customer:
    """Move a customer to a stage (the back-office calls this on signing, disbursement, settlement)."""
    session.flush()
    customer = lock_customer(session, customer_id)
    if customer is None:
        raise NotFound(f"没有编号为 {customer_id} 的客户")
    if customer.stage != stage:
        old = customer.stage
        customer.stage = stage
        session.flush()
        add_timeline(session, customer.id, "stage_changed", note or f"阶段：{old.value} → {stage.value}",
                     {"from": old.value, "to": stage.value}, actor_employee_id=actor_employee_id,
                     source_key=source_key)
        events.emit(session, CustomerStageChanged(customer_id=customer.id, from_stage=old.value, to_stage=stage.value))
    return customer
