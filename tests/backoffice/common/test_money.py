"""Yuan typed in a form become fen exactly, or a message on the field."""

from __future__ import annotations

import pytest

from backoffice.common.money import fen_from_text
from scrm.core.errors import ValidationFailed

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text, fen", [("1,234.5", 123_450), ("0.10", 10), ("3.000", 300), (" 99 ", 9_900),
                                       ("", None), (None, None), ("1000000000", 100_000_000_000)])
def test_amounts_convert_exactly(text, fen):
    assert fen_from_text(text, "amount") == fen


@pytest.mark.parametrize("text, message", [("1.234", "定金最多两位小数（精确到分）"), ("abc", "定金请填写数字，例如 1234.50"),
                                           ("-1", "定金不能为负数"), ("NaN", "定金请填写数字，例如 1234.50"),
                                           ("1e10", "定金请填写数字，例如 1234.50"),
                                           ("1000000000.01", "定金不能超过 1,000,000,000")])
def test_bad_amounts_name_the_field(text, message):
    with pytest.raises(ValidationFailed) as caught:
        fen_from_text(text, "deposit", label="定金")
    assert caught.value.field == "deposit" and caught.value.message == message
