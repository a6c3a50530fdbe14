"""The fifth round of reasoning, one kind at a time: terms said as a range, after the amount or as a calendar year;
figures followed by a count; online loans counted in 笔 and debts owed to several lenders; debt against a multiple
of income, said as not keeping up, or paid off since; inquiries said as a crowded report or a round of tries;
houses that are someone else's, not built yet, or named with words between. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging import pipeline
from scrm.tagging.rules import apply_rules
from scrm.tagging.text import extract_amount, extract_term, normalize
from tests.tagging.reasoning import asserted, tags

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("text, months", [
    ("想借八万，两年到三年都可以", 36),
    ("期限一年至两年", 24),
    ("想做20万2年", 24),
])
def test_a_term_range_gives_its_upper_end_and_a_term_after_the_amount_counts(text, months):
    assert extract_term(normalize(text)) == months


@pytest.mark.parametrize("text", ["车是18年的速腾，能押吗", "一年就查了两次", "半年就3次查询", "一个月光还网贷就要五千"])
def test_a_calendar_year_and_a_count_per_period_are_not_a_term(text):
    assert extract_term(normalize(text)) is None


@pytest.mark.parametrize("text, yuan", [
    ("申请经营贷20万24期", 200000),
    ("想贷款40个w", 400000),
    ("贷个8个w就行", 80000),
])
def test_periods_after_a_figure_and_ten_thousands_counted_as_ge_are_read_apart(text, yuan):
    assert extract_amount(normalize(text)) == yuan


@pytest.mark.parametrize("text", ["名下有三个铺面，能抵押吗", "想问下三百万医疗险贵不贵"])
def test_a_count_of_things_owned_and_a_policy_s_cover_are_not_the_amount(text):
    assert extract_amount(normalize(text)) is None


# ---------------------------------------------------------------------------------------------- risks

@pytest.mark.parametrize("text", ["网贷还有4笔没还完", "有3笔网贷在还"])
def test_online_loans_counted_in_bi_are_many(text):
    assert asserted(text).get("网贷较多") is True


def test_debts_owed_to_several_lenders_are_high_debt_and_to_one_or_two_are_not_said():
    assert asserted("欠了七八家的钱，天天打电话").get("负债过高") is True
    assert asserted("欠了两家的钱").get("负债过高") is False


@pytest.mark.parametrize("text", [
    "外面欠的钱差不多是我工资的四倍",
    "每个月要还的跟收入差不多",
    "光还钱就得九千，收入才一万",
    "借这个还那个，快顶不住了",
    "银行和网贷每家都在催",
    "fz太高了",
])
def test_debt_said_against_income_or_as_not_keeping_up_is_high(text):
    assert asserted(text).get("负债过高") is True


def test_high_debt_paid_off_since_is_not_high_but_online_loans_paid_off_leave_it():
    assert "负债过高" not in tags("之前信用卡刷爆了，今年全部还清了，想贷点装修")
    assert "负债过高" in tags("信用卡刷爆了，网贷都结清了")


@pytest.mark.parametrize("text", ["征信报告上查询记录密密麻麻", "能借钱的app都试了一遍", "到处借，几个银行都申请了一遍"])
def test_inquiries_said_as_a_crowded_report_or_a_round_of_tries_are_many(text):
    assert asserted(text).get("查询过多") is True


# ---------------------------------------------------------------------------------------------- assets

def test_a_house_that_is_someone_else_s_is_not_the_customer_s_and_one_of_their_own_is():
    assert asserted("那套房子是我爸妈的").get("有房产") is False
    assert asserted("房子是我自己的").get("有房产") is True


def test_land_with_no_house_built_is_no_house():
    assert asserted("村里有块宅基地，还没盖房").get("有房产") is False


@pytest.mark.parametrize("text", ["有一套两室的小公寓", "老家的房子是自己盖的", "有套小产权，想贷点", "房产一套，车一辆"])
def test_a_house_named_with_words_between_or_built_oneself_is_a_house(text):
    assert asserted(text).get("有房产") is True


def test_a_list_said_complete_asserts_each_of_its_topics():
    got = asserted("社保公积金齐全")
    assert got.get("有社保") is True and got.get("有公积金") is True


@pytest.mark.parametrize("text", ["自己开的店，卖五金", "我是养牛的，五十多头", "自己带了几个工人做装修"])
def test_running_a_shop_a_farm_or_a_crew_is_a_business_owner(text):
    assert asserted(text).get("企业主") is True


def test_a_loan_that_must_come_through_is_high_intent():
    assert pipeline.analyze("不管怎样一定要下来").intent == "high"


def test_being_blacklisted_by_lenders_or_having_to_find_a_way_is_not_a_refusal():
    assert pipeline.analyze("申请了三家都拒了，我是不是被拉黑了").intent != "low"
    assert apply_rules(normalize("再不想办法就来不及了")).intent is None
    assert pipeline.analyze("别打了，已经把你拉黑了").intent == "low"


def test_about_to_be_overdue_is_no_overdue_yet_but_keeps_an_overdue_said_before():
    assert asserted("信用卡下个月就要逾期了").get("征信逾期") is False
    assert asserted("去年逾期过两次，这个月又快逾期了").get("征信逾期") is True
