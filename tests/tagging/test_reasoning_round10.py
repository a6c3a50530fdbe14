"""The tenth round of reasoning, one kind at a time: a figure with a role other than the loan wanted is no amount
(a debt still owed, 还有八十万贷款没还; a fee paid first, 先交三千块手续费; a purchase price said the southern way,
当时买成十二万; a bank loan listed in a note, 银行贷款500w; an offer the customer finds too small, 最多能批三十万 嫌少),
while a pledge verb before 贷个 (押车贷个十五万), money short for a purpose (进货差8000) and debts to be merged
(整合债务15w) are wanted. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import extract_term, normalize
from tests.tagging.reasoning import amount, tags

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- amounts

@pytest.mark.parametrize("text", [
    "房子值两百万，还有八十万贷款没还，还能再押吗",
    "之前有个平台让我先交三千块手续费，我没交",
    "车是前年买的，当时买成十二万，现在能借多少",
    "门面当时买成六十万，想拿来抵押",
    "客户 男 45岁 开厂 负债高 银行贷款500w 月还30w",
    "银行说最多能批三十万，客户嫌少，再看看",
    "银行只给批十万，不够用",
    "店里前前后后投了五十万，现在周转不开",
    "房租一个月三千五，能借吗",
    "房子贷款还有六十万，能二押吗",
    "入手价十八万的车能押多少",
    "那套房总价九十万，现在能做吗",
    "给了中介两千块，钱一直没下来",
    "去年被骗了六万，心里难受",
    "银行说最多给十万",
    "前年做了个信用贷三十万，还在还",
    "上次你们给我批的十万还没用完",
    "工地上垫了二十万进去",
    "征信上有一笔两万的逾期",
    "公积金账户有六万",
    "车子二手卖能卖个五万",
    "工程款还有五十万没结",
    "手上压了二十万的货",
    "年终奖八万，年后发",
])
def test_a_figure_with_another_role_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("家里有辆面包车，想抵押车贷个十五万", 150_000),
    ("开杂货铺的，这周进货差8000，能借吗", 8_000),
    ("卡和网贷太多，想整合债务15w", 150_000),
    ("手续费多少？想贷二十万", 200_000),
    ("银行只给批十万，我想要二十万", 200_000),
    ("店里投了五十万，想再贷二十万", 200_000),
    ("十万太少了，要二十万", 200_000),
    ("按揭还有四十万，想二押借十五万", 150_000),
    ("总价八十万，首付二十万，贷六十万", 600_000),
    ("之前做过信用贷三十万，这次想再做个二十万", 200_000),
    ("想做个经营贷八十万", 800_000),
    ("工程款没结，想借五十万周转", 500_000),
])
def test_a_want_said_around_such_words_is_the_amount(text, want):
    assert amount(text) == want


# ---------------------------------------------------------------------------------------------- traditional and Cantonese

@pytest.mark.parametrize("text, want", [
    ("想借三十萬，幾時可以放款", "什么时候"),
    ("請問要準備什麼資料", "请问要准备什么资料"),
    ("我淨係有份糧", "工资"),
    ("開咗間士多，想入貨", "小卖部"),
    ("開咗間士多，想入貨", "进货"),
    ("要几久能放款", "多久"),
])
def test_traditional_characters_and_cantonese_words_are_read_as_the_rules_know_them(text, want):
    assert want in normalize(text)


@pytest.mark.parametrize("text, tag", [
    ("我冇車，淨係有份糧，每月一萬二，想借五萬", "工薪族"),
    ("我喺東莞開咗間士多，有牌照，想攞十萬入貨", "经营贷"),
    ("喺廣州，公積金交咗三年，想攞二十萬，幾時可以批", "高意向"),
    ("我喺江門有層樓，想加按攞三十萬，唔該盡快", "高意向"),
    ("唔使喇，唔該", "低意向"),
])
def test_what_is_said_in_traditional_characters_or_cantonese_is_tagged_as_in_mandarin(text, tag):
    assert tag in tags(text)


# ---------------------------------------------------------------------------------------------- intent

@pytest.mark.parametrize("text", [
    "想抵押房子借三十万装修，还在比较几家银行的利息",
    "客户要做信用贷十五万，嫌利息高，在对比几家",
])
def test_comparing_lenders_with_a_figure_wanted_is_a_need_not_low_intent(text):
    assert "中意向" in tags(text)


@pytest.mark.parametrize("text", [
    "还在比较几家，你们利息多少",
    "利息这么高，不搞咧",
    "我就是帮朋友问问哈",
    "just asking，不一定办",
    "征信有点花，等养好了再来找你们",
    "今年应该不会办，先加个微信",
])
def test_asking_for_someone_else_declining_in_dialect_or_waiting_is_low_intent(text):
    assert "低意向" in tags(text)


@pytest.mark.parametrize("text", [
    "跟进：客户查询太多，这次批不了，建议客户先养三个月",
    "回访：征信有逾期，暂时办不了，叫他先等半年",
])
def test_a_salespersons_advice_to_wait_is_not_the_customers_low_intent(text):
    assert "低意向" not in tags(text)


def test_short_of_money_is_no_decline():
    assert "低意向" not in tags("最近手头紧，想借两万块")


# ---------------------------------------------------------------------------------------------- whose name an asset is in

def test_a_house_in_the_husbands_name_pledged_by_the_couple_is_a_house_pledge_not_a_car_one():
    got = tags("房子写的我老公名下，我们夫妻一起贷，想抵押借五十万")
    assert "房抵贷" in got and "有房产" in got and "车抵贷" not in got


@pytest.mark.parametrize("text", [
    "有一台宝马，房子在老婆名下",
    "我有辆车，房本在我爸名下",
])
def test_someone_elses_name_on_the_house_denies_nothing_of_the_car(text):
    assert "有车辆" in tags(text)


def test_a_car_in_the_wifes_name_is_still_not_the_customers():
    assert "有车辆" not in tags("车子在我老婆名下，我自己啥也没有")


# ---------------------------------------------------------------------------------------------- cars and houses named

@pytest.mark.parametrize("text", [
    "我那台宝马想押一下，要多少利息",
    "这辆凯美瑞押了才给三万，太少",
    "那就算了，我那车就不押了",
])
def test_a_car_named_by_its_make_or_measure_word_pledged_or_not_is_a_car_pledge(text):
    got = tags(text)
    assert "车抵贷" in got and "有车辆" in got


@pytest.mark.parametrize("text", [
    "车抵贷要不要装定位？我车在成都",
    "有一台奔驰，想问问利息",
])
def test_my_car_somewhere_or_a_make_had_is_a_car(text):
    assert "有车辆" in tags(text)


def test_a_house_not_to_be_touched_is_still_had():
    assert "有房产" in tags("想做信用贷十万，房子不想动，一家人住着")


def test_a_house_seized_by_a_court_is_still_the_customers():
    got = tags("我的房子被法院查封了，还能抵押借钱吗")
    assert "有房产" in got and "房抵贷" in got


# ---------------------------------------------------------------------------------------------- business, salary and funds

@pytest.mark.parametrize("text, tag", [
    ("我在东莞有厂，想拿厂房抵押", "企业主"),
    ("我搞养殖的，有个体户执照，想借三万买鸡苗", "经营贷"),
    ("我在公司上班做了三年，想借五万", "工薪族"),
    ("我在单位干了六年，想贷十万", "工薪族"),
    ("单位在滨江，公积金交了四年，想贷二十万", "工薪族"),
    ("我在国企上班，社保公积金都是单位交的", "有公积金"),
    ("我在国企上班，社保公积金都是单位交的", "有社保"),
])
def test_a_factory_had_a_purpose_of_a_farm_a_workplace_and_funds_paid_by_it(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text, tag", [
    ("开了个家具厂，有二十几个工人，想贷一百万周转", "工薪族"),
    ("厂里周转要五十万，工人工资也要发", "工薪族"),
    ("我在快递公司上班，社保是公司交的", "有公积金"),
    ("公积金交到去年年底，今年停了", "有公积金"),
    ("公司要备货，资金压力大，想做经营贷", "负债过高"),
    ("名下有厂房，想抵押", "企业主"),
])
def test_workers_employed_a_fund_stopped_or_money_short_for_stock_are_not_these_tags(text, tag):
    assert tag not in tags(text)


# ---------------------------------------------------------------------------------------------- overdue and online loans

def test_a_past_overdue_repaid_stays_on_the_report_when_it_is_normal_now():
    assert "征信逾期" in tags("以前信用卡逾期过一次，早还了，现在征信正常")


def test_a_normal_report_alone_is_no_overdue():
    assert "征信逾期" not in tags("征信正常，想借十万")


@pytest.mark.parametrize("text", [
    "网贷有六个，想借一笔把网贷全部还清",
    "口子有五六个要全部结清，能贷吗",
])
def test_online_loans_to_be_paid_off_are_still_many(text):
    assert "网贷较多" in tags(text)


def test_online_loans_paid_off_are_not_many():
    assert "网贷较多" not in tags("以前有几个网贷，现在网贷都结清了")


# ---------------------------------------------------------------------------------------------- a business stated stays stated

def test_a_visit_to_the_brokers_shop_takes_back_no_business_already_stated():
    assert "企业主" in tags("客户开了家水果店，有执照，想做经营贷十万，约了明天来店里面签")


def test_a_visit_to_the_brokers_shop_alone_is_still_no_business():
    assert "企业主" not in tags("我明天来店里面签")


def test_money_said_to_be_plentiful_gives_no_business_loan_by_the_rules():
    assert apply_rules(normalize("开了个五金店，有执照，目前资金比较宽裕，暂时不需要贷款，先了解一下")).product is None


# ---------------------------------------------------------------------------------------------- a note's own words

@pytest.mark.parametrize("text", [
    "跟进：客户想做房抵，房子在她爸名下，需父亲到场签字",
    "客户 想用老公的车抵押 需要老公签字",
])
def test_a_signature_someone_must_give_is_no_readiness(text):
    assert "高意向" not in tags(text)


def test_asking_whether_a_signature_is_needed_is_still_ready():
    assert "签字" in normalize("问了需不需要本人签字") and "高意向" in tags("资料都准备好了，需不需要本人签字")


def test_a_salespersons_middling_intent_is_medium():
    assert "中意向" in tags("客户意向中，有套房，想贷三十万")


def test_a_house_said_to_be_in_a_mothers_name_is_not_the_customers():
    assert "有房产" not in tags("跟进：客户想做房抵，房产为其母亲名下")


# ---------------------------------------------------------------------------------------------- a business the money is for

@pytest.mark.parametrize("text", [
    "想拿房子抵点钱出来跟我表哥合伙做生意",
    "有套房，想押了做点小买卖，三十万左右",
])
def test_a_business_the_pledge_money_is_for_is_not_one_run(text):
    assert "企业主" not in tags(text)


def test_a_business_run_with_a_partner_is_run():
    assert "企业主" in tags("我跟朋友合伙做生意十年了，想贷五十万周转")


@pytest.mark.parametrize("text", [
    "我先生开了个公司，我自己在家带孩子，想借五万",
    "我丈夫是做生意的，我没工作，想借三万",
])
def test_a_husband_said_as_xiansheng_or_zhangfu_is_someone_else(text):
    assert "企业主" not in tags(text)


def test_a_customer_called_mr_in_a_note_is_still_the_customer():
    assert "企业主" in tags("跟进：王先生开了个公司，想做经营贷五十万")


@pytest.mark.parametrize("text, tag", [
    ("我没有一辆奔驰，只有电动车", "有车辆"),
    ("我没有厂，想借钱开一个", "企业主"),
])
def test_a_make_or_a_factory_denied_is_not_had(text, tag):
    assert tag not in tags(text)


# ---------------------------------------------------------------------------------------------- debt

def test_an_online_loans_limit_used_up_is_no_high_debt():
    assert "负债过高" not in tags("微粒贷额度用完了，想借个一万")


def test_a_credit_cards_limit_used_up_still_is():
    assert "负债过高" in tags("两张信用卡额度都用完了，还能借吗")


# ---------------------------------------------------------------------------------------------- funds in a note's list

@pytest.mark.parametrize("text, tag", [
    ("客户 男 30岁 长沙 文员 月薪5k 社保 名下无房 需2w", "有社保"),
    ("客户 快递员 社保有 公积金有 想借5w", "有公积金"),
    ("老师，月薪八千，公积金一千五，想贷十万", "有公积金"),
])
def test_a_fund_named_as_an_item_of_a_note_or_with_its_monthly_figure_is_paid(text, tag):
    assert tag in tags(text)


def test_a_fund_not_paid_beside_one_paid_is_not_paid():
    assert "有公积金" not in tags("公司只交社保不交公积金，想借三万")


# ---------------------------------------------------------------------------------------------- what remains after a loss

def test_one_house_left_after_one_is_sold_is_a_house():
    got = tags("有两套房，一套去年卖了，还剩一套没贷款，想抵押借五十万")
    assert "有房产" in got and "房抵贷" in got


def test_named_online_loans_borrowed_and_all_paid_off_are_not_many():
    assert "网贷较多" not in tags("安逸花、拍拍贷、分期乐都借过，现在全部还清了")


@pytest.mark.parametrize("text, tag, present", [
    ("外賣騎手，有台電動車，可以借錢嗎", "有车辆", False),
    ("紅本在我手上，想抵押借三十萬", "房抵贷", True),
    ("綠本在手，想押車借五萬", "车抵贷", True),
])
def test_more_traditional_characters_are_read_as_simplified(text, tag, present):
    assert (tag in tags(text)) is present


def test_how_far_along_a_pregnancy_is_is_no_term():
    assert extract_term(normalize("老婆怀孕七个月了，想借两万")) is None


@pytest.mark.parametrize("text", [
    "要几天能下款",
    "多长时间能到账啊",
    "啥时候能下来，等着装修",
])
def test_more_speed_questions_are_high_intent(text):
    assert "高意向" in tags(text)


@pytest.mark.parametrize("text", [
    "暂时用不到，先了解了解",
    "替我表哥问一下利息",
    "有需要再找你",
])
def test_no_need_yet_or_asking_for_a_cousin_is_low_intent(text):
    assert "低意向" in tags(text)


@pytest.mark.parametrize("text, has, lacks", [
    ("屋企層樓係我老豆嘅", set(), {"有房产"}),
    ("我老婆有樓，我哋一齊借", {"有房产"}, set()),
    ("我阿爸有樓，可唔可以用佢層樓借錢", {"房抵贷"}, {"有房产"}),
])
def test_cantonese_family_words_and_a_flat_had_keep_whose_it_is(text, has, lacks):
    got = tags(text)
    assert has <= got and not (lacks & got)


# ---------------------------------------------------------------------------------------------- drivers and the broker's shop

@pytest.mark.parametrize("text", [
    "客户是开大货的货车司机，自己有两台车，想押一台借三十万",
    "我是滴滴司机，车是自己的",
    "约了明天来门店面签，带身份证",
])
def test_a_driver_with_his_own_trucks_or_a_visit_to_the_brokers_shop_is_no_business(text):
    assert "企业主" not in tags(text)


def test_a_driver_with_a_licence_for_his_transport_business_runs_one():
    assert "企业主" in tags("客户 货车司机 自有半挂两辆 个体运输户 有营业执照 想车抵四十万")


# ---------------------------------------------------------------------------------------------- a space before the figure

@pytest.mark.parametrize("text", [
    "欠了 8w 网贷",
    "房子 估值 260w",
    "salary 15k，credit ok",
    "my car worth 120k",
])
def test_money_had_or_owed_one_space_or_an_english_word_before_the_figure_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("网贷 5w 想借 3w", 30_000),
    ("xyd利息多少 8w 3年", 80_000),
])
def test_a_want_or_a_question_before_a_spaced_figure_still_gives_it(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, months", [
    ("want 80k for 24 months", 24),
    ("借10w 3 years", 36),
])
def test_a_term_said_in_english_is_the_term(text, months):
    assert extract_term(normalize(text)) == months


@pytest.mark.parametrize("text, has, lacks", [
    ("单位给交的社保没有公积金工资五千多", "有社保", "有公积金"),
    ("社保没有，公积金有", "有公积金", "有社保"),
])
def test_one_fund_said_without_the_other_in_a_run_on_sentence(text, has, lacks):
    got = tags(text)
    assert has in got and lacks not in got


# ---------------------------------------------------------------------------------------------- A-not-A questions

@pytest.mark.parametrize("text, tag", [
    ("你们做不做经营贷？我有个厂，想贷五十万", "经营贷"),
    ("办不办房抵？有套房想押", "房抵贷"),
])
def test_a_verb_not_verb_question_before_a_product_asks_for_it(text, tag):
    assert tag in tags(text)


def test_a_plain_refusal_with_the_verb_still_declines():
    assert apply_rules(normalize("我不做经营贷")).product is None
