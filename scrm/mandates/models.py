"""Direct-debit authorisations and their recorded changes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, enum_column, utcnow
from scrm.core.crypto import EncryptedText


class MandateKind(str, enum.Enum):
    bank_card = "bank_card"  # 协议支付: the bank's agreement number after SMS confirmation
    papay = "papay"  # 微信委托代扣 contract


class MandateStatus(str, enum.Enum):
    sms_sent = "sms_sent"  # card details sent to the bank, waiting for the SMS code
    verified = "verified"  # the bank confirmed the card; the customer has not signed the scope yet
    signing = "signing"  # papay: waiting for WeChat's contract notification
    active = "active"
    revoked = "revoked"
    failed = "failed"  # too many wrong codes, or the signing failed
    expired = "expired"


class Mandate(Base):
    __tablename__ = "mandate"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[MandateKind] = mapped_column(enum_column(MandateKind))
    status: Mapped[MandateStatus] = mapped_column(enum_column(MandateStatus), index=True)
    # the scope the customer agreed to: which contract/order, the most one debit may take, until when
    scope_ref: Mapped[str | None] = mapped_column(String(64))
    max_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # bank card
    holder_name: Mapped[str | None] = mapped_column(EncryptedText)
    id_no: Mapped[str | None] = mapped_column(EncryptedText)
    id_no_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    card_no: Mapped[str | None] = mapped_column(EncryptedText)
    card_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    card_last4: Mapped[str | None] = mapped_column(String(4))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    sign_request_id: Mapped[str | None] = mapped_column(String(64))
    sms_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_attempts: Mapped[int] = mapped_column(Integer, default=0)
    agreement_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    # papay
    contract_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    contract_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    plan_id: Mapped[str | None] = mapped_column(String(32))
    openid: Mapped[str | None] = mapped_column(String(64))

    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MandateChange(Base):
    __tablename__ = "mandate_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
