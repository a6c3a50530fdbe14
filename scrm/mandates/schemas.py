"""Mandate payloads. Card, ID and phone numbers go in; only masked forms come out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from scrm.mandates.models import MandateKind, MandateStatus
from scrm.core.money import Yuan


class CardBind(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra={"examples": [{"holder_name": "张三", "id_no": "110101199003074477",
                                                               "card_no": "6222021234567890128",
                                                               "phone": "13800138000"}]})
    holder_name: str = Field(min_length=2, max_length=32, description="the card holder's name as the bank knows it")
    id_no: str = Field(description="18-character resident ID number")
    card_no: str = Field(description="debit card number (16–19 digits)")
    phone: str = Field(description="the phone number the bank has for this card; the SMS code goes there")


class SmsConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra={"examples": [{"code": "123456"}]})
    code: str = Field(min_length=4, max_length=8)


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra={"examples": [{"scope_ref": "HT-2026-0001", "max_amount": "5000.00",
                                                               "valid_until": "2027-12-31T23:59:59+08:00"}]})
    scope_ref: str = Field(min_length=1, max_length=64, description="the contract or order the debits are for")
    max_amount: Yuan = Field(gt=0, description="the most one debit may take, in yuan")
    valid_until: datetime = Field(description="the authorisation ends at this time")


class MandateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 7, "customer_id": 42, "kind": "bank_card", "status": "active", "scope_ref": "HT20261130-0001",
        "max_amount": "5000.00", "valid_until": "2027-11-30T00:00:00+08:00", "card_last4": "0123",
        "holder_name": "张*", "phone": "138****8000", "sms_attempts_left": None, "contract_id": "AGR0001",
        "signed_at": "2026-11-30T10:02:00+08:00", "revoked_at": None, "created_at": "2026-11-30T10:00:00+08:00"}]})
    id: int
    customer_id: int
    kind: MandateKind
    status: MandateStatus
    scope_ref: str | None
    max_amount: Decimal | None = None
    valid_until: datetime | None
    card_last4: str | None = Field(default=None, description="the only part of the card number ever shown")
    holder_name: str | None = Field(default=None, description="masked")
    phone: str | None = Field(default=None, description="masked")
    sms_attempts_left: int | None = None
    contract_id: str | None = None
    signed_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class PapaySigning(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "mandate": {"id": 8, "customer_id": 42, "kind": "papay", "status": "pending", "scope_ref": "HT20261130-0001",
                    "max_amount": "5000.00", "valid_until": "2027-11-30T00:00:00+08:00", "signed_at": None,
                    "revoked_at": None, "created_at": "2026-11-30T10:00:00+08:00"},
        "signing_url": "https://api.mch.weixin.qq.com/papay/entrustweb",
        "params": {"appid": "wx8sandboxpay00001", "contract_code": "MD8", "sign": "…"}}]})
    mandate: MandateOut
    signing_url: str = Field(description="open this (with `params` as the query) in WeChat to sign the contract")
    params: dict[str, str]
