"""The ninth round of reasoning, one kind at a time: the repayments of several loans added up against the income
(房贷每月一万二, 车贷四千, 月入两万), a figure with 多 taken past its round figure (三千多), a card's limit nearly used
(额度5w 用了4w8); borrowing to pay debts off first (借点先把急的还了) and debts that cannot be paid (没得还); every online
loan overdue, used or unpayable (网贷都逾期了, 网贷都用遍了) and one overdue for days; all online loans paid off
(还清了所有网贷, 上岸了); a count of inquiries in 回. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging.text import extract_amount, normalize
from tests.tagging.reasoning import tags

pytestmark = pytest.mark.pure


def amount(text: str) -> int | None:
    return extract_amount(normalize(text))


# ---------------------------------------------------------------------------------------------- debts and loans

@pytest.mark.parametrize("text", [
    "月入一万五，房贷每月八千，车贷四千，还想借点",
    "工资六千，每个月还房贷四千，车贷两千五",
    "每月还款四千多，工资才五千，想再贷一点",
    "信用卡额度10w 已经用了9w6 还能借吗",
    "欠的太杂了 想借五万先把几张卡还了",
    "网贷借了好多家，现在没钱还，咋办",
])
def test_repayments_near_the_income_a_card_used_up_or_debts_unpaid_are_high_debt(text):
    assert "负债过高" in tags(text)


@pytest.mark.parametrize("text", [
    "月薪两万，房贷每月六千，车贷两千",
    "借呗花呗都有，加起来欠三万，月薪六千",
    "房贷每月一万，想问问能贷多少",
])
def test_repayments_well_below_the_income_or_a_total_owed_are_not_high_debt(text):
    assert "负债过高" not in tags(text)


@pytest.mark.parametrize("text", [
    "网贷全都逾期了 还能借吗",
    "口子都用遍了 还有啥能下的",
    "网贷逾期二十多天了，急需一笔",
])
def test_online_loans_all_overdue_or_used_up_are_many(text):
    assert "网贷较多" in tags(text)


@pytest.mark.parametrize("text", [
    "上个月刚结清了全部网贷，一共六个，现在想借xyd",
    "以前网贷五六个，现在都上岸了，征信好了",
])
def test_online_loans_all_paid_off_are_not_many(text):
    assert "网贷较多" not in tags(text)


def test_a_count_of_inquiries_in_hui_counts():
    assert "查询过多" in tags("这个月征信被查了九回了")
