"""The seventeenth round of reasoning about figures, one kind at a time:
- a unit written in pinyin right after digits is that unit (xiang dai 20 wan is 20万, 8 qian is 8千, 5nian is five
  years, 12 ge yue is twelve months), while pinyin words that only begin the same (wang dai 2 ge, wan shang) are none;
- what is still owed on a loan had (车贷还差三万多, 房贷还欠二十万) is no shortfall to borrow, while a shortfall for a
  purpose (还差二十万, 进货差五万) still is;
- what a hospital asks to be paid now (医院让先交五万押金, 医院押金要三万) is the money needed, while a deposit for
  anything else (交了两千押金租房) stays money paid;
- 货款 right after a pledge (房子抵押货款三十万, 抵压货款) is 贷款 mistyped, while money owed for goods (货款还有五十万没结)
  stays no amount;
- a figure asked to be lent after a shortfall (还差一万多，先借我一万五) is the amount, not the shortfall, while a figure
  wanted before the shortfall (想借十万，还差五万) stays the one wanted;
- the figure of an application still pending (那个二十万的额度批下来没) is the amount wanted, while a limit had
  (信用卡二十万的额度用完了) stays none;
- a city typed in pinyin with its syllables apart (wo zai qing dao, yan ji de, la sa) is that city, as it is written
  together (yantai), while syllables that are also other words (wu xi dai kuan: 无息) name none;
- a county-level city named as where one is or has a house (在莱阳有套房) is that city;
- where a child, a sibling or a friend works, studies or buys (女儿在深圳上班, 俺闺女在青岛上大学, 孙子在济南买房) is
  theirs, not the customer's, while a city said of the customer with them (我和儿子在深圳打工) or the customer's own
  city said too (儿子在苏州上班，我在常州开店) is the customer's;
- a city where years were spent and then left (在广州打了八年工，刚回来) is no longer the customer's: where they come
  from or are now counts (老家茂名, 回老家湛江), while years spent where one still is (在广州打了八年工，想贷款) keep it.
"""

from __future__ import annotations

import pytest

from scrm.tagging.text import extract_city, normalize
from tests.tagging.reasoning import amount, term

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text, want", [
    ("ni hao, wo zai la sa kai dian, xiang dai 20 wan, you ying ye zhi zhao", 200_000),
    ("xiang jie 5wan, ji yong", 50_000),
    ("xiang jie 8 qian, xia ge yue huan", 8_000),
])
def test_a_pinyin_unit_after_digits_is_that_unit(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("daikuan 10w, 5nian, fangzi diya, yantai", 60),
    ("jie 5 wan, 12 ge yue huan", 12),
    ("dai 20w fen 36 qi", 36),
])
def test_a_pinyin_term_after_digits_is_that_term(text, want):
    assert term(text) == want


@pytest.mark.parametrize("text", ["wang dai 2 ge, zen me ban", "wo wan shang 8 dian you kong"])
def test_pinyin_words_that_only_begin_the_same_are_no_unit(text):
    assert amount(text) is None
    assert term(text) is None


@pytest.mark.parametrize("text", [
    "绵阳的，想问下车子按揭还没还完能不能再贷？车贷还差三万多",
    "房贷还欠二十万，能不能再抵押",
    "按揭还差十五万没还完，能做二押吗",
])
def test_what_is_still_owed_on_a_loan_had_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("在外面打工十年，想搞个养鸡场，手里有十万，还差二十万左右，能贷不", 200_000),
    ("进货还差五万，能借吗", 50_000),
    ("房贷还欠二十万，想再借十万周转", 100_000),
])
def test_a_shortfall_for_a_purpose_is_still_wanted(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("我爸突然住院要做心脏支架，医院让先交五万押金，今天就要，有没有办法？", 50_000),
    ("医院押金要三万，急", 30_000),
    ("我妈住院了，医院要交两万的押金，能借吗", 20_000),
])
def test_what_a_hospital_asks_to_be_paid_now_is_needed(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("交了两千押金租房，想借五万", 50_000),
    ("租房押金三千，想问问能不能贷款", None),
    ("我妈住院了，我这边租房还交了三千押金，手头紧", None),
])
def test_a_deposit_for_anything_else_stays_paid(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text, want", [
    ("我想用房子抵钾货款三十万，分十年", 300_000),
    ("想用车抵押货款二十万", 200_000),
])
def test_goods_payment_after_a_pledge_is_a_mistyped_loan(text, want):
    assert amount(text) == want


@pytest.mark.parametrize("text", ["客户货款还有五十万没结", "甲方拖了我四十万货款"])
def test_money_owed_for_goods_is_no_amount(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, want", [
    ("老婆生孩子剖腹产，医院那边还差一万多，急，能不能先借我一万五，发工资就还", 15_000),
    ("装修还差三万，想贷五万", 50_000),
])
def test_a_figure_asked_after_a_shortfall_is_the_amount(text, want):
    assert amount(text) == want


def test_a_figure_wanted_before_a_shortfall_stays_the_one_wanted():
    assert amount("想借十万，还差五万能借到吗") == 100_000


def test_the_figure_of_a_pending_application_is_wanted():
    assert amount("昨天那个二十万的额度批下来没？我这边等着给工人发工资") == 200_000


def test_a_limit_had_stays_none():
    assert amount("信用卡二十万的额度用完了") is None


def city(text: str) -> str | None:
    return extract_city(normalize(text))


@pytest.mark.parametrize("text, want", [
    ("zai ma, wo zai qing dao shang ban, you she bao", "青岛"),
    ("yan ji de, gang cong han guo hui lai, you tao fang zi", "延吉"),
    ("ni hao, wo zai la sa kai dian", "拉萨"),
    ("daikuan 10w, 5nian, fangzi diya, yantai", "烟台"),
    ("based in hong kong", "香港"),
    ("俺老爹在莱阳有套房，能用他的房子给俺贷款不", "莱阳"),
])
def test_a_city_in_pinyin_or_a_county_city_is_read(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text", ["wu xi dai kuan you ma", "xiang dai kuan, wo you fang zi"])
def test_syllables_that_are_other_words_name_no_city(text):
    assert city(text) is None


@pytest.mark.parametrize("text", [
    "俺闺女在青岛上大学，一年学费一万多，俺在村里开了个小卖部，也没啥抵押，能贷不",
    "女儿在深圳上班，想帮她贷点钱买车",
    "我儿子 在深圳 打工 他想借钱 我帮他问问",
    "孙子在济南买房想帮他凑点首付，我这岁数还能贷吗",
])
def test_where_someone_else_lives_their_life_is_not_the_customers_city(text):
    assert city(text) is None


@pytest.mark.parametrize("text, want", [
    ("我和儿子在深圳打工，想借钱", "深圳"),
    ("儿子在苏州上班，我在常州开店", "常州"),
    ("我在常州，儿子在苏州上班", "常州"),
])
def test_the_customers_own_city_stays(text, want):
    assert city(text) == want


@pytest.mark.parametrize("text, want", [
    ("老家茂名高州的，在广州打了八年工，刚回来，不想打工了，想在镇上开个小超市", "茂名"),
    ("在深圳干了五年，现在回老家湛江了", "湛江"),
    ("在广州打了八年工，刚回来，想开个店", None),
])
def test_a_city_left_after_years_there_is_not_the_customers(text, want):
    assert city(text) == want


def test_years_spent_where_one_still_is_keep_the_city():
    assert city("在广州打了八年工，想贷款") == "广州"
