"""The sixteenth round of reasoning, one kind at a time:
- dialect question words are read as their standard words: Wuhan 么样 (么样申请, 么样搞) and Xining 阿么 (阿么弄哩) are
  怎么, 么子 is 什么 (要么子手续, 么子时候), Jianghuai 阿是 / 阿能 ask 是不是 / 能不能, and Yangzhou 不照 is 不行
  (不照就算了 is no decline), and so are southwestern 啷个 (怎么), 啥子 (啥), 哪样时候 (什么时候), 勒个 (这个) and 么得
  (没得), and Wu 弗 (不), 弗晓得 / 伐晓得 (不知道), 倷 (你), 几钿 (多少钱); 怎么样, 什么样, 什么时候, 怎么得了 and the
  car 哈弗 stay as they are;
- asking how to go about the loan (怎么弄, 怎么借, 要什么手续, 需要什么资料) is high, unless the text says it only
  asks or learns (先了解一下房贷怎么弄, 先提前问问需要什么资料: asking ahead of time is low); how something happened
  (怎么搞的) is no such question;
- a deadline this week or by the month's end said with 一定要 / 必须要 (月底前一定要) is high;
- a polite refusal (客户已婉拒) and a family against the loan (家里人反对) are low, and contact promised only if needed
  (如有需要会主动联系) is no keenness;
- no need for a loan (我没有贷款需求), a loan called off by the family (我儿子说不要借了) and calls refused (别再打了) are
  low; asking whether a pledge is needed (要不要押车, 用不用押车) is no refusal of one;
- a house pledged with the bare verb (房子想抵一下, 想抵一套) is a house loan, while a house not to be pledged
  (房子还是不抵了) asks for none; keeping the car while pledging its papers (不想押车) and bringing the green book
  (带绿本过去) are a car loan;
- a product the salesperson is told not to submit again (别再报银行信用贷了) is not asked for, while asking whether one
  can (能不能做个信用贷) still is;
- a teacher at a school (中学老师) and a title held at a workplace (在深圳四大做审计经理, 在澳门做荷官) are salaried;
  wages to pay out (急需二十万发工资, 要发工资) and a practice of one's own (自己开的诊所) are not;
- one's own company (公司是他自己的, 我自己公司), a farm-stay run (开农家乐) and a boss named by surname in a note (做二手车的
  王老板) run a business, while a salesperson thanked as 老板 (谢谢王老板) is no customer's;
- a car to be bought (想贷款买台车) is not had, a car disposed of (车子去年处理掉了) is lost, and a house in a parent's
  name (是我爹的名字) is theirs;
- social insurance or a housing fund named with its city (有深圳社保, 有广州公积金) is had, while asking whether one
  has it (有没有深圳社保都行) says neither;
- more relatives (我兄弟, 侄子, 女婿, 邻居) are someone else: their online loans are not the customer's, and a business
  for someone else (给儿子做点生意, 给他弟做生意用的) is neither the customer's business nor a business loan;
- a count of inquiries said right after they are called many (查询有点多，大概四五次) decides: below six there are not
  too many;
- English words in a Chinese message are read as the Chinese words (apply, how to apply, urgent, not urgent, loan,
  credit card, cash flow, boss, business), while an English sentence's everyday nouns (a car) stay English;
- traditional characters still left as they were (禮拜, 麻煩, 查詢, 記錄, 勞保, 賭場) are read as simplified ones.
"""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import asserted

pytestmark = pytest.mark.pure


def intent(text: str) -> str | None:
    return apply_rules(normalize(text)).intent


def product(text: str) -> str | None:
    return apply_rules(normalize(text)).product


@pytest.mark.parametrize("text, read", [
    ("想问下信用贷么样申请撒", "怎么申请"),
    ("我要借八十万，么样搞", "怎么搞"),
    ("阿么借哩？", "怎么借"),
    ("想贷个八十万，要么子手续", "要什么手续"),
    ("阿是要面签啊", "是不是要面签"),
    ("不照就算了", "不行就算了"),
])
def test_dialect_question_words_are_read_as_standard(text, read):
    assert read in normalize(text)


@pytest.mark.parametrize("text", ["逾期了会怎么样", "什么样的房子能抵押", "什么时候能到账"])
def test_standard_words_containing_them_stay(text):
    assert normalize(text) == text


@pytest.mark.parametrize("text", [
    "老师在不，我在宜昌上班，想问下信用贷么样申请撒",
    "阿么借哩？我尕娃结婚要钱哩，我在西宁有套房子，想抵押了借点钱",
    "我在宜昌做柑橘生意，想贷个八十万，要么子手续",
    "我在西宁哩，车是一九年的哈弗，想押车借五万，一年还清，阿么弄哩",
    "那我就办吧，怎么弄",
    "想做个车抵，需要什么资料",
    "我在宜昌夷陵开滴滴，想押车借个四万，么子时候能到",
    "跟进：客户是做医美的，自己开工作室，想借八万，说月底前一定要",
])
def test_asking_how_to_go_about_it_is_high(text):
    assert intent(text) == "high"


@pytest.mark.parametrize("text", [
    "我准备明年买房，现在先了解一下房贷怎么弄",
    "我下个月想贷款，在厂里打工，先提前问问需要什么资料",
    "你家好，我在扬州开了个修脚店，想问问能不能贷点款，不照就算了",
    "阿是要面签啊？我人在六合，过去一趟好远",
])
def test_only_asking_or_a_condition_is_not_high(text):
    assert intent(text) != "high"


def test_how_something_happened_is_no_question_of_the_loan():
    assert intent("征信怎么搞的，突然花了") != "high"


@pytest.mark.parametrize("text", [
    "刚才那个电话是你们打的吗？我没有贷款需求，别再打了",
    "我是老张 上次 跟你说的那个事 我儿子说不要借了 谢谢 你了",
    "不需要，别再打了",
])
def test_no_need_and_calls_refused_are_low(text):
    assert intent(text) == "low"


@pytest.mark.parametrize("text", [
    "我想知道你们这贷款最长能分几年，我按揭的房子想抵一下",
    "家里的房子是拆迁分的，三套，都在我名下，想抵一套借两百万",
])
def test_a_house_pledged_with_the_bare_verb_is_a_house_loan(text):
    assert product(text) == "房抵贷"


def test_a_house_not_to_be_pledged_asks_for_no_house_loan():
    assert product("我房子还是不抵了") != "房抵贷"


@pytest.mark.parametrize("text", [
    "想咨询一下车抵，车是去年买的奥迪，全款，不想押车",
    "深圳这边有没有门店，我想带绿本直接过去办",
    "能贷多少，要不要押车",
    "用不用押车",
])
def test_keeping_the_car_or_bringing_its_papers_is_a_car_loan(text):
    assert product(text) == "车抵贷"


def test_a_product_not_to_be_submitted_again_is_not_asked_for():
    text = "@小陈 征信一个月查了9次，网贷6笔，别再报银行信用贷了，看看能不能走抵押"
    assert product(text) != "信用贷"


@pytest.mark.parametrize("text", ["客户说征信花了，网贷七八个，问还能不能做信用贷", "想问能不能做个信用贷"])
def test_asking_whether_one_can_still_asks_for_it(text):
    assert product(text) == "信用贷"


@pytest.mark.parametrize("text", [
    "跟进：客户田姐，中学老师，信用贷已在别家批了25万",
    "跟进：客户唐女士，小学老师，借呗花呗各一万",
    "本人在深圳四大做审计经理，年收入大概80w",
    "我在澳门做赌场荷官，想借十万",
])
def test_a_teacher_or_a_title_at_a_workplace_is_salaried(text):
    assert asserted(text).get("工薪族") is True


@pytest.mark.parametrize("text", [
    "做装修的，自己带队，手下十几个师傅，工程款被甲方压着，急需二十万发工资",
    "公司cash flow这个月有点紧，要发工资，能不能三天内放款",
    "跟进：客户是口腔医生，自己开的诊所，执照五年了",
])
def test_wages_paid_out_or_a_practice_of_ones_own_is_no_salary(text):
    assert asserted(text).get("工薪族") is not True


@pytest.mark.parametrize("text", [
    "深圳罗湖一套商铺，客户要用铺子抵押贷600万，公司是他自己的",
    "明天上午十点到账没问题吧？我自己公司那边等着还银行",
    "跟进：客户钟姐，宜昌点军开农家乐，想房抵贷30万",
    "@小李 你上周那个做二手车的王老板，征信报告我看了",
])
def test_ones_own_company_or_a_boss_named_runs_a_business(text):
    assert asserted(text).get("企业主") is True


@pytest.mark.parametrize("text", ["谢谢王老板", "@王老板 你好，想问下利息"])
def test_the_salesperson_called_boss_is_no_business(text):
    assert asserted(text).get("企业主") is not True


@pytest.mark.parametrize("text", [
    "在东莞开了家美容院，想贷款买台车，首付已经准备好了",
    "我在新余钢厂上班，想搞个十万块钱买台车",
    "车抵贷已结清，车子去年处理掉了，现在做小生意",
])
def test_a_car_to_be_bought_or_disposed_of_is_not_had(text):
    assert asserted(text).get("有车辆") is not True


def test_a_car_counted_is_still_had():
    assert asserted("家里有两台车").get("有车辆") is True


@pytest.mark.parametrize("text, tag", [
    ("你好，我想贷款20万，人在深圳，有深圳社保", "有社保"),
    ("有广州公积金，想贷款", "有公积金"),
])
def test_insurance_named_with_its_city_is_had(text, tag):
    assert asserted(text).get(tag) is True


def test_asking_whether_one_has_it_says_neither():
    assert asserted("有没有深圳社保都行").get("有社保") is not True


def test_a_brothers_online_loans_are_his():
    assert asserted("我兄弟欠了网贷一堆，我想帮他还，借十万可以吗").get("网贷较多") is not True


@pytest.mark.parametrize("text, many", [
    ("我征信好得很，就是查询有点多，大概四五次", False),
    ("查询有点多，大概十来次", True),
    ("征信查询多，差不多八次", True),
])
def test_a_count_said_after_many_decides(text, many):
    assert (asserted(text).get("查询过多") is True) is many


@pytest.mark.parametrize("text, read", [
    ("want to apply 信用贷, how to apply?", "想 申请 信用贷, 怎么申请?"),
    ("not urgent，想了解下", "不急,想了解下"),
    ("credit card刷爆了 还可以loan吗", "信用卡刷爆了 还可以贷款吗"),
    ("公司cash flow这个月有点紧", "公司现金流这个月有点紧"),
])
def test_english_words_in_chinese_are_read_as_chinese(text, read):
    assert normalize(text) == read


def test_an_english_sentence_keeps_its_nouns():
    assert normalize("she bought a car") == "she bought a car"


def test_urgent_in_english_is_high():
    assert intent("urgent!! need a loan asap") == "high"


@pytest.mark.parametrize("text", [
    "小伙子你好 我家老头子走了 房子在中山 想抵出去借点钱 大概十来万 给儿子做点生意",
    "@小李 这个客户别急着推，他说借五十万是给他弟做生意用的，他自己名下什么都没有",
])
def test_a_business_for_someone_else_is_not_the_customers(text):
    assert asserted(text).get("企业主") is not True
    assert product(text) != "经营贷"


def test_ones_own_business_is_still_had_beside_it():
    assert asserted("我自己开了家饭店，想借钱周转").get("企业主") is True


@pytest.mark.parametrize("text, read", [
    ("這個禮拜急用，麻煩儘快", "这个礼拜急用,麻烦尽快"),
    ("查詢次數太多，有逾期記錄", "查询次数太多,有逾期记录"),
    ("有勞保", "有劳保"),
])
def test_traditional_characters_are_read_as_simplified(text, read):
    assert normalize(text) == read


def test_a_week_said_in_traditional_characters_is_high():
    assert intent("我開了間餐廳，這個禮拜就要用錢") == "high"


@pytest.mark.parametrize("text", ["俺家的房子在铜山，是俺爹的名字，能不能抵押", "老家的房子写的我爸名字，想抵押"])
def test_a_house_in_a_parents_name_is_theirs(text):
    assert asserted(text).get("有房产") is not True


def test_a_house_in_the_customers_name_is_had():
    assert asserted("客户说房子是婚前父母买的写的他名字 想做房抵").get("有房产") is not False


@pytest.mark.parametrize("text, read", [
    ("我名下啥子都没得", "我名下啥都没得"),
    ("哪样时候能批", "什么时候能批"),
    ("啷个申请", "怎么申请"),
    ("勒个月就要用", "这个月就要用"),
    ("么得社保", "没得社保"),
    ("怎么得了", "怎么得了"),
])
def test_southwestern_words_are_read_as_standard(text, read):
    assert normalize(text) == read


@pytest.mark.parametrize("text", ["啷个申请嘛", "勒个月就要用，哪样时候能批"])
def test_southwestern_questions_of_readiness_are_high(text):
    assert intent(text) == "high"


@pytest.mark.parametrize("text, read", [
    ("弗晓得倷这里厂里周转做得弗", "不知道你这里厂里周转做得不"),
    ("伐晓得你们利息几钿", "不知道你们利息多少钱"),
    ("弗急，弗要打电话", "不急,不要打电话"),
    ("我那台哈弗是全款买的", "我那台哈弗是全款买的"),
])
def test_wu_words_are_read_as_standard(text, read):
    assert normalize(text) == read


def test_wu_not_in_a_hurry_is_low():
    assert intent("弗急，先问问") == "low"


@pytest.mark.parametrize("text", [
    "跟进：客户已婉拒，说家里人反对借钱，这次就不折腾了，如有需要会主动联系",
    "客户说家里人反对，先不弄",
])
def test_a_polite_refusal_and_a_family_against_it_are_low(text):
    assert intent(text) == "low"


def test_contact_promised_only_if_needed_is_not_high():
    assert intent("有需要会主动联系你") != "high"


def test_a_customer_who_is_keen_is_still_high():
    assert intent("跟进：客户很主动，问了好几次") == "high"
