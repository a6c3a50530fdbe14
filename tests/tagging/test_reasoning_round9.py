"""The ninth round of reasoning, one kind at a time: the repayments of several loans added up against the income
(房贷每月一万二, 车贷四千, 月入两万), a figure with 多 taken past its round figure (三千多), a card's limit nearly used
(额度5w 用了4w8); borrowing to pay debts off first (借点先把急的还了) and debts that cannot be paid (没得还); every online
loan overdue, used or unpayable (网贷都逾期了, 网贷都用遍了) and one overdue for days; all online loans paid off
(还清了所有网贷, 上岸了); a count of inquiries in 回. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging import pipeline
from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import amount, tags, term

pytestmark = pytest.mark.pure


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


# ---------------------------------------------------------------------------------------------- work and business

@pytest.mark.parametrize("text", [
    "我啥也没有 就有个工作 月入四千 想借一万",
    "gz 8k 想借两万",
    "等年终奖发了就能还上，先借一万",
    "我们两口子都是老师，想一起贷点钱",
])
def test_a_job_a_salary_or_a_bonus_is_salaried(text):
    assert "工薪族" in tags(text)


@pytest.mark.parametrize("text", [
    "我开了个服装厂，每月工资要发三十多万，想做经营贷",
    "我开的饭店欠了伙计钱，想借点钱发工资",
])
def test_an_employer_paying_wages_is_not_salaried(text):
    assert "工薪族" not in tags(text)


@pytest.mark.parametrize("text", [
    "我是开五金店的老细，想借钱周转",
    "这家公司老板就是我，想贷款",
    "有套房想抵押一百万给厂里周转",
    "老婆开了个水果店，我上班，我们俩一起贷，店里进点货",
])
def test_the_owner_of_a_business_in_many_voices_runs_one(text):
    assert "企业主" in tags(text)


def test_a_fathers_factory_is_not_the_customers():
    assert "企业主" not in tags("我老豆开了个厂，我在厂里帮忙，能贷款吗")


@pytest.mark.parametrize("text", [
    "我开面馆的，想借十万换厨房设备",
    "开农资店的，想借点钱进化肥",
    "我们做五金加工的，厂里的设备能抵押吗",
    "公司是我的，能凭开票贷款吗",
])
def test_money_for_a_business_by_its_owner_is_a_business_loan(text):
    assert "经营贷" in tags(text)


# ---------------------------------------------------------------------------------------------- the loan decided on

@pytest.mark.parametrize("text, want", [
    ("跟进：客户比较了车抵和信用贷，最后决定做信用贷，十万", "信用贷"),
    ("厂房是自己的，本来想抵押，又问了税贷，最终还是要经营贷", "经营贷"),
    ("名下有套房，也想过信用贷，最后还是抵押吧，一百万", "房抵贷"),
])
def test_the_product_named_after_a_decision_is_the_one_asked_for(text, want):
    assert want in tags(text)


def test_a_business_loan_wished_without_a_pledge_stays_a_business_loan():
    found = tags("我公司要做个经营贷五十万，有房子可以押，但最好不用抵押")
    assert "经营贷" in found and "信用贷" not in found and "房抵贷" not in found


def test_a_purpose_with_no_pledge_wished_is_still_an_unsecured_loan():
    assert "信用贷" in tags("开了家饭店，想进货缺十万，不想抵押，有信用的吗")


# ---------------------------------------------------------------------------------------------- pledges and assets

@pytest.mark.parametrize("text, want", [
    ("明天去面签，身份证和房本都带齐了", "房抵贷"),
    ("客户上午到公司签约，带了房产证和户口本", "房抵贷"),
    ("周五面签，行驶证和登记证书我都带齐", "车抵贷"),
    ("我有间铺在佛山，铺头押一押能借多少", "房抵贷"),
    ("自己住的楼想做加按，借三十万", "房抵贷"),
    ("车还在按揭，想用车再贷点出来", "车抵贷"),
    ("我家有两台半挂，想拿一台押二十万", "车抵贷"),
])
def test_a_pledge_in_other_words_is_that_pledges_loan(text, want):
    assert want in tags(text)


@pytest.mark.parametrize("text", [
    "我妈有套房在长春，能拿来抵押不",
    "我爹我娘在县城有套房，想拿他们的房子抵押",
    "我阿爸用他套老房子抵押，我来还",
])
def test_a_parents_house_pledged_is_a_house_pledge_but_not_the_customers_house(text):
    found = tags(text)
    assert "房抵贷" in found and "有房产" not in found


def test_a_pledge_someone_refuses_is_no_pledge():
    assert "车抵贷" not in tags("老婆的车，她不同意抵押，我能不能贷")


def test_a_flat_bought_on_a_housing_fund_loan_is_a_house_and_a_fund_not_a_fund_loan():
    found = tags("我们是用公积金贷款买的房，现在想借十万装修")
    assert {"有房产", "有公积金"} <= found and "公积金贷" not in found


def test_a_policy_pledged_is_a_policy_loan_not_a_house_pledge():
    found = tags("我的保单能抵押吗")
    assert "信用贷" in found and "房抵贷" not in found


@pytest.mark.parametrize("text", [
    "在银行上班，公积金基数八千，想贷二十万",
    "我是护士，公积金交了五年，想借十五万装修",
])
def test_a_salaried_customers_housing_fund_with_a_loan_wanted_is_no_fund_loan(text):
    assert apply_rules(normalize(text)).product is None


def test_a_housing_fund_loan_abbreviated_is_asked_for():
    assert "公积金贷" in tags("gjj dk 可以吗")


# ---------------------------------------------------------------------------------------------- insurance, fund, credit

@pytest.mark.parametrize("text, tag", [
    ("身份证、银行流水、社保清单我都备好了", "有社保"),
    ("车也卖了，就剩个社保了，能贷不", "有社保"),
    ("公积金去年断了又续上了，能贷多少", "有公积金"),
    ("我征信前两年黑过，现在好了吧", "征信逾期"),
])
def test_what_a_list_a_remainder_or_a_resumption_says_is_had(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text, tag", [
    ("社保以前交过，辞职后就断了", "有社保"),
    ("公积金之前缴过，换了工作就没了", "有公积金"),
    ("客户说他老婆公积金交了六年，他自己没有", "有公积金"),
    ("我征信好得很，啥逾期都没有", "征信逾期"),
])
def test_what_was_paid_once_is_someone_elses_or_is_denied_is_not_had(text, tag):
    assert tag not in tags(text)


# ---------------------------------------------------------------------------------------------- intent

def intent(text: str) -> str:
    return pipeline.analyze(text).intent


@pytest.mark.parametrize("text, want", [
    ("今天一定要借到两万，帮帮忙", "high"),
    ("利息无所谓，就是要快", "high"),
    ("都说了不要了，再打我就投诉", "low"),
    ("贷款的事我谂一下", "low"),
    ("车的首付五万准备好了，剩下的想贷", "medium"),
    ("以前在别家办过车贷，这次想借五万", "medium"),
    ("我帮他算了利息，他说想贷二十万", "medium"),
    ("要押金的话就算了，不要押金就做", "medium"),
    ("五万够了，之前说的十万不要了", "medium"),
])
def test_intent_said_in_other_words(text, want):
    assert intent(text) == want


# ---------------------------------------------------------------------------------------------- amounts and terms


@pytest.mark.parametrize("text, want", [
    ("想押车，大概要20到30个", 300_000),
    ("首付五万有了，剩下贷十五万", 150_000),
    ("以前办过八百万的经营贷已经还了，这次想借三百万", 3_000_000),
])
def test_a_range_of_ge_the_rest_borrowed_and_a_loan_had_before(text, want):
    assert amount(text) == want


def test_the_unit_a_rate_is_asked_for_is_no_amount():
    assert amount("想问下一万块一个月利息多少") is None


@pytest.mark.parametrize("text, want", [
    ("行，那就做两年吧", 24),
    ("经营贷可以做十年吗", 120),
])
def test_a_term_done_is_the_term(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "在外面打工八年了，想借五万",
    "跑网约车的，一个月跑一万多，能贷吗",
    "征信花了，先养一年，一年以后再来",
    "一千块一个月多少钱利息",
])
def test_years_worked_a_months_takings_a_wait_or_a_price_per_month_is_no_term(text):
    assert term(text) is None


# ---------------------------------------------------------------------------------------------- whose, and what is needed

@pytest.mark.parametrize("text, tag", [
    ("想押房子借三十万给我儿子开店", "企业主"),
    ("我老公有车，我没车，能用他的车贷款吗", "有车辆"),
    ("客户开货车，还欠着十五万车贷，想押车借五万", "负债过高"),
])
def test_someone_elses_business_or_car_and_a_car_loan_balance_are_not_the_customers_tag(text, tag):
    assert tag not in tags(text)


def test_a_business_whose_money_is_enough_asks_no_business_loan():
    assert "经营贷" not in tags("跟进：客户说先不用了，他的店现在资金充足")


def test_what_went_to_him_in_a_note_is_the_customers():
    found = tags("跟进：客户明天来签，带了房本，离婚时房子判给他了，要五十万")
    assert {"有房产", "房抵贷"} <= found


@pytest.mark.parametrize("text, tag", [
    ("我是东莞做玩具厂的，想借钱", "企业主"),
    ("我们俩公积金加起来一个月四千，能贷多少", "有公积金"),
    ("公积金在交，想做个公积金信用贷十万", "公积金贷"),
])
def test_a_factory_run_a_fund_added_up_and_a_fund_credit_loan(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text", [
    "要收手续费吗？收费的话我就不做了",
    "能批到三十万吗？批不了我就不做了",
    "跟进：客户网贷多，查询十几次，建议先养三个月",
    "之前说二十万，后来算了一下，十五万就够",
    "我到处借都借不到，还有办法吗",
])
def test_a_conditional_refusal_the_salespersons_advice_or_money_worked_out_is_not_low_or_high(text):
    assert intent(text) == "medium"


@pytest.mark.parametrize("text, tag, has", [
    ("平时就是打零工，日结的，能借点不", "工薪族", False),
    ("工作稳定，社保也有，想借五万", "工薪族", True),
    ("在职一年多，想借两万", "工薪族", True),
    ("前两年做生意失败了，现在想借点钱", "企业主", False),
    ("做生意亏了不少，欠了一些钱", "企业主", False),
])
def test_odd_jobs_a_steady_job_and_a_business_that_failed(text, tag, has):
    assert (tag in tags(text)) is has


def test_time_in_a_job_is_no_term():
    assert term("在职半年，想借三万") is None


@pytest.mark.parametrize("text", [
    "能做车抵吗？车是我姐的",
    "我对象名下的车能押吗",
    "我老婆名下有辆车，我能拿去押吗",
    "以前有辆车，后来报废了",
])
def test_a_car_someone_else_owns_or_scrapped_is_not_the_customers(text):
    assert "有车辆" not in tags(text)


@pytest.mark.parametrize("text", [
    "上个月被查了四次，这个月又查了三次",
    "征信查询这周3次，上周3次",
    "上个月申了两家，这个月又申了四家",
])
def test_counts_of_windows_that_do_not_overlap_add_up(text):
    assert "查询过多" in tags(text)


def test_nested_windows_do_not_add_up():
    assert "查询过多" not in tags("近半年查询4次，近三个月查询3次")


def test_borrowing_from_online_loans_to_pay_cards_is_many_online_loans():
    assert "网贷较多" in tags("卡都刷爆了，只能拿网贷还卡")


@pytest.mark.parametrize("text", [
    "信用卡额度八万，已经用了七万六",
    "信用卡10万额度用了9万7",
    "每个月光还款就八千多，工资九千",
    "两张卡透支严重，还能借吗",
    "查询多，负债也高，还有机会吗",
    "花呗借呗额度都满了",
    "征信显示信用卡使用率百分之九十",
])
def test_a_limit_used_up_or_debts_said_in_other_words_are_high_debt(text):
    assert "负债过高" in tags(text)


def test_a_card_half_used_is_not_high_debt():
    assert "负债过高" not in tags("信用卡额度十万，用了五万")


@pytest.mark.parametrize("text, has", [
    ("给朋友做担保，结果我征信被拖累了", True),
    ("房车都没有，征信也不好", True),
    ("征信花过，不过现在没有当前逾期", True),
    ("逾期？没有的事", False),
    ("查询两次，逾期无，负债不高", False),
    ("征信干净，没有一点逾期", False),
])
def test_an_overdue_said_or_denied_in_other_words(text, has):
    assert ("征信逾期" in tags(text)) is has


@pytest.mark.parametrize("text, want", [
    ("信用贷额度只批了6w，我想要12w", 120_000),
    ("底薪四千，想借两万块", 20_000),
    ("借个万把块钱应急", 10_000),
    ("想做房抵八十万十年", 800_000),
])
def test_an_approved_limit_a_base_pay_and_a_figure_before_a_term(text, want):
    assert amount(text) == want


def test_a_total_owed_is_no_amount():
    assert amount("网贷加信用卡一共二十万，每个月还不上") is None


@pytest.mark.parametrize("text, want", [
    ("开始说贷三年，后来改成两年", 24),
    ("想分五年，其实三年就行", 36),
])
def test_a_term_corrected_is_the_last_said(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "车是一五年的大众，能押吗",
    "以贷养贷一年了",
    "征信有两个月连续逾期",
    "去年一年查了十几次",
    "一个月还网贷要八千，工资才一万",
    "我在亲戚店里帮忙，一个月给我三千五",
    "一个月多少利息啊",
])
def test_a_calendar_year_a_duration_a_window_or_a_months_repayment_is_no_term(text):
    assert term(text) is None


# ---------------------------------------------------------------------------------------------- houses listed or owned

@pytest.mark.parametrize("text", [
    "客户 无房 租房 社保公积金都有",
    "房子是我爸名下 我自己只有一辆车",
    "名下没得房子 有一辆货车",
    "老家有自建房 写的父亲名字",
    "我在厂里上班 厂房是老板的",
])
def test_a_house_denied_rented_or_someone_elses_is_not_the_customers(text):
    assert "有房产" not in tags(text)


def test_a_down_payment_paid_is_a_house():
    assert "有房产" in tags("首付已经交了，下个月交房")


def test_a_question_with_you_mei_de_is_no_denial():
    assert "信用贷" in tags("我是护士，有冇得做信用贷啊")


# ---------------------------------------------------------------------------------------------- more roles and assets

@pytest.mark.parametrize("text, tag, has", [
    ("之前在公司上班，上个月辞职了", "工薪族", False),
    ("在电子厂当普工，想借一万", "工薪族", True),
    ("我的保险是公司团险", "工薪族", True),
    ("名下有一台皮卡，想押车", "有车辆", True),
    ("有辆电动车，能借钱吗", "有车辆", False),
    ("摆摊好几年了，想借三万换个门面", "有房产", False),
    ("开饭店的，店是自己买的", "有房产", True),
    ("名下啥都没有，社保公积金也没交", "有公积金", False),
])
def test_a_job_left_a_job_named_a_vehicle_named_and_premises_owned_or_wanted(text, tag, has):
    assert (tag in tags(text)) is has


def test_a_loan_left_for_later_is_not_the_one_asked_for():
    found = tags("想先做个信用贷十万，后面再考虑房抵")
    assert "信用贷" in found and "房抵贷" not in found and "低意向" not in found


def test_the_basis_named_after_a_decision_gives_its_loan():
    assert "公积金贷" in tags("信用贷和公积金贷比了一下，最后还是想做公积金的")


def test_a_first_pledges_balance_is_not_high_debt():
    assert "负债过高" not in tags("一押还欠银行五十万，还能二押吗")


@pytest.mark.parametrize("text, tag", [
    ("这周被查了四次", "查询过多"),
    ("征信查询了30多次", "查询过多"),
    ("网贷也多，征信也花", "网贷较多"),
    ("在国企上班，公积金蛮高的", "有公积金"),
    ("房贷每月五千，公积金冲抵一部分", "有公积金"),
    ("社保断了一年，上个月刚续上", "有社保"),
    ("上个月换了工作，想借两万", "工薪族"),
    ("公司名下有厂房，想抵押", "有房产"),
    ("有套厂房，想抵押做经营周转", "企业主"),
    ("客户说他是老板，做建材的", "企业主"),
])
def test_more_ways_of_saying_a_tag(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text, tag", [
    ("这个月查了五次", "查询过多"),
    ("我叔让我问问，他那厂子想贷款", "企业主"),
    ("有厂房，不过厂房是租的", "有房产"),
])
def test_a_months_count_below_the_mark_someone_elses_factory_and_a_rented_one(text, tag):
    assert tag not in tags(text)


def test_a_change_to_a_pledge_is_that_pledges_loan():
    found = tags("本来问房抵，房子是我妈的，后来改成押我自己的车")
    assert "车抵贷" in found and "房抵贷" not in found


def test_a_red_book_held_by_a_bank_is_a_house_pledged_already_not_offered():
    found = tags("房子红本在银行押着，想再贷点信用的")
    assert "有房产" in found and "房抵贷" not in found and "信用贷" in found


@pytest.mark.parametrize("text", [
    "我表哥的公司我挂了个名当法人，我自己上班",
    "我是给老板看店的，工资五千",
    "车挂在亲戚公司名下，不是我的",
])
def test_a_name_lent_running_someone_elses_shop_or_their_company_is_no_business_of_ones_own(text):
    assert "企业主" not in tags(text)


def test_a_basis_only_named_after_a_change_of_figure_is_no_choice_of_loan():
    assert "房抵贷" not in tags("之前说三十万，改成二十万，房子在杭州")


def test_a_fund_not_resumed_is_not_paid():
    assert "有社保" not in tags("社保断了半年，一直没续上")


def test_a_want_one_space_before_a_figure_makes_it_the_amount():
    assert amount("月入 7k 想dk 5w") == 50_000


def test_a_loan_had_one_space_before_a_figure_keeps_it_the_figure_said():
    assert amount("借了网贷 五万块 想借 八万") == 80_000


@pytest.mark.parametrize("text", ["征信被查了好多次", "征信查询了20多次", "查了二十多次了"])
def test_a_count_of_inquiries_said_with_duo_counts(text):
    assert "查询过多" in tags(text)
