"""Money helpers for the back-office schemas: yuan in, decimal strings out."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from scrm import money
from scrm.errors import ValidationFailed
from scrm.money import from_fen, to_fen

# two decimals at most, so a yuan amount converts to fen without any rounding
YuanIn = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), max_digits=12, decimal_places=2)]
YuanOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def fen_of(amount: Decimal | None) -> int | None:
    """Exact conversion of a two-decimal yuan amount (schemas have already refused more decimals)."""
    return None if amount is None else to_fen(amount)


MAX_YUAN = Decimal("1000000000")
AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def parse_yuan(text: str | None, field: str) -> int:
    """A yuan amount typed by a person ("1,234.50") to exact fen; anything else is a ValidationFailed on ``field``."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationFailed("请填写金额（元）", field=field)
    if not AMOUNT_TEXT.fullmatch(raw.replace(",", "")):
        raise ValidationFailed("请填写数字金额（元），例如 128.50", field=field)
    amount = money.parse_yuan(raw)
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(money.FEN):
        raise ValidationFailed("金额最多两位小数（精确到分）", field=field)
    if amount < 0:
        raise ValidationFailed("金额不能为负数", field=field)
    if amount > MAX_YUAN:
        raise ValidationFailed("金额过大", field=field)
    return to_fen(amount)
