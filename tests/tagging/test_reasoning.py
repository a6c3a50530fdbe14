"""Reasoning kept as data, one kind at a time: implications, number roles, negation and loss, counts and
named platforms, repayments against income, voices. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging import pipeline
from scrm.tagging.rules import apply_rules, count_value
from scrm.tagging.text import extract_amount, extract_term, normalize
from tests.tagging.reasoning import asserted, tags

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- implications

@pytest.mark.parametrize("text, product, implied", [
    ("想做个房抵，急用", "房抵贷", "有房产"),
    ("抵押房子能借多少", "房抵贷", "有房产"),
    ("押车能借多少", "车抵贷", "有车辆"),
    ("想做车抵", "车抵贷", "有车辆"),
    ("想用公积金贷款买房", "公积金贷", "有公积金"),
    ("想做个经营贷", "经营贷", "企业主"),
])
def test_a_product_asked_for_implies_the_asset_with_its_evidence(text, product, implied):
    a = pipeline.analyze(text)
    assert a.product == product and implied in a.tags
    assert a.implied[implied] == product and a.asserted[implied] is True
    assert a.phrases[implied]  # the phrase the product was read from


def test_an_implication_never_overrides_what_the_text_says():
    a = pipeline.analyze("想办个车抵，车在我老公名下")
    assert a.product == "车抵贷" and "有车辆" not in a.tags
    # a pledge declined still says the house is there
    assert "有房产" in tags("我不想做房抵，想做信用贷")


@pytest.mark.parametrize("text, tag", [
    ("公积金一个月交一千二", "有公积金"), ("社保已缴三年", "有社保"), ("保险每年交两万多", "有保单"),
    ("开了个奶茶店有营业执照", "企业主"), ("保费一年两万，交了三年了", "有保单"),
])
def test_paying_into_a_fund_or_running_a_shop_means_having_it(text, tag):
    assert asserted(text).get(tag) is True


def test_a_pledge_word_with_one_asset_named_gives_that_assets_product():
    assert pipeline.analyze("我有套房在洛阳，想抵押弄个四十万").product == "房抵贷"
    assert pipeline.analyze("有车但不想押").product != "车抵贷"


# ---------------------------------------------------------------------------------------------- number roles

@pytest.mark.parametrize("text, yuan", [
    ("月薪一万二，想借二十万", 200000),
    ("房子值三百万，想贷一百万", 1000000),
    ("年流水五百万，想借一百万", 1000000),
    ("保险每年交一万五，想借五万", 50000),
    ("存款有二十万，还想借三十万", 300000),
    ("几十万吧，我要二十万", 200000),
    ("先说十万，改成六万吧", 60000),
    ("本来想借五十万，现在三十万就够", 300000),
    ("开店两年了，想借十万一年", 100000),
])
def test_the_loan_amount_is_told_from_salary_valuation_turnover_premium_and_corrections(text, yuan):
    assert extract_amount(normalize(text)) == yuan


@pytest.mark.parametrize("text", ["3k工资能贷多少", "保费一年两万，交了三年了", "欠了十五万网贷", "营业额一个月二十万",
                                  "要个十几万吧", "房子估值三百万左右，能贷多少出来"])
def test_no_amount_where_only_other_figures_are_stated(text):
    assert extract_amount(normalize(text)) is None


@pytest.mark.parametrize("text", ["一个月查了八次", "社保已缴三年", "先养半年征信再贷", "房贷还有十年还完", "上了十年班",
                                  "保费一年两万", "最近三个月查询了七次"])
def test_durations_that_are_not_the_loan_term(text):
    assert extract_term(normalize(text)) is None


def test_loan_terms_still_read():
    assert extract_term(normalize("工作三年了，想贷两年的")) == 24
    assert extract_term(normalize("借十万，一年半还")) == 18


# ---------------------------------------------------------------------------------------------- negation and loss

@pytest.mark.parametrize("text, tag", [
    ("房子是租的，车也卖了", "有车辆"),
    ("名下啥都没有", "有房产"),
    ("名下啥都没有", "有车辆"),
    ("社保去年就停缴了", "有社保"),
    ("本来有公积金，辞职后断了", "有公积金"),
    ("没有逾期，征信干净的很", "征信逾期"),
    ("名下的房子前年卖了，车还在", "有房产"),
    ("冇社保", "有社保"),
])
def test_denials_and_losses_deny_the_tag(text, tag):
    assert asserted(text).get(tag) is False
    assert tag not in tags(text)


def test_the_later_statement_in_a_text_wins():
    assert asserted("名下啥都没有，只有社保交着") == {"有房产": False, "有车辆": False, "有社保": True}
    assert asserted("名下的房子前年卖了，车还在")["有车辆"] is True


def test_enumerations_assert_or_deny_each_topic():
    a = asserted("房子、车子、公积金、社保都有，征信也好")
    assert all(a[t] for t in ("有房产", "有车辆", "有公积金", "有社保"))
    assert asserted("房子车子都没有") == {"有房产": False, "有车辆": False}


def test_someone_elses_assets_and_past_ones_are_not_the_customers():
    assert "企业主" not in tags("我老公做生意，我上班")
    assert "工薪族" not in tags("以前上班，现在自己做生意")
    assert "工薪族" in tags("我老公是公务员，我们想贷款装修")  # borrowing together


# ---------------------------------------------------------------------------------------------- risk and debt

@pytest.mark.parametrize("said, n", [("8", 8), ("八", 8), ("十几", 12), ("五六", 6), ("二十多", 20), ("好几", 5), ("三", 3)])
def test_counts_as_people_say_them(said, n):
    assert count_value(said) == n


@pytest.mark.parametrize("text, on", [
    ("征信查询了十几次", True), ("一个月查了八次", True), ("最近半年被查了二十多次征信", True),
    ("一个月前查过三次征信", False),
])
def test_inquiry_counts(text, on):
    assert asserted(text).get("查询过多") is on


@pytest.mark.parametrize("text", ["借呗欠两万，微粒贷欠一万", "花呗借呗京东白条都在用", "网贷有五六个，都没逾期",
                                  "网贷撸了十几个"])
def test_many_online_loans_named_or_counted(text):
    assert "网贷较多" in tags(text)


def test_one_named_online_loan_is_not_many():
    assert "网贷较多" not in tags("网贷就一个借呗，没逾期")


@pytest.mark.parametrize("text", ["信用卡全刷爆了", "每个月要还一万五，工资才一万", "房贷每月还六千，工资才八千",
                                  "信用卡套现还卡，快撑不住了", "信用卡欠了十万，想贷款还上"])
def test_high_debt_said_colloquially_or_by_repayments_against_income(text):
    assert "负债过高" in tags(text)


def test_repayments_well_below_income_are_not_high_debt():
    assert "负债过高" not in tags("月供三千，工资两万")


# ---------------------------------------------------------------------------------------------- voices

@pytest.mark.parametrize("written, read", [
    ("xyd 20w", "信用贷 20w"), ("zx有yq", "征信有逾期"), ("俺想借钱", "我想借钱"), ("喺深圳有层楼", "在深圳有套房"),
    ("带款十万", "贷款十万"), ("低押", "抵押"), ("愈期", "逾期"), ("公机金", "公积金"), ("冇车", "没车"),
])
def test_voices_are_rewritten_to_the_words_the_rules_know(written, read):
    assert normalize(written) == read


def test_latin_abbreviations_only_as_whole_words():
    assert normalize("zxcv") == "zxcv"


@pytest.mark.parametrize("text, tag", [
    ("zx花了还能做吗", "征信逾期"), ("征信有愈期", "征信逾期"), ("公机金交了两年了", "有公积金"),
    ("喺广州有层楼，想攞笔钱", "有房产"), ("俺征信不咋好", "征信逾期"),
])
def test_tags_read_through_dialect_abbreviations_and_typos(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text, intent", [
    ("客户已提交身份证和银行流水，约周四面签", "high"), ("跟进记录：客户已删除好友", "low"),
    ("客户15天没联系了", "low"), ("👌 那我明天过去面签", "high"), ("客户说先养半年征信再办，暂时不做", "low"),
])
def test_salesperson_notes_carry_the_customers_intent(text, intent):
    assert pipeline.analyze(text).intent == intent


# ---------------------------------------------------------------------------------------------- second round

def test_a_question_answered_with_a_denial_denies_what_it_asked():
    assert asserted("征信有问题吗？没问题，就是负债有点高") == {"征信逾期": False, "负债过高": True}
    assert asserted("征信有问题吗？有，逾期过两次")["征信逾期"] is True  # answered yes


def test_a_product_declined_right_after_it_is_named_is_not_asked_for():
    a = pipeline.analyze("车抵不做了，想做房抵")
    assert a.product == "房抵贷" and "车抵贷" not in a.tags
    assert "有车辆" in a.tags  # declined, but named: the car is still the customer's
    assert pipeline.analyze("房抵不做了").product is None


def test_a_decline_followed_by_a_new_figure_is_a_change_of_plan_not_low_intent():
    assert pipeline.analyze("之前说的三十万不要了，改成二十万").intent != "low"
    assert pipeline.analyze("三十万不要了").intent == "low"


def test_a_past_overdue_stays_on_the_report_when_the_text_says_it_is_fine_now():
    assert asserted("三年前逾期过，现在征信好了")["征信逾期"] is True
    assert asserted("征信好了")["征信逾期"] is False  # nothing before it to keep


def test_past_clauses_are_out_of_scope_whichever_side_the_present_is_on():
    assert "工薪族" not in tags("我现在失业了，以前在工厂上班")
    assert "车抵贷" not in tags("之前是车抵，现在车卖了")
    assert "企业主" not in tags("以前开过店，现在关了，在厂里上班")


def test_working_at_a_place_is_not_owning_it():
    t = tags("我在厂里上班")
    assert "工薪族" in t and "企业主" not in t


@pytest.mark.parametrize("text, tag", [
    ("房子120平，在郑州", "有房产"),
    ("厂房是自己的，要流动资金", "有房产"),
    ("房子还在按揭，月供三千", "有房产"),
    ("房子有一套", "有房产"),
    ("分期付款买的车", "有车辆"),
    ("车贷还没还完", "有车辆"),
    ("房子车子都没有，只有一个公积金", "有公积金"),
])
def test_an_asset_read_from_what_is_said_about_it(text, tag):
    assert tag in tags(text)


def test_pledging_everything_asserts_every_asset_listed():
    assert {"有房产", "有车辆"} <= tags("我房子车子都抵押过了，还能做信用贷吗")


def test_counts_of_months_or_of_rejections_are_not_counts_of_loans_or_inquiries():
    assert "网贷较多" not in tags("去年网贷逾期了三个月")
    assert "网贷较多" in tags("网贷有三个")
    assert asserted("征信查询太多被拒了好几次")["查询过多"] is True


@pytest.mark.parametrize("text, yuan", [
    ("五万八万都行，越快越好", 80000),  # alternatives: the larger
    ("想给店里换设备，差不多要20来万", 200000),
])
def test_alternative_and_approximate_figures(text, yuan):
    assert extract_amount(normalize(text)) == yuan


@pytest.mark.parametrize("text", ["微粒贷借了三万，京东白条一万，分期乐五千", "负债不高，就房贷一个"])
def test_figures_owed_on_named_loans_are_not_the_amount(text):
    assert extract_amount(normalize(text)) is None


def test_a_term_said_as_paying_off_in_n_years_and_a_young_licence_is_not_a_term():
    assert extract_term(normalize("我想借二十万，五年还完")) == 60
    assert extract_term(normalize("营业执照刚办下来不到一年")) is None
    assert extract_term(normalize("车贷还有一年就还完了")) is None


def test_a_gain_word_asserts_the_topic_before_it_as_a_loss_word_denies_it():
    assert asserted("房子是我和前夫一起买的，离婚后归我了")["有房产"] is True
    assert asserted("车也卖了")["有车辆"] is False


def test_a_clause_opening_with_he_or_she_is_about_the_someone_else_named_before():
    assert "有车辆" not in tags("我老公上班，他有车")
    assert "有房产" in tags("客户说他在厦门有两套房")  # a note: 他 is the customer


def test_paying_wages_is_not_earning_them_and_colloquial_bad_credit():
    assert asserted("老板说厂里要发工资，差八十万").get("工薪族") is not True
    assert asserted("下个月发工资就还")["工薪族"] is True
    assert asserted("俺在村里种地的，征信也不咋地")["征信逾期"] is True


def test_repayments_said_as_yue_huan_and_counts_said_with_lai():
    assert asserted("客户月入八千，负债月还六千")["负债过高"] is True
    assert asserted("一个月被查了十来次")["查询过多"] is True


def test_an_asset_handed_to_someone_else_is_lost_and_no_product_is_read_from_it():
    a = pipeline.analyze("车子过户给我弟了")
    assert a.asserted.get("有车辆") is False and a.product is None


def test_a_house_bought_on_a_loan_and_a_second_mortgage():
    assert "有房产" in tags("我贷款买的房，现在还月供")
    assert pipeline.analyze("二按可以吗，我房子还有按揭").product == "房抵贷"


@pytest.mark.parametrize("text, intent", [
    ("我再比较一下其他家", "low"),  # comparing without need
    ("客户在比较几家", "low"),
    ("我现在就在你们公司楼下", "high"),
    ("快啲得唔得", "high"),  # Cantonese: 快点行不行
])
def test_intent_from_comparing_arriving_and_hurrying_in_any_voice(text, intent):
    assert pipeline.analyze(text).intent == intent


@pytest.mark.parametrize("text", ["我有二十万存款", "投资亏了一百万", "分12期，每期还三千", "交了三万保证金"])
def test_savings_losses_deposits_and_instalments_are_not_the_amount(text):
    assert extract_amount(normalize(text)) is None


@pytest.mark.parametrize("text", ["公司一年流水五百万", "一个月还八千"])
def test_a_period_that_measures_turnover_or_a_repayment_is_not_the_term(text):
    assert extract_term(normalize(text)) is None


@pytest.mark.parametrize("text, tag", [
    ("征信不太干净", "征信逾期"),
    ("上了黑名单", "征信逾期"),
    ("欠了一屁股债", "负债过高"),
    ("撸了好多口子", "网贷较多"),
    ("硬查好多", "查询过多"),
    ("干个体的", "企业主"),
    ("每年交两万的保险", "有保单"),  # paying a premium means having the policy
])
def test_colloquial_risk_and_implied_assets(text, tag):
    assert asserted(text)[tag] is True


@pytest.mark.parametrize("text, tag", [("没交保险", "有保单"), ("没上黑名单", "征信逾期")])
def test_colloquial_phrases_negated_assert_nothing(text, tag):
    assert tag not in tags(text)


def test_offering_the_deed_is_pledging_the_house():
    a = pipeline.analyze("想用房本借点钱")
    assert a.product == "房抵贷" and "有房产" in a.tags


# ---------------------------------------------------------------------------------------------- third round

def test_a_run_on_message_has_its_present_half_after_xianzai():
    a = asserted("之前做生意赔了现在在工地干活工资一天三百")
    assert "企业主" not in a and a["工薪族"] is True
    assert "企业主" not in tags("我老公之前做生意现在我们家有套房想抵押")


def test_a_business_the_money_is_for_is_not_one_the_customer_runs():
    assert "企业主" not in asserted("想贷三十万开店")
    assert asserted("想借五十万，店开了三年")["企业主"] is True


@pytest.mark.parametrize("text, product", [("啥叫车抵？", "车抵贷"), ("之前办过房抵，已经还完了", "房抵贷")])
def test_a_product_asked_about_or_had_before_is_not_asked_for(text, product):
    assert pipeline.analyze(text).product != product


def test_a_product_whose_asset_is_lost_afterwards_is_not_asked_for():
    a = pipeline.analyze("想做车抵，可是车已经卖了")
    assert a.product is None and "有车辆" not in a.tags
    assert pipeline.analyze("想办个车抵，车在我老公名下").product == "车抵贷"  # someone else's is not lost


def test_two_products_compared_leave_none_asked_for():
    assert apply_rules(normalize("房抵和车抵哪个下款快")).product is None


def test_the_housing_fund_alone_is_the_basis_of_the_loan():
    assert apply_rules(normalize("公积金缴了四年，能贷多少")).product == "公积金贷"
    assert apply_rules(normalize("公积金和社保都交着，想借二十万")).product is None
    assert apply_rules(normalize("公积金基数一万二，借了网贷")).product is None  # a loan had is not one wanted


def test_an_asset_pledged_already_is_not_offered():
    r = apply_rules(normalize("名下有套房已抵押，开了家超市，想借钱周转"))
    assert r.product == "经营贷" and r.tags["有房产"] is True


def test_an_asset_named_as_someone_elses_implies_nothing():
    a = pipeline.analyze("我哥有辆车，能用来押吗")
    assert "有车辆" not in a.tags


def test_a_yes_no_question_is_not_a_negation():
    assert apply_rules(normalize("能贷多少，要不要押车")).product == "车抵贷"


@pytest.mark.parametrize("text, tag", [
    ("信用卡碌爆咗", "负债过高"), ("征心不好", "征信逾期"), ("公鸡金交了三年", "有公积金"),
    ("欠了三十多万", "负债过高"), ("负债较重", "负债过高"), ("年薪二十万", "工薪族"), ("在这家公司干了八年", "工薪族"),
    ("房产估值三百万", "有房产"), ("房子还有贷款", "有房产"), ("车是前年十几万买的", "有车辆"),
])
def test_third_round_voices_and_phrases(text, tag):
    assert asserted(text)[tag] is True


@pytest.mark.parametrize("text, tag", [("公积金销户了", "有公积金"), ("保单退保了", "有保单"), ("征信没花", "征信逾期"),
                                       ("以前有房，离婚给前妻了", "有房产"), ("执照吊销了", "企业主")])
def test_closing_an_account_or_a_licence_is_a_loss(text, tag):
    assert tag not in tags(text)


def test_count_words_with_hao_and_duo():
    assert count_value("好几十") == 30 and asserted("被查了好几十次")["查询过多"] is True


@pytest.mark.parametrize("text, amount", [
    ("把欠的钱还了大概需要四十万", 400000), ("房子估价两百万，能贷多少", None), ("落地二十万的车能押多少", None),
    ("不是五万，是八万", 80000), ("房子值一百万还有三十万房贷", None), ("公积金月缴两千", None),
    ("公司开票有三千万，税贷能批多少", None),
])
def test_third_round_number_roles(text, amount):
    assert extract_amount(normalize(text)) == amount


@pytest.mark.parametrize("text", ["一八年的车想押", "社保断了三个月", "借了半年网贷"])
def test_a_calendar_year_or_a_lapse_is_not_the_term(text):
    assert extract_term(normalize(text)) is None


@pytest.mark.parametrize("text, intent", [
    ("跟进：电话一直未接通", "low"), ("不是很着急，先问问", "low"), ("下周来签约", "high"),
    ("资料已收齐", "high"), ("上次那笔批下来没", "high"), ("你们这比银行还贵", "low"),
])
def test_third_round_intent(text, intent):
    assert pipeline.analyze(text).intent == intent


def test_a_clause_of_a_note_about_the_customers_spouse_is_the_spouses():
    a = asserted("客户老公是开厂的，客户自己在超市上班")
    assert "企业主" not in a and a["工薪族"] is True


@pytest.mark.parametrize("text, product", [("房本和身份证都发你了", "房抵贷"), ("行驶证拍给你了", "车抵贷")])
def test_sending_the_deed_offers_the_asset(text, product):
    assert pipeline.analyze(text).product == product


@pytest.mark.parametrize("text, tag", [
    ("绿本在我这", "有车辆"), ("我是快递员", "工薪族"), ("我是个体", "企业主"), ("公司是我的", "企业主"),
    ("想用社保贷款", "有社保"),  # using what one has is not about to have it
    ("我老婆上班我开出租的", "有车辆"),  # a 我 after the someone else is the customer again
    ("征信花了，但是没有逾期", "征信逾期"),  # a report described as 花 stays, whatever the overdue
])
def test_guideline_words_and_the_customer_named_again(text, tag):
    assert asserted(text)[tag] is True


def test_going_over_now_is_high_intent():
    assert pipeline.analyze("我现在过去").intent == "high"


@pytest.mark.parametrize("text, intent", [
    ("月底前要", "high"), ("周五之前要到账", "high"), ("三天内要", "high"), ("在线等", "high"), ("等钱用", "high"),
    ("没需求", "low"), ("不想借了", "low"), ("下次吧", "low"),
])
def test_a_deadline_is_urgency_and_no_need_is_low(text, intent):
    r = apply_rules(normalize(text))
    assert r.intent == intent


def test_an_idiom_with_a_figure_is_no_amount():
    assert extract_amount(normalize("十万火急")) is None


@pytest.mark.parametrize("text, tag", [
    ("房贷断供了", "征信逾期"), ("停息挂账", "征信逾期"), ("被限高了", "征信逾期"), ("信用卡透支了十几万", "负债过高"),
    ("社保是公司交的", "有社保"), ("社保基数五千", "有社保"), ("我是包工头", "企业主"), ("我开网约车", "有车辆"),
    ("有个铺面", "有房产"), ("有一栋自建楼", "有房产"), ("房子是全款的", "有房产"),
])
def test_loan_domain_words(text, tag):
    assert asserted(text)[tag] is True


@pytest.mark.parametrize("text, tag", [("公积金封存了", "有公积金"), ("社保停保了", "有社保"), ("租的公寓", "有房产")])
def test_a_sealed_fund_or_a_rented_flat_is_not_had(text, tag):
    assert tag not in tags(text)


@pytest.mark.parametrize("text, amount", [
    ("年收入30万借20万", 200000), ("工资5千借3千", 3000), ("车值8万押5万", 50000),  # a want after the income
    ("欠了借呗三万", None), ("欠了网贷三万", None),  # a figure owed stays owed
])
def test_a_want_after_an_income_or_a_valuation_is_the_amount(text, amount):
    assert extract_amount(normalize(text)) == amount


@pytest.mark.parametrize("text, term", [
    ("拖了两个月", None), ("十年老客户", None), ("手机用了两年", None), ("利润一年百来万借五十万", None),
    ("两年内还清", 24), ("想借十万用两年", 24),
])
def test_paid_off_within_a_period_is_the_term_and_time_used_is_not(text, term):
    assert extract_term(normalize(text)) == term


@pytest.mark.parametrize("text, product", [
    ("想做个消费贷", "信用贷"), ("拿保单借", "信用贷"), ("社保能贷多少", "信用贷"), ("凭执照贷", "经营贷"),
    ("押大本能借多少", "车抵贷"),
])
def test_loan_names_brokers_use(text, product):
    assert apply_rules(normalize(text)).product == product


def test_a_me_told_something_is_not_the_subject_again():
    assert "有房产" not in asserted("我老公跟我说他有套房")


@pytest.mark.parametrize("text", [
    "一万个放心", "车跑了三万公里", "2万块的手机", "年底有二十万回款", "装修花了三十万", "罚款五千", "手续费一千",
])
def test_money_spent_charged_or_counted_otherwise_is_no_amount(text):
    assert extract_amount(normalize(text)) is None


@pytest.mark.parametrize("text", ["在深圳待了五年", "12个月的银行流水", "两年多", "三年左右的车", "店面租期五年"])
def test_how_long_something_has_been_is_no_term(text):
    assert extract_term(normalize(text)) is None


@pytest.mark.parametrize("text, term", [("贷三年多少利息", 36), ("借两年", 24), ("想借十万三年", 36)])
def test_a_term_wanted_is_still_read(text, term):
    assert extract_term(normalize(text)) == term


@pytest.mark.parametrize("text, intent", [
    ("那你先帮我申请", "high"), ("客户说下周来", "high"), ("合同已签", "high"), ("明天补资料", "high"),
    ("客户催了好几次", "high"), ("客户考虑中", "low"), ("客户在比价", "low"), ("有空再聊", "low"),
])
def test_notes_of_acting_and_of_waiting(text, intent):
    assert apply_rules(normalize(text)).intent == intent
