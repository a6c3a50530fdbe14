"""The fourteenth round of reasoning, one kind at a time:
- figures that are no loan: invoices issued (去年开的票有三百来万), money held back from the customer (甲方拖了四十万
  工程款, 还有二十万货款没结) and counts that are not money (粉丝有两万多, 播放量十万) are no amount; a figure whose
  interest is asked (贷个五万块钱利息怎么算) is the figure borrowed, not an interest stated;
- what a purpose costs (彩礼要二十万, 装修要三十万) gives way to a figure said with a word of borrowing (想借十万);
  a cost alone (学费要两万，急) is still the amount;
- a figure followed by a measure word (两千只鸡, 三万斤苹果, 五百头猪) is a count of things, and money borrowed from
  people before (借朋友的五万要还) is owed: neither is the amount;
- a vague figure said with 上 (上百万, 上千万) is none stated; a bare figure after a form's 金额 (借款金额：80000) is the
  amount;
- thousands said with the next digit and no unit (借一千五, 两千八, 3k5, 一千五百) are figures of money;
- a bare number after a loan word followed by a unit of time (贷款2024年到期) is a date, not money; one after 借款 is
  the amount (借款5000，3个月);
- a figure said to the salesperson before (之前跟你们说要50万, 上次说三十万) gives way to any figure wanted after it;
- terms: repaid when a period is over (半年后还, 一年以后一次性还清) is the term; a month of the calendar said without
  个 and without a loan word (娃九月要上学, 三月开学) is no term;
- intent: a repayment after a period (半年后还) is no "年后"; a business given up after a loss (去年亏了就不做了) is no
  decline of the loan; advice only reported (听说征信要先养半年) is not the customer's own wait;
- high debt: a repayment wished for (月供控制在三千以内, 月供别超过四千) is not one paid, a figure that is the income
  (工资加起来一万二) is not a repayment too, a drop (收入掉了一大半) is no income, and the mortgage still owed to the
  bank (还欠银行八十万) is no debt of its own; a repayment one can bear or hopes for (月供四千能接受, 月供希望在四千
  左右) is wished, not paid;
- whose words: a clause opening by addressing the salesperson (哥我征信黑了, 姐我…) is the customer's own;
- gains and losses: a gain with a classifier names its own object within its clause (有一套自己全款的房子), a gain that
  says a thing stays (还在) does not reach back over a loss (公积金停缴了…还在试用期), a loss denied (社保没停缴) is no
  loss, and a fund said never to have lapsed (社保没断过) is had; a shop shut down (小店被封了, 店黄了) is lost;
- a fund lapsed and paid again (社保去年断了，今年补上了, 公积金停了半年…又恢复了) is had; a retired teacher or doctor
  (我是退休老师, 退休的医生) holds no post now;
- funds: a negator with 给 / 帮 before the payment (单位没给交公积金, 老板没帮我交社保) denies it; pension insurance paid
  (有养老保险, 职工养老) is social insurance;
- a housing fund drawn out in full (公积金取完了, 去年全取了) is lost, unless paid again after (又交上了);
- work: wages paid to one's drivers or staff (司机工资等着发) are no salary, a studio of one's own (有工作室) is no job,
  work come back from (打工回来了) is past, posts held (当主管, 店长, 分拣员) and leaving work (我下班了) are salaried,
  gig delivery (送外卖, 跑外卖) is not; a post at a business (在装修公司当项目经理) runs no business, and driving,
  delivering or serving at one (在物流公司开车, 超市收银) is salaried work;
- business: any licence held (有合作社执照, 有个体执照), a dealer (车商) and a trader's premises open for years
  (车行开了五年, 诊所开了三年) make an owner;
- assets: a building or a courtyard owned (有栋两层的房子, 有个小院), a car counted by its classifier (还有一辆老捷达)
  and a car pledged to another lender (车已经抵押给别家了) are had, while a car pledged to a friend offers no pledge;
- pledges named by their papers or premises: the car's registration used (用绿本借钱, 拿大本) is a car pledge, and a
  shop's premises pledged (想用铺面抵押, 押店面) or a house asked what it can raise (房子能贷几成) a house pledge;
- risks said more ways: a dirty report (征信有点脏) and an overdue grade (m3, M2) are overdue, a report with no problem
  said with 没得 (征信没得问题) is none; online loans by the heap (网贷借了一屁股) are many; cards used up (卡都用完了)
  are high debt, and so are repayments more than what is earned (每个月还款比挣的还多);
- assets said more ways: a small old flat (老破小), the home one lives in said to be one's own (我住的房子是自己的, 住的
  是自己家的房子), a mortgage paid off (房贷已还清), a car in one's name (车子在我名下) and a car just picked up (刚提了辆
  新车) are had; a house said not to be one's own (房子不是自己的) or rented, and a car not in one's name, are not;
- unsecured said more ways: a credit one (想做个信用的), no collateral at all (没有抵押物能贷吗; 没有 before 有抵押 is no
  pledge that exists) and a loan on one's pay slips (靠工资流水贷) ask for a credit loan, and 工资流水贷 is no business
  loan;
- more online lenders named (马上消费, 捷信, 平安普惠, 拿去花, 中原消费 …): two of them are many online loans;
- an overdue feared or supposed (怕逾期, 担心逾期, 会不会逾期, 万一逾期, 逾期了会怎么样) is none on the report, and takes
  back none stated before it (信用卡逾期了，逾期利息怎么算); any risk right after a word of fearing or supposing (怕查询
  太多, 担心负债太高, 万一还不上, 怕网贷太多) is feared, not had;
- assets supposed: an asset right after a word of supposing or requiring (如果有房子, 假如我有公积金, 要求有车吗) or
  right before 的话 (有公积金的话能贷多少) is supposed, not had;
- choices: a mind changed (本来想房抵的，后来想了想还是车抵吧) chooses the product after it;
- intent: asking how soon the money comes, any way it is said (最快多久到账, 要好久能下来, 几天能放款) is high; giving
  up said the northern way (甭弄了, 甭办了) is low;
- intent, more ways of being ready: a day and materials brought (明天上午我带资料过去, 周五我拿房本过来), materials
  said to be ready (资料我已经整理好了, 准备一下材料) and asking when it will be approved (啥时候能批下来) are high, while
  materials to be ready later (材料下周备齐) are not; only asking said more ways (随便问一下, 问一下而已) and money found
  elsewhere (已经在别的地方贷到了) are low;
- online loans all paid back (网贷…现在都还上了) are not many, as the guideline's 网贷都结清了;
- high debt: a debt ratio stated low (负债率30%) or asked about (负债率多少算高), and no debt at all said more ways
  (没有任何负债, 没啥负债), are no high debt;
- someone else: more words for relatives (老汉儿 for a father in Sichuan, 老爷子, 家父, 我外婆) and a clause opening with
  her or his pay or funds (她工资八千多, 他公积金…) after a relative is named are about them; a couple named as such
  (两公婆, 两口子, 夫妻俩) borrows together; Hakka 𠊎 / 涯 before a person or a verb is 我;
- whose words, notes: in a salesperson's note (跟进, 回访, 客户…) 他 / 她 is the customer even after a relative is named
  (客户说老婆不同意…他在荆州上班), while in the customer's own words a clause opening with 她名下 / 他名下 after a
  relative is about that relative (我老婆开了个美容院…她名下有套房子);
- intent, declines of something else: giving up online loans or cards (之前的网贷都不借了), blocking platforms (拉黑了好
  几个网贷平台), weighing a detail (考虑一下分几期好, 商量一下分期的事) and money needed after the new year (年后开学要交
  学费, 过完年就要用钱) are no decline of the loan;
- intent, urgency denied by degree or in the past: 急也不算太急, 不算很急, 急倒是不急 are no urgency (low alone, the rest
  of the text deciding when a figure is stated), and urgency in a clause about the past (之前急用钱借了网贷, 当时急需用钱
  才借的) is not urgency now;
- voices for the spouse (婆娘, 堂客, 老伴, 孩子他爸) name someone else; a shop's premises said to be one's own the
  Cantonese way (间铺系我嘅) are had; Minnan 毋免 is 不用 (毋免抵押: no pledge);
- giving up in more voices (Wu 覅了, Cantonese 我唔借喇, Hunan 算咯 / 不搞咯, Sichuan 莫搞了, 算逑) and no interest
  (没兴趣, 不感兴趣) are low; 算了算了 is giving up, 算了算利息 is reckoning;
- intent, part of it later: the rest put off (先贷四十万，剩下的明年再说) is no decline of what is asked now;
- intent declared: a note's own word for the intent (意向中, 意向较强, 意向不强) decides it, whatever else the note says
  (客户意向中…但要等年后);
- intent: talking it over at home (跟老婆商量一下, 跟家里商量商量) or thinking again (再考虑) with a need stated (a
  figure) is no decline by itself, as 不急 with a figure; 现在想办 is readiness only standing alone (现在想办了), not
  before the loan it names (现在想办信用贷: what is wanted now, after a past told).
"""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import amount, asserted, term

pytestmark = pytest.mark.pure


def intent(text: str) -> str | None:
    return apply_rules(normalize(text)).intent


def product(text: str) -> str | None:
    return apply_rules(normalize(text)).product


@pytest.mark.parametrize("text", [
    "我做建材批发的，去年开的票有三百来万，想做个发票贷",
    "公司今年开了票八百多万，能做税贷吗",
    "搞装修的，甲方拖了四十万工程款，工人要发工资，想借钱周转",
    "还有二十万货款没结，手头紧",
    "做直播的，粉丝有两万多，能贷款吗",
    "我的视频播放量十万多，有流水，可以贷吗",
])
def test_figures_that_are_no_loan(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("能不能用车抵押贷个五万块钱利息怎么算", 50000),
    ("借十万的利息是多少", 100000),
    ("贷二十万利息高不高", 200000),
])
def test_the_interest_asked_on_a_figure_makes_it_the_loan(text, want):
    assert amount(text) == want


def test_an_interest_stated_is_still_no_amount():
    assert amount("利息两千太贵了") is None


@pytest.mark.parametrize("text, want", [
    ("我之前跟你们说要50万 现在我媳妇不同意 就先弄20万吧", 200000),
    ("上次说三十万，想了下十五万就行", 150000),
    ("之前说借八万，现在要五万", 50000),
])
def test_a_figure_said_before_gives_way_to_a_later_one(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("能不能贷十万先用，半年后还", 6),
    ("借五万，一年以后一次性还清", 12),
    ("两年后就还，想借二十万", 24),
])
def test_repaid_after_a_period_is_the_term(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "娃九月要上学，想借个2万",
    "孩子三月开学，学费还差点",
    "五月要交房租，想借一万",
])
def test_a_calendar_month_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("借3个月就行", 3),
    ("贷六个月", 6),
])
def test_months_counted_are_still_a_term(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "存款没到期，能不能贷十万先用，半年后还",
    "之前在做淘宝，去年亏了就不做了，现在上班，要贷六万",
    "店开了两年赔了就不干了，现在跑物流",
    "我在遵义开诊所 听说征信要先养半年才能贷 是真的吗",
])
def test_no_low_intent(text):
    assert intent(text) != "low"


@pytest.mark.parametrize("text", [
    "利息太高了，不做了",
    "算了，年后再说",
    "客户说先养半年征信再办",
])
def test_declines_stay_low(text):
    assert intent(text) == "low"


@pytest.mark.parametrize("text", [
    "房子是按揭的，想借十五万，月供能控制在三千以内最好，我和老公工资加起来一万二",
    "想借二十万分五年，月供别超过四千，我工资八千",
    "在中介上班 这两年收入掉了一大半 房贷月供六千 想借点钱周转",
    "房子评估价两百五 还欠银行八十万 想再贷一百万",
])
def test_no_high_debt(text):
    assert asserted(text).get("负债过高") is not True


@pytest.mark.parametrize("text", [
    "欠款加起来大概六十多万，收入一个月一万",
    "每个月要还八千，工资才九千",
    "欠了三十多万网贷，还不上了",
])
def test_high_debt_still_found(text):
    assert asserted(text).get("负债过高") is True


@pytest.mark.parametrize("text", [
    "哥我征信黑了，还有希望吗",
    "姐我征信花了能贷吗",
    "大哥我逾期过两次",
])
def test_the_salesperson_addressed_leaves_the_customers_words(text):
    assert asserted(text).get("征信逾期") is True


def test_a_brother_named_is_still_someone_else():
    assert asserted("我哥征信黑了").get("征信逾期") is not True


@pytest.mark.parametrize("text, tag, want", [
    ("没公积金没社保 但是有一套自己全款的房子在贵阳", "有社保", False),
    ("没公积金没社保 但是有一套自己全款的房子在贵阳", "有房产", True),
    ("公积金上个月停缴了，换了工作还在试用期", "有公积金", False),
    ("社保没断过，公积金也有", "有社保", True),
    ("社保一直没停缴", "有社保", True),
    ("社保断了半年，刚续上", "有社保", True),
    ("之前开了个抖音小店被封了，现在上班", "企业主", False),
    ("店黄了，现在给人开车", "企业主", False),
])
def test_gains_and_losses(text, tag, want):
    assert bool(asserted(text).get(tag)) is want


@pytest.mark.parametrize("text", [
    "跑物流的，两台车，这个月司机工资等着发",
    "开美容院的，技师工资还没发",
    "自己有工作室 有执照 想贷款周转",
    "在外地打工回来了，想在家建房",
    "我在重庆跑外卖 车是租的",
    "送外卖的，没社保，想借五千",
])
def test_no_salary(text):
    assert asserted(text).get("工薪族") is not True


@pytest.mark.parametrize("text", [
    "在超市当主管 有社保",
    "我是店长，月底发工资就还",
    "在快递公司当分拣员，月薪四千",
    "好的收到，我下班了把资料发你",
])
def test_salaried(text):
    assert asserted(text).get("工薪族") is True


@pytest.mark.parametrize("text, want", [
    ("客户在装修公司当项目经理 月薪1.5w", False),
    ("客户在广告公司做会计", False),
    ("养牛的，有合作社执照", True),
    ("有个体执照，卖早点的", True),
    ("二手车商，车行开了五年", True),
    ("诊所开了三年了", True),
])
def test_owner_or_not(text, want):
    assert bool(asserted(text).get("企业主")) is want


@pytest.mark.parametrize("text, tag", [
    ("屋里有栋两层的房子，冇得车", "有房产"),
    ("我在武清有个小院 想抵押借二十万", "有房产"),
    ("在老家有座院子", "有房产"),
    ("有套楼房 还有一辆老捷达", "有车辆"),
    ("车已经抵押给别家了，还欠六万没还，想再借三万", "有车辆"),
])
def test_assets_had(text, tag):
    assert asserted(text).get(tag) is True


@pytest.mark.parametrize("text", [
    "家里有一辆电动车",
    "想买一辆车",
])
def test_no_car(text):
    assert asserted(text).get("有车辆") is not True


def test_a_courtyard_pledged_is_a_house_pledge():
    assert product("我在天津有个小院 想抵押借二十万") == "房抵贷"


def test_a_car_pledged_to_a_friend_is_no_pledge_offered():
    assert product("车子押给朋友了，一直拿不回来") != "车抵贷"


@pytest.mark.parametrize("text, want", [
    ("我本来想房抵的 后来想了想还是车抵吧 车是我自己的", "车抵贷"),
    ("原来想做信用贷，想来想去还是房抵吧", "房抵贷"),
])
def test_a_mind_changed_chooses_the_later_product(text, want):
    assert product(text) == want


def test_products_only_compared_choose_none():
    assert product("房抵和车抵哪个利息低") is None


@pytest.mark.parametrize("text", [
    "我是医生 编制内 想信用贷 最快多久到账",
    "想再抵押借点钱 大概二三十万 要好久能下来哦",
    "车抵几天能放款",
    "多长时间可以下款",
])
def test_asking_how_soon_is_high(text):
    assert intent(text) == "high"


def test_waiting_long_is_no_speed_question():
    assert intent("好久没联系了，还在做贷款吗") != "high"


@pytest.mark.parametrize("text", [
    "一会儿要身份证一会儿要流水 甭弄了",
    "太麻烦 甭办了",
])
def test_giving_up_the_northern_way_is_low(text):
    assert intent(text) == "low"


@pytest.mark.parametrize("text, want", [
    ("之前有几个网贷逾期了现在都还上了", False),
    ("网贷三个全部还上了", False),
    ("有几个网贷还在还", True),
])
def test_online_loans_paid_back_are_not_many(text, want):
    assert bool(asserted(text).get("网贷较多")) is want


@pytest.mark.parametrize("text", [
    "客户 负债率30% 无逾期 公积金基数6k",
    "负债率多少算高？我月收入两万 每个月还款五千",
    "以前以贷养贷 后来全还清了 现在没有任何负债",
    "上班五年，没啥负债",
])
def test_a_low_or_asked_debt_ratio_is_no_high_debt(text):
    assert asserted(text).get("负债过高") is not True


@pytest.mark.parametrize("text", [
    "负债率80%以上，信用卡都刷爆了",
    "负债率太高了银行不批",
])
def test_a_high_debt_ratio_stays_high(text):
    assert asserted(text).get("负债过高") is True


@pytest.mark.parametrize("text, tag", [
    ("我老汉儿那套房子在安顺 写的他名字", "有房产"),
    ("我女儿在医院当护士 她想贷款买车 我帮她问问 她工资八千多", "工薪族"),
    ("我老婆想问下，她公积金交了4年基数6000，能贷多少", "有公积金"),
    ("家父在国企上班，公积金交了二十年", "工薪族"),
])
def test_what_a_relative_has_is_not_the_customers(text, tag):
    assert asserted(text).get(tag) is not True


@pytest.mark.parametrize("text", [
    "涯老公系医生 涯在屋家冇做事 两公婆想借钱买车",
    "两口子想一起贷，老公在国企上班",
])
def test_a_couple_borrowing_together_shares_the_job(text):
    assert asserted(text).get("工薪族") is True


@pytest.mark.parametrize("text", [
    "想押证不押车借二十万，分三年，说要先跟家里商量一下再定",
    "名下一套房，想二押贷40万，让她回去跟老公商量下",
    "要借五万，我再考虑考虑利息",
])
def test_talking_it_over_with_a_need_is_not_low(text):
    assert intent(text) != "low"


@pytest.mark.parametrize("text", [
    "我回去跟老婆商量一下",
    "利息有点高，再考虑吧",
])
def test_talking_it_over_alone_is_low(text):
    assert intent(text) == "low"


def test_ready_now_standing_alone_is_high():
    assert intent("老板，我之前在你这问过，现在想办了，怎么弄") == "high"


def test_wanting_a_loan_now_after_a_past_is_not_high_by_itself():
    assert intent("征信上那个逾期是几年前的 早还清了 现在想办信用贷") != "high"


@pytest.mark.parametrize("text, tag", [
    ("客户说老婆不同意贷款，他在荆州上班，有社保", "工薪族"),
    ("回访：李姐说老公不同意抵押，她自己在商场做导购有社保", "有社保"),
])
def test_in_a_note_he_or_she_is_the_customer(text, tag):
    assert asserted(text).get(tag) is True


def test_in_the_customers_words_her_assets_after_a_relative_are_the_relatives():
    assert asserted("我老婆开了个美容院，她名下有套房子全款的").get("有房产") is not True


@pytest.mark.parametrize("text, want", [
    ("彩礼要二十万，想借十万", 100000),
    ("装修要三十万，手上有二十万，想贷十万", 100000),
    ("孩子学费要两万，想借一万五", 15000),
    ("孩子学费要两万，急", 20000),
    ("需要二十万", 200000),
    ("借30-50万", 500000),
])
def test_a_cost_gives_way_to_the_figure_borrowed(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, tag, want", [
    ("社保去年断了，今年补上了", "有社保", True),
    ("公积金停了半年，上个月又恢复了", "有公积金", True),
    ("社保去年断了，现在没交", "有社保", False),
    ("我是退休老师", "工薪族", False),
    ("我是退休的医生，退休金六千", "工薪族", False),
    ("我是中学老师", "工薪族", True),
])
def test_funds_paid_again_and_posts_retired_from(text, tag, want):
    assert bool(asserted(text).get(tag)) is want


@pytest.mark.parametrize("text", [
    "明天上午我带资料过去",
    "周五我拿房本过来",
    "资料我已经整理好了",
    "好的，我准备一下材料",
    "啥时候能批下来",
])
def test_more_ways_of_being_ready(text):
    assert intent(text) == "high"


def test_materials_to_be_ready_later_are_not_high():
    assert intent("想做经营贷300万，材料下周备齐") != "high"


@pytest.mark.parametrize("text", [
    "我就是随便问一下",
    "问一下而已，不急",
    "已经在别的地方贷到了",
])
def test_only_asking_or_served_elsewhere_is_low(text):
    assert intent(text) == "low"


@pytest.mark.parametrize("text, want", [
    ("用绿本借钱", "车抵贷"),
    ("拿大本能贷多少", "车抵贷"),
    ("想用铺面抵押", "房抵贷"),
    ("押店面能借多少", "房抵贷"),
    ("房子能贷几成", "房抵贷"),
])
def test_pledges_named_by_papers_or_premises(text, want):
    assert product(text) == want


@pytest.mark.parametrize("text, want", [
    ("绿本在我手上", True),
    ("没有绿本，车是公司的", False),
])
def test_the_registration_held_is_a_car(text, want):
    assert bool(asserted(text).get("有车辆")) is want


@pytest.mark.parametrize("text, tag, want", [
    ("征信有点脏，能贷吗", "征信逾期", True),
    ("信用卡有过M3", "征信逾期", True),
    ("之前有过m2，现在正常了", "征信逾期", True),
    ("征信没得问题", "征信逾期", False),
    ("手机是iphone 13，想分期", "征信逾期", False),
    ("网贷借了一屁股", "网贷较多", True),
    ("信用卡都用完了，还不上", "负债过高", True),
])
def test_risks_said_more_ways(text, tag, want):
    assert bool(asserted(text).get(tag)) is want


@pytest.mark.parametrize("text, want", [
    ("养了两千只鸡", None),
    ("三万斤苹果卖不出去", None),
    ("借朋友的五万要还", None),
    ("养了两万只鸭，想贷二十万", 200000),
    ("果园三百亩，想借十万", 100000),
])
def test_counts_of_things_and_money_owed_to_people(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("需要上百万", None),
    ("流水上千万，想贷三百万", 3000000),
    ("借款金额：80000", 80000),
    ("贷款金额:120000元", 120000),
])
def test_vague_figures_and_form_fields(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "在物流公司开车，一个月七千",
    "在装修公司开车送货",
    "超市收银，想借五千",
])
def test_driving_or_serving_at_a_business_is_salaried_and_runs_none(text):
    tags_ = asserted(text)
    assert tags_.get("工薪族") is True and tags_.get("企业主") is not True


@pytest.mark.parametrize("text", [
    "之前的网贷都不借了，现在只想要一笔大的",
    "拉黑了好几个网贷平台",
    "考虑一下分几期好",
    "商量一下分期的事",
    "年后开学要交学费",
    "过完年就要用钱",
])
def test_declines_of_something_else_are_not_low(text):
    assert intent(text) != "low"


@pytest.mark.parametrize("text", [
    "年后再说吧",
    "客户把我拉黑了",
    "我考虑一下",
])
def test_the_same_words_alone_stay_low(text):
    assert intent(text) == "low"


@pytest.mark.parametrize("text", [
    "急也不算太急",
    "想借五万，急也不算太急",
    "不算很急",
    "急倒是不急",
    "之前急用钱借了网贷",
    "当时急需用钱才借的，现在想换个利息低的",
])
def test_urgency_denied_by_degree_or_past_is_not_high(text):
    assert intent(text) != "high"


@pytest.mark.parametrize("text", [
    "急用五万",
    "之前借过，现在急用钱",
])
def test_urgency_now_stays_high(text):
    assert intent(text) == "high"


@pytest.mark.parametrize("text, tag, want", [
    ("单位没给交公积金", "有公积金", False),
    ("公司不给缴社保", "有社保", False),
    ("老板没帮我交社保", "有社保", False),
    ("单位给交公积金", "有公积金", True),
    ("有养老保险，交了十年", "有社保", True),
])
def test_payments_denied_with_give_and_pension_insurance(text, tag, want):
    assert bool(asserted(text).get(tag)) is want


def test_a_question_about_pension_insurance_is_no_social_insurance():
    assert asserted("城乡居民养老保险算社保吗").get("有社保") is not True


@pytest.mark.parametrize("text", [
    "婆娘在上班，我莫得工作",
    "老伴在上班，我在家",
    "孩子他爸在工地上班，我在家带娃",
    "我堂客在医院当护士",
])
def test_the_spouse_in_other_voices_is_someone_else(text):
    assert asserted(text).get("工薪族") is not True


def test_a_shop_owned_the_cantonese_way_is_had():
    assert asserted("间铺系我嘅，想攞二十万").get("有房产") is True


def test_no_pledge_the_minnan_way_is_unsecured():
    assert product("毋免抵押的有无") == "信用贷"


@pytest.mark.parametrize("text, want", [
    ("客户意向中 有房 按揭 想贷50w 但要等年后", "medium"),
    ("客户意向较强，但说先了解一下", "high"),
    ("客户意向不强，说今天就要", "low"),
])
def test_the_intent_a_note_declares_decides(text, want):
    assert intent(text) == want


@pytest.mark.parametrize("text, want_low", [
    ("客户原来说要八十万，后来说先贷四十万，剩下的明年再说", False),
    ("先借十万，其余的以后再说", False),
    ("明年再说吧", True),
])
def test_the_rest_put_off(text, want_low):
    assert (intent(text) == "low") is want_low


@pytest.mark.parametrize("text", [
    "每个月还款比挣的还多",
    "一个月要还的比赚的多",
])
def test_repayments_above_earnings_are_high_debt(text):
    assert asserted(text).get("负债过高") is True


@pytest.mark.parametrize("text, tag, want", [
    ("家里有套老破小", "有房产", True),
    ("我住的房子是自己的", "有房产", True),
    ("住的是自己家的房子", "有房产", True),
    ("房贷已还清", "有房产", True),
    ("房子不是自己的", "有房产", False),
    ("房子是自己租的", "有房产", False),
    ("车子在我名下", "有车辆", True),
    ("车不在我名下", "有车辆", False),
    ("刚提了辆新车", "有车辆", True),
])
def test_assets_said_more_ways(text, tag, want):
    assert bool(asserted(text).get(tag)) is want


@pytest.mark.parametrize("text, want", [
    ("想做个信用的", "信用贷"),
    ("没有抵押物能贷吗", "信用贷"),
    ("靠工资流水贷", "信用贷"),
])
def test_unsecured_said_more_ways(text, want):
    assert product(text) == want


@pytest.mark.parametrize("text", ["工资流水贷", "凭工资流水能贷吗"])
def test_pay_slips_ask_no_business_loan(text):
    assert product(text) != "经营贷"


def test_a_pledge_that_exists_still_offers_none():
    assert product("车有抵押，还能押吗") != "车抵贷"


@pytest.mark.parametrize("text, want", [
    ("马上消费和捷信都有在还", True),
    ("平安普惠借了两万，携程拿去花也用了", True),
    ("只有一个捷信", False),
])
def test_more_online_lenders_named(text, want):
    assert bool(asserted(text).get("网贷较多")) is want


@pytest.mark.parametrize("text, want", [
    ("月供四千能接受，工资五千", False),
    ("月供希望在四千左右，我工资五千", False),
    ("月供四千，工资五千", True),
])
def test_a_repayment_one_can_bear_is_wished(text, want):
    assert bool(asserted(text).get("负债过高")) is want


@pytest.mark.parametrize("text", [
    "信用卡明天到期，怕逾期，想借点钱先还上",
    "会不会逾期啊",
    "逾期了会怎么样",
    "担心逾期上征信",
    "万一逾期怎么办",
])
def test_an_overdue_feared_is_none(text):
    assert asserted(text).get("征信逾期") is not True


@pytest.mark.parametrize("text", [
    "信用卡逾期了，逾期利息怎么算",
    "之前逾期过，怕再逾期",
])
def test_an_overdue_stated_stays_beside_one_feared(text):
    assert asserted(text).get("征信逾期") is True


@pytest.mark.parametrize("text, tag", [
    ("怕查询太多，不敢乱点", "查询过多"),
    ("担心负债太高批不了", "负债过高"),
    ("万一还不上怎么办", "负债过高"),
    ("怕网贷太多影响审批", "网贷较多"),
    ("怕征信花了", "征信逾期"),
])
def test_a_risk_feared_is_not_had(text, tag):
    assert asserted(text).get(tag) is not True


@pytest.mark.parametrize("text, tag", [
    ("查询太多了，怕批不了", "查询过多"),
    ("负债太高了，担心批不了", "负债过高"),
])
def test_a_risk_had_stays_beside_a_fear(text, tag):
    assert asserted(text).get(tag) is True


@pytest.mark.parametrize("text, tag", [
    ("假如我有公积金，能贷多少", "有公积金"),
    ("要是有车的话能借多少", "有车辆"),
    ("有公积金的话能贷多少", "有公积金"),
    ("要求有车吗", "有车辆"),
    ("如果有社保，利息能低点吗", "有社保"),
])
def test_an_asset_supposed_is_not_had(text, tag):
    assert asserted(text).get(tag) is not True


@pytest.mark.parametrize("text, tag", [
    ("我有房，有车", "有车辆"),
    ("负债大概一百多万，主要是房贷", "有房产"),
])
def test_assets_stated_stay(text, tag):
    assert asserted(text).get(tag) is True


@pytest.mark.parametrize("text, want", [
    ("借一千五", 1500),
    ("借两千八急用", 2800),
    ("借3k5", 3500),
    ("想借一千五百", 1500),
    ("月薪三千五，想借五万", 50000),
])
def test_thousands_with_the_next_digit(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("公积金取完了", False),
    ("公积金交了五年，去年全取了", False),
    ("公积金取完了又交上了", True),
])
def test_a_fund_drawn_out(text, want):
    assert bool(asserted(text).get("有公积金")) is want


@pytest.mark.parametrize("text, want", [
    ("贷款2024年到期", None),
    ("借款5000，3个月", 5000),
    ("贷款20000分12期", 20000),
])
def test_bare_numbers_as_dates_or_amounts(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "覅了，谢谢",
    "我唔借喇",
    "算咯算咯",
    "不搞咯",
    "莫搞了",
    "搞不成算逑",
    "冇兴趣",
    "算了算了，不借了",
])
def test_giving_up_in_more_voices_is_low(text):
    assert intent(text) == "low"


@pytest.mark.parametrize("text", ["我算了算利息，太高", "好咯，我明天过去"])
def test_reckoning_or_agreeing_is_not_giving_up(text):
    assert intent(text) != "low"
