"""Money helpers for the back-office schemas: yuan in, decimal strings out."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from scrm.errors import ValidationFailed
from scrm.money import from_fen
from scrm.money import parse_yuan as parse_decimal
from scrm.money import to_fen

MAX_YUAN = Decimal("1000000000")
_PLAIN = re.compile(r"-?(\d[\d,]*)?(\.\d*)?")

# two decimals at most, so a yuan amount converts to fen without any rounding
YuanIn = Annotated[Decimal, Field(ge=0, le=MAX_YUAN, max_digits=12, decimal_places=2)]
YuanOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def fen_of(amount: Decimal | None) -> int | None:
    """Exact conversion of a two-decimal yuan amount (schemas have already refused more decimals)."""
    return None if amount is None else to_fen(amount)


def parse_yuan(text: str | None, field: str) -> int:
    """A yuan amount typed into a form (``1,234.5``) as exact fen; at most two decimals, never negative.
    Raises ValidationFailed naming ``field``."""
    raw = (text or "").strip().replace("，", ",").replace("¥", "").replace("元", "").strip()
    if not raw:
        raise ValidationFailed("请填写金额（元）", field=field)
    try:
        if not _PLAIN.fullmatch(raw):
            raise ValueError(raw)
        amount = parse_decimal(raw)
    except ValueError:
        raise ValidationFailed(f"“{raw[:20]}”不是金额，请填写数字（元），例如 1200.50", field=field) from None
    if amount < 0:
        raise ValidationFailed("金额不能为负数", field=field)
    if amount > MAX_YUAN:
        raise ValidationFailed("金额过大", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("金额最多两位小数（精确到分）", field=field)
    return int(amount * 100)
