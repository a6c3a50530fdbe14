"""The one parser of yuan amounts from outside: exact to the fen or refused with a reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from scrm.core.money import NotAnAmount, Yuan, yuan_amount

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("value, expected", [("3200.50", "3200.50"), (" 7 ", "7.00"), ("12.300", "12.30"), (0, "0.00"),
                                             (3200.5, "3200.50"), (Decimal("0.1"), "0.10"), ("1000000000", "1000000000.00")])
def test_plain_amounts_are_exact(value, expected):
    assert yuan_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value, kind", [("1e30", "not_a_number"), (1e30, "not_a_number"), (Decimal("1E+2"), "not_a_number"),
                                         ("NaN", "not_a_number"), (float("inf"), "not_a_number"), ("Infinity", "not_a_number"),
                                         ("1.005", "decimals"), ("1" * 60, "too_large"), ("1" * 60 + ".001", "decimals"),
                                         ("-0.01", "negative"), (True, "not_a_number"), ("", "not_a_number")])
def test_what_is_not_an_amount_says_why(value, kind):
    with pytest.raises(NotAnAmount) as refused:
        yuan_amount(value)
    assert refused.value.kind == kind and str(refused.value)


def test_the_schema_type_refuses_with_a_message():
    class Payment(BaseModel):
        amount: Yuan

    assert Payment(amount="86.5").amount == Decimal("86.50")
    with pytest.raises(ValidationError) as refused:
        Payment(amount="1e30")
    assert refused.value.errors()[0]["loc"] == ("amount",) and "two decimals" in refused.value.errors()[0]["msg"]
