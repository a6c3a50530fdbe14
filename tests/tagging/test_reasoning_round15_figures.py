"""The fifteenth round of reasoning about figures, one kind at a time: a figure is the amount only where the words
around it say it is the loan wanted.
- a loan had that falls due (那笔三百万的贷款下个月到期, 经营贷200万下月到期) is no amount; a loan wanted with its term
  (借十万一年到期) still is;
- a loan had and paid off (上一笔贷款30万刚结清, 那笔二十万的经营贷已经还完了), one taken before (去年在农商行贷的五十万)
  and one that must be repaid (一笔五十万的民间借贷月底要还) are no amount; a loan wanted to pay something off
  (想借十万把网贷还清了, 借五万半年还清) is;
- an overdue's sum (逾期金额三千多), a distance driven (公里数六万) and a listing price (挂牌三百五十万) are no amount;
  the shortfall after a cost (彩礼要二十八万…还差八万) is the amount;
- a loan had said with 就 before it falls due (农商行那五万块钱下个月就到期了) and trade over a period (出口额五百多万美金) are
  no amount; the figure wanted beside them (想借十五万连带周转, 想做个四十万的经营贷) is;
- compensation owed to the customer (法院判他赔我十二万), a price paid in full (全款二十六万) and money paid in with no
  want in its clause (大人的交一千) are no amount; a pledge of the house bought outright (全款那套想抵一百二十万) and a
  cost to pay (孩子上学要交两万学费，想借一下) are;
- a price however said (一百二十万拿下的, 市场价大概两百万), a figure of a past moment (落户的时候二十来万) and what
  another lender said it would give (他们说我这个房子能做八十万) are no amount; the customer's own want after such words
  (银行说能批二十万，我想要三十万; 客户说想借二十万) is;
- a loan already paid out (客户上月已在他行放款50万) and a figure given up (之前谈的20万不做了) are no amount; a figure
  given up for another (二十万不要了，十万就行) gives way to it;
- terms: the periods of a loan had with some still to pay (车贷36期还有12期), a time as a customer (五年的老客户) and
  a deposit's term (一年期的定期存款) are no term, nor is a while (一年半载); 想贷三年还有别的要求吗 still states one;
- a pledge already made (已经在银行抵押了一百万) is no amount; a pledge wanted (想抵押了整个三十万, 押了借二十万) is;
- a card or an online loan named by its limit (额度五十万的信用卡刷爆了) and a bank's limit had (建行的额度是20万) are no
  amount; the figure wanted after it (还想再要30万) is;
- a price asked (人家要价八十万) and a valuation (别家说能给评一百二十万) are no amount; the shortfall (还差五十万) is;
- 个 stands for 万 only where no noun follows it (借二十个, 要二十个分三年), never in 想弄一个信用贷 or 做了两个分期乐;
- 廿 is twenty (想借廿万) and 仨 three (想借仨万块钱, 仨月就还); 贷 said as a verb right after a word of money had
  (总共贷二十四万) is a want again;
- figures written the form's way: thousands separated by commas (想借50,000元) and a bare number after the yuan sign
  (借款金额：¥50000) are one figure of money; a word of money had, an English verb and the figure (my income is 300k,
  rent is 8k) are money had;
- structure: a figure after a verb of something done (上个月付了两万, 之前输了三十万, 转过五万) with no word of wanting
  in its clause is no amount, whatever the verb; with one (住院了急需三万, 想抵押了整个三十万) it is;
- terms: a card's instalments being repaid (信用卡分期 24期 月还2千) and a year's interest paid (一年光利息就交了四万多)
  are no term; a term wanted with instalments (分24期) still is;
- cities: a district or a nickname names its city (九龙坡 → 重庆, 哈市 → 哈尔滨), a county names itself (温岭), where one
  comes from (湛江人, 老家在南阳, 香港返嚟) gives way to where one is (在广州) and that to where one is now (现在在曲靖),
  a province's name before a city in it (吉林四平) gives way to the city, and a street (厦门中山路) or a word (大理石,
  普洱茶) is no city.
"""

from __future__ import annotations

import pytest

from scrm.tagging.text import extract_city, normalize
from tests.tagging.reasoning import amount, term

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text", [
    "现在银行那笔三百万的贷款下个月到期，银行说不给续了，想问你们能不能帮做转贷",
    "我有一笔五十万的经营贷月底到期，续不了了，怎么办",
    "之前在建行贷的八十万明年到期，想问问续贷的事",
    "名下厂房一处估值八百万，银行经营贷三百万明年五月到期",
])
def test_a_loan_falling_due_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("工行经营贷200万下月到期，续贷要先还后贷，想在我们这做60万过桥", 600000),
    ("想借十万一年到期还本", 100000),
    ("借五万下月到期一次还", 50000),
    ("工行那笔300万下月到期要续贷，需要过桥垫资300万", 3000000),
])
def test_a_figure_wanted_beside_a_loan_falling_due_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "我房子已经在银行抵押了一百万，还能再押吗",
    "车子去年押过五万，早还清了，还能做车抵吗",
])
def test_a_pledge_already_made_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("俺家在郑州有套房，想抵押了整个三十万，中不中", 300000),
    ("家里就一套房子，能不能先押了借二十万", 200000),
])
def test_a_pledge_wanted_gives_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "额度五十万的信用卡刷爆了，还有借呗，能不能帮我做个整合",
    "我有张额度三万的借呗，一直按时还",
    "建行的额度是20万，已经用完了",
])
def test_a_limit_had_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("建行的额度是20万，还想再要30万", 300000),
    ("有十五万的额度吗，我要急用", 150000),
    ("额度要20个 期限36个", 200000),
])
def test_a_limit_wanted_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "我这房子全款的，别家说能给评一百二十万，利息还低",
    "那个门面人家要价八十万，我再考虑考虑",
])
def test_a_price_or_a_valuation_is_no_amount(text):
    assert amount(text) is None


def test_the_shortfall_after_a_price_is_the_amount():
    assert amount("想把楼上的门面买下来，人家要价八十万，我手头有三十万，还差五十万么，你们能给贷不") == 500000


@pytest.mark.parametrize("text", [
    "想弄一个信用贷，我啥也没有，就有个工作",
    "做了两个分期乐一个京东白条，能不能再借点",
    "网贷有两个在还，征信没花",
])
def test_ge_followed_by_a_noun_is_a_count(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("想借二十个", 200000),
    ("要二十个分三年", 200000),
    ("我能借个三十个吗急着还信用卡", 300000),
    ("想贷二十个，三年", 200000),
])
def test_ge_ending_its_figure_is_ten_thousands(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("伊在汕头开拖鞋厂，想借廿万，有无啥款可以做", 200000),
    ("想办经营贷买两台拖拉机，报价一台十二万，总共贷二十四万，分三年", 240000),
])
def test_figures_said_other_ways(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "之前赌博输了三十万，现在还能贷款吗",
    "上个月刚付了两万定金给装修队，手头紧，能借点不",
    "我转过五万给朋友，他不还，能贷吗",
    "车子前年修了三万多，现在想押车",
])
def test_a_figure_of_something_done_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("我妈住院了急需三万块钱，今天能到账吗", 30000),
    ("算了，二十万就行", 200000),
    ("借了十万已经还清了，想再借二十万", 200000),
])
def test_a_figure_wanted_after_something_done_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "跟进 黄小姐 上班族 月薪8k 信用卡分期 24期 月还2千 要5w xyd",
    "花呗分期12期还有半年，想问能不能借点",
    "之前借了民间借贷，月息三分，一年光利息就交了四万多，想贷个十二万把它平了",
])
def test_instalments_had_and_interest_paid_are_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [
    ("想借五万，分24期", 24),
    ("信用贷 10w 36期 可以不", 36),
])
def test_a_term_wanted_is_still_the_term(text, want):
    assert term(text) == want


# cities: a district or a nickname names its city, a county names itself, where one comes from gives way to where
# one is, a province's name before a city in it gives way to the city, and a street or a word is no city
@pytest.mark.parametrize("text, want", [
    ("我在九龙坡开了个汽修铺子，有执照，想做经营贷", "重庆"),
    ("房子在浦东，全款的，想抵押", "上海"),
    ("我在哈市，开小卖部的，能贷两万不", "哈尔滨"),
    ("我在温岭开个小饭店，想贷点钱装修", "温岭"),
    ("我是湛江人，在广州海珠开了个烧腊档，想借二十万", "广州"),
    ("客户说老家在南阳，现在在郑州打工，想贷两万", "郑州"),
    ("我在昆明，不对，现在在曲靖了，想贷点钱", "曲靖"),
    ("房子在青岛，我现在人在杭州", "杭州"),
    ("我係香港返嚟東莞做廠嘅，需要經營貸", "东莞"),
    ("我在吉林四平开了个快递驿站，想借十万", "四平"),
    ("跟进：温州瑞安客户，开阀门厂的，差两百万", "温州"),
    ("客户蚌埠人，在工地打零工，说话带淮北口音", "蚌埠"),
    ("房子在台州路桥，全款的，想抵押", "台州"),
    ("要30万经营贷，店开在厦门中山路", "厦门"),
    ("我在福田上班，月薪两万", "深圳"),
    ("跟进：已加微信，客户在济南开物流公司", "济南"),
])
def test_the_city_where_the_customer_is(text, want):
    assert extract_city(normalize(text)) == want


@pytest.mark.parametrize("text", [
    "我是做大理石生意的，想贷点钱",
    "我卖普洱茶的，想借五万",
    "祝你平安顺利，想借十万",
    "我有台福田货车，想押车",
    "分期乐安逸花都逾期了，被催收天天打电话",
    "跟进：已加微信，客户开物流公司，要经营贷一百万",
])
def test_a_word_spelt_like_a_place_is_no_city(text):
    assert extract_city(normalize(text)) is None


@pytest.mark.parametrize("text", [
    "上一笔贷款30万刚结清，征信没问题",
    "原来那笔二十万的经营贷已经还完了，想问问还能不能再做",
    "去年在农商行贷的五十万，今年续不上了",
    "客户说有一笔五十万的民间借贷月底要还，问能不能过桥",
    "逾期金额三千多，已经还上了，现在征信能做吗",
    "客户车辆：2019年宝马x3，公里数六万，已上传照片",
    "我有套房挂牌三百五十万，还没卖掉，能先抵押吗",
])
def test_a_loan_had_or_a_figure_of_another_kind_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("想借十万把网贷还清了", 100000),
    ("借五万半年还清", 50000),
    ("借五万下个月就还清了", 50000),
    ("借个两万月底就能还上了", 20000),
    ("我想贷的是五十万", 500000),
    ("彩礼要二十八万，家里凑了二十万，还差八万", 80000),
])
def test_a_loan_wanted_beside_those_kinds_is_the_amount(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", [
    "回访：客户上月已在他行放款50万，暂无需求",
    "客户表示利息太高，之前谈的20万不做了",
])
def test_a_loan_paid_out_or_given_up_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("二十万不要了，十万就行", 100000),
    ("已经想好了，借二十万", 200000),
])
def test_the_figure_wanted_after_one_given_up(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", ["车贷36期还有12期没还", "我是你们五年的老客户了", "一年期的定期存款有十万",
                                  "借钱，一年半载就能还"])
def test_periods_left_on_a_loan_had_and_a_time_as_customer_are_no_term(text):
    assert term(text) is None


@pytest.mark.parametrize("text, want", [("想贷三年还有别的要求吗", 36), ("借五万分12期还", 12), ("想贷一年期的", 12)])
def test_a_term_wanted_before_other_words(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text, want", [
    ("农商行那五万块钱下个月就到期了，能帮忙续一下吗", None),
    ("厂里去年出口额五百多万美金，今年单子少了", None),
    ("农商行那五万块钱下个月就到期了，想借十五万连带周转", 150000),
    ("厂里去年出口额五百多万美金，想做个四十万的经营贷", 400000),
])
def test_a_loan_due_or_trade_beside_the_figure_wanted(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("法院判他赔我十二万，到现在一分没给", None),
    ("年前刚提了辆车，全款二十六万，现在想周转一下", None),
    ("孩子的医保一年交四百，大人的交一千", None),
    ("一套全款 一套按揭 全款那套想抵一百二十万 分十年", 1200000),
    ("孩子上学要交两万学费，想借一下", 20000),
])
def test_money_owed_to_or_paid_by_the_customer(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("想借50,000元", 50000),
    ("借款金额：¥50000", 50000),
    ("月入8,000，想借三万", 30000),
])
def test_figures_written_the_forms_way(text, want):
    assert amount(text) == want


def test_three_said_the_northern_way():
    assert amount("想借仨万块钱") == 30000
    assert term("借两万，仨月就还") == 3
    assert term("贷十万，仨年") == 36


@pytest.mark.parametrize("text, want", [
    ("房子前年一百二十万拿下的，能抵多少", None),
    ("房子在银川，全款买的，当时一百一十万", None),
    ("这车落户的时候二十来万，现在能押多少", None),
    ("侬好，阿拉屋里厢房子买辰光一百五十万", None),
    ("我家铺面市场价大概两百万，能贷几成", None),
    ("他们说我这个房子能做八十万，你们能做多少", None),
    ("银行说能批二十万，我想要三十万", 300000),
    ("客户说想借二十万", 200000),
    ("朋友说你们这能贷，我想借五万", 50000),
])
def test_prices_past_moments_and_offers_heard(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("my income is 300k a year, 有房", None),
    ("rent is 8k monthly, 生意还行", None),
    ("my loan is 50k", 50000),
    ("need 50k asap, salary 20k", 50000),
])
def test_money_had_with_an_english_verb_between(text, want):
    assert amount(text) == want
