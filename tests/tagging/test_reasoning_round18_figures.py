"""The eighteenth round of reasoning about figures, one kind at a time:
- a pasted notice from a lender, a bank or an app speaking to the customer (【分期乐】您本期应还…, 短信：您有一笔…待领取)
  states the sender's figures, not a loan or term wanted, while a note's heading (【跟进】客户想贷二十万) is no notice;
- a notice's offer reported (收到个短信说能借五万, 广告上说最高能贷五十万) is the sender's, as a pasted one is;
- a limit applied for (想申请20万的额度, 要办个十万额度的信用贷) is the loan wanted, while a card's limit had
  (信用卡二十万的额度用完了) is not;
- a total asked for (再借三万，合起来能办个五万吗, 两套房子抵押，总共要两百万) is the loan wanted, while a total owed
  (网贷加起来八万) or a purpose's cost followed by the loan (装修一共要三十万，想借二十万) is not; so is a total asked
  to be done after its figure (总共十五万能一起做吗);
- ten thousand or a thousand per period with the interest it costs (一万块一个月一百二利息) is the unit a rate is told in,
  while a figure borrowed right before a period (借一万一个月利息一百) stays the loan;
- a figure right after a sum and what it costs (一百万就要两万块, 借二十万光手续费就要六千) is a fee on that sum, and the
  sum is the loan, while a second figure wanted in its own clause (不够的话就要三十万) is a correction;
- a figure a lender offered and the customer then takes up (只能批六十万，那六十万也行吧) is the one settled on, while an
  offer found too small (只给十万，太少了) leaves the want; so is an offer accepted without its figure said again
  (只能批六十万，那也行吧, 最多能批三十万，行，就这么办), while an offer questioned (最多给二十万，可以吗) is not;
- a rival's approval the customer would bring over (给我批了30万…你们能比这低吗？低的话我转过来做) is the loan wanted
  from us, while an approval had and used (批了30万已经到账了) is none;
- millions written in English (2 million RMB, 1.5 million, 2m rmb, half a million) are a hundred 万 each, a thousand
  written out is 千, and yuan or RMB after digits is 元 (300,000 yuan);
- a figure of a contract, a bill or an IOU of a loan had, before any want (这是我的借款合同，借款金额20万…想再借十万)
  is no amount, unless brought over (能转到你们这吗), while this loan's contract signed (已签合同，放款金额68万) is;
- a figure standing alone after a clause saying how an asset was bought (车是全款买的，二十万) is its price, while a
  figure pledged after it (车是去年买的，想押十万) is the amount;
- a loan the customer has, named by its figure after 有 (有十万的信用贷还没还完) is none, while a loan of that figure asked
  for (有没有十万的信用贷, 想办个二十万的信用贷) is the amount;
- a first plan's figure dropped since (当时说要贷二十万，现在不用了) and followed by a new want without a figure (还能贷个
  小额的吗) leaves none, while a want dropped with nothing asked after it keeps its figure;
- a northern rough figure is its round figure (万八千 about ten thousand, 百八十万 about a million) and 三两万 is two or
  three, its upper end, while the exact figures it resembles (一百八十万, 八万八千八) stay;
- a figure found too much (五十万太多了，三十万吧, 三年太长了，两年吧) gives way to the next one said, a lone 不 between two
  figures (借个二十万，不，三十万) or 不对 between two terms takes the first back, and a term denied (不是三年，是五年) is
  none, while a figure found too much with nothing after it (五十万太多了，能少点吗) stays;
- what a purpose costs, when the customer asks for as much as can be lent (做手术要十万块钱…能贷多少就贷多少), is no
  amount, while a figure asked with it (想借十万，能批多少就批多少, 最好五十万以上) or a cost alone (孩子上学要三万，能借吗)
  is;
- a payment falling due on a near day (后天要交房租 5k, 下周要付货款三十万) is the money needed, while a payment per
  period (每个月要交房租三千), one made (交了房租三千) or a down payment due (下个月要交首付三十万) is not;
- a period a figure of money comes in (负债一万八一个月, 一个月进账二十多万, 工资六千五一个月) is no term, while a period
  right after a figure borrowed (借五万一年) is;
- a part of each year (一年海上待九个月, 一年有八个月在外地跑) is no term, in either of its figures, nor is time spent at
  sea, abroad or in the army (出国劳务三年, 在部队服役五年) or a while (漂了大半年);
- the term of a loan had (在别家借的十万分三年, 去年办的车贷分三年) is no term wanted, while a term of the loan wanted
  said the same way (想借的十万分三年还) is;
- the term of a document shown of a loan had (这是我的借款合同，期限36个月, 还款计划：分24期) or how long a licence runs
  (营业执照有效期20年) is no term wanted, nor is a screenshot's ([截图] 借款周期：6个月) or a business's cycle
  (回款周期三个月, 账期三个月), while this loan's contract signed (已签合同…分60期) keeps its term;
- a term written as an English attribute (a 12-month loan, a 3-year loan) is that term, while a range (3-6个月) keeps its
  upper end;
- about a month or a year (个把月, 年把), as 万把 is about ten thousand, is that term;
- years right after a figure borrowed are its term whatever is asked of them (借10w一年多少钱, 贷二十万三年利息多少);
- of several houses listed (一套在珠海一套在江门) the one chosen for the loan (想用江门那套抵押) names the city, and none
  is named when none is chosen; where the customer says they are now (我人在北京) still comes first;
- a house a parent, an in-law, a sibling or a friend has (俺爹在洛阳有套房, 朋友的房子在昆明) names their city, not the
  customer's, unless the message pledges or uses it (能用他的房子抵押给我贷款吗); a city once named as someone else's
  stays theirs when named again (儿子在苏州上班，车要在苏州买);
- a city where one served, studied or worked and has come home from (在西安当兵刚退伍回家) is left; so is one left said in
  English (from working in 深圳…since I moved to Toronto);
- a relative's trade (俺哥在郑州开厂) is theirs where the customer says what they do themselves (俺自己在家种大棚), while
  a relative borrowing where their trade is (我弟在昆明开店，他想借十万) names that city;
- where a parent or a child lives (我爸在太原，我在晋中上班) is theirs too, while the customer's own mention of the same
  city (我爸妈在成都，我们一家都在成都) is the customer's;
- an accent heard (听口音是莆田的) is a guess, and a place visited (在澳门赌输了) is no home: neither names the city;
- Hong Kong and Macau give way to a mainland city named (本人住澳门，横琴有一个单位 → 珠海);
- who one is (我是河源个) gives way to where one is (在深圳做装修); a native of a city living in another province or
  away (莆田人，在江苏开了三家诊所, 祖籍温州，在外地做生意, 莆田籍) names no city, unless come back (信阳人，在外地打工
  回来了); where one lives now (现居天津) is above where one comes from (原籍沧州);
- a prefecture the list left out (阿拉善, 延边, 哈密, 凉山, 来宾) or a county-level city (寿光, 满洲里, 燕郊, 都江堰,
  阳朔, 醴陵) names itself, a district or a town its city (海拉尔 → 呼伦贝尔, 鱼峰 → 柳州, 北滘 → 佛山, 星沙 → 长沙),
  and a place whose name begins with a dialect word (阿拉善: 阿拉 is Shanghainese 我) keeps its name, while the same
  characters in other words (哈密瓜, 拆迁安置房) name none;
- where a county-level city and its prefecture are both named (老家泉州的，在晋江做鞋厂, 株洲的，在醴陵做陶瓷) the
  prefecture is the city, as it is right before its county (温州瑞安), while a county-level city named alone (在义乌做小
  商品) names itself;
- where a spouse works (老公在宁波上班) is the couple's city when the customer names none, and gives way to the
  customer's own (我在老家温州带孩子: 在老家 is where one is, not where one comes from);
- a city in brackets after the customer's name (客户王某（成都）) is a note's city field, as 在成都 is;
- a city typed with a character of the same sound (嘉木斯, 哈尔宾, 州 and 洲 swapped: 兰洲, 株州) is that city.
"""

from __future__ import annotations

import pytest

from scrm.tagging.text import extract_city, normalize
from tests.tagging.reasoning import amount, term

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text", [
    "【招商银行】尊敬的客户，您的信用卡本期账单8,650.00元，最后还款日12月5日。 这个我还不上了，能借点吗",
    "【平安普惠】您已获得最高200000元预授信额度，点击领取。 这个靠谱吗",
    "收到条短信：您有一笔50000元备用金待领取，回复1到账。 是你们发的吗",
    "短信内容：尊敬的用户，您有20000元额度待激活。 是真的吗",
    "【XX银行】张先生您好，您的贷款80000元已发放。 我还想再借点",
])
def test_a_pasted_notice_states_no_amount(text):
    assert amount(text) is None


def test_a_pasted_notice_states_no_term():
    assert term("【某某分期】您的账单已分24期，每期还款860元。 我想再借点，行不") is None


@pytest.mark.parametrize("text, want", [
    ("【跟进】客户想贷二十万，下周来面签", 200_000),
    ("【工商银行】您的贷款申请已受理。 我申请的是三十万，多久能批", 300_000),
    ("[短信] 您的借款5000元将于明天到期，请按时还款。 我想再借一万", 10_000),
    ("【花呗】你本月账单1,200元，10号还款。 能借两万吗", 20_000),
    ("【跟进】客户想贷二十万，您看下", 200_000),
    ("备注：你好，客户要三十万", 300_000),
])
def test_a_heading_or_a_want_after_a_notice_stays(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("收到个短信说能借五万，是不是骗人的", None),
    ("短信里说我有三十万额度待领取", None),
    ("广告上说最高能贷五十万，我想借二十万", 200_000),
])
def test_a_notice_reported_is_the_senders(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("想申请20万的额度，能批吗", 200_000),
    ("要办个十万额度的信用贷", 100_000),
    ("打算开通个五万的额度，应急用", 50_000),
    ("信用卡二十万的额度用完了", None),
    ("借呗五万的额度，想再借点", None),
])
def test_a_limit_applied_for_is_wanted_and_one_had_is_not(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("房子押二十万，车再押十万，加起来能贷三十万不", 300_000),
    ("已经有两万的额度了，再加三万，一共借五万行吗", 50_000),
    ("两个门面一起抵，总共要三百万，下周面签", 3_000_000),
    ("客户沈阳，做钢材生意，想用两套房子抵押，总共要两百万，已约面谈", 2_000_000),
    ("之前欠的十万加上这次要借的五万，总共十五万能一起做吗", 150_000),
])
def test_a_total_asked_for_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("网贷加起来八万多，想借十万还掉", 100_000),
    ("装修一共要三十万，自己有十万，想借二十万", 200_000),
])
def test_a_total_owed_or_a_cost_is_no_total_asked(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "月息一分就是一万一个月一百块利息吗",
    "年化7.2，算下来一万块一年七百二利息",
    "一千块一天利息五毛，太贵了",
    "你们这个月息八厘，就是一万块一个月八十块是吧",
    "年化百分之十二，一万一年就是一千二利息，太贵了",
])
def test_a_unit_a_rate_is_told_in_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text", ["借一万一个月利息一百，能借吗", "想借一万块，一个月利息一百能做吗", "借一万一个月还一千，可以吗"])
def test_a_figure_borrowed_before_a_period_stays(text):
    assert amount(text) == 10_000


@pytest.mark.parametrize("text, want", [
    ("服务费三个点，五十万就得一万五，太贵了", 500_000),
    ("你们手续费怎么收的，借二十万光手续费就要六千？", 200_000),
    ("利息一分，三十万一个月要三千利息，能不能低点", 300_000),
    ("手续费3个点的话，三十万要交九千？", 300_000),
])
def test_what_a_sum_costs_leaves_the_sum(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("手续费两千，想借五万", 50_000),
    ("先要二十万，不够的话就要三十万", 300_000),
])
def test_a_fee_said_alone_or_a_second_want_is_no_cost_of_a_sum(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("我想要三十万，银行说最多给二十万，二十万也可以", 200_000),
    ("申请了五十万，审批说只能批四十万，那就四十万吧", 400_000),
    ("要十五万，他们说只给十万，十万就十万吧，急用", 100_000),
])
def test_an_offer_taken_up_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("要十五万，他们说只给十万，太少了", 150_000),
    ("银行只给批二十万，我要三十万", 300_000),
])
def test_an_offer_not_taken_up_leaves_the_want(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("我想要八十万，你们说只能批六十万，那也行吧，急用", 600_000),
    ("你们经理说最多能批三十万，行，就这么办", 300_000),
    ("他们说能批五十万，我觉得可以", 500_000),
    ("你们给批了二十万是吧，那我签了", 200_000),
])
def test_an_offer_accepted_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("别家批了三十万，可以比比吗", None),
    ("银行说最多给二十万，可以吗", None),
    ("银行说最多给二十万，太少了，我要三十万", 300_000),
])
def test_an_offer_questioned_is_not_accepted(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("建行给我批了50万，利率3.8，你们能做到更低吗，能的话我就在你们这办", 500_000),
    ("农商行批了二十万年化六点多，你们要是便宜我就转过来", 200_000),
    ("别的平台说能给我做8万，你们利息能比他们低吗", 80_000),
    ("隔篱银行话批咗我三十万，你哋可唔可以比佢低？低嘅话我转过来做", 300_000),
])
def test_a_rival_offer_brought_over_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("工行批了30万已经到账了，利息太高，还想再借点", None),
    ("之前银行批了二十万，后来没用，现在想借五万", 50_000),
])
def test_an_approval_had_is_no_rival_offer(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("need 1.5 million rmb for the shop", 1_500_000),
    ("looking to borrow 3 million for the factory, 5 years", 3_000_000),
    ("公司在泉州, need about 2 million RMB 周转", 2_000_000),
    ("need 2m rmb for the factory", 2_000_000),
    ("I need 1.2m RMB for 3 years", 1_200_000),
    ("looking for half a million RMB loan", 500_000),
    ("can I borrow 300,000 yuan?", 300_000),
    ("want to borrow 200 thousand, 2 years", 200_000),
])
def test_millions_in_english(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("my house is worth 5 million, need 500k", 500_000),
    ("my house is 120 m2, need 50万", 500_000),
])
def test_a_worth_in_millions_or_an_area_is_no_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "我在农商行有二十万的经营贷，明年到期，还能再贷吗",
    "名下有三十万的贷款在还，还能借吗",
    "手上还有五万的借款没还",
])
def test_a_loan_had_named_by_its_figure_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("有没有十万的信用贷产品", 100_000),
    ("想办个二十万的信用贷", 200_000),
    ("我有房子，想做个三十万的抵押贷", 300_000),
])
def test_a_loan_of_a_figure_asked_for_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "上次说借十万，后来钱凑够了不用借了，现在想问问能不能贷个小额的备用",
    "原来说要贷五十万，现在不用了，想换个小点的额度",
    "之前说的三十万不需要了，现在能不能借点应急",
])
def test_a_plan_dropped_before_a_new_want_leaves_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("本来想再借五万分一年还，想想还是算了，不借了，谢谢", 50_000),
    ("之前说要二十万，现在还是要二十万", 200_000),
    ("上次说借十万，现在要十五万", 150_000),
])
def test_a_plan_dropped_alone_or_kept_keeps_a_figure(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("明天要交学费两万，能借吗", 20_000),
    ("下周要付货款三十万，钱没回来，能周转下吗", 300_000),
    ("月底得发工资八万，急", 80_000),
    ("急！！后天要交房租 5k", 5_000),
])
def test_a_payment_due_soon_is_the_money_needed(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("每个月要交房租三千，工资五千，能借点吗", None),
    ("上个月交了房租三千", None),
    ("房租一个月两千，明天想借一万", 10_000),
    ("下个月要交首付三十万，想贷款", None),
])
def test_a_payment_per_period_or_made_is_not_needed(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "我工资六千五一个月，能借多少",
    "负债大概三万一个月，还能贷吗",
    "房租一万二一年，想借五万",
    "店里一个月进账二十多万，想贷点钱进货",
])
def test_money_per_period_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("借五万一年", 12),
    ("想贷二十万三年", 36),
    ("工资八千，想借五万一年还清", 12),
])
def test_a_period_after_a_figure_borrowed_is_the_term(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "在船上干轮机，一年要出海十个月，想贷点钱",
    "一年有八个月在外地跑工程，能贷吗",
    "跑长途的，一年在路上待十个月",
])
def test_a_part_of_each_year_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text", [
    "在海上漂了大半年，刚上岸，想借钱",
    "出国劳务三年，合同到期回来了，想借五万",
    "在部队服役五年，退伍了想贷款",
])
def test_time_spent_at_sea_abroad_or_in_the_army_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("每年有三个月淡季，想借点钱，分六个月还", 6),
    ("贷款十万期限一年，一年后一次还清", 12),
    ("外派非洲两年，想借十万，一年还", 12),
    ("想借五万，半年还", 6),
])
def test_a_term_beside_time_spent_stays(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", [
    "之前在银行贷的三十万分五年，还剩两年",
    "去年办的车贷分三年，月供两千",
    "朋友在网上借的两万分十二期，利息太高",
])
def test_the_term_of_a_loan_had_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("想借的十万分三年还", 36),
    ("我要贷的是二十万，分五年", 60),
])
def test_the_term_of_the_loan_wanted_stays(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text, want", [
    ("借10w一年多少钱，我在保定开小卖部", 12),
    ("贷二十万三年利息多少", 36),
    ("借五万半年多少利息", 6),
])
def test_years_after_a_figure_borrowed_are_its_term(text, want):
    assert term(text) == want


def test_a_price_per_year_alone_is_no_term():
    assert term("一年多少钱利息") is None


def city(text: str) -> str | None:
    return extract_city(normalize(text))


@pytest.mark.parametrize("text, want", [
    ("老家汕头一套，广州一套，想拿汕头那套做抵押", "汕头"),
    ("在南宁和柳州各有一套房，打算用柳州那套贷", "柳州"),
    ("两个门面，一个在绵阳一个在德阳，想押德阳那个", "德阳"),
    ("我哋两层楼，一层喺广州一层喺佛山，想用佛山嗰层抵押", "佛山"),
])
def test_the_house_chosen_names_the_city(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("两套房，北京一套老家保定一套，保定那套没贷款，想抵押", "保定"),
    ("名下两个铺面，汕头一个，潮州一个，潮州那个想抵押", "潮州"),
])
def test_the_house_chosen_before_its_pledge_names_the_city(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text", [
    "名下三套房，一套在佛山，一套在中山，一套在江门，想做信用贷",
    "北京一套，保定一套，想做信用贷",
    "房子在天津和北京各一套，都有贷款",
])
def test_houses_listed_in_parallel_name_no_city(text):
    assert city(text) is None


def test_where_one_is_now_comes_before_the_house_chosen():
    assert city("我人在北京，房子一套在西安一套在咸阳，想用咸阳那套抵押") == "北京"


@pytest.mark.parametrize("text, want", [
    ("我在成都，有两套房都在成都", "成都"),
    ("房子一套在昆明，我人在昆明上班", "昆明"),
])
def test_one_city_said_of_the_customer_stays(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text", [
    "我爸在南充有套房子，我自己在家带孩子，想借两万",
    "丈母娘家在开封有个门面，我们想贷点钱做生意",
    "我哥的房子在襄阳，我自己啥也没有，能贷吗",
])
def test_a_house_someone_else_has_names_no_city(text):
    assert city(text) is None


@pytest.mark.parametrize("text, want", [
    ("我妈在宜宾有套房，能用她的房子给我贷款吗", "宜宾"),
    ("我爸的房子在郑州，能不能用来贷款", "郑州"),
    ("岳父在赣州有套房，他同意拿来抵押", "赣州"),
    ("我爸在衡阳有套房，我自己在长沙上班", "长沙"),
])
def test_a_house_pledged_or_the_customers_own_city_stays(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("闺女在青岛上大学，毕业也想留在青岛，俺是潍坊的", "潍坊"),
    ("女儿在杭州上班，房子也要在杭州买，我是绍兴的", "绍兴"),
])
def test_a_city_named_again_stays_someone_elses(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text", [
    "在昆明当了五年兵，去年退伍回家了，想贷款买车",
    "在西宁上了四年大学，刚毕业回家，想借点钱",
    "i used to live in 厦门 but moved to Sydney, can I borrow?",
])
def test_a_city_come_home_from_is_left(text):
    assert city(text) is None


@pytest.mark.parametrize("text, want", [
    ("在兰州上班，刚辞职，想借点钱周转", "兰州"),
    ("在西安当兵，明年退伍，想给家里贷点钱", "西安"),
])
def test_a_city_not_yet_left_stays(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("I live in 厦门, moved here from Sydney last year, need a loan", "厦门"),
    ("I work in 深圳 now, can I get 信用贷?", "深圳"),
])
def test_a_city_one_is_in_said_in_english_stays(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text", [
    "听口音是温州的，说人在外面做生意，想贷一百万",
    "跟进：客户口音像衡阳那边的，没说在哪",
    "他去年在澳门赌输了，欠了不少",
    "上个月去三亚旅游花了不少，想借两万",
])
def test_an_accent_or_a_place_visited_names_no_city(text):
    assert city(text) is None


@pytest.mark.parametrize("text, want", [
    ("客户是温州人，口音很重，想贷五十万", "温州"),
    ("在汕头做玩具外贸，要做厂房抵押", "汕头"),
    ("我在澳门做荷官，想借十万", "澳门"),
])
def test_a_city_said_plainly_stays(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("本人住澳门，珠海有套房，想抵押", "珠海"),
    ("我在香港上班，深圳有个铺面，能贷吗", "深圳"),
])
def test_hong_kong_and_macau_give_way_to_a_mainland_city(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("我是梅州的，在东莞开厂，想贷五十万", "东莞"),
    ("我是福州的，在厦门上班，想借五万", "厦门"),
])
def test_where_one_is_above_who_one_is(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("我是哈尔宾的，想借三万", "哈尔滨"),
    ("坐标石家装，想贷款买车", "石家庄"),
    ("人在嘉木斯，种地的，能贷不", "佳木斯"),
    ("兰洲的，想贷款", "兰州"),
    ("我在杭洲上班，想借五万", "杭州"),
    ("坐标株州，想借钱", "株洲"),
])
def test_a_city_typed_by_its_sound_is_that_city(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("我爸在太原，我在晋中上班，想借三万", "晋中"),
    ("我妈在郑州带孙子，我在深圳上班", "深圳"),
    ("儿子在北京，我在天津", "天津"),
    ("我爸在太原住院，急需五万", None),
])
def test_where_a_relative_lives_is_theirs(text, want):
    assert city(text) == want


def test_the_customers_own_mention_of_a_relatives_city_is_the_customers():
    assert city("我爸妈在成都，我们一家都在成都") == "成都"


@pytest.mark.parametrize("text", ["去欧洲旅游回来，想借钱", "在非洲干了三年工程，刚回来"])
def test_a_continent_is_no_city(text):
    assert city(text) is None


@pytest.mark.parametrize("text", [
    "[图片] 这是我的借款合同，期限36个月，还有20期没还，能再借吗",
    "[图片] 还款计划：分24期，每期2100",
    "这个借条写的一年还清，我想贷款把它还了",
    "[图片] 营业执照，有效期20年",
    "[截图] 借款周期：6个月，到期还本",
    "[图片] 这是我在别的平台的借款，周期12个月，年化18%，能帮我转到你们这吗",
    "回款周期三个月，想先借五十万周转",
    "工程款回款周期长，一般半年，想借一百万",
    "账期三个月，货款压着，想借二十万",
])
def test_the_term_of_a_document_had_is_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("跟进：客户已签合同，放款金额68万，分60期", 60),
    ("客户约下周一签合同 房抵150w 20年", 240),
    ("想借十万，合同签三年", 36),
    ("[图片] 营业执照，想借五万分12期", 12),
    ("回款周期三个月，想借五十万，分两年", 24),
    ("你们借款周期最长多久？我想借五万，周期一年", 12),
])
def test_the_term_of_this_loans_contract_stays(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text, want", [
    ("想整个万八千的，急用", 10_000),
    ("想贷个百八十万，厂里周转", 1_000_000),
    ("要个三两万就行", 30_000),
    ("想贷一百八十万", 1_800_000),
    ("八万八千八，图个吉利", 88_800),
])
def test_a_rough_figure_is_its_round_figure(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("跟进：客户泉州人，在浙江开了两家鞋店，要做经营贷", None),
    ("客户温州人，在外面做生意，想贷一百万", None),
    ("客户信阳人，在外地打工回来了，想在家建房", "信阳"),
    ("客户温州人，在上海做生意", "上海"),
    ("客户孝感人，在超市当收银", "孝感"),
    ("客户祖籍温州，在外地做生意", None),
    ("客户莆田籍，在外地开金店", None),
    ("客户是莆田那边的，常年在外面跑", None),
    ("客户原籍沧州，现居天津", "天津"),
    ("客户籍贯莆田，在苏州开诊所，想贷一百万", "苏州"),
])
def test_a_native_living_elsewhere_names_no_city(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("我要借点钱，在阿拉善跑货车的", "阿拉善"),
    ("延边的，朝鲜族，想贷款", "延边"),
    ("在哈密做生意，想借十万", "哈密"),
    ("俺是寿光的，种大棚", "寿光"),
    ("我在海拉尔开饭店", "呼伦贝尔"),
    ("我有套房，在廊坊燕郊，想再贷点", "廊坊"),
    ("阿拉是上海人，想借五万", "上海"),
    ("凉山的，开了个烧烤店，想借五万", "凉山"),
    ("在都江堰开农家乐，想贷二十万", "都江堰"),
    ("我在阳朔带团当导游，想借五万", "阳朔"),
    ("我在鱼峰区开五金店", "柳州"),
    ("客户在北滘做家具，想贷一百万", "佛山"),
    ("我在星沙上班，想借三万", "长沙"),
    ("醴陵做陶瓷的，想贷五十万", "醴陵"),
])
def test_a_prefecture_or_county_level_city_left_out_names_itself(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text", ["哈密瓜很甜，想借点钱", "我们家的房子是拆迁安置房 还没办证 能贷吗"])
def test_the_same_characters_in_another_word_name_no_city(text):
    assert city(text) is None


@pytest.mark.parametrize("text, want", [
    ("[图片] 这是我的借款合同，借款金额20万，还有一年到期，想再借十万", 100_000),
    ("这是借条，写的借了八万，年底还，我想再贷五万", 50_000),
    ("[图片] 这是我的借款合同，借款金额20万，能转到你们这吗", 200_000),
    ("跟进：客户已签合同，放款金额68万，分60期", 680_000),
    ("购房合同总价一百万，首付三十万，想贷七十万", 700_000),
])
def test_a_figure_of_a_paper_of_a_loan_had_is_no_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("咱这个车抵能贷多少？车是全款买的，二十万", None),
    ("门面是前年买的，八十万左右，能抵押多少", None),
    ("车是去年买的，想押十万", 100_000),
    ("跟进：客户自有奥迪A6一辆，全款，有意车抵15万", 150_000),
])
def test_a_figure_alone_after_a_purchase_is_its_price(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("借一万，个把月就还", 1),
    ("借五万，年把时间还清", 12),
    ("把车押了，借三万，一年还", 12),
])
def test_about_a_month_or_a_year_is_that_term(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text, want", [
    ("五十万太多了，三十万吧", 300_000),
    ("想借三十万，太多了怕还不上，二十万吧", 200_000),
    ("借个二十万，不，三十万", 300_000),
    ("五十万太多了，能少点吗", 500_000),
    ("借五万，太少了，十万吧", 100_000),
])
def test_a_figure_found_too_much_gives_way_to_the_next(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("三年太长了，两年吧", 24),
    ("不是三年，是五年", 60),
    ("分五年还，不对，三年", 36),
    ("分期是不是三年", 36),
    ("借十万，三年，太长了", 36),
])
def test_a_term_found_too_long_or_denied_gives_way(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text, want", [
    ("老家泉州的，在晋江做鞋厂", "泉州"),
    ("株洲的，在醴陵做陶瓷，想贷八十万", "株洲"),
    ("我在义乌做小商品，老家是金华的", "金华"),
    ("在桂林阳朔开民宿", "桂林"),
    ("跟进：客户在义乌做小商品批发，想再借三十万", "义乌"),
    ("我在晋江，我妹在泉州上班", "晋江"),
])
def test_a_county_and_its_prefecture_named_give_the_prefecture(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("我妈做手术要十万块钱，能贷多少就贷多少吧，越快越好", None),
    ("装修要二十万，能贷多少贷多少", None),
    ("能借多少借多少，最好五十万以上", 500_000),
    ("想借十万，能批多少就批多少", 100_000),
    ("孩子上学要三万，能借吗", 30_000),
])
def test_a_cost_beside_as_much_as_can_be_lent_is_no_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("need a 12-month loan of 80k", 12),
    ("a 3-year loan of 200k please", 36),
    ("借五万，3-6个月", 6),
    ("贷款10-20年", 240),
])
def test_a_hyphened_term_is_that_term(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text, want", [
    ("客户王某（成都），其妻在重庆上班，想贷三十万", "成都"),
    ("跟进：李哥(南宁)，做米粉店，爱人在柳州打工", "南宁"),
])
def test_a_city_in_brackets_after_a_name_is_the_customers(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("老公在宁波上班，我在老家温州带孩子", "温州"),
    ("我老公在郑州上班，我在开封带孩子", "开封"),
    ("我老公在九江一家国企上班，我自己是全职在家带娃", "九江"),
    ("我在老家信阳种地，想借两万", "信阳"),
    ("老家信阳，在郑州上班", "郑州"),
])
def test_a_spouses_city_gives_way_to_the_customers_own(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("俺爹在洛阳有套房，俺哥在郑州开厂，俺自己在家种了十亩大棚蔬菜，想贷五万买新棚膜", None),
    ("我哥在郑州开厂，我自己在洛阳上班，想借五万", "洛阳"),
    ("我弟在昆明开店，他想借十万", "昆明"),
    ("我哥在郑州开厂，想贷一百万周转，我帮他问问", "郑州"),
])
def test_a_relatives_trade_is_theirs_beside_the_customers_own(text, want):
    assert city(text) == want
