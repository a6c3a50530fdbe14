"""The sixteenth round of the figure readers (amount, term, city), one kind at a time:
- a way of writing a figure: k multiplies the whole figure before it as 万 does (一百五十k, 十五k, 3k5), a currency
  written before the figure is its unit as 元 after it is (¥80,000, ￥50000, RMB 30,000, rmb55000), and a thousands
  separator may carry cents (200,000.00元); a figure in another currency (USD 5000) is no amount in yuan;
- brokers' 个 said more ways: a figure named by a demonstrative as its clause ends (前天说的那个50个, 刚才那个30个),
  an approximate one (想贷个二十来个) and one pledged with the bare verb (想抵一百个) count ten-thousands, while people or
  things counted (二十来个人的厂, 二十来个工人) stay counts;
- a role of a figure: what an advertisement offers (看到广告说最高可借200万, 宣传上写最高能贷100万) and an offer put to
  the customer to accept (降到350万能不能接受) are no amount wanted; a smaller figure settled for without a word of
  correction (想借五十万，四十万也行) leaves the first;
- figures that are not the loan, written many ways: a phone or ID number, a rate (年化18%, 3.85%), a car model (宝马530),
  an area (120平), a month's repayment or salary (月供3k, 工资8k), a card's limit (借呗额度5w), a company's turnover
  (营收3.2个亿), a date (2024年3月) and a count (查了5次, 第3次);
- the term: named earlier in its clause with a verb between (期限可以做到三年, 年限能放到十年) it is the term, while the
  period of a statement asked for (补一年对公流水, 半年银行流水) is none;
- cities: districts and counties more (柯桥 → 绍兴, 六合 → 南京, 铜山 → 徐州, 洪山 → 武汉, 滨江 → 杭州), where the customer
  him- or herself is (我自己喺深圳返工, 本人在) above where a relative or a house is, 返工 (to go to work) is no place come
  back from, internet words (集美们) and a university or a rural bank named after a city (吉林大学, 上海农商行) are no
  city, and a city typed in pinyin (wo zai fuzhou, based in shanghai) or by initials right after 在 (人在bj) is read, while
  initials elsewhere (gz 6k: 工资) are not; a city left behind (之前在福州交了三年，现在回老家了) names none;
- a bare number right after a word of the loan wanted (想借个50000左右, 需要30000) is money;
- terms in English (half a year, 3 yrs) are read, and a school grade (三年级) is no term;
- a lender's figure before the customer is asked what they need (最高可以做到50万，你看需要多少), what a bank's
  manager said (客户经理说可以批30万) and money paid back (刚还完5万) are no amount;
- a decimal point said in words before a magnitude (十点五万, 三点五个w) and 个亿 (1个亿) are figures, a clock time (十点去面签)
  is none;
- terms: two said as alternatives both fine (一年或者两年都行) give the longer, unlike two weighed (三年还是五年划算);
  a repayment method before the term (等额本息五年) is no time gone by; 卅六期 is thirty-six;
- a sales target or result (这个月目标200万, 业绩八十万) is no amount.
"""

from __future__ import annotations

import pytest

from scrm.tagging.text import extract_city, normalize
from tests.tagging.reasoning import amount, term

pytestmark = pytest.mark.pure


def city(text: str) -> str | None:
    return extract_city(normalize(text))


@pytest.mark.parametrize("text, want", [
    ("一百五十k，36期，房子抵押", 150_000),
    ("贷款十五k就行", 15_000),
    ("需要55k周转，两年", 55_000),
    ("借个8k应急，下个月发工资就还", 8_000),
    ("想借 ¥80,000，分12期", 80_000),
    ("需要￥50000，一年还", 50_000),
    ("借款金额：RMB 30,000", 30_000),
    ("想借rmb55000，三年", 55_000),
    ("要借200,000.00元", 200_000),
    ("想贷3.5W，两年", 35_000),
    ("要借两万伍仟元", 25_000),
    ("贷伍万伍仟元，分六个月", 55_000),
    ("想借贰拾万元整", 200_000),
    ("想借款人民币拾万元整，期限贰年", 100_000),
    ("老铁，想整个五万五，一年还", 55_000),
    ("想借5万5，分十二期", 55_000),
    ("我要借 6.8w 哈，分3年", 68_000),
    ("借18个w 分两年", 180_000),
    ("侬好，阿拉想借廿万，两年还清", 200_000),
    ("I need a loan of 50k for my shop, 12 months", 50_000),
    ("Want to borrow 30万 for 2 years, based in shanghai", 300_000),
    ("钱不多，八千块就够，下个月发工资还", 8_000),
])
def test_a_figure_in_every_written_form(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("老板在吗，前天说的那个50个，能不能今天放", 500_000),
    ("刚才那个30个，能不能今天放", 300_000),
    ("哥们儿，想贷个二十来个，三年的", 200_000),
    ("房子市值两百个，想抵一百个", 1_000_000),
])
def test_brokers_ge_said_more_ways(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "厂里有二十来个工人，想贷款",
    "网贷那个3个平台都逾期了",
    "抵了两个平台，想再借点",
])
def test_things_counted_with_ge_stay_counts(text):
    assert amount(text) is None


@pytest.mark.parametrize("text", [
    "我在网上看到你们的广告，说最高可借200万，是真的吗？我有房子的",
    "你们宣传上写最高能贷100万，靠谱吗",
    "想借USD 5000可以吗",
    "手机号159 8888 6666，想借钱",
    "2024年3月买的车，想押车",
    "上个月查了5次征信，还能贷吗",
    "我想借钱，但不知道能借多少",
])
def test_no_amount_where_none_is_wanted(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("@小周 张总那单，房子评估出来只有380万，他要的是400万，你跟他沟通一下，降到350万能不能接受", 4_000_000),
    ("想借五十万，四十万也行", 500_000),
    ("看到你们广告，想借十万", 100_000),
    ("我嘞个去，利息年化18%太高了，我就想借三万", 30_000),
    ("利率3.85%能做吗，借一百万", 1_000_000),
    ("宝马530开了三年，想押车借十五万", 150_000),
    ("房子120平，想抵押贷八十万，分十年", 800_000),
    ("我电话13812345678，想借二十万", 200_000),
    ("身份证尾号6012，贷款5万", 50_000),
    ("月供3k，工资8k，想再借两万", 20_000),
    ("借呗额度5w用完了，想借十万还掉", 100_000),
    ("公司去年营收3.2个亿，想贷500万", 5_000_000),
    ("月入1.2w，没有负债，想借个10w，分36期还", 100_000),
    ("第3次申请了，这次想借两万", 20_000),
    ("二十来个人的厂，想借五十万", 500_000),
])
def test_the_loan_among_figures_that_are_not(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("想用公积金贷款，我在珠海交了6年公积金，基数１２０００，可以贷多少？期限能做到五年吗", 60),
    ("期限可以做到三年吗，想借十万", 36),
    ("期限能不能放到五年", 60),
    ("想借十万，分24期", 24),
    ("想借五万，两年半还完", 30),
    ("借个一年半，金额8万", 18),
    ("想贷18个月，5万", 18),
    ("借三万，借半年", 6),
    ("Want to borrow 30万 for 2 years, based in shanghai", 24),
])
def test_the_term_named(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "@小李 这个客户的流水我看了，每个月进账不稳定，最高一个月九十多万，最低才十几万，报经营贷的话你让他补半年对公流水",
    "他让补一年对公流水",
    "需要提供半年银行流水，我想贷20万",
    "交了6年公积金，想借十万",
])
def test_no_term_from_a_period_that_is_not_one(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("伢屋里是柯桥开纺织厂个，厂房是自家个", "绍兴"),
    ("我是滨江做互联网的，年薪四十来万，想借点信用贷", "杭州"),
    ("阿是要面签啊？我人在六合，过去一趟好远", "南京"),
    ("俺家的房子在铜山，是俺爹的名字，能不能抵押", "徐州"),
    ("拐子，我屋里老头的房子在洪山，他同意抵押", "武汉"),
    ("我媽喺香港有物業，佢想幫我擔保，我自己喺深圳返工，月薪一萬五", "深圳"),
    ("我老妈名下有套房在邯郸，她同意给我抵押，我自己在北京打工，想贷六十万", "北京"),
    ("wo zai fuzhou shang ban, you she bao, xiang wen xia xyd", "福州"),
    ("在bj工作 想借50w 首付差一点", "北京"),
    ("Want to borrow 30万 for 2 years, based in shanghai", "上海"),
    ("我系客家人，住梅州，想借五万", "梅州"),
    ("内个，我搁沈阳上班，想借两万块钱", "沈阳"),
    ("俺在哈尔滨南岗上班，想整五万", "哈尔滨"),
    ("我是在乌鲁木齐做生意的，想借二十万，两年", "乌鲁木齐"),
    ("我在长安镇开厂", "东莞"),
    ("我在南海区上班", "佛山"),
    ("我在从化种荔枝", "广州"),
    ("在格尔木跑运输", "格尔木"),
    ("我在昆明官渡，想借五万", "昆明"),
])
def test_the_city(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text", [
    "集美们，我护士，公立医院上班有编制，想贷点钱买个包包会被骂吗哈哈",
    "月入两万，公积金基数一万五，在吉林大学当老师，想贷个公积金贷款五十万",
    "gz 6k sb gjj都有 想dk 10w 分3年",
    "我住滨江花园小区",
    "六合彩中了没",
])
def test_no_city_from_words_that_are_no_place(text):
    assert city(text) is None


@pytest.mark.parametrize("text", [
    "之前在深圳上班交过社保 现在回贵州了 没交了 想借个4万 36期",
    "我公积金断了一年了，之前在福州交了三年，现在回老家了",
])
def test_a_city_left_behind_names_none(text):
    assert city(text) is None


@pytest.mark.parametrize("text, want", [
    ("之前在深圳打工，后来搬到东莞了，想借五万", "东莞"),
    ("之前在深圳上班，想借五万", "深圳"),
    ("老家在南阳，现在回老家了", "南阳"),
])
def test_a_city_not_left_or_replaced(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("想借个50000左右", 50_000),
    ("我想借款30000", 30_000),
    ("需要50k rmb，36 months", 50_000),
    ("my income is 300k a year, rent is 8k, need 50k", 50_000),
    ("想借三萬蚊，分兩年還", 30_000),
])
def test_a_bare_or_foreign_written_figure_wanted(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("借20w，half a year", 6),
    ("need 20w, 3 yrs", 36),
    ("want 10w, repay in 1 year", 12),
])
def test_a_term_said_in_english(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "我今年35岁，孩子上三年级",
    "十年老店了，想问下能不能贷",
    "三个月内查询了8次，还能贷吗",
    "我在这家公司一年半了",
    "每个月还4000，还了两年了",
])
def test_no_term_from_an_age_a_grade_or_a_time_gone_by(text):
    assert term(text) is None


@pytest.mark.parametrize("text", [
    "salary 15k, 有社保, can I get a loan?",
    "我屋头有套房子，值个百把万，想问下能贷不",
    "车是18年的，买的时候20个，现在能押多少",
    "我做外贸的，一年流水两三百个，能做多少",
    "哥，我那个车押了5个，还能再押吗",
    "房子是2018年买的，当时总价150w，现在还欠80w房贷",
    "工资到手6k5，能借多少",
    "I owe 200k on credit cards, need help",
])
def test_figures_had_are_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text", [
    "我们这边最高可以做到50万，你看需要多少",
    "我们最多能批30万，您要几万？",
    "客户经理说可以批30万",
    "上个月刚还完5万",
])
def test_an_offer_before_the_want_is_asked_or_money_paid_back_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("想借10万，你看需要多少资料", 100_000),
    ("想借10万，你看要几天", 100_000),
    ("借五万，还完再借", 50_000),
    ("还完网贷想再借5万", 50_000),
])
def test_the_want_stays_beside_a_question_or_a_repayment(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("想借十点五万", 105_000),
    ("想借三点五个w", 35_000),
    ("想贷两点五万，分三年", 25_000),
    ("想借1个亿", 100_000_000),
    ("想借十万零五千", 105_000),
    ("想借10万5千", 105_000),
    ("想借一万伍", 15_000),
    ("想借十W", 100_000),
    ("想借1万-2万", 20_000),
    ("想借２万", 20_000),
    ("明天十点去面签，想借五万", 50_000),
    ("晚上八点五十分打电话，借两万", 20_000),
])
def test_a_decimal_point_or_a_magnitude_said_in_words(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("一年或者两年都行", 24),
    ("两年或三年都可以，借二十万", 36),
    ("等额本息五年", 60),
    ("分卅六期", 36),
    ("分三十六期", 36),
    ("3-5年", 60),
])
def test_terms_said_as_alternatives_a_repayment_method_or_the_old_numerals(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "三年还是五年划算",
    "分36期和分60期利息差多少",
    "年限越长越好",
])
def test_terms_weighed_or_unsaid_are_none(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("@小王 今天业绩多少？这个月目标200万", None),
    ("我的目标是借二十万", 200_000),
    ("这个月业绩八十万了，客户要借三十万", 300_000),
])
def test_a_sales_target_is_no_amount(text, want):
    assert amount(text) == want
