"""The twelfth round of reasoning, one kind at a time:
- amounts: sales over a period (月销八十万, 年销两千万), a base pay said in English (base 30k), a loan taken before
  (上次借的两万, 之前贷的五万), a quoted price (报价六十万) and a debt of that much (还欠着三十多万的债) are no amount,
  while the figure wanted beside them still is.
Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging.text import extract_amount, normalize

pytestmark = pytest.mark.pure


def amount(text: str) -> int | None:
    return extract_amount(normalize(text))


# ------------------------------------------------------------------------------------------------------ amounts

@pytest.mark.parametrize("text", [
    "开京东店的，月销八十万左右，回款要四十五天，能做税贷吗",
    "工厂年销两千万，想了解下经营贷",
    "在外企做IT，base 30k，想问问信用贷利率",
    "我还欠着三十多万的债，想想还是先不借了",
])
def test_sales_a_base_pay_or_a_debt_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text,want", [
    ("上次借的两万早还清了，这回想借八万", 80_000),
    ("之前贷的五万还在还，现在还想再贷十万", 100_000),
    ("想贷款买台机床，报价六十万，自己出一半，剩下三十万想贷", 300_000),
])
def test_a_loan_taken_before_or_a_quoted_price_leaves_the_figure_wanted(text, want):
    assert amount(text) == want
