"""Money helpers for the back-office schemas: yuan in, decimal strings out."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

from scrm.core import money
from scrm.core.errors import ValidationFailed
from scrm.core.money import MAX_YUAN, from_fen, to_fen

# two decimals at most, so a yuan amount converts to fen without any rounding
YuanIn = money.Yuan
YuanOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def fen_of(amount: Decimal | None) -> int | None:
    """Exact conversion of a two-decimal yuan amount (schemas have already refused more decimals)."""
    return None if amount is None else to_fen(amount)


REFUSALS = {"not_a_number": "{label}请填写数字，例如 1234.50", "decimals": "{label}最多两位小数（精确到分）",
            "negative": "{label}不能为负数", "too_large": "{label}不能超过 {maximum:,}"}


def two_decimals(text: str | None, field: str, *, label: str = "金额", maximum: Decimal = MAX_YUAN
                 ) -> Decimal | None:
    """A number a person typed (``12,345.6``): blank is None; more than two decimals, a negative, anything
    but ASCII digits (no exponents, no full-width digits) is a ``ValidationFailed`` on ``field``."""
    raw = "" if text is None else str(text).strip().replace("，", ",").removeprefix("¥").removesuffix("元").strip()
    if not raw:
        return None
    try:
        return money.yuan_amount(raw.replace(",", ""), maximum)
    except money.NotAnAmount as exc:
        raise ValidationFailed(REFUSALS[exc.kind].format(label=label, maximum=maximum), field=field) from exc


def fen_from_text(text: str | None, field: str, *, label: str = "金额") -> int | None:
    """A yuan amount typed in a form, converted exactly to fen (blank is None)."""
    return fen_of(two_decimals(text, field, label=label))


def parse_yuan(text: str | None, field: str, *, label: str = "金额") -> int:
    """Like ``fen_from_text`` for an amount that must be given."""
    fen = fen_from_text(text, field, label=label)
    if fen is None:
        raise ValidationFailed(f"请填写{label}（元）", field=field)
    return fen
