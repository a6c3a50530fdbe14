"""The fourth round of reasoning, one kind at a time: voices (emoji, Cantonese, typos, abbreviations), number
roles (a figure taken back, a range said vaguely at its low end, contributions, paid off within a period),
products only asked about, compared or pledged already, counts of applications and of online-loan debt, assets
said in lists or after the topic, and intent around a change of plan. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging import pipeline
from scrm.tagging.rules import apply_rules
from scrm.tagging.text import extract_amount, extract_term, normalize
from tests.tagging.reasoning import asserted, tags

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- voices

@pytest.mark.parametrize("written, read", [
    ("🏠有一套，🚗有一辆", "房子有一套,车有一辆"),
    ("唔使了，多谢", "不用了,多谢"),
    ("我开咗间茶餐厅", "我开了家茶餐厅"),
    ("借贝花贝都有", "借呗花呗都有"),
    ("证信有点花，网货好几个", "征信有点花,网贷好几个"),
    ("公积今交了两年", "公积金交了两年"),
    ("jd白条和wld都有", "京东白条和微粒贷都有"),
])
def test_emoji_cantonese_typos_and_abbreviations_are_read_as_the_rules_know_them(written, read):
    assert normalize(written) == read


@pytest.mark.parametrize("text, tag", [
    ("🏠有一套，🚗有一辆，想借钱", "有房产"),
    ("🏠有一套，🚗有一辆，想借钱", "有车辆"),
    ("我开咗间茶餐厅，想攞二十万", "企业主"),
    ("证信花了", "征信逾期"),
])
def test_a_rewritten_voice_gives_the_tag(text, tag):
    assert tag in tags(text)


def test_a_cantonese_refusal_is_low_intent():
    assert pipeline.analyze("唔使了，多谢").intent == "low"


# ---------------------------------------------------------------------------------------------- number roles

@pytest.mark.parametrize("text, amount", [
    ("想借十万，不对，二十万", 200_000),
    ("要50万，哦不，60万", 600_000),
    ("一开始说要四十万，后来说三十万，最后定了二十五万", 250_000),
    ("客户原计划借八十万，估值不够，降到五十万", 500_000),
    ("先要五万吧，算了要八万", 80_000),
])
def test_a_figure_taken_back_or_settled_later_is_replaced(text, amount):
    assert extract_amount(normalize(text)) == amount


@pytest.mark.parametrize("text, amount", [
    ("十几二十万吧，具体看能批多少", 200_000),
    ("二十几三十万都行", 300_000),
    ("几十万都行", None),
    ("要十几万", None),
    ("好几十万", None),
])
def test_a_vague_low_end_with_a_stated_high_end_is_a_range(text, amount):
    assert extract_amount(normalize(text)) == amount


@pytest.mark.parametrize("text", ["公积金每月个人和单位一共缴三千", "社保每年交两万"])
def test_contributions_are_not_the_amount(text):
    assert extract_amount(normalize(text)) is None


@pytest.mark.parametrize("text, months", [("我半年内就能还上", 6), ("一年之内肯定还完", 12), ("两年内还清", 24)])
def test_paid_off_within_a_period_is_the_term(text, months):
    assert extract_term(normalize(text)) == months


def test_a_period_something_lasted_is_still_no_term():
    assert extract_term(normalize("社保断了半年，刚续上")) is None


# ---------------------------------------------------------------------------------------------- products

@pytest.mark.parametrize("text", ["啥叫车抵啊", "什么是房抵？"])
def test_a_product_only_asked_what_it_is_implies_no_asset(text):
    a = pipeline.analyze(text)
    assert a.product is None and not {"有车辆", "有房产"} & set(a.tags)


@pytest.mark.parametrize("text", ["房抵和经营贷有啥区别", "信用贷和公积金贷哪个好批", "我在xyd和fd之间犹豫"])
def test_products_compared_are_neither_asked_for_nor_guessed(text):
    a = pipeline.analyze(text)
    assert a.product is None
    assert not {"有房产", "企业主", "有公积金"} & set(a.tags)


@pytest.mark.parametrize("text, tag", [
    ("我有一辆车抵押在银行了", "有车辆"),
    ("我的房子已经抵押了，还能借吗", "有房产"),
    ("负债两百多万，房子也抵押了", "有房产"),
])
def test_a_pledge_that_exists_is_the_asset_but_not_the_product(text, tag):
    a = pipeline.analyze(text)
    assert a.product is None and tag in a.tags


def test_a_pledge_offered_is_still_the_product():
    assert pipeline.analyze("想把车抵押了借五万").product == "车抵贷"


# ---------------------------------------------------------------------------------------------- counts

@pytest.mark.parametrize("text, on", [
    ("申请了好几家都被拒了", True),
    ("网贷申请了十几家", True),
    ("客户征信近半年查询二十余次", True),
    ("只申请了两家", False),
])
def test_applications_and_inquiries_counted(text, on):
    assert ("查询过多" in tags(text)) is on


def test_applying_to_many_online_lenders_is_not_having_many_loans():
    assert "网贷较多" not in tags("网贷申请了十几家")


@pytest.mark.parametrize("text, p2p, debt", [
    ("借了二十万网贷", True, True),
    ("欠了十五万网贷", True, True),
    ("网贷借了两万块", False, False),
])
def test_a_big_sum_of_online_loans_is_many_loans_and_high_debt(text, p2p, debt):
    got = tags(text)
    assert ("网贷较多" in got) is p2p and ("负债过高" in got) is debt


@pytest.mark.parametrize("text", ["😢征信花了，网贷借了一堆", "我之前网贷借了很多现在都逾期了", "手上好多口子"])
def test_many_online_loans_said_without_a_number(text):
    assert "网贷较多" in tags(text)


def test_online_loans_paid_off_later_in_the_text_are_gone():
    assert "网贷较多" not in tags("以前网贷很多，现在都还完了")


# ---------------------------------------------------------------------------------------------- assets

@pytest.mark.parametrize("text, wanted", [
    ("我有社保和公积金", {"有社保", "有公积金"}),
    ("舍保交了五年，公鸡金也有", {"有社保", "有公积金"}),
    ("跟进：客户名下无房无车，社保刚交三个月", {"有社保"}),
    ("房子是我和我老婆一起的", {"有房产"}),
    ("车卖了，房还在", {"有房产"}),
    ("社保一直是公司交的，交了八年", {"工薪族", "有社保"}),
    ("我老婆是老师，我自己开了个汽修厂，家里两套房一辆车", {"企业主", "有房产", "有车辆"}),
    ("我是做工程的，手上有几个项目", {"企业主"}),
    ("我啥都没有，只有一份工作", {"工薪族"}),
])
def test_assets_said_in_lists_after_the_topic_or_by_their_work(text, wanted):
    assert wanted <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("我是老板，公司有二十几个员工", "工薪族"),
    ("客户营业执照在办，还没下来", "企业主"),
    ("我开滴滴的，车是公司的，能贷款吗", "有车辆"),
    ("我父亲有套房子，想用他的房子抵押给我贷款", "有房产"),
    ("房子被查封了", "有房产"),
])
def test_what_is_someone_elses_not_yet_or_lost_is_not_the_customers(text, absent):
    assert absent not in tags(text)


def test_a_deed_ready_offers_the_asset_and_is_high_intent():
    a = pipeline.analyze("已经准备好房产证了")
    assert a.product == "房抵贷" and "有房产" in a.tags and a.intent == "high"


# ---------------------------------------------------------------------------------------------- intent

@pytest.mark.parametrize("text, intent", [
    ("先要五万吧，算了要八万", "medium"),
    ("算了，不借了", "low"),
    ("跟进：客户问了利息就没回复了", "low"),
    ("客户加微信后一直没说话", "low"),
    ("带款五万，明天能到不", "high"),
    ("跟进：客户名下商品房一套已还清，想做房抵一百万，资料已发", "high"),
])
def test_intent_around_a_change_of_plan_silence_and_a_deadline(text, intent):
    assert pipeline.analyze(text).intent == intent


# ---------------------------------------------------------------------------------------------- more voices and scopes

def test_traditional_characters_are_read_as_simplified():
    a = pipeline.analyze("我有一套樓，想貸五十萬")
    assert normalize("我有一套樓，想貸五十萬") == "我有一套楼,想贷五十万"
    assert a.amount_yuan == 500_000 and "有房产" in a.tags


@pytest.mark.parametrize("text, tag", [
    ("社保在老家交的，交了六年", "有社保"),
    ("保险一年交三万，想借二十万", "有保单"),
    ("信用卡三张都透支满了", "负债过高"),
    ("还款压力山大", "负债过高"),
    ("查询次数有点多，十多次", "查询过多"),
])
def test_paying_in_and_colloquial_risk(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text, tag", [
    ("房子给儿子了", "有房产"),
    ("店盘出去了", "企业主"),
    ("保险没续了", "有保单"),
    ("征信没问题，一次逾期都没有", "征信逾期"),
    ("逾期记录也没有", "征信逾期"),
])
def test_given_away_sold_on_lapsed_or_denied(text, tag):
    assert tag not in tags(text)


def test_pledging_the_papers_is_a_car_pledge():
    a = pipeline.analyze("跟进：客户说车在用，想押证")
    assert a.product == "车抵贷" and "有车辆" in a.tags


def test_a_phone_switched_off_is_silence():
    assert pipeline.analyze("跟进：客户电话关机").intent == "low"


@pytest.mark.parametrize("text", [
    "每个月工资全拿去还债了", "还完贷款就不剩啥了", "负债累累", "入不敷出", "外债六十万",
    "房贷车贷加信用卡每个月一万多，收入一万二",
])
def test_debt_said_colloquially_or_as_repayments_against_income(text):
    assert "负债过高" in tags(text)


def test_a_debt_is_not_the_amount():
    assert extract_amount(normalize("外债六十万")) is None


@pytest.mark.parametrize("text", ["最近被查烂了", "征信上全是查询", "申请了一堆都被拒", "点了好多个平台都没过", "查询太频繁"])
def test_many_inquiries_said_without_a_count(text):
    assert "查询过多" in tags(text)


@pytest.mark.parametrize("text, owner", [
    ("我在外贸公司上班", False),
    ("在餐饮店打工", False),
    ("在淘宝上买东西", False),
    ("我在郑州开了个店", True),
    ("工程垫资需要一百万", True),
])
def test_a_business_named_as_a_workplace_is_not_one_run(text, owner):
    assert ("企业主" in tags(text)) is owner


def test_a_workplace_is_silent_about_running_a_business_not_a_denial():
    assert "企业主" not in asserted("我在外贸公司上班")


def test_a_house_of_storeys_is_a_house():
    assert "有房产" in tags("我家有两层小楼")


@pytest.mark.parametrize("text", ["利息可以商量吗", "银行不同意，所以找你们", "能不能先不押车", "不考虑利息，能批就行"])
def test_a_refusal_word_about_something_else_is_not_low_intent(text):
    assert apply_rules(normalize(text)).intent != "low"


@pytest.mark.parametrize("text", ["客户表示近期不需要", "别给我打电话了，不需要", "家里人不同意", "先不借了，谢谢"])
def test_a_refusal_of_the_loan_is_low_intent(text):
    assert apply_rules(normalize(text)).intent == "low"


@pytest.mark.parametrize("text, tag", [
    ("我有个两居室", "有房产"), ("有套三室一厅", "有房产"), ("家里盖了新房", "有房产"),
    ("我的店是自己开的", "企业主"), ("我在市场有个摊位", "企业主"), ("搞养殖的，养了几百头猪", "企业主"),
])
def test_homes_by_their_rooms_and_businesses_by_their_trade(text, tag):
    assert tag in tags(text)
