"""The eleventh round of reasoning, one kind at a time:
- amounts and terms: a purchase price however said (当时买才九万, 买的时候十五万, 落地价二十万) is no amount, nor a
  calendar year said with 零 (零九年的车) a term; a bare figure that suffices after a need (急，8000就行), a limit asked
  for (有贰拾万的额度吗) and the rest of a price borrowed with the want after it (剩下的三十万想用公积金贷) are the
  amount, and a term said as an attribute of the loan (想贷十五年的房抵) the term;
- intent: no hurry with a need stated (想借八万，不急; 要十万，下周再联系) is no decline by the rules; a call refused
  (别打了), a loan no longer needed (不用办了, 算球了), no need of money (目前没有资金需求, 我不是要贷款), a wait (下个月再看,
  下月再回访) and a matter left for later (…再说) are low, while an overdue that lasted months (逾期过几个月), more
  later if not enough (不够再说), years and then a stop (交了两年后来断了), something not got back (拿不回来) and a
  business given up (后来不做了) are no wait and no decline; the salesperson sending rates (让我先把利率发过去), a note's
  heading (面谈记录), facts volunteered (主动说明) and a deadline that is no hurry (年前办下来就行) are no readiness, while
  materials the salesperson has received (已经发我了, 转给风控), a visit to see the house asked for (啥时候能来看房子)
  and a deed brought this week (这礼拜就能把房本拿过去) are;
- tags and products: the employer paying social insurance (社保单位交着) is no policy; a car not yet bought (还没买车)
  is no car, nor denies the house; a licence of one's own (执照是我的, 有牌照), a business of these kinds (饭馆, 酒楼,
  茶餐厅, 注塑厂, 车行, 驾校) or a factory of one's own (工厂是自己盖的) is an owner, a business given up or a shop only
  planned (打算自己开店) none, and work in a supermarket (在一家超市当理货员) is no business of one's own; seed,
  fertiliser or feed bought (买种子化肥, 买饲料) is a business loan; a cleaner, a shop assistant and 体制内 are salaried,
  wages to pay each month (工资每月要发) no salary; a house put to use for the loan (老家有套房，能用来贷款吗) is a house
  pledge, a car pledged to someone (押给朋友了) or sold (车都卖了还咋押) no car pledge offered; a debt said to be light
  (负担不重, 不算高) is no high debt; online loans repaid each month (网贷每个月要还五千) or summed with the cards
  (网贷信用卡加起来) are many, applied for and refused (网贷申请了一堆都没过) not; fd being paid or had (fd在供, fd有)
  is a mortgage, not a house pledge asked for; a pledge someone refuses (她不同意抵押, 不让抵押) leaves no pledge loan,
  by the rules or the model, and says nothing of the asset.
Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import amount, tags, term

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- amounts and terms

@pytest.mark.parametrize("text", [
    "车是一七年的朗逸，当时买才九万，现在能押多少",
    "那台车买的时候十五万，开了五年了",
    "落地价二十万的车能贷吗",
])
def test_a_purchase_price_however_said_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text", [
    "我那辆零九年的老捷达还能押吗",
    "车是〇七年的面包车，能借点不",
])
def test_a_calendar_year_said_with_zero_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("征信不太好，急用钱，8000就行", 8_000),
    ("有贰拾万的额度吗，急用", 200_000),
    ("有没有拾伍万的额度吗", 150_000),
    ("首付交了三十万，剩下的三十万想用公积金贷", 300_000),
    ("买店面总价八十万，剩下五十万打算找银行贷", 500_000),
])
def test_a_figure_that_suffices_a_limit_asked_for_or_the_rest_borrowed_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "信用卡有五万的额度",
    "月供3000",
    "还剩二十万没还",
])
def test_a_limit_had_a_repayment_or_a_balance_is_still_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, months", [
    ("最长能做几年？我想贷十五年的房抵", 180),
    ("想借五年的经营贷", 60),
])
def test_a_term_said_as_an_attribute_of_the_loan_is_the_term(text, months):
    assert term(text) == months


def test_a_mortgage_paid_for_years_is_still_no_term():
    assert term("还了十年的房贷") is None


# ---------------------------------------------------------------------------------------------- intent

@pytest.mark.parametrize("text", [
    "想借八万装修，分两年，不急",
    "客户想做公积金贷二十五万，说不着急，下周再联系",
    "店里周转要十万，等我对完账再联系",
])
def test_no_hurry_with_a_need_stated_is_no_decline_by_the_rules(text):
    assert apply_rules(normalize(text)).intent != "low"


@pytest.mark.parametrize("text", [
    "不急，就是问问利息",
    "先这样吧，有空再联系",
])
def test_no_hurry_without_a_need_stated_is_still_low(text):
    assert apply_rules(normalize(text)).intent == "low"


@pytest.mark.parametrize("text", [
    "又是贷款的吧，别打了",
    "钱家里给凑上了，这个贷款就不用办了",
    "老婆死活不让贷，算球了",
    "客户在做建材批发，目前没有资金需求，下季度再回访",
    "想借五万，不过要等下个月再看",
    "我不是要贷款，就想问问提前还款要不要违约金",
])
def test_a_call_refused_a_loan_no_longer_needed_or_no_need_at_all_is_low(text):
    assert apply_rules(normalize(text)).intent == "low"


def test_an_overdue_that_lasted_months_is_no_wait():
    assert apply_rules(normalize("前年信用卡逾期过几个月，想押房子借二十万")).intent != "low"


# ---------------------------------------------------------------------------------------------- tags

@pytest.mark.parametrize("text", [
    "在厦门做保安，社保单位有交，想借三万",
    "公积金和社保单位都交着，想贷二十万",
])
def test_the_employer_paying_social_insurance_is_no_policy(text):
    assert "有保单" not in tags(text)


@pytest.mark.parametrize("text", [
    "有份平安的保单，交了六年，能贷吗",
    "想用保单贷十万",
])
def test_a_policy_named_is_still_one(text):
    assert "有保单" in tags(text)


@pytest.mark.parametrize("text", [
    "听说你们能做车贷，我还没买车，想贷款买一辆",
    "车还没提车，首付不够",
])
def test_a_car_not_yet_bought_is_no_car_nor_a_car_pledge(text):
    got = tags(text)
    assert "有车辆" not in got and "车抵贷" not in got


def test_a_car_not_yet_bought_denies_nothing_of_the_house():
    got = tags("我有套房，还没买车，想贷款买一台")
    assert "有房产" in got and "有车辆" not in got


def test_a_car_had_without_its_insurance_bought_is_still_a_car():
    assert "有车辆" in tags("有辆车，还没买车险")


@pytest.mark.parametrize("text", [
    "老家开的小饭馆，执照是我的，想借五万",
    "执照在我名下，想贷点钱",
    "店才开三个月，流水不多",
    "我在县城开了十年的驾校",
    "自己开了个二手车行，想周转",
    "陈总，台州，注塑厂，想押车",
])
def test_a_licence_of_ones_own_or_a_business_of_these_kinds_is_an_owner(text):
    assert "企业主" in tags(text)


@pytest.mark.parametrize("text", [
    "合作社开春要买种子化肥，想贷十万",
    "养了三百头猪，要买饲料，想借二十万",
])
def test_seed_fertiliser_or_feed_bought_is_a_business_loan(text):
    assert "经营贷" in tags(text)


@pytest.mark.parametrize("text", [
    "在杭州做保洁，想借一万",
    "在商场当导购，有社保",
    "我在体制内，公积金交了八年",
])
def test_a_cleaner_a_shop_assistant_or_a_state_employee_is_salaried(text):
    assert "工薪族" in tags(text)


def test_wages_to_pay_each_month_are_no_salary_of_the_owners():
    got = tags("开服装厂的，工资每月要发八十多万，想周转一百万")
    assert "企业主" in got and "工薪族" not in got


@pytest.mark.parametrize("text", [
    "在东莞打工，老家有套房，能用来贷款吗",
    "名下有套小房子，可以拿来给我贷点钱不",
])
def test_a_house_put_to_use_for_the_loan_is_a_house_pledge(text):
    assert "房抵贷" in tags(text)


@pytest.mark.parametrize("text", [
    "客户想办公积金贷二十万，分五年，让我先把利率发过去",
    "想贷二十万，还是分三年，回头我把方案发他",
    "面谈记录：客户在县医院上班，想贷十万，分三年",
])
def test_the_salesperson_sending_rates_or_a_notes_heading_is_no_readiness(text):
    assert apply_rules(normalize(text)).intent != "high"


def test_materials_the_customer_sends_are_still_readiness():
    assert apply_rules(normalize("身份证和流水已经发你了")).intent == "high"


@pytest.mark.parametrize("text", [
    "客户想做信用贷五万，身份证和流水已经发我了，资料我转给风控了",
    "想抵押二十万，啥时候能来看房子",
    "想做房抵，这礼拜就能把房本拿过去",
])
def test_materials_received_a_visit_to_the_house_or_a_deed_brought_this_week_is_high(text):
    assert apply_rules(normalize(text)).intent == "high"


@pytest.mark.parametrize("text", [
    "老婆让我先问清楚利息怎么算的再说",
    "先这样，过了这阵子再说吧",
])
def test_a_matter_left_for_later_is_low(text):
    assert apply_rules(normalize(text)).intent == "low"


def test_more_later_if_not_enough_is_no_wait():
    assert apply_rules(normalize("先借五万，不够再说")).intent != "low"


@pytest.mark.parametrize("text", [
    "在一家超市当理货员，干了三年了",
    "在这家超市上班五年了",
])
def test_work_in_a_supermarket_is_no_business_of_ones_own(text):
    got = tags(text)
    assert "企业主" not in got


def test_a_supermarket_of_ones_own_is_still_a_business():
    assert "企业主" in tags("我在镇上开了家超市，想周转十万")


@pytest.mark.parametrize("text", [
    "负债也就八万，月入一万五，负担不重",
    "房贷月供五千，负债率三成，不算高吧",
    "每个月还款压力不大，想再借十万",
])
def test_a_debt_said_to_be_light_is_no_high_debt(text):
    assert "负债过高" not in tags(text)


def test_a_debt_said_to_be_heavy_is_still_high():
    assert "负债过高" in tags("负债太高了，每个月还不过来")


@pytest.mark.parametrize("text", [
    "社保交了三年后来断了",
    "保险交了两年后停了",
    "车押给朋友了，一直拿不回来",
    "最近货款收不回来，想周转",
])
def test_years_then_a_stop_or_something_not_got_back_is_no_wait_nor_silence(text):
    assert apply_rules(normalize(text)).intent != "low"


@pytest.mark.parametrize("text", [
    "年后再说吧",
    "客户三天不回消息",
])
def test_after_new_year_or_no_reply_is_still_low(text):
    assert apply_rules(normalize(text)).intent == "low"


@pytest.mark.parametrize("text", [
    "我以前是做生意的，后来不做了，现在给别人开车，想借一万",
    "之前开过淘宝店，现在不做了，想借两万",
])
def test_a_business_given_up_is_no_owner_nor_a_loan_declined(text):
    result = apply_rules(normalize(text))
    assert result.intent != "low" and not result.tags.get("企业主")


def test_a_loan_given_up_is_still_declined():
    assert apply_rules(normalize("之前问的房抵，现在不做了")).intent == "low"


@pytest.mark.parametrize("text", [
    "在烟台开了家海鲜酒楼，想抵押两百万",
    "開咗間茶餐廳有牌照，想借三十萬",
    "做五金加工，工厂是自己盖的",
])
def test_a_restaurant_a_licence_or_a_factory_of_ones_own_is_an_owner(text):
    assert "企业主" in tags(text)


@pytest.mark.parametrize("text", [
    "上个月辞职了，打算自己开店",
    "准备在老家开个小吃店，想借五万",
])
def test_a_shop_only_planned_is_no_business(text):
    assert "企业主" not in tags(text)


def test_another_branch_planned_by_an_owner_is_still_a_business():
    assert "企业主" in tags("开了个奶茶店，生意不错，想再开一家分店")


@pytest.mark.parametrize("text", [
    "工资四千，网贷每个月要还五千",
    "信用卡加网贷月还一万，工资八千",
    "网贷信用卡加起来三十多万",
])
def test_online_loans_repaid_each_month_beside_the_pay_are_many(text):
    assert "网贷较多" in tags(text)


@pytest.mark.parametrize("text", [
    "一个月查了八次征信，网贷申请了一堆都没过",
    "口子点了好多都被拒了",
])
def test_online_loans_applied_for_and_refused_are_not_many(text):
    assert "网贷较多" not in tags(text)


def test_a_customer_who_volunteered_facts_is_not_thereby_ready():
    assert apply_rules(normalize("客户主动说明：征信查询二十多次，需要五万过年")).intent != "high"


@pytest.mark.parametrize("text", [
    "车子押给朋友了，一直拿不回来",
    "我车都卖了还咋押",
])
def test_a_car_pledged_to_someone_or_sold_is_no_car_pledge_offered(text):
    assert "车抵贷" not in tags(text)


def test_a_car_offered_is_still_a_car_pledge():
    assert "车抵贷" in tags("我的车想押一下，借五万")


@pytest.mark.parametrize("text", [
    "额度能到30w吗，我fd在供",
    "有个fd在还，想再借点",
    "dk10w，fd有，能做吗",
])
def test_fd_paid_or_had_is_a_mortgage_not_a_house_pledge_asked_for(text):
    got = tags(text)
    assert "房抵贷" not in got and "有房产" in got


def test_fd_asked_for_is_still_a_house_pledge():
    assert "房抵贷" in tags("我想做fd，房抵有什么要求")


@pytest.mark.parametrize("text", [
    "老婆的车，她不同意抵押，我能不能贷",
    "房子是我妈的，她不让抵押，还有别的办法借钱吗",
    "家里人不肯抵押，那我还能贷点啥",
])
def test_a_pledge_someone_refuses_leaves_no_pledge_loan_to_guess_and_no_asset(text):
    got = tags(text)
    assert not got & {"车抵贷", "房抵贷", "有车辆", "有房产"}, got
