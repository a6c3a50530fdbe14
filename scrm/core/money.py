"""Money is integer fen in storage and ``Decimal`` yuan in code; this is the one place that rounds."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

FEN = Decimal("0.01")
MAX_YUAN = Decimal("1000000000")


def round_fen(amount: Decimal) -> Decimal:
    """Round a yuan amount to the fen, half up. The only rounding in the product."""
    if not isinstance(amount, Decimal):
        raise TypeError("money must be a Decimal, not %s" % type(amount).__name__)
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    return int(round_fen(amount) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(FEN)


def parse_yuan(text: str | int | Decimal) -> Decimal:
    """Parse a yuan amount given by a person or an API; floats are refused."""
    if isinstance(text, float):
        raise TypeError("floats are not accepted for money")
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return value


_PLAIN_NUMBER = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?", re.ASCII)


class NotAnAmount(ValueError):
    """Why a yuan amount was refused; ``kind`` is ``not_a_number``, ``decimals``, ``negative`` or ``too_large``."""

    MESSAGES = {
        "not_a_number": "must be a plain number of yuan with at most two decimals, e.g. 1234.50 "
                        "(no exponent, NaN or Infinity)",
        "decimals": "must have at most two decimals (exact to the fen)",
        "negative": "must not be negative",
        "too_large": "must not be more than {maximum:,} yuan",
    }

    def __init__(self, kind: str, maximum: Decimal = MAX_YUAN):
        super().__init__(self.MESSAGES[kind].format(maximum=maximum))
        self.kind, self.maximum = kind, maximum


def yuan_amount(value: Any, maximum: Decimal = MAX_YUAN) -> Decimal:
    """A yuan amount from a person or an API, exact to the fen: ASCII digits with at most two decimals,
    between 0 and ``maximum``; a JSON number is read as written, so ``1e30`` is refused like ``"1e30"``."""
    if isinstance(value, float):
        text = repr(value)  # the shortest text that is this float: 3200.5 -> "3200.5", 1e30 -> "1e+30"
    elif isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        text = str(value).strip()
    else:
        raise NotAnAmount("not_a_number", maximum)
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain is None:
        raise NotAnAmount("not_a_number", maximum)
    if (plain.group(2) or "").rstrip("0")[2:]:
        raise NotAnAmount("decimals", maximum)
    amount = Decimal(text)
    if amount < 0:
        raise NotAnAmount("negative", maximum)
    if amount > maximum:
        raise NotAnAmount("too_large", maximum)
    return amount.quantize(FEN)


Yuan = Annotated[Decimal, BeforeValidator(yuan_amount), Field(ge=0, le=MAX_YUAN, description="yuan, at most two decimals")]
"""A yuan amount in a request payload: ``yuan_amount``'s rules, refused as a 422 on the field."""
