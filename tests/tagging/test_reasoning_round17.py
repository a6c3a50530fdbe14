"""The seventeenth round of reasoning, one kind at a time:
- all-pinyin messages are read as the Chinese words they spell, two or more syllables together (fangzi diya 房子抵押,
  fang zi 房子, fang chan zheng 房产证, xiao chan quan 小产权, ying ye zhi zhao 营业执照, gong ji jin dai 公积金贷,
  zen me shen qing 怎么申请, cha xun tai duo 查询太多, zheng xin hua 征信花, bu xu yao 不需要, wang dai 3 ge 网贷3个),
  while a single syllable that could be an English word stays as it is;
- handwriting typos of the pledge and the housing fund (抵钾, 公记金) are read as 抵押 and 公积金, and a pledge for a
  "货款" (抵押货款) is a pledge for a loan (贷款), not money for goods;
- repayments said as a monthly total (每月共还4500, 工资才5000) are weighed against income like any other monthly
  repayment, and a person who cannot make ends meet (实在周转不过来) has too much debt, while a shop or factory short of
  cash (厂里实在周转不过来) is a business matter;
- a title deed made ready or brought along (房本准备好了, 房产证我带着) offers the house, a building pledged (那栋楼抵押)
  is a house loan, and a house without a title asking whether it can borrow (房子没本能贷不) asks for one, while a
  title not yet ready (房本还没准备好) offers nothing;
- a note's job line (职业：某物业公司客服主管, 某物流公司调度员, 物业公司保洁, 快递站做分拣) is a salaried job, while
  what a company's clerk said (某公司客服说) is no job of the customer's;
- a partner's stake (合伙人，占股30%), a company of one's own (自己有个小工程公司) and an inn run (开了个客栈) are a
  business of the customer's;
- a checklist of documents sent to the customer (已发资料清单) is the salesperson's step, not the customer's readiness,
  while documents the customer sent (客户已发资料) and a customer asking for the checklist stay high;
- an answer in fragments that counts houses (两套，都在蚌埠，没贷款; 两套，一套在住一套出租) owns them, while two sets of
  anything else (两套方案) are no houses;
- a voice transcript's fillers (嗯, 那个 between commas, 就是说) are dropped, so what they split is read together (网贷啊，
  就是说借了好几个 counts the online loans), while 那个 that points at something (那个房子) stays;
- a house and car said to be all the customer's (房子车子都是我自己的, or the bare 房子车子都是 answering whose name) are
  had, while both being someone else's or rented (房子车子都是我老公的, 都是租的) are not.
"""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import tags

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text, want", [
    ("daikuan 10w, 5nian, fangzi diya, yantai", {"房抵贷", "有房产"}),
    ("fang zi mei you fang chan zheng, xiao chan quan, ke yi dai kuan ma", {"房抵贷", "有房产"}),
    ("ni hao, wo zai la sa kai dian, xiang dai 20 wan, you ying ye zhi zhao", {"企业主", "经营贷"}),
    ("gong ji jin dai zen me shen qing", {"公积金贷", "高意向"}),
    ("woyao daikuan 3wan, zheng xin cha xun tai duo le, zui kuai duo jiu xia kuan", {"查询过多", "高意向"}),
    ("ji yong qian, wo you wang dai 3 ge, 2w, jin tian neng xia ma", {"网贷较多"}),
    ("xie xie, bu xu yao le", {"低意向"}),
    ("我想用房子抵钾货款三十万，分十年", {"房抵贷", "有房产"}),
    ("俺公记金交了五年，能贷多少", {"有公积金"}),
])
def test_pinyin_and_typos_are_read(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("我想用房子抵钾货款三十万，分十年", {"经营贷"}),
    ("wo you wang dai 1 ge, neng dai ma", {"网贷较多"}),
    ("急急急！！明天要交货款，差五万", {"房抵贷"}),
])
def test_pinyin_and_typos_do_not_overreach(text, absent):
    assert not (absent & tags(text))


def test_single_syllables_stay():
    assert "li" in normalize("li wei said hi")


@pytest.mark.parametrize("text", [
    "客户问：我分期乐、安逸花、借呗、来分期四个平台都在还，每月共还4500，工资才5000，还能借吗？",
    "月薪一万，房贷每月还七千多，信用卡还欠五六万，称实在周转不过来，想借八万把卡还了",
    "信用卡都在套现养卡 实在周转不过来了",
])
def test_debt_too_high(text):
    assert "负债过高" in tags(text)


@pytest.mark.parametrize("text", [
    "每月一共还1000，工资8000",
    "厂里实在周转不过来",
    "店里实在周转不过来，想贷点进货",
])
def test_debt_not_too_high(text):
    assert "负债过高" not in tags(text)


@pytest.mark.parametrize("text", [
    "洛阳这边啥时候能上门？我把房本准备好了",
    "你们公司在哪里？我想直接过来谈，房产证我带着",
    "我们家在蚌埠火车站附近开了个宾馆，想用宾馆那栋楼抵押贷二百万翻修",
    "就问问，唐山这边房子没本能贷不",
])
def test_house_loan(text):
    assert {"房抵贷", "有房产"} <= tags(text)


@pytest.mark.parametrize("text", [
    "房子没了能贷吗",
    "那栋楼不抵押，想做信用贷",
])
def test_no_house_loan(text):
    assert "房抵贷" not in tags(text)


def test_a_title_not_yet_ready_is_no_pledge_offered_by_the_rules():
    """The rules read no pledge in it; the model may still guess the loan the title is for."""
    assert apply_rules(normalize("房本还没准备好")).product is None


@pytest.mark.parametrize("text", [
    "姓名：周女士 年龄：34 职业：株洲某物业公司客服主管 需求：信用贷8万，分36期",
    "跟进 16:30：客户开封人，物业公司保洁，月收入2800，想借5000",
    "1. 客户：胡女士 2. 绵阳某物流公司调度员，工龄8年",
    "客户本人在附近快递站做分拣，月入五千左右",
])
def test_job_line_is_salaried(text):
    assert "工薪族" in tags(text)


@pytest.mark.parametrize("text", ["某公司客服说我征信有问题", "物业公司保洁说房子可以抵押"])
def test_clerk_speaking_is_no_job(text):
    assert "工薪族" not in tags(text)


@pytest.mark.parametrize("text", [
    "跟进：客户为绵阳某酒店合伙人，占股30%，名下无房",
    "我有三台挖机，都是全款买的，自己有个小工程公司",
    "我在拉萨开了个客栈",
])
def test_own_business(text):
    assert "企业主" in tags(text)


@pytest.mark.parametrize("text", ["我在客栈上班，月薪四千", "朋友自己有个公司，我在他那上班"])
def test_no_own_business(text):
    assert "企业主" not in tags(text)


def test_checklist_sent_is_not_high():
    assert "高意向" not in tags("跟进：客户青岛黄岛，网贷七八个，每月光还网贷就八千多，工资才六千，想整合一下，要二十万把网贷都还了，已发资料清单")


@pytest.mark.parametrize("text", ["客户已发资料，等审批", "麻烦发一下需要的资料清单",
                                  "跟进：客户想公积金贷三十万，说这周内就要，材料已列清单发给客户"])
def test_customer_documents_stay_high(text):
    assert "高意向" in tags(text)


@pytest.mark.parametrize("text", ["两套，都在蚌埠，没贷款", "两套，一套在住一套出租", "三套，都是全款",
                                  "我有两套，一套自己住一套租出去了"])
def test_fragment_counts_houses(text):
    assert "有房产" in tags(text)


@pytest.mark.parametrize("text", ["两套方案，都在看", "给我发两套方案，一套三年一套五年"])
def test_fragment_without_houses(text):
    assert "有房产" not in tags(text)


def test_fillers_are_dropped():
    text = "我呢，去年做那个，网贷啊，就是说借了好几个，那个，现在都逾期了，就是说催收天天打电话"
    assert {"网贷较多", "征信逾期"} <= tags(text)
    assert "就是说" not in normalize(text)


def test_pointing_word_stays():
    assert "那个房子" in normalize("那个房子能抵押吗")


@pytest.mark.parametrize("text", ["都是我自己的名字，房子车子都是", "房子车子都是我自己的"])
def test_house_and_car_all_mine(text):
    assert {"有房产", "有车辆"} <= tags(text)


@pytest.mark.parametrize("text", ["房子车子都是我老公的", "房子车子都是租的", "房子车子都是我爸妈的名字"])
def test_house_and_car_not_mine(text):
    assert not ({"有房产", "有车辆"} & tags(text))
