"""The eighth round of reasoning, one kind at a time: figures that are a loan named by its basis or by a pledge, a
policy's premium, a card's limit, a repayment, money in hand, an area or a count; ten-thousands counted as 个 in a
clause of their own; a policy as the basis of an unsecured loan; a meeting held (面谈后) or to come (约了面谈); a pledge
loan named only in a question about its terms (车抵贷利息多少); a pledge of an asset someone else owns (车是我爸的, 能押吗);
money taken out of a house (再贷点出来); the owner of a named business (火锅店老板); a policy named by its kind (重疾险,
团险); social insurance or a housing fund with a duration or a payer (社保五年, 社保是自己交的); a car's
registration in hand (绿本在手). Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging import pipeline
from tests.tagging.reasoning import amount, tags

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- amounts wanted

@pytest.mark.parametrize("text, want", [
    ("打算拿公司开票记录做个税贷八十万", 800_000),
    ("用工资流水贷三十万行不行", 300_000),
    ("我想抵押门面房贷两百万", 2_000_000),
    ("奔驰一台，打算押车贷四十万", 400_000),
    ("公司要做一笔经营贷一千万", 10_000_000),
])
def test_a_loan_named_by_its_basis_or_a_pledge_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("想做个车抵 三十个 一年", 300_000),
    ("房子在南宁，想抵押，八十个左右吧", 800_000),
])
def test_ten_thousands_counted_as_ge_in_their_own_clause_are_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "网贷挺多的，五六个吧，想贷款",
    "口子借了有 4个 还能借吗",
    "信用卡有三张 额度八万 刷了一半，能借不",
    "给儿子买的重疾险三万一年，我能贷款吗",
    "月还1.5w，收入2w，还能贷吗",
    "手里有八十万 想买房 能贷吗",
    "一押还有三十万没还清，想二押",
    "厂房两千平 想抵押",
])
def test_a_count_a_limit_a_premium_a_repayment_money_in_hand_a_debt_or_an_area_is_no_amount(text):
    assert amount(text) is None


def test_an_amount_roughly_owed_is_not_the_amount_wanted():
    assert amount("信用卡欠了差不多六万，想借八万一次还清") == 80_000


# ---------------------------------------------------------------------------------------------- product

@pytest.mark.parametrize("text", ["我每年交一份寿险，交了六年了，能贷多少", "保单年交一万五，凭这个能借吗"])
def test_a_policy_as_the_one_basis_of_a_loan_is_an_unsecured_loan(text):
    assert pipeline.analyze(text).product == "信用贷"


def test_a_policy_beside_a_house_is_not_the_basis():
    assert pipeline.analyze("有一套房，保单也交了三年，想贷款").product != "信用贷"


# ---------------------------------------------------------------------------------------------- intent

@pytest.mark.parametrize("text", [
    "营业执照复印件礼拜三送过去",
    "想借十万，下礼拜能签不",
    "客户说材料周四带来",
    "年前就得拿到这笔钱",
    "押车贷能当天放不",
    "这个贷款在哪里办，要十万，能快就快",
])
def test_a_day_set_for_acting_or_asking_where_to_apply_is_high_intent(text):
    assert pipeline.analyze(text).intent == "high"


def test_a_car_pledged_elsewhere_is_no_loan_taken_elsewhere():
    assert pipeline.analyze("我的车押在别家了，想转过来").intent != "low"


def test_a_day_for_something_else_is_not_high_intent():
    assert pipeline.analyze("明天回复你，想借五万").intent != "high"


@pytest.mark.parametrize("text", [
    "面谈后：客户在电子厂上班，月薪六千，想借三万",
    "12.2 面谈：客户开了家花店，想做经营贷二十万",
    "客户面谈：名下一套房，想了解房抵",
])
def test_a_note_of_a_meeting_held_is_not_high_intent(text):
    assert pipeline.analyze(text).intent != "high"


@pytest.mark.parametrize("text", ["客户约了周五过来面谈，要五十万", "我已经在你们公司门口了"])
def test_a_meeting_to_come_or_standing_at_the_brokers_door_is_high_intent(text):
    assert pipeline.analyze(text).intent == "high"


@pytest.mark.parametrize("text", [
    "面谈后：客户要房抵五十万，材料已收",
    "客户材料收齐了，车抵八万",
    "客户房子没贷款，要房抵三十万，条件合适马上签",
])
def test_materials_received_or_signing_at_once_are_high_intent_after_a_meeting_held(text):
    assert pipeline.analyze(text).intent == "high"


def test_a_door_where_the_customer_works_is_no_visit():
    assert pipeline.analyze("我在学校门口开了个文具店，能贷吗").intent != "high"


# ---------------------------------------------------------------------------------------------- business owner

@pytest.mark.parametrize("text", [
    "我们公司工资是银行代发的，月薪九千",
    "在厂里干了三年的活，工资每月一号发",
    "我在厂子里打工 社保医保都有",
])
def test_a_salaried_customer_naming_only_a_workplace_runs_no_business(text):
    assert "企业主" not in tags(text)
    assert "工薪族" in tags(text)


def test_a_salaried_customer_who_also_opened_a_shop_runs_one():
    assert "企业主" in tags("我上班拿工资，另外还开了个奶茶店")


@pytest.mark.parametrize("text", [
    "我是做装修的，装修公司老板，想借五十万",
    "客户为火锅店老板，想做经营贷",
    "运输老板说的就是我，开物流的，物流老板一个",
    "在老家开农家乐民宿，想贷二十万",
    "开了个烧烤排档，生意还行",
])
def test_the_owner_of_a_named_business_runs_one(text):
    assert "企业主" in tags(text)


@pytest.mark.parametrize("text", [
    "我们老板发工资一直很准时",
    "厂里老板说下个月涨工资，我在车间上班",
    "我是服装店老板娘的司机",
    "车是公司老板的，我是司机",
])
def test_a_boss_who_is_someone_else_is_no_business(text):
    assert "企业主" not in tags(text)


def test_a_visit_to_the_shop_front_is_no_business():
    assert "企业主" not in tags("客户明天到店面签合同")


# ---------------------------------------------------------------------------------------------- house

@pytest.mark.parametrize("text", [
    "想借三十万，房子在柳州",
    "老房子在老家县城，能贷吗",
    "名下商铺两间，想周转一下",
    "手上有好几套房，想贷点钱",
    "门面是俺自己买的，想借钱",
])
def test_a_house_located_counted_or_bought_is_owned(text):
    assert "有房产" in tags(text)


@pytest.mark.parametrize("text", ["房子在我哥名下，我能贷吗", "房子写的我女儿名字，想借钱"])
def test_a_house_in_a_relatives_name_is_not_the_customers(text):
    assert "有房产" not in tags(text)


# ---------------------------------------------------------------------------------------------- losses

@pytest.mark.parametrize("text, tag", [
    ("没逾期，社保三年多", "有社保"),
    ("公积金八年，想贷款", "有公积金"),
    ("社保是自己按灵活就业交的", "有社保"),
    ("公积金是单位按最高比例缴的", "有公积金"),
    ("社保公积金顶格交", "有社保"),
])
def test_social_insurance_or_a_housing_fund_with_a_duration_or_a_payer_is_paid(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text, tag", [("社保断了三年", "有社保"), ("公积金是前年停缴的", "有公积金")])
def test_a_duration_of_a_stop_is_no_payment(text, tag):
    assert tag not in tags(text)


@pytest.mark.parametrize("text", [
    "社保公积金都有，另外还有保险",
    "给自己买了份重疾险，一年三千",
    "家里有两份人寿保险，都是我交的",
    "单位给上了团险，我在单位干了五年",
    "商业保险一直在交，想借五万",
])
def test_a_policy_named_by_its_kind_is_one(text):
    assert "有保单" in tags(text)


@pytest.mark.parametrize("text", ["我没有保险，也没社保", "五险一金都交了"])
def test_no_insurance_or_social_insurance_alone_is_no_policy(text):
    assert "有保单" not in tags(text)


@pytest.mark.parametrize("text", [
    "寿险保单前年就退掉了，想借两万",
    "保险停交一年多了，能贷吗",
    "保单去年退保了，现在还能做保单贷不",
])
def test_a_policy_given_up_stays_lost_when_a_policy_loan_is_named_after(text):
    assert "有保单" not in tags(text)


def test_a_policy_that_is_a_parents_is_not_the_customers():
    assert "有保单" not in tags("那份保险是我妈的，她每年交")


# ---------------------------------------------------------------------------------------------- second pledge

def test_a_second_pledge_of_a_car_is_a_car_pledge():
    a = pipeline.analyze("面包车在一家公司押着，能不能二押")
    assert a.product == "车抵贷" and "有房产" not in a.tags


@pytest.mark.parametrize("text", ["做二押要什么材料", "房子还有银行的一押，想二押"])
def test_a_second_pledge_of_no_car_stays_a_house_pledge(text):
    assert pipeline.analyze(text).product == "房抵贷"


# ---------------------------------------------------------------------------------------------- business loan

@pytest.mark.parametrize("text", ["我是开面馆的个体户，想贷八万把店面装修一下", "开了个理发店，想借点钱换个门面"])
def test_refitting_or_moving_the_shop_of_a_business_owner_is_a_business_loan(text):
    assert pipeline.analyze(text).product == "经营贷"


def test_refitting_a_home_is_no_business_loan():
    assert pipeline.analyze("上班族，想借五万装修房子").product != "经营贷"


# ---------------------------------------------------------------------------------------------- salaried

@pytest.mark.parametrize("text", ["你们礼拜六上班吗，我想过来", "你们几点上班，我九点到"])
def test_asking_when_the_broker_works_is_no_salary(text):
    assert "工薪族" not in tags(text)


def test_a_parents_job_is_not_the_customers():
    assert "工薪族" not in tags("客户说妈妈在医院上班，自己想借两万")


# ---------------------------------------------------------------------------------------------- terms asked

@pytest.mark.parametrize("text, tag", [
    ("问一下车抵贷的利率是多少", "有车辆"),
    ("车抵要什么条件啊", "有车辆"),
    ("你们房抵贷能做几成", "有房产"),
])
def test_a_pledge_loan_named_only_in_a_question_about_its_terms_says_nothing_of_the_asset(text, tag):
    a = pipeline.analyze(text)
    assert tag not in a.tags and a.product is not None


@pytest.mark.parametrize("text, tag", [
    ("车抵利息多少，车是自己的全款", "有车辆"),
    ("房抵贷利息多少，想贷五十万", "有房产"),
    ("押车利息多少", "有车辆"),
])
def test_a_pledge_with_the_asset_a_figure_or_a_verb_of_pledging_still_implies_it(text, tag):
    assert tag in tags(text)


# ---------------------------------------------------------------------------------------------- someone else's asset

@pytest.mark.parametrize("text, product", [
    ("我想办车抵，不过车是我妈的", "车抵贷"),
    ("车在我媳妇名下，可以押吗", "车抵贷"),
    ("房子在我哥名下，能拿来抵押不", "房抵贷"),
])
def test_a_pledge_of_an_asset_someone_else_owns_is_still_that_pledges_loan(text, product):
    a = pipeline.analyze(text)
    assert a.product == product
    assert {"有车辆", "有房产"}.isdisjoint(a.tags)


def test_an_asset_sold_takes_the_pledge_back():
    assert pipeline.analyze("想做车抵，但是车上个月卖了").product != "车抵贷"


def test_an_asset_someone_else_owns_only_valued_is_no_pledge():
    assert pipeline.analyze("车是我爸的，估值大概十万").product != "车抵贷"


# ---------------------------------------------------------------------------------------------- money out of a house

@pytest.mark.parametrize("text", [
    "房子还有十年按揭，想再贷个十万出来",
    "家里那套房能不能抵点钱出来周转",
    "按揭还没还完，想用房子再贷点",
])
def test_money_taken_out_of_a_house_is_a_house_pledge(text):
    a = pipeline.analyze(text)
    assert a.product == "房抵贷" and "有房产" in a.tags


@pytest.mark.parametrize("text", ["网贷太多了，想一次性借出来全还掉", "月薪八千，房贷每月三千，想再借五万"])
def test_money_wanted_without_the_house_as_its_source_is_no_house_pledge(text):
    assert pipeline.analyze(text).product != "房抵贷"


# ---------------------------------------------------------------------------------------------- a car's papers in hand

@pytest.mark.parametrize("text", ["车是全款的，绿本在手，想借八万", "大本在手，能借多少"])
def test_a_cars_registration_in_hand_is_a_car_pledge_as_a_red_book_is_a_house_pledge(text):
    assert pipeline.analyze(text).product == "车抵贷"
