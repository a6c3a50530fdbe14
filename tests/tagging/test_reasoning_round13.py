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
- products: a pledge loan given up for a later one (原计划做房抵…改做信用贷) still offers its asset, while pledge loans
  only weighed (房抵和信用贷有啥区别) offer none; money for stock after a loan word (贷点款进茶叶) and a shop's rent
  (铺租) are money for a business, and so are machines bought (买机器, 添设备), wages advanced (垫付) and materials
  stocked (备料) by an owner; premises to be changed or rented (换个大点的门面, 租个铺面) are not had;
- tags, the funds: who pays said between the fund and its payment (社保单位一直在交, 社保还是自己在交) and a bare
  "had" after the fund (公积金有，社保也有) assert it; a loss reaches back over one short clause (公积金交了六年，去年换
  工作停缴了);
- tags, social insurance bought for one (公司给买了社保) or paid as self-employed (灵活就业社保) is had; what is paid
  into the fund (各交一千, 月存两千) is no amount;
- tags, work and business: a post held (是中学老师, 县医院的护士) is salaried; workers under one (手底下六七个工人,
  包点小活) make an owner and no wage earner; selling online or live (微商, 直播卖货) is a business; a site that needs
  money (工地要垫资) is no salary; a wish for the lender's business (祝你生意兴隆) is no business; a licence held by the
  spouse of a couple borrowing together (执照是我老婆的…我们家想借) stays the couple's;
- tags, assets: a mortgage to be applied for (以后办房贷) is no house; a mortgage being paid on a flat (二手房按揭还了
  三年), a sale only planned (房子要卖了, 车准备卖掉), the one left after another is sold (另一套, 剩下一辆) and one's own
  shop premises (自己的铺) are had; a retired customer's work before is past (退休了，以前在纺织厂上班), and so is
  pay before a job left (刚辞职，之前月薪一万五);
- tags, risks: a late repayment said plainly (晚还了几天, 还晚了, 迟还过) is an overdue, and so are late repayments
  counted (有几次晚还), an instalment missed (有一期没还上), a loan repaid late (拖了半年才还) and a flaw on the report
  (征信有瑕疵, 有点小问题), while instalments still due (还有两期没还完) and a question (会不会晚还一天就上征信) are
  not; an overdue denied after the word (逾期没有, yq没有) is denied, and cx is 查询; small loans counted (三笔小额贷款)
  are many online loans, and so are more platforms named (快贷, 借贷宝, 还呗, 任性付); inquiries too often (查得有点勤,
  申请太频繁) and apps applied to, counted (点了七八个贷款app), are many inquiries; repayments near the income
  (快赶上收入, 接近工资, 占了工资一大半) are high debt, a share of it (工资的一半) is no monthly sum for the ratio;
- intent: 不再 negates what follows it (不再主动联系 is no eagerness); learning about it (了解下, 想了解) and giving up
  said the Cantonese way (算啦, 唔俾我借) or in English (just curious) are low; materials sent over
  (发来营业执照和流水), coming over now (现在过来, 现在就开车过来, 今日可唔可以过嚟), a day with 可不可以 / 能不能
  and the step (今天可不可以申请) and asking when one can apply (什么时候可以申请) are high; giving up only if
  refused (批不下来就算了) and a figure not yet settled (具体多少还没想好) are not low; more voices: 勿急 (Shanghai)
  is no hurry, 冇需要 and 回头再聊 are low, and the lender's shop (到你们店里) is no business of the customer's;
  a visit on its way (明早九点到你们那, 我赶过去) and idioms of urgency (等米下锅, 火烧眉毛) are high;
  time gone by (现在过去两年了) and waiting until one can apply (什么时候才能申请) are not high by rule; a wish to
  learn more (了解下, 想了解) does not undo urgency said elsewhere in the text (今天就要…了解下利息);
- money per period: a month or a year followed in its clause by a figure of money (一个月到手六千五, 一年能赚个二三
  十万) is no term unless a loan word stands before it (贷一年，五万) or it is the term said (一年期, 一年内还清); a
  figure of the time something was bought (当初十二万) is no amount;
- alternatives: two figures offered as alternatives (三万或者五万, 要么十万要么十五万) give the larger, as a range its
  upper end;
- more figures that are no loan: a budget for the purpose (装修预算三十万; a budget alone is the loan's) and a guarantee
  given (担保了五十万) are no amount, nor is a figure after a clause on worth, unless that clause asks what can be lent
  (按房产评估价能贷几成，十万左右); what a year yields or costs (一年产值, 一年学费, 还一年的利息) and a month of the calendar (明年九月, 到三月,
  五月十号) are no term, while a number of months (借3月, 三个月) still is;
- whose asset: a house or car said to be any relative's (房是我爹的, 车是我姐的) is not had, nor a fund drawn out
  (公积金提出来了); a house in the couple's names (写的我和老婆两个人的名字), an asset inherited (我爷爷留下的) and a
  business run in partnership (合伙开的) are had, a partnership to come (想…合伙做生意) is not;
  a landlord collecting rent (我是房东, 收租) owns a house, not one paying it (房东收租太狠了); a herd of tens or more
  kept (养了两百头猪) is a business, a pet or two is not;
- no pledge, or refused: a loan without a pledge said other ways (免抵押, 不用押东西) is unsecured; a pledge refused
  with its asset named (不想拿房子去押, 舍不得把车押出去) keeps the asset and leaves no pledge loan to guess;
- a business to start: a business loan named only by the business it will start (想贷款三十万做生意, 借钱创业)
  implies no business run now;
- funds and policies: a credit loan on the housing fund (用公积金贷信用贷, 凭公积金做信用贷) is a fund loan; a policy
  bought (保险买了十年了, 买了教育金, 买了份商业保险) is had, car or social insurance is not;
- southern voices: 食头路 (Minnan) is a job; 系自己嘅 / 系我自己 (Cantonese) is 是自己的, so premises said so are
  owned, and a shop said to be one's own by the measure word (间铺是我自己的) is had; 小卖店 is a business;
- assets kept: 没得房产证 is 没有房产证; a denying enumeration with an object of its own (两套房都没贷款) denies the
  object, not the assets listed; a house denied as the spouse's (房子是我老婆名下的) is the couple's when they borrow
  together (我们俩一起贷), not otherwise; houses said to be one's own in Minnan (两间厝都是阮的, 收厝租) and a
  resettlement flat (安置房) are had; 毋 (Minnan) is 不;
- someone else's, or one of several: an asset said later to be in a relative's or the spouse's name (不过是我爸妈名
  下的, 在老公名下) is not the customer's unless the couple borrows together; an owner named before where the asset is
  (我老爸在贵阳有套房) makes it someone else's; a house bought some time ago (三年前买的房) is had, one bought for a
  child (给儿子买的房) is not; stalls run (两个档口) are no house; one of several lost (两台车，一台是老
  婆名下的; 两套房一套卖了) leaves the others, the only one lost does not;
- questions of having: a tag phrase inside 有没有 / 有无 / …有没有 (有没有逾期都能贷吗, 有冇社保都得, 社保有没有交)
  says neither that the customer has it nor that they lack it; more Cantonese and Shanghai words (琴日, 而家, 宜家,
  屋企, 屋里厢, 伊拉, 有冇);
- exceptions: the topic right after 除了 / 除开 (除了一套房什么都没有, 除了车别的都卖了) is kept whatever a denial after it
  says of everything else; a contract worker (合同工, 劳务派遣) is salaried;
- pledges of premises: a shop front, plant or office used for a loan (拿铺面贷, 用厂房贷两百万) is a house pledge, and the
  figure after it is the amount.
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
    "老公工资一万，我也一万，能贷多少",
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


# --------------------------------------------------------------------------------------------- tags: the funds

@pytest.mark.parametrize("text,tag", [
    ("在物流公司开叉车，社保公司一直帮我交", "有社保"),
    ("社保还是我自己在交，想借三万", "有社保"),
    ("公积金单位每月按时在缴，能贷多少", "有公积金"),
    ("月薪一万，公积金有，社保也有", "有公积金"),
    ("工资八千，社保有，想借两万", "有社保"),
])
def test_who_pays_between_the_fund_and_its_payment_or_a_bare_had_asserts_it(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("公积金有没有都无所谓吧，想借两万", "有公积金"),
    ("社保没在交了，想借一万", "有社保"),
])
def test_a_question_or_a_stop_is_no_fund(text, tag):
    assert tag not in tags(text)


def test_a_fund_stopped_a_clause_later_is_denied():
    assert "有公积金" not in tags("之前公积金交了五年，去年辞职后停缴了，还能贷吗")


# ------------------------------------------------------------------------------------- tags: work and business

@pytest.mark.parametrize("text", [
    "客户是中学老师，想借五万",
    "我是县医院的护士，能贷多少",
    "我在镇上当小学教师，有编制",
])
def test_a_post_held_is_salaried(text):
    assert "工薪族" in tags(text)


def test_addressing_someone_as_teacher_is_no_post():
    assert "工薪族" not in tags("老师你好，想问问房抵利息")


@pytest.mark.parametrize("text", [
    "我在县里包点小活，手底下六七个工人，急用两万",
    "搞装修的，手下带着十来个师傅，想借二十万",
    "做钢结构的，手下管着二十多个工人",
])
def test_workers_under_one_is_an_owner_not_a_wage_earner(text):
    got = tags(text)
    assert "企业主" in got and "工薪族" not in got


@pytest.mark.parametrize("text", [
    "我做微商两年了，卖护肤品，想借三万进货",
    "在抖音直播卖货的，想贷十万备货",
])
def test_selling_online_or_live_is_an_owner(text):
    assert "企业主" in tags(text)


@pytest.mark.parametrize("text", [
    "开茶叶店的，想贷点款进茶叶",
    "我卖水果的，借点钱进一批货",
    "开烧烤店的，铺租到期了要交十万",
])
def test_money_for_stock_or_the_shop_rent_is_a_business_loan(text):
    assert apply_rules(normalize(text)).product == "经营贷"


@pytest.mark.parametrize("text", [
    "想借点钱进城看病",
    "想借钱进医院看病",
])
def test_money_to_go_somewhere_is_no_business_loan(text):
    assert apply_rules(normalize(text)).product != "经营贷"


def test_a_site_that_needs_money_is_no_salary():
    assert "工薪族" not in tags("我是做装修的个体户，工地要垫资，想借五十万")


def test_a_wish_for_the_lenders_business_is_no_business():
    assert "企业主" not in tags("在厂里上班，利息太高了不借了，祝你生意兴隆")


@pytest.mark.parametrize("text", [
    "我家开小卖部的，执照是我老婆的，我们家想借五万进货",
    "我们两口子开饭店，营业执照是老公的，想一起贷二十万",
])
def test_a_licence_held_by_the_spouse_of_a_couple_borrowing_together_is_theirs(text):
    assert "企业主" in tags(text)


def test_a_licence_held_by_the_spouse_alone_is_not_the_customers():
    assert "企业主" not in asserted_true("我在厂里上班，店的营业执照是我老婆的")


def asserted_true(text):
    return {t for t, on in apply_rules(normalize(text)).tags.items() if on}


# ---------------------------------------------------------------------------------------------- tags: assets

@pytest.mark.parametrize("text", [
    "微粒贷逾期了两天，会影响我以后办房贷吗",
    "打算明年申请房贷买房，先问问",
])
def test_a_mortgage_to_be_applied_for_is_no_house(text):
    assert "有房产" not in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("房子还有房贷，想再借点", "有房产"),
    ("二手房按揭还了两年，想借十万装修", "有房产"),
    ("房子要卖了，在这之前想先借二十万周转", "有房产"),
    ("车准备卖掉，现在还能押吗", "有车辆"),
    ("两套房一套去年卖了，另一套还在还按揭", "有房产"),
    ("两辆车卖了一辆，剩下一辆想押了借钱", "有车辆"),
    ("在佛山有间自己的铺，想借二十万入货", "有房产"),
])
def test_a_mortgage_paid_a_sale_planned_or_the_one_left_is_still_had(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("房子去年卖了，现在租房住", "有房产"),
    ("车子上个月卖掉了，想借两万", "有车辆"),
])
def test_a_sale_made_is_still_a_loss(text, tag):
    assert tag not in tags(text)


@pytest.mark.parametrize("text", [
    "我退休了，以前在纺织厂上班，每个月退休金三千，想借两万",
    "我退休三年了，原来是中学老师",
])
def test_a_retired_customers_work_before_is_past(text):
    assert "工薪族" not in tags(text)


# ----------------------------------------------------------------------------------------------- tags: risks

@pytest.mark.parametrize("text", [
    "之前在分期乐借过，晚还了几天",
    "信用卡有一次还晚了，不知道影响大不大",
    "去年有个贷款迟还过一回",
])
def test_a_late_repayment_said_plainly_is_an_overdue(text):
    assert "征信逾期" in tags(text)


@pytest.mark.parametrize("text", [
    "征信报告上有三笔小额贷款，没逾期",
    "有两个小额贷还在还",
])
def test_small_loans_counted_are_many_online_loans(text):
    assert "网贷较多" in tags(text)


def test_one_small_loan_is_not_many():
    assert "网贷较多" not in tags("只有一笔小额贷款，马上还完")


@pytest.mark.parametrize("text", [
    "每月还款快赶上收入了，想借三万先把网贷清掉",
    "月供都接近我工资了",
    "还款占了工资一大半，压力不小",
])
def test_repayments_near_the_income_are_high_debt(text):
    assert "负债过高" in tags(text)


def test_income_caught_up_with_in_other_words_is_no_high_debt():
    assert "负债过高" not in tags("今年工资终于涨上来了，想借五万装修")


# ------------------------------------------------------------------------------------------ products: changes

def test_a_pledge_loan_given_up_for_another_still_offers_its_asset():
    assert "有房产" in tags("客户原计划做房抵，后来改做信用贷，要八万")


def test_pledge_loans_only_weighed_imply_no_asset():
    assert "有房产" not in tags("房抵和信用贷有啥区别")


# ------------------------------------------------------------------------------------------------ intent again

@pytest.mark.parametrize("text", [
    "我想了解下车抵贷的流程",
    "家里人不让我借，所以算啦",
])
def test_learning_about_it_or_giving_up_said_other_ways_is_low(text):
    assert apply_rules(normalize(text)).intent == "low"


@pytest.mark.parametrize("text", [
    "客户微信发来营业执照和半年流水，要做税贷",
    "我系东莞开厂嘅，今日可唔可以过嚟睇下厂",
    "今天可不可以申请？",
    "阿拉现在过来寻侬",
    "车是自己的，现在就开车过来评估",
    "资料齐了，什么时候可以申请",
])
def test_materials_sent_or_coming_over_now_is_high(text):
    assert apply_rules(normalize(text)).intent == "high"


@pytest.mark.parametrize("text", [
    "想借五万，批不下来就算了",
    "要几十万周转，具体多少还没想好",
])
def test_a_conditional_give_up_or_an_undecided_figure_is_not_low(text):
    assert apply_rules(normalize(text)).intent != "low"


# ------------------------------------------------------------------------------- pledges of premises, and voices

@pytest.mark.parametrize("text,want", [
    ("用厂房贷两百万扩产", 2_000_000),
    ("拿车贷五万周转一下", 50_000),
])
def test_a_loan_raised_with_a_premises_or_a_car_is_wanted(text, want):
    assert amount(text) == want


def test_a_mortgage_used_to_buy_is_no_amount():
    assert amount("我用房贷买的房，月供五千") is None


@pytest.mark.parametrize("text", [
    "我有个铺面，想拿铺面贷点钱进货",
    "拿门面去贷款行不行",
])
def test_premises_used_for_a_loan_is_a_pledge_loan(text):
    assert apply_rules(normalize(text)).product == "房抵贷"


@pytest.mark.parametrize("text,intent", [
    ("侬帮我问问看，勿急的", "low"),
    ("冇需要喇", "low"),
    ("现在不方便，回头再聊", "low"),
    ("我马上到你们店里", "high"),
])
def test_more_voices_of_intent(text, intent):
    assert apply_rules(normalize(text)).intent == intent


def test_the_lenders_shop_is_no_business_of_the_customer():
    assert "企业主" not in tags("我马上到你们店里")


# -------------------------------------------------------------------------------- more figures that are no loan

@pytest.mark.parametrize("text", [
    "装修预算三十万，手上有二十万，差的想贷",
    "我给别人担保了五十万，现在被追着还",
])
def test_a_budget_or_a_guarantee_is_no_amount(text):
    assert amount(text) is None


def test_a_loan_wanted_after_a_budget_is_still_the_amount():
    assert amount("预算二十万，想贷十五万") == 150_000


@pytest.mark.parametrize("text", [
    "厂里一年产值两个亿",
    "我能还一年的利息",
    "孩子一年学费三万",
    "孩子明年九月上学，想借两万",
    "等到三月再还",
    "五月十号之前要到账",
])
def test_a_years_yield_or_cost_or_a_month_of_the_calendar_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text,months", [
    ("借3月就还", 3),
    ("想借两万，用三个月", 3),
    ("借十万，两三年还完", 36),
])
def test_a_number_of_months_or_years_is_still_the_term(text, months):
    assert term(text) == months


# ---------------------------------------------------------------------------------- whose asset, and partners

@pytest.mark.parametrize("text,tag", [
    ("我家那套房是我爹的", "有房产"),
    ("房子是我舅的，我住着", "有房产"),
    ("车是我姐的，我开着", "有车辆"),
    ("公积金去年提出来了", "有公积金"),
])
def test_an_asset_of_any_relative_or_a_fund_drawn_out_is_not_had(text, tag):
    assert tag not in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("房子写的我和老婆两个人的名字", "有房产"),
    ("房本上写我俩的名字", "有房产"),
    ("房子是我爷爷留下的", "有房产"),
    ("车是我爸留下的，我在开", "有车辆"),
    ("店是我和我哥合伙开的", "企业主"),
])
def test_an_asset_held_jointly_or_inherited_and_a_business_run_in_partnership_are_had(text, tag):
    assert tag in tags(text)


def test_a_partnership_to_come_is_no_business():
    assert "企业主" not in tags("想拿房子抵点钱出来跟朋友合伙做生意，要三十万")


@pytest.mark.parametrize("text,tag", [
    ("我是房东，收租为主", "有房产"),
    ("县城有两间铺面一直在收租", "有房产"),
    ("我在村里养了两百头猪，想扩栏", "企业主"),
    ("家里养着三十箱蜂", "企业主"),
])
def test_a_landlord_owns_and_a_herd_kept_is_a_business(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("养了半年征信，现在能贷了吗", "企业主"),
    ("房东不让转租，想换个地方", "有房产"),
])
def test_a_report_left_to_heal_or_ones_landlord_is_neither(text, tag):
    assert tag not in tags(text)


# ------------------------------------------------------------------------------------- no pledge, or refused

@pytest.mark.parametrize("text", [
    "免抵押的贷款有吗",
    "不用押东西能借吗",
    "有没有不需要押的，凭工资借",
])
def test_a_loan_without_a_pledge_said_other_ways_is_unsecured(text):
    assert apply_rules(normalize(text)).product == "信用贷"


@pytest.mark.parametrize("text,tag", [
    ("不想拿房子去押，有没有别的办法", "有房产"),
    ("舍不得把车押出去，还有别的路子吗", "有车辆"),
])
def test_a_pledge_refused_with_its_asset_named_keeps_the_asset_and_gives_no_pledge_loan(text, tag):
    got = tags(text)
    assert tag in got and not got & {"房抵贷", "车抵贷"}


@pytest.mark.parametrize("text", [
    "征信上有几次晚还",
    "信用卡有一期没还上",
    "之前有笔贷款拖了半年才还",
    "征信有点小瑕疵",
    "征信有点小问题，不严重",
])
def test_a_repayment_missed_or_a_flaw_on_the_report_is_an_overdue(text):
    assert "征信逾期" in tags(text)


@pytest.mark.parametrize("text", [
    "征信没有不良记录",
    "从来没有晚还过",
    "会不会晚还一天就上征信",
    "车贷还有两期没还完",
])
def test_no_flaw_a_question_or_instalments_still_due_is_no_overdue(text):
    assert "征信逾期" not in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("cx有点多，yq没有", "查询过多"),
    ("逾期没有，查询比较多", "查询过多"),
])
def test_an_inquiry_abbreviation_and_an_overdue_denied_after_it(text, tag):
    got = tags(text)
    assert tag in got and "征信逾期" not in got


def test_just_curious_is_low():
    assert apply_rules(normalize("just curious 问下利率")).intent == "low"


@pytest.mark.parametrize("text", [
    "逾期的事现在过去两年了，能贷吗",
    "现在过去了半年，征信好了吗",
    "什么时候才能申请，征信刚养",
])
def test_time_gone_by_or_waiting_to_be_able_to_apply_is_not_high_by_rule(text):
    result = apply_rules(normalize(text))
    assert result.intent != "high"


# ------------------------------------------------------------------------------ what the new kinds must not catch

@pytest.mark.parametrize("text,tag", [
    ("另外一台电脑也坏了", "有车辆"),
    ("另外一套方案利息高", "有房产"),
    ("房东收租太狠了，想借钱换个地方", "有房产"),
    ("抢红包活动还有吗", "企业主"),
    ("家里养了两只猫", "企业主"),
])
def test_the_new_kinds_do_not_catch_look_alikes(text, tag):
    assert tag not in tags(text)


# ------------------------------------------------------------------------------------------ funds and policies

@pytest.mark.parametrize("text", [
    "公积金月缴两千，想用公积金贷信用贷三十万",
    "凭公积金做个信用贷",
])
def test_a_credit_loan_on_the_housing_fund_is_a_fund_loan(text):
    assert apply_rules(normalize(text)).product == "公积金贷"


def test_a_credit_loan_beside_a_fund_had_stays_a_credit_loan():
    assert apply_rules(normalize("有公积金，想做信用贷")).product == "信用贷"


@pytest.mark.parametrize("text", [
    "保险买了十年了",
    "给孩子买了教育金",
    "买了份商业保险",
])
def test_a_policy_bought_is_had(text):
    assert "有保单" in tags(text)


@pytest.mark.parametrize("text", [
    "买了车险",
    "社会保险买了",
    "没买过保险",
])
def test_car_or_social_insurance_or_none_bought_is_no_policy(text):
    assert "有保单" not in tags(text)


# -------------------------------------------------------------------------------------------- southern voices

@pytest.mark.parametrize("text,tag", [
    ("阮佇厦门食头路", "工薪族"),
    ("我在温州开厂，厂房系自己的", "有房产"),
    ("间铺系我自己嘅，想借钱", "有房产"),
    ("俺们那旮旯有个小卖店", "企业主"),
])
def test_a_job_or_own_premises_said_in_minnan_or_cantonese(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("屋里是自建房，没得房产证，能抵押不", "有房产"),
    ("家里有两套房都没贷款", "有房产"),
    ("房子是我老婆名下的，我们俩一起贷，拿这房子抵押能行不", "有房产"),
    ("两间厝都是阮的，靠收厝租过日子", "有房产"),
    ("我们家的房子是拆迁安置房，还没办证", "有房产"),
    ("个铺系自己买嘅，想借钱入货", "有房产"),
])
def test_assets_kept_whatever_the_words_around_them(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("房子车子都没有", "有房产"),
    ("房子是我老婆名下的，我想自己借点钱", "有房产"),
    ("阮毋上班，靠收租过日子", "工薪族"),
])
def test_assets_denied_or_the_spouses_alone_or_no_work_stay_denied(text, tag):
    assert tag not in tags(text)


def test_assets_never_pledged_are_not_denied():
    assert apply_rules(normalize("车子房子都没抵押过")).tags.get("有车辆") is not False


# ----------------------------------------------------------------------------- someone else's, or one of several

@pytest.mark.parametrize("text,tag", [
    ("我在武汉有套房，不过是我爸妈名下的，能抵押吗", "有房产"),
    ("家里一套房子在老公名下，想用公积金贷十五万", "有房产"),
    ("我老爸在贵阳有套房，可以拿来给我贷款不", "有房产"),
    ("在市场里有两个档口，想贷二十万进货", "有房产"),
])
def test_an_asset_in_someone_elses_name_or_a_stall_run_is_not_the_customers_house(text, tag):
    assert tag not in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("家里一套房子在老公名下，我们两口子想一起贷", "有房产"),
    ("我有两台车，一台是老婆名下的，我自己那台想拿去抵押", "有车辆"),
    ("两套房一套去年卖了", "有房产"),
    ("两台车一台卖了，还剩一台", "有车辆"),
])
def test_a_couple_borrowing_together_or_one_of_several_lost_keeps_the_asset(text, tag):
    assert tag in tags(text)


@pytest.mark.parametrize("text,tag", [
    ("我那一套房子卖了", "有房产"),
    ("车卖了，现在坐公交", "有车辆"),
])
def test_the_only_one_lost_is_still_lost(text, tag):
    assert tag not in tags(text)


@pytest.mark.parametrize("text", [
    "想贷款三十万做生意",
    "手上有点钱，想再借二十万创业",
])
def test_a_business_to_start_implies_no_business_run(text):
    assert "企业主" not in tags(text)


def test_a_business_run_with_money_for_it_is_still_an_owner():
    assert "企业主" in tags("我开饭店的，想借二十万做生意周转")


@pytest.mark.parametrize("text", [
    "我上个月刚辞职，之前月薪一万五，想借十万",
    "之前在国企上班，去年离职了，现在自己开店",
])
def test_pay_before_a_job_left_is_past(text):
    assert "工薪族" not in tags(text)


@pytest.mark.parametrize("text", [
    "缺8万，今天就要，了解下车抵贷的利息",
    "资料都准备好了，想了解下房抵的利息",
])
def test_urgency_said_is_not_undone_by_a_wish_to_learn_more(text):
    assert apply_rules(normalize(text)).intent == "high"


@pytest.mark.parametrize("text", [
    "了解下车抵贷的利息",
    "我想了解下车抵贷，不用着急",
])
def test_a_wish_to_learn_more_with_no_urgency_is_low(text):
    assert apply_rules(normalize(text)).intent == "low"


@pytest.mark.parametrize("text,want", [
    ("按房产评估价能贷几成，十万左右", 100_000),
    ("预算五十万左右，期限越长越好", 500_000),
])
def test_a_clause_asking_what_can_be_lent_or_a_budget_alone_leaves_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "还有个建行快贷没还完，微粒贷也有两万",
    "借贷宝和花呗都有在还",
])
def test_more_platforms_named_count_as_online_loans(text):
    assert "网贷较多" in tags(text)


@pytest.mark.parametrize("text", [
    "我开饭店的，想借钱换个大点的门面",
    "想租个临街的铺面开店",
])
def test_premises_to_be_changed_or_rented_are_not_had(text):
    assert "有房产" not in tags(text)


@pytest.mark.parametrize("text", [
    "开厂的，想买机器",
    "包工程的，工程款没结，要先垫付工人工资",
])
def test_machines_or_wages_advanced_by_an_owner_are_a_business_loan(text):
    assert apply_rules(normalize(text)).product == "经营贷"


@pytest.mark.parametrize("text,want", [
    ("要么借十万，要么借十五万", 150_000),
    ("借三万或者五万都行", 50_000),
    ("五万或十万", 100_000),
])
def test_alternatives_give_the_larger(text, want):
    assert amount(text) == want


def test_a_salary_before_an_alternative_word_is_still_no_amount():
    assert amount("月薪一万或者更多，想借五万") == 50_000


@pytest.mark.parametrize("text", [
    "我一个月到手六千五",
    "我老公一个月能拿一万",
    "店里一个月纯利三万",
    "一年能赚个二三十万",
])
def test_money_per_month_or_year_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text,months", [
    ("贷一年，五万", 12),
    ("一年期的，十万", 12),
    ("一年内还清，借三万就行", 12),
])
def test_a_year_wanted_beside_a_figure_is_still_the_term(text, months):
    assert term(text) == months


def test_a_figure_of_the_time_something_was_bought_is_no_amount():
    assert amount("车开了三年，当初十二万") is None


def test_a_house_bought_years_ago_is_had():
    assert "有房产" in tags("三年前买的房，想抵押借点")


def test_a_house_bought_for_a_child_is_not():
    assert "有房产" not in tags("给儿子前年买的房")


@pytest.mark.parametrize("text,tag", [
    ("有没有逾期都能贷吗", "征信逾期"),
    ("有冇社保都得", "有社保"),
    ("有无逾期影响大吗", "征信逾期"),
    ("社保有没有交都行吗", "有社保"),
    ("房子有没有都可以吗", "有房产"),
])
def test_a_question_of_having_it_says_neither(text, tag):
    assert tag not in apply_rules(normalize(text)).tags


@pytest.mark.parametrize("text,tag", [
    ("有没有问题，我有社保", "有社保"),
    ("社保有，没逾期", "有社保"),
])
def test_having_it_said_after_a_question_is_still_had(text, tag):
    assert apply_rules(normalize(text)).tags.get(tag) is True


@pytest.mark.parametrize("text,want", [
    ("琴日已经发咗资料", "昨天已经发了资料"),
    ("而家想借十万", "现在想借十万"),
    ("屋企有层楼", "家里有套房"),
])
def test_more_cantonese_words(text, want):
    assert normalize(text) == want


@pytest.mark.parametrize("text,tag", [
    ("除了社保啥也没有", "有社保"),
    ("除了一套房什么都没有", "有房产"),
    ("除了车别的都卖了", "有车辆"),
    ("房子卖了，除了车啥也没有", "有车辆"),
])
def test_the_one_thing_excepted_from_a_denial_is_kept(text, tag):
    assert tag in tags(text)


def test_besides_said_of_a_loss_keeps_nothing():
    assert "有车辆" not in tags("除了房子，车也卖了")


def test_a_contract_worker_is_salaried():
    assert "工薪族" in tags("不是公务员，是合同工")


@pytest.mark.parametrize("text", [
    "花呗快到工资日了，到时候还",
    "网贷不多，还款接近工资的三分之一",
])
def test_a_share_of_the_income_or_a_pay_day_coming_is_no_high_debt(text):
    assert "负债过高" not in tags(text)


def test_a_share_of_the_salary_is_no_monthly_sum():
    assert "负债过高" not in tags("月供接近工资的一半")


@pytest.mark.parametrize("text", [
    "明早九点到你们那",
    "你们几点下班，我赶过去",
    "等米下锅，能快点批吗",
    "真是火烧眉毛了",
])
def test_a_visit_on_its_way_or_an_idiom_of_urgency_is_high(text):
    assert apply_rules(normalize(text)).intent == "high"


def test_a_visit_made_before_is_not_high():
    assert apply_rules(normalize("之前去你们那问过")).intent != "high"


@pytest.mark.parametrize("text", [
    "最近征信查得有点勤",
    "这半年点了七八个贷款app",
    "近期申请太频繁了",
])
def test_inquiries_too_often_or_apps_counted_are_many_inquiries(text):
    assert "查询过多" in tags(text)


def test_two_apps_are_not_many_inquiries():
    assert "查询过多" not in tags("点了两个app")


@pytest.mark.parametrize("text", [
    "公司给买了社保",
    "个人缴纳的灵活就业社保",
])
def test_social_insurance_bought_for_one_or_paid_as_self_employed_is_had(text):
    assert "有社保" in tags(text)


@pytest.mark.parametrize("text", [
    "没买社保",
    "想买社保",
])
def test_social_insurance_not_bought_or_to_be_bought_is_not(text):
    assert "有社保" not in tags(text)


@pytest.mark.parametrize("text", [
    "公积金个人和单位各交一千",
    "住房公积金月存两千",
])
def test_what_is_paid_into_the_fund_is_no_amount(text):
    assert amount(text) is None
