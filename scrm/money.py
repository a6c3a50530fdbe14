"""Money is integer fen in storage and ``Decimal`` yuan in code; this is the one place that rounds."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")


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
