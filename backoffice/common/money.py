"""Money helpers for the back-office schemas: yuan in, decimal strings out."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from scrm.errors import ValidationFailed
from scrm.money import from_fen, parse_yuan, to_fen

# two decimals at most, so a yuan amount converts to fen without any rounding
YuanIn = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), max_digits=12, decimal_places=2)]
YuanOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def fen_of(amount: Decimal | None) -> int | None:
    """Exact conversion of a two-decimal yuan amount (schemas have already refused more decimals)."""
    return None if amount is None else to_fen(amount)


MAX_YUAN = Decimal("1000000000")


def two_decimals(text: str | None, field: str, *, label: str = "金额", maximum: Decimal = MAX_YUAN
                 ) -> Decimal | None:
    """A number a person typed (``12,345.6``): blank is None; more than two decimals, a negative or a
    non-number is a ``ValidationFailed`` on ``field``."""
    if text is None or not str(text).strip():
        return None
    try:
        value = parse_yuan(str(text))
    except ValueError:
        raise ValidationFailed(f"{label}请填写数字，例如 1234.50", field=field) from None
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{label}最多两位小数", field=field)
    if value < 0:
        raise ValidationFailed(f"{label}不能为负数", field=field)
    if value > maximum:
        raise ValidationFailed(f"{label}不能超过 {maximum:,}", field=field)
    return value


def fen_from_text(text: str | None, field: str, *, label: str = "金额") -> int | None:
    """A yuan amount typed in a form, converted exactly to fen (blank is None)."""
    return fen_of(two_decimals(text, field, label=label))
