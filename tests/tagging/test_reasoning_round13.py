"""The thirteenth round of reasoning, one kind at a time:
- amounts: a change of figure said after a word of money had (问了月供又说改成六万) is the amount; a figure marked as
  the first plan (原计划, 原来要, 先说, 本来想) gives way to any figure wanted after it; a figure in the clause after
  one saying what an asset is worth (房子不值钱，估计也就二十来万) is that worth; a figure after only who earns it, in
  the clause after a figure of money had (老公月薪一万二，我八千), is more of that money;
- terms: two terms weighed against each other (分36期和分60期, 三年还是五年) are no term; a half of the calendar year
  (下半年再看, 上半年) is no term;
- products: a pledge loan named beside money for a business (用厂房抵押借钱出粮) is the pledge's loan, and so is a
  pledge said as 抵出来 / 抵一套 of the one asset stated; a loan said not to be wanted (暂时不打算贷款) gives the
  housing fund no loan; money said to be enough with a word of degree between (资金很充裕, 资金还够用) asks no
  business loan;
- intent: 不再 negates what follows it (不再主动联系 is no eagerness).
Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import amount, tags, term

pytestmark = pytest.mark.pure


# ------------------------------------------------------------------------------------------------------ amounts

@pytest.mark.parametrize("text,want", [
    ("开始想借十五万，算了下月供，又说改成八万", 80_000),
    ("问了利息以后，他把额度降到五万", 50_000),
    ("原计划贷四十万，后面房子评估低了，要二十五万就行", 250_000),
    ("客户本来想借二十万买车，今天说只要十二万", 120_000),
    ("先说要五万，聊了一会儿，还是借三万吧", 30_000),
    ("一开始说要一百万做房抵，评估只值八十万，那就贷六十万", 600_000),
])
def test_a_changed_figure_or_one_after_the_first_plan_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "老家的房子不值钱，估计也就十来万，能贷多少",
    "这辆车开了八年了不值钱，大概三万吧，能借多少啊",
    "两口子都上班，我工资七千，老婆五千，想借点钱",
    "老公月薪一万，我六千，能借多少",
])
def test_a_worth_said_on_or_another_salary_listed_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text,want", [
    ("房子估值两百万，想贷一百万", 1_000_000),
    ("工资八千，二十万能批吗", 200_000),
    ("原计划借八十万，估值不够，降到五十万", 500_000),
])
def test_a_figure_wanted_after_a_worth_or_a_salary_is_still_the_amount(text, want):
    assert amount(text) == want


# -------------------------------------------------------------------------------------------------------- terms

@pytest.mark.parametrize("text", [
    "分24期和分36期月供差多少",
    "贷三年还是五年划算一点",
    "店里生意一般，下半年再看要不要借",
    "上半年资金紧，先问问利息",
])
def test_terms_weighed_or_a_half_of_the_calendar_year_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text,months", [
    ("想借五万，分半年还", 6),
    ("三年和五年都行，最后定分三年吧", 36),
])
def test_a_half_year_or_a_term_chosen_after_weighing_is_the_term(text, months):
    assert term(text) == months


# ----------------------------------------------------------------------------------------------------- products

@pytest.mark.parametrize("text,product", [
    ("我开厂的，想用厂房抵押借两百万发工资", "房抵贷"),
    ("有套商铺，想拿商铺抵押贷五十万进货", "房抵贷"),
    ("家里有辆货车，想抵出来点钱周转", "车抵贷"),
    ("我们家有两套房，想抵一套贷八十万做生意", "房抵贷"),
])
def test_a_pledge_beside_money_for_a_business_is_the_pledge_loan(text, product):
    assert apply_rules(normalize(text)).product == product


def test_money_for_a_business_with_no_pledge_is_still_a_business_loan():
    assert apply_rules(normalize("我开了家饭店，想借二十万周转")).product == "经营贷"


@pytest.mark.parametrize("text", [
    "公积金交了五年，暂时不打算贷款，先了解下",
    "公积金每月两千，现在不想借，以后买房再说",
])
def test_a_loan_said_not_wanted_gives_the_fund_no_loan(text):
    assert apply_rules(normalize(text)).product != "公积金贷"


@pytest.mark.parametrize("text", [
    "客户开饭店的，问了利率，目前资金很充裕",
    "个体户，有执照，手上的资金还够用，下半年再看",
])
def test_money_said_to_be_enough_asks_no_business_loan(text):
    assert apply_rules(normalize(text)).product is None


# ------------------------------------------------------------------------------------------------------- intent

@pytest.mark.parametrize("text", [
    "客户说利息太高不做了，备注不再主动联系",
    "不想借了，以后不再主动找你们",
])
def test_no_longer_eager_is_not_high(text):
    assert apply_rules(normalize(text)).intent != "high"


def test_tags_helper_still_reads_an_owner():
    assert "企业主" in tags("我开了家饭店，想借二十万周转")
