"""Money helpers for the back-office schemas: yuan in, decimal strings out."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from scrm.money import from_fen, to_fen

# two decimals at most, so a yuan amount converts to fen without any rounding
YuanIn = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), max_digits=12, decimal_places=2)]
YuanOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def fen_of(amount: Decimal | None) -> int | None:
    """Exact conversion of a two-decimal yuan amount (schemas have already refused more decimals)."""
    return None if amount is None else to_fen(amount)
