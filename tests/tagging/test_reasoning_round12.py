"""The twelfth round of reasoning, one kind at a time:
- amounts: sales over a period (月销八十万, 年销两千万), a base pay said in English (base 30k), a loan taken before
  (上次借的两万, 之前贷的五万), a quoted price (报价六十万) and a debt of that much (还欠着三十多万的债) are no amount,
  while the figure wanted beside them still is;
- terms: a model year said as tens (十六年的卡罗拉) is no term unless a loan word stands just before it (贷十五年的);
  time since a car was bought (车才提三个月), a record kept that long (三年纳税记录, 两年的经营流水) and when part is paid
  back (三个月能不能先还一半) are no term; a ceiling on the term (不要超过五年, 唔好超过三年, 最长不超过两年) is the term;
- tags: more salaried work named by its post (辅警, 协警, 教书, 编制内, 挡车工, 操作工, 流水线, 做行政, 做文职); a fear
  of borrowing more than can be repaid (别借太多还不起, 怕以后还不起) is no high debt, while debts that cannot be repaid
  (网贷太多了还不起) still are, and so are cards run up to the limit (刷到爆) and online loans or cards taken too far
  (网贷借太多了), but not a caution against it (网贷不敢借太多); wages owed to one's workers (工人年底要结工资, 厂里下个月要发工资) and a job looked for
  (在找工作) are no salary, while one's own pay day (公司每月十号发工资) still is; a post held in a business (工厂主管,
  公司经理) and a district named with 开 (开发区) are no business of one's own;
- products: a shop front fitted out or enlarged (装修铺面, 扩大摊位, written traditionally too: 擴大攤位) and a branch
  opened (再开一间分店) are money for a business;
- intent: a near deadline with the loan's next step (下礼拜就要用, 这个月必须办下来, 这周能批下来吗, 能不能这周把流程走完,
  今个礼拜想搞掂, 明天能去你们那) is high; only asking said other ways (只是咨询下, 我就问问, 就是想问问) is low, unless
  urgency is said too.
Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import amount, tags, term

pytestmark = pytest.mark.pure


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


# -------------------------------------------------------------------------------------------------------- terms

@pytest.mark.parametrize("text", [
    "十六年的卡罗拉，全款的，能押多少",
    "车才提三个月，还能抵押贷款吗",
    "公司有三年纳税记录，想做个税贷，三十万",
    "有两年的经营流水，想贷二十万",
    "想借二十万，三个月能不能先还一半",
])
def test_a_model_year_time_since_a_purchase_a_record_or_a_part_paid_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text,months", [
    ("想贷十五年的房贷", 180),
    ("拿厂房抵押借两百万，不要超过五年", 60),
    ("用铺面抵押攞一百万，唔好超过三年", 36),
    ("想借十万，最长不超过两年", 24),
])
def test_a_loan_word_before_the_years_or_a_ceiling_on_the_term_is_the_term(text, months):
    assert term(text) == months


# --------------------------------------------------------------------------------------------------------- tags

@pytest.mark.parametrize("text", [
    "我在县公安局当辅警，想借三万买个电动车",
    "在镇上小学教书，编制内的，想了解下信用贷",
    "在电子厂流水线上做操作工，能借两万吗",
    "我在一家物流公司做行政，有社保，想贷五万",
])
def test_salaried_work_named_by_its_post_is_salaried(text):
    assert "工薪族" in tags(text)


@pytest.mark.parametrize("text", [
    "开出租的，想借三万，别贷太多了到时候还不起",
    "够用就行，不敢借多了，怕以后还不起",
    "给我少批点，免得还不起",
])
def test_a_fear_of_borrowing_too_much_is_no_high_debt(text):
    assert "负债过高" not in tags(text)


@pytest.mark.parametrize("text", [
    "网贷太多了还不起，天天有人催",
    "信用卡透支了二十多万，真的还不起了",
])
def test_debts_that_cannot_be_repaid_are_still_high_debt(text):
    assert "负债过高" in tags(text)


@pytest.mark.parametrize("text", [
    "我在佛山开了间糖水铺，有执照，想借八万装修下门面",
    "在菜市场卖水果的，个体户，想借两万扩大摊位",
    "我個體戶，在台中賣滷味，想借三萬擴大攤位",
    "奶茶店生意不错，想再开一家分店，需要四十万",
])
def test_a_shop_front_fitted_out_or_a_branch_opened_is_a_business_loan(text):
    assert "经营贷" in tags(text)


# ------------------------------------------------------------------------------------------------------- intent

@pytest.mark.parametrize("text", [
    "老家房子想抵押借二十万，下礼拜就要用",
    "要三十万周转，这个月必须办下来",
    "税贷五十万，这周能批下来吗",
    "额度降到六万也行，能不能这周把流程走完",
    "想押车借八万，今个礼拜想搞掂",
    "车在我名下，想押了借五万，明天能去你们那办吗",
])
def test_a_near_deadline_with_the_next_step_is_high(text):
    assert apply_rules(normalize(text)).intent == "high"


@pytest.mark.parametrize("text", [
    "不急，下周再说吧",
    "今天只是随便问问利息",
])
def test_a_day_named_without_a_step_is_not_high(text):
    assert apply_rules(normalize(text)).intent != "high"


@pytest.mark.parametrize("text", [
    "只是咨询下，社保交了八年能贷多少",
    "我就问问，在银行上班的能做信用贷吗",
    "没什么急事，就是想问问房抵的利息",
])
def test_only_asking_said_other_ways_is_low(text):
    assert apply_rules(normalize(text)).intent == "low"


def test_only_asking_with_urgency_said_too_is_still_high():
    assert apply_rules(normalize("就是想问问，急用，今天能办吗")).intent == "high"


@pytest.mark.parametrize("text", [
    "包工程的，工人月底要结工资，急需六十万",
    "工厂下个月等着发工资，需要周转一百万",
    "店关了，现在在找工作，想借两万先用着",
])
def test_wages_owed_to_workers_or_a_job_looked_for_is_no_salary(text):
    assert "工薪族" not in tags(text)


def test_ones_own_pay_day_is_still_a_salary():
    assert "工薪族" in tags("我在公司上班，公司每月十五号发工资，想借一万")


@pytest.mark.parametrize("text", [
    "客户赵女士，经济开发区工厂主管，月薪一万二，想了解信用贷",
    "我在一家物流公司经理岗位，想借十万",
])
def test_a_post_held_in_a_business_or_a_district_named_with_kai_is_no_owner(text):
    assert "企业主" not in tags(text)


def test_a_business_opened_in_a_district_is_still_an_owner():
    assert "企业主" in tags("在苏州工业园区开了个厂，想贷款周转")


@pytest.mark.parametrize("text", [
    "两张信用卡都刷到爆了，想借钱周转",
    "前几年网贷借太多了，现在好几家都逾期",
])
def test_cards_run_up_or_online_loans_taken_too_far_are_high_debt(text):
    assert "负债过高" in tags(text)


def test_a_caution_against_borrowing_too_much_online_is_no_high_debt():
    assert "负债过高" not in tags("网贷不敢借太多，想在你们这借两万")
