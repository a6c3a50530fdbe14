"""The mini-program API's in/out models; every one carries an example for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def _examples(*examples: dict) -> dict:
    return {"examples": list(examples)}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---------------------------------------------------------------- sign-in


class LoginIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples(
        {"code": "0a3Xk2000mQbOQ1Lr2200C7Ylh3Xk20A", "scene": "r=K7M2Q9XA"}))
    code: str = Field(min_length=1, max_length=128, description="wx.login()'s code (single use, 5 minutes)")
    scene: str | None = Field(default=None, max_length=32,
                              description="the scene the mini-program was opened with (a referral code: r=<code>)")


class CustomerOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples(
        {"id": 1024, "name": "张三", "phone": "138****8000", "stage": "reviewing", "has_phone": True}))
    id: int
    name: str
    phone: str | None = Field(description="masked")
    stage: str
    has_phone: bool


class ReferralOutcome(BaseModel):
    referrer_customer_id: int | None
    rejected: str | None = Field(description="why a referral scene did not count: already_referred, unknown_code, "
                                             "self_referral, cycle, outside_window")


class LoginOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "token": "c1024.1796070000.5f0c…", "expires_in": 7200, "new_customer": True,
        "customer": {"id": 1024, "name": "", "phone": None, "stage": "not_applied", "has_phone": False},
        "referral": {"referrer_customer_id": 77, "rejected": None}}))
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    expires_in: int
    new_customer: bool
    customer: CustomerOut
    referral: ReferralOutcome | None = None


class PhoneIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples({"code": "e31968a7f94cc5ee25fafc2aef2773f0"}))
    code: str = Field(min_length=1, max_length=128, description="getPhoneNumber's code (single use, 5 minutes)")


# ---------------------------------------------------------------- products and applications


class MaterialOut(BaseModel):
    kind: str = Field(description="attachment kind, e.g. credit_report")
    label: str = Field(description="e.g. 征信报告")


class ProductOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "code": "credit", "name": "信用贷", "form_fields": [
            {"key": "monthly_salary", "label": "税后月收入", "type": "money", "required": True, "min": 0,
             "max": 10000000, "unit": "元"}],
        "form_version": 1,
        "required_materials": [{"kind": "credit_report", "label": "征信报告"}, {"kind": "id_card", "label": "身份证"}]}))
    code: str
    name: str
    form_fields: list[dict[str, Any]]
    form_version: int
    required_materials: list[MaterialOut] = Field(description="documents to send (POST /mp/attachments with `kind`)")


class PrivacyTermsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples(
        {"version": "2026-11", "title": "隐私政策", "text": "一、我们收集哪些信息\n…"}))
    version: str = Field(description="send it back as `consent.version` with an application")
    title: str
    text: str


class AttachmentKindOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({"kind": "id_card", "label": "身份证"}))
    kind: str
    label: str


class ConsentIn(_In):
    accepted: bool = Field(description="the customer ticked 我已阅读并同意《隐私政策》")
    version: str = Field(max_length=32, description="the privacy terms' version the customer read")


class ApplicationIn(_In):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_examples({
        "request_id": "5d1c6a8e-2f1b-4c3e-9a55-0d2b7c1e9f10", "product_code": "credit", "amount": "200000",
        "term_months": 36, "purpose": "装修", "name": "张三", "city": "上海",
        "fields": {"employer_type": "state_owned", "monthly_salary": "18000", "social_security_months": 48},
        "consent": {"accepted": True, "version": "2026-11"}}))
    request_id: str = Field(min_length=8, max_length=64, description="made by the mini-program once per "
                                                                     "application; resending it changes nothing")
    product_code: str = Field(max_length=32)
    amount: Decimal = Field(description="yuan", examples=["200000"])
    term_months: int | None = None
    purpose: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=32)
    fields: dict[str, Any] = Field(default_factory=dict, description="the product's form fields by key")
    consent: ConsentIn


class ApplicationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "id": 301, "product_code": "credit", "amount": "200000.00", "term_months": 36, "purpose": "装修",
        "fields": {"employer_type": "state_owned", "monthly_salary": "18000.00", "social_security_months": 48},
        "consent_version": "2026-11", "consent_at": "2026-11-30T10:00:00Z", "created_at": "2026-11-30T10:00:00Z",
        "form_version": 1, "form_fields": [{"key": "monthly_salary", "label": "税后月收入", "type": "money"}],
        "required_materials": [{"kind": "credit_report", "label": "征信报告"}, {"kind": "id_card", "label": "身份证"}],
        "missing_materials": [{"kind": "credit_report", "label": "征信报告"}]}))
    id: int
    product_code: str
    form_version: int | None = Field(description="the version of the product's form it was filled with")
    form_fields: list[dict[str, Any]] = Field(description="that version's fields, to show `fields` with")
    required_materials: list[MaterialOut]
    missing_materials: list[MaterialOut] = Field(description="required materials not yet sent")
    amount: Decimal
    term_months: int | None
    purpose: str | None
    fields: dict[str, Any]
    consent_version: str
    consent_at: datetime
    created_at: datetime


class StatementOut(BaseModel):
    settlement_id: int
    order_id: int
    product_code: str | None
    service_fee_collected: Decimal
    disbursed_amount: Decimal
    closed_at: datetime


class ProgressOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "stage": "settled", "steps": ["submitted", "reviewing", "signed", "processing", "disbursed", "settled"],
        "statement": {"settlement_id": 9, "order_id": 12, "product_code": "credit", "service_fee_collected": "6000.00",
                      "disbursed_amount": "200000.00", "closed_at": "2026-12-20T08:00:00Z"}}))
    stage: str = Field(description="not_applied, submitted, reviewing, signed, processing, disbursed, settled, closed")
    steps: list[str]
    statement: StatementOut | None


# ---------------------------------------------------------------- referral centre


class ReferralCentreOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "code": "K7M2Q9XA", "scene": "r=K7M2Q9XA", "friends": 2,
        "balance": {"pending": "0.00", "confirmed": "300.00", "withdrawable": "150.00", "paid": "0.00",
                    "reversed": "0.00", "owed": "0.00", "in_withdrawal": "0.00", "available": "150.00"},
        "withdraw_min": "10.00", "withdraw_daily_limit": "5000.00"}))
    code: str
    scene: str = Field(description="the scene of the mini-program code (wx.getLaunchOptionsSync().query.scene)")
    friends: int
    balance: dict[str, Decimal] = Field(description="yuan by commission state; `available` may be negative while "
                                                    "a reversed, already paid commission is owed back")
    withdraw_min: Decimal
    withdraw_daily_limit: Decimal


class WecomCodeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "state": "ref_K7M2Q9XA", "qr_code_url": "https://wework.qpic.cn/wwpic/…", "status": "synced"}))
    state: str
    qr_code_url: str | None = Field(description="null until WeCom has made the code; ask again shortly")
    status: str


class FriendOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples(
        {"name": "李*", "stage": "settled", "referred_at": "2026-11-30T10:00:00Z"}))
    name: str = Field(description="masked")
    stage: str
    referred_at: datetime


class CommissionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "id": 5, "friend": "李*", "level": 1, "amount": "300.00", "state": "withdrawable",
        "confirmed_at": "2026-12-20T08:00:00Z", "withdrawable_after": "2026-12-27T08:00:00Z", "was_paid": False}))
    id: int
    friend: str
    level: int
    amount: Decimal
    state: str
    confirmed_at: datetime | None
    withdrawable_after: datetime | None
    was_paid: bool


class WithdrawalIn(_In):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_examples(
        {"request_id": "wd-7f3e0c2a-1", "method": "bank", "account_name": "张三", "bank_name": "招商银行",
         "bank_card": "6225880137716003"},
        {"request_id": "wd-7f3e0c2a-2", "method": "wechat"}))
    request_id: str = Field(min_length=4, max_length=64, description="the same id always answers the same withdrawal")
    method: Literal["wechat", "bank"]
    account_name: str | None = Field(default=None, max_length=64)
    bank_name: str | None = Field(default=None, max_length=64)
    bank_card: str | None = Field(default=None, max_length=32)


class WithdrawalOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples({
        "id": 17, "request_id": "wd-7f3e0c2a-1", "amount": "150.00", "method": "bank", "state": "requested",
        "bank_card": "**** 6003", "requested_at": "2026-12-28T02:00:00Z", "paid_at": None, "reject_reason": None}))
    id: int
    request_id: str
    amount: Decimal
    method: str
    state: str
    bank_card: str | None = Field(description="last four digits only")
    requested_at: datetime
    paid_at: datetime | None
    reject_reason: str | None


# ---------------------------------------------------------------- documents


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=_examples({
        "id": 31, "kind": "id_card", "filename": "身份证正面.jpg", "content_type": "image/jpeg", "size_bytes": 482133,
        "created_at": "2026-12-06T10:00:00+08:00"}))
    id: int
    kind: str = Field(description="id_card (身份证), credit_report (征信报告), bank_statement (银行流水), "
                                  "property_deed (房产证), … or other")
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime
