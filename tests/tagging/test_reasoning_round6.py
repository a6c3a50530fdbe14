"""The sixth round of reasoning, one kind at a time: inquiries counted per window, tried everywhere or soft; debt said
as owing too much, one card paying another, a card nearly used up or repayments added up; houses in dialect, built
oneself without a deed, or one's own; a plant owned without a business; a pledge raising money for a business; online
loans and applications told apart. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging import pipeline
from scrm.tagging.text import extract_amount, extract_term, normalize
from tests.tagging.reasoning import asserted, tags

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- inquiries

def test_inquiries_counted_per_window_use_the_largest_count():
    assert asserted("征信查询次数：近1月3次，近3月5次，近6月8次").get("查询过多") is True
    assert asserted("征信查询：近3月2次").get("查询过多") is False


@pytest.mark.parametrize("text", ["下载了一堆贷款软件点了个遍", "每个app都试过了，没一个能过", "cx太多 1个月10次"])
def test_trying_every_lender_and_cx_for_inquiries_are_many(text):
    assert asserted(text).get("查询过多") is True


@pytest.mark.parametrize("text", ["查询才4次算多吗", "硬查询三次，软查询很多", "贷后管理的查询有很多，审批的没几次"])
def test_a_small_count_asked_about_and_soft_or_post_loan_inquiries_are_not_many(text):
    assert "查询过多" not in tags(text)


def test_platforms_applied_to_are_inquiries_not_online_loans():
    assert "网贷较多" not in tags("我申请了好几个平台都被拒了")
    assert asserted("一个月申了7个平台 都没过").get("查询过多") is True


def test_one_online_loan_said_with_its_measure_word_counts_as_having_them():
    assert asserted("有个网贷没还完").get("网贷较多") is True


# ---------------------------------------------------------------------------------------------- debt

@pytest.mark.parametrize("text", [
    "我欠的钱太多了，不知道该怎么办",
    "每个月都要拿这张卡去还那张卡",
    "信用卡额度用了9成",
    "信用卡用了8成",
    "俺信用卡整爆了",
    "月收入一万，房贷每个月五千，车贷两千五，信用卡分期两千，加起来九千五了",
])
def test_owing_too_much_cards_paying_cards_and_repayments_added_up_are_high_debt(text):
    assert asserted(text).get("负债过高") is True


@pytest.mark.parametrize("text", ["之前信用卡刷爆了，现在已经还清了", "以前负债挺高的，最近半年都还完了"])
def test_high_debt_said_paid_off_with_yijing_or_huanwan_is_no_longer_high(text):
    assert "负债过高" not in tags(text)


# ---------------------------------------------------------------------------------------------- houses

@pytest.mark.parametrize("text", [
    "喺深圳，我有间铺头，想攞啲钱周转",
    "厝是自己起的，在泉州乡下",
    "俺家是自建房 在农村 没有房产证 能贷不",
    "有房子但没有房产证，是回迁房",
    "俺家那房子是老破小 但是是俺自己的",
    "房一套按揭 月供4500",
    "新房还没交房，期房，按揭在还",
])
def test_houses_in_dialect_built_oneself_without_a_deed_or_said_as_ones_own(text):
    assert asserted(text).get("有房产") is True


@pytest.mark.parametrize("text", ["有间厂房和一块地，都在佛山，办证齐全", "客户 佛山 商铺1间 厂房1处 均自有"])
def test_a_plant_owned_is_a_property_not_a_business(text):
    got = tags(text)
    assert "有房产" in got and "企业主" not in got


# ---------------------------------------------------------------------------------------------- products

@pytest.mark.parametrize("text", [
    "在广州有一间商铺，出租中，想用来抵押贷个200万做生意",
    "房子在长沙，现在想抵押出来做生意，大概八十万吧",
])
def test_money_for_a_business_raised_on_a_pledge_is_the_pledges_loan(text):
    assert pipeline.analyze(text).product == "房抵贷"


def test_a_house_someone_else_owns_pledged_in_a_later_clause_is_a_house_pledge():
    a = pipeline.analyze("房子是我爸妈的写的他们名字，我能拿来抵押吗")
    assert a.product == "房抵贷" and "有房产" not in a.tags


def test_a_valuation_beside_a_business_purpose_is_not_a_pledge():
    assert pipeline.analyze("跟进：客户年薪40万，房产估值500万，需求200万经营用途").product != "房抵贷"


def test_the_deed_among_the_papers_sent_offers_the_house():
    assert pipeline.analyze("客户已发资料 身份证 户口本 房产证 流水半年 等审批").product == "房抵贷"


# ---------------------------------------------------------------------------------------------- intent

def test_read_and_not_answered_is_low_and_a_visit_on_the_way_high():
    assert pipeline.analyze("客户 已读不回 三天未联系").intent == "low"
    assert pipeline.analyze("客户 在路上 半小时后到门店").intent == "high"


# ---------------------------------------------------------------------------------------------- second pass

def test_mode_de_negates_like_mei_you():
    assert "征信逾期" not in tags("我嘞个征信哦莫得逾期，就是查询多了点")


@pytest.mark.parametrize("text", ["社保公积金按最高基数", "公积金社保最高", "社保公积金齐", "社保公积金有"])
def test_social_insurance_and_housing_fund_listed_together_are_both_had(text):
    got = asserted(text)
    assert got.get("有社保") is True and got.get("有公积金") is True


def test_a_base_salary_is_employment():
    assert asserted("销售 底薪4k加提成").get("工薪族") is True


def test_a_card_used_to_nine_tenths_of_its_limit_is_high_debt_and_to_four_fifths_is_not():
    assert asserted("信用卡1张 额度3w 用了2.9w").get("负债过高") is True
    assert asserted("有xyk，额度5w，用了4w").get("负债过高") is not True


@pytest.mark.parametrize("text, tag", [("网贷10多笔 逾期中", "网贷较多"), ("近2月申请了10多个网贷 被拒", "查询过多")])
def test_counts_with_duo_after_the_digits(text, tag):
    assert asserted(text).get(tag) is True


@pytest.mark.parametrize("text", ["一个月申了7个平台 都没过", "现在征信查询记录一个月有十几条", "一个月下来查询十几次",
                                  "房贷车贷信用卡加一块一个月得还一万五"])
def test_a_count_or_a_repayment_per_month_is_not_a_term(text):
    assert extract_term(normalize(text)) is None


@pytest.mark.parametrize("text, yuan", [("退休金6k 社保一直交 有红本 需房抵40w", 400000),
                                        ("月供8k 车贷3k 信用卡用了6成 需信用贷20w", 200000)])
def test_a_pension_and_a_car_loan_s_repayment_are_not_the_amount(text, yuan):
    assert extract_amount(normalize(text)) == yuan


@pytest.mark.parametrize("text", ["需经营贷30w 36期 已发流水", "资料已齐 明天进件", "资料明天送来", "最紧要快"])
def test_papers_sent_or_an_application_filed_is_high_intent(text):
    assert pipeline.analyze(text).intent == "high"


@pytest.mark.parametrize("text", ["开网店卖水果的，没有执照", "我在沈阳开个小饭店 没办执照", "厂房是租的，设备是我的"])
def test_a_business_run_without_a_licence_or_in_a_rented_plant_is_run(text):
    assert asserted(text).get("企业主") is True


def test_a_debt_ratio_said_below_a_share_is_not_high():
    assert asserted("名下有一套房子月供两千八，负债率不到四成").get("负债过高") is False


@pytest.mark.parametrize("text", ["喺老家有间屋系自己起嘅", "厂房是家己的有证", "房子是单位的房改房 有证"])
def test_cantonese_and_hokkien_houses_and_homes_bought_from_an_employer(text):
    assert asserted(text).get("有房产") is True


def test_social_insurance_and_housing_fund_after_you_are_both_had():
    got = asserted("有社保公积金，想借十万")
    assert got.get("有社保") is True and got.get("有公积金") is True


@pytest.mark.parametrize("text", [
    "做工程 包工头 工人工资压着",
    "我喺东莞开咗间厂做五金嘅，厂房系租嘅，有营业执照",
    "做装修的自己带几个工人干活",
    "我是退休老教师今年66了，退休金五千多",
])
def test_workers_paid_or_led_a_works_of_ones_own_and_a_retired_job_are_not_a_salary(text):
    assert "工薪族" not in tags(text)


def test_a_post_on_the_establishment_is_a_salary():
    assert asserted("我是大学老师，在编").get("工薪族") is True
