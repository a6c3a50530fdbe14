"""Amounts typed by a person become exact fen, or an error naming the field."""

from __future__ import annotations

import pytest

from backoffice.common.money import parse_yuan
from scrm.core.errors import ValidationFailed

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text, fen", [("86.5", 8650), ("1,234.50", 123450), (" 7 ", 700), ("0.10", 10),
                                       ("12.300", 1230), ("0", 0), ("1000000000", 100_000_000_000)])
def test_exact_fen(text, fen):
    assert parse_yuan(text, "amount") == fen


@pytest.mark.parametrize("text, message", [
    ("", "请填写金额（元）"), (None, "请填写金额（元）"), ("86.505", "金额最多两位小数（精确到分）"),
    ("八十", "金额请填写数字，例如 1234.50"), ("1e3", "金额请填写数字，例如 1234.50"),
    ("NaN", "金额请填写数字，例如 1234.50"), ("８６", "金额请填写数字，例如 1234.50"),
    ("-1", "金额不能为负数"), ("1000000000.01", "金额不能超过 1,000,000,000")])
def test_refused_with_the_field_named(text, message):
    with pytest.raises(ValidationFailed) as caught:
        parse_yuan(text, "deposit")
    assert (caught.value.field, caught.value.message) == ("deposit", message)
