"""The fifteenth round of reasoning, one kind at a time:
- farming is no business: a farmer growing crops (种大棚, 种枸杞, 地是承包的, 承包了三十亩地) and a member of a
  co-operative (合作社的社员, 合作社成员, 俺们合作社) run none; a co-operative one set up or heads (办了个合作社,
  合作社法人, 理事长, 合作社是我牵头搞的) and a contractor (承包工程) do;
- where one works is not what one has: a company one has (在义乌有个小公司主要做出口) is no workplace;
- the lender's hours asked (你们周六日上班不, 你们几点下班) and the lender's staff met (保安不让进, 你们前台说) are no
  job of the customer's, while work one has to go to (我平时要上班) is;
- wages paid to one's drivers or staff (付油钱和司机工资, 公司周转发工资) are no salary;
- premises to be bought (想贷款回老家买门面, 贷个五十万买铺面) are not owned, and a premises whose landlord sells it
  (租的这个门面房东要卖) is the landlord's; premises bought before (去年买商铺花了一百万, 门面买下来了) are owned;
- a bridge to repay the bank's loan until it is renewed (过桥, 过个桥, 转贷) asks for none of the products: the advance
  (垫资) and the bank's loan named as falling due (经营贷下个月到期) are no business loan asked for, while the business's
  own need said (厂里周转不开…做过桥) still is;
- high debt: a sum said with no word of a month (花呗借呗京东金条加起来四万多) and above the income is what is owed in
  all, not a month's repayment, while a debt said as a sum (欠款加起来六十多万) is counted as any debt stated;
- overdue: on the verge of it (都在逾期边缘) or asking whether something counts as one (不算逾期吧) is none, and being put
  on a blacklist (被列黑名单) is one;
- intent: materials said sent (已经发了房产证, 材料齐全已交) and the week's own word for this week (这礼拜就要) are high;
  materials to be ready later (资料周末准备好) and asking whether the process must be gone through again (要不要重新走
  流程) are not; a question withdrawn (我想问一下 没事了) and calls refused (不要老是给我打电话) are low;
- words from Taiwan and Minnan: 劳保 paid is social insurance (两个都有劳保), 信贷 asked for is a credit loan (想办个信贷
  十万), while a bank's 信贷经理 or 劳保用品 are neither;
- business said more ways: a business lost (做生意赔了) is none run now, and a past word after a particle that closes
  what was said before (我跟你说实话吧我之前做生意…现在) opens a past told; a franchise outlet or a tutoring business opened
  (开快递网点, 开托管的), a subcontractor boss (分包老板), a Taiwanese investor with a plant set up (台商, 设厂) and an
  exporter (做玩具出口) run one; a shop premises owned and pledged (有一间店面，想抵押) is property, not a business;
- work said more ways: a miner or a tradesman (当井下工, 水电工) is salaried, and so is repair work at a shop
  (在4S店做维修), which runs no business;
- gains and losses counted: a counted gain with an object of its own (有一台自己的皮卡) does not reach back to an earlier
  topic, and one of several lost (去年被封了一个店) leaves the rest; funds said never to have lapsed together
  (社保公积金都没断过) are all had;
- products: a business loan asked for in words of a firm (企业的贷款) is a business loan, and a product had before and
  asked for again (之前做过一笔车抵…想再做一次, 办过车抵…想再续贷) is the one asked for;
- whose asset: a house or car right after someone else named as its owner (女朋友家有房子, 我爸妈有一套房子, 朋友的房子,
  他那辆车) is theirs, unless the text says they borrow together (我们一起贷, 两口子); a 我们 that is no couple's loan
  (我们还没结婚, 我们县城) does not make it shared, and an old public flat (老公房) is no husband's; an asset held with
  the customer (我和老公有一套房, 我跟老婆有套房子) is had;
- owner-drivers hauling freight (跑货运) run no business; running a factory said 做X厂 (做玩具厂十几年, 做家私厂) and a
  crew of one's own (手下三十多号人) do, while a factory's worker (做鞋厂的工人) or one worked at before (以前做过电子厂)
  does not;
- an employer's words about staff: wages that cannot be paid (发不出工资), workers acting (工人要闹, 工人都放假了) and a
  site paying for materials (工地上等着付材料款) are no salary of the customer's;
- whose words, carried over: in a run-on message a clause with no subject of its own (有公积金, 有逾期) right after a
  space and a clause about someone else (我老婆在银行上班 有公积金, 我老公征信不好 有逾期) goes on about them, and so
  does one opening with her or his own (她自己有公积金); a note's clause naming the customer (客户在国企), a clause back
  to 我, one after a comma, and one after someone who only sent or told (朋友介绍的 有房有车, 我老公让我问问 有套房) are
  the customer's;
- a policy someone else bought or holds (保单是老公给买的, 投保人是老公, 保单…我老婆买的, 她的保单) is not the
  customer's;
- machines to be bought (想办经营贷买两台拖拉机) are not had;
- a loan on an asset named after the asset is said lost (车已经卖了，车贷也结清了; 车被收走了，因为车贷断供了;
  房子卖了，房贷还清了) does not give the asset back, while a car loan paid off on its own (车贷结清了，车是自己的)
  says the car is had, and so does a car bought since (车卖了，又买了辆新车);
- work said more ways: a government office (在政府单位) and working under a boss (跟着老板干) are salaried and run no
  business;
- a house in the spouse's name (家里一套房子在老公名下) and assets listed as all in the spouse's name (两套房一台车都在老公
  名下) are not the customer's unless they borrow together; talking it over together (等老公回来一起商量) is no loan
  taken together;
- intent: contact put off a month or more (下个月再联系, 年后再联系, 下月再回访) is low even with a need stated, unlike a
  week's wait (下周再联系); the salesperson's own plan to call again soon (下周再回访) is no decline by the customer;
  work in an office said with 做 (在银行做后台) is salaried, a loan made at a bank (在银行做过一笔) is not;
- asking whether a pledge is required (阿是要房子抵押的, 是不是要押车) offers none, and the house or car it names is
  not implied; asking whether to pledge (要不要抵押房子) asks for no unsecured loan (its 不要抵押 is no wish);
- a pledge loan moved from another lender (想把车贷转到你们这边, 车已经押在别家，想转过来) is that pledge loan asked
  for here, while a pledge that exists and is not moved (车抵押在银行了) offers none;
- a message sent by mistake (不好意思发错了) says nothing of the loan: medium; asking for instant approval (能秒批吗) is a
  question about the product, no urgency by itself (有没有秒批的？急 is urgent by its 急);
- pinyin typed for Chinese is read as two or more syllables together (shang ban, you she bao, duo jiu neng xia kuan),
  never a single syllable that could be an English word (she bought a car);
- funds and work said more ways: a screenshot of the fund sent (把社保截图发你) shows it paid; a station master (站长)
  and insurance the company pays (社保公司交) are salaried, insurance paid through another firm (挂靠在别人公司交社保)
  is not; a shop in one's own name (店是我自己的名字) is the business, not its premises;
- high debt: a business that cannot hold on through the season (今年淡季撑不住) or a lender's interest one cannot bear
  (利息太高了扛不住) is no debt too high, nor is a bank loan still owed (经营贷还欠着银行三十多万); debts one cannot
  hold on under (以贷养贷撑不住了) are.
"""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import asserted, tags


def intent(text: str) -> str | None:
    return apply_rules(normalize(text)).intent

pytestmark = pytest.mark.pure


def product(text: str) -> str | None:
    return apply_rules(normalize(text)).product


@pytest.mark.parametrize("text", [
    "俺在聊城种大棚，想贷款买个三轮车，中不中",
    "俺是种地的，家里种了三十亩枸杞，想给俺们合作社再添几台播种机用",
    "俺们合作社的社员能不能贷款买农机啊？",
    "跟进：客户在甘肃酒泉种枸杞，合作社成员，社保一直自己在交，想贷款买烘干设备",
    "我在文昌种槟榔的啦，有一百多亩，地是承包的，想贷个二三十万补种",
    "承包了三十亩地种枸杞，想借点钱",
])
def test_farming_is_no_business(text):
    assert asserted(text).get("企业主") is not True


@pytest.mark.parametrize("text", [
    "跟进：客户在榆中办了个蔬菜合作社，任理事长，想办贷款买拖拉机",
    "我在普洱种茶叶的，合作社法人，想贷一百二十万",
    "我在西双版纳种橡胶的，合作社是我牵头搞的，想贷个二三十万",
    "我是搞装修的，承包工程十几年了，想借点钱",
    "自己弄了个合作社，想贷点款买种子",
])
def test_a_cooperative_headed_or_a_contract_taken_is_a_business(text):
    assert asserted(text).get("企业主") is True


def test_a_company_one_has_is_no_workplace():
    text = "我是做外贸的在义乌有个小公司主要做饰品出口，想贷点款让公司先撑一下"
    assert asserted(text).get("工薪族") is not True
    assert asserted(text).get("企业主") is True


@pytest.mark.parametrize("text", ["您好，请问你们周六日上班不", "你们几点下班", "你们周末上不上班"])
def test_the_lenders_hours_are_no_job(text):
    assert asserted(text).get("工薪族") is not True


@pytest.mark.parametrize("text", [
    "你们周末上班不，我平时要上班只有周末有空",
    "我白天得上班，晚上才有空",
    "我在县医院食堂当厨师，社保交了六年了",
])
def test_work_one_has_to_go_to_is_a_job(text):
    assert asserted(text).get("工薪族") is True


def test_work_wanted_is_no_job():
    assert asserted("我现在没工作，想上班，能贷款吗").get("工薪族") is not True


@pytest.mark.parametrize("text", [
    "阿拉两夫妻在宁波北仑开物流公司，有三辆货车，下礼拜要付油钱和司机工资",
    "我自己有个劳务公司，想先贷五十万公司周转发工资，急",
    "厂里月底要结工人的工资，想借三十万",
])
def test_wages_paid_to_ones_staff_are_no_salary(text):
    assert asserted(text).get("工薪族") is not True


@pytest.mark.parametrize("text", [
    "我在北京当了八年保安了，想贷点钱回老家甘肃平凉买门面，得几十万吧",
    "我想贷个50万买铺面，我在北京开餐馆五六年了，现在租的这个门面房东要卖",
    "想贷款买个商铺，首付准备好了",
])
def test_premises_to_be_bought_are_not_owned(text):
    assert asserted(text).get("有房产") is not True


@pytest.mark.parametrize("text", [
    "我有个门面，想抵押贷三十万",
    "门面要卖了，还能先押一下吗",
    "门面是我自己的，想贷点钱",
])
def test_premises_owned_or_to_be_sold_are_had(text):
    assert asserted(text).get("有房产") is True


@pytest.mark.parametrize("text", [
    "跟进：赵总，建材公司法人，工行那笔300万下月到期要续贷，需要过桥垫资300万用一个月，今天必须定下来",
    "兄弟，我开了个机械加工厂，在银行的经营贷下个月到期，续贷之前得先还上，能给垫资一下不，一百万，过个桥就还",
    "现在银行那笔三百万的贷款下个月到期，银行说不给续了，想问你们能不能帮做转贷",
])
def test_a_bridge_asks_for_no_business_loan(text):
    assert product(text) is None
    assert "经营贷" not in tags(text)


@pytest.mark.parametrize("text, want", [
    ("客户王总，开服装厂8年，工行经营贷200万下月到期，续贷要先还后贷，厂里周转不开，想在我们这做60万过桥", "经营贷"),
    ("做工程的，垫资太多了，想找个50-80万的经营贷，急", "经营贷"),
    ("装修公司老板，接了个大单要垫资，想做税贷两百万", "经营贷"),
    ("我建行那笔经营贷明年三月到期，厂里还要用，不晓得能不能续", "经营贷"),
    ("客户急，明天要还银行的过桥，需50w，按揭房一套，已发房本照片，想抵押", "房抵贷"),
])
def test_a_business_need_or_a_pledge_still_decides(text, want):
    assert product(text) == want


@pytest.mark.parametrize("text", [
    "我在中山上班，月薪五千，借了花呗、借呗、京东金条，还有网商贷，加起来四万多，现在想一起还了",
    "工资四千五，花呗借呗京东白条加起来四万",
])
def test_a_sum_owed_in_all_is_no_months_repayment(text):
    assert asserted(text).get("负债过高") is not True


@pytest.mark.parametrize("text", [
    "我月收入一万，房贷每个月五千，车贷两千五，信用卡分期两千，加起来九千五了",
    "月入三万，几个网贷每个月加起来要还两万八",
    "欠款加起来大概六十多万，收入一个月一万",
])
def test_a_months_repayments_added_up_or_a_large_debt_are_high(text):
    assert asserted(text).get("负债过高") is True


@pytest.mark.parametrize("text", [
    "额度五十万的信用卡刷爆了，还有借呗、微粒贷，都在逾期边缘，每天都被催",
    "想贷款但征信上有个担保，不算逾期吧？",
])
def test_an_overdue_about_to_happen_or_asked_about_is_none(text):
    assert asserted(text).get("征信逾期") is not True


@pytest.mark.parametrize("text", [
    "我之前信用不太好，有卡债没缴，被列黑名单了",
    "被列入黑名单了还能贷吗",
    "征信上有逾期，不算多",
])
def test_a_blacklist_or_an_overdue_stated_is_one(text):
    assert asserted(text).get("征信逾期") is True


@pytest.mark.parametrize("text", [
    "跟进：客户李女士，想二押贷40万装修，已经发了房产证和身份证照片",
    "客户现在想做房抵，要三百万，五年，材料齐全已交",
    "跟进：客户需求经营贷四十万，期限两年，说这礼拜就要",
])
def test_materials_sent_or_this_weeks_need_are_high(text):
    assert intent(text) == "high"


@pytest.mark.parametrize("text", [
    "跟进：客户想借10万，说资料周末准备好",
    "续贷的话要不要重新走流程啊？",
])
def test_materials_later_or_a_question_of_process_are_not_high(text):
    assert intent(text) != "high"


def test_materials_ready_now_are_high():
    assert intent("资料准备好了，什么时候能办") == "high"


@pytest.mark.parametrize("text", ["在 在吗 我想问一下 没事了", "哎你们不要老是给我打电话了", "别再给我打电话了"])
def test_a_question_withdrawn_or_calls_refused_are_low(text):
    assert intent(text) == "low"


@pytest.mark.parametrize("text", ["之前逾期过，现在征信应该没事了吧", "不用打电话，微信聊就行", "孩子没事了，现在想借钱还医药费"])
def test_no_withdrawal(text):
    assert intent(text) != "low"


def test_labour_insurance_paid_is_social_insurance():
    assert asserted("我跟我老公在昆山上班啦，两个都有劳保，想问问").get("有社保") is True
    assert asserted("我在厂里发劳保用品，想借点钱").get("有社保") is not True


@pytest.mark.parametrize("text", ["想问信贷可以借多少喔？我们没有房子", "想办个信贷十万，分两年还可以吗"])
def test_xindai_asked_for_is_a_credit_loan(text):
    assert product(text) == "信用贷"


@pytest.mark.parametrize("text", ["我朋友是银行的信贷经理，他说我可以找你们", "我朋友在银行做信贷的", "我在银行做信贷工作"])
def test_credit_work_at_a_bank_asks_for_no_credit_loan(text):
    assert product(text) is None


@pytest.mark.parametrize("text", [
    "我跟你说实话吧我之前做生意赔了，现在在一家物业当保安，工资四千二",
    "老板，阮在揭阳有一间店面，想抵押，大概能贷几多？急用",
    "阮厝里有一间店面，想拿来抵押借五十万",
])
def test_a_business_lost_or_premises_pledged_run_none(text):
    assert asserted(text).get("企业主") is not True


@pytest.mark.parametrize("text", [
    "我叫小刘，在大连开快递网点的",
    "我是开托管的，学生家长交的钱不能动，想借点周转",
    "跟进：客户是建筑公司的分包老板，名下两套房",
    "请问一下喔，我是台商，在东莞有设厂，做五金冲压的",
    "跟进：客户陈生，汕头澄海，做玩具出口，说暂时不用了",
    "我开了个店，店面装修要钱",
])
def test_businesses_said_more_ways(text):
    assert asserted(text).get("企业主") is True


def test_an_export_clerk_runs_no_business():
    assert asserted("我在外贸公司上班，做出口业务的跟单").get("企业主") is not True


@pytest.mark.parametrize("text", [
    "跟进：客户在本溪一个煤矿当井下工，月收入一万左右",
    "我是水电工，一个月七八千",
    "跟进：客户袁哥，退伍后在4S店做维修，有一台自己的皮卡，想车抵5万",
])
def test_work_said_more_ways(text):
    assert asserted(text).get("工薪族") is True
    assert asserted(text).get("企业主") is not True


def test_casual_labour_is_no_salary():
    assert asserted("客户 天津 打零工 装修队临时工 无社保").get("工薪族") is not True


def test_a_counted_gain_names_its_own_object():
    assert asserted("退伍后在4S店做维修，有一台自己的皮卡").get("有车辆") is True


@pytest.mark.parametrize("text", ["车子有一台", "车子也有一台，想押", "车子有一台在老家"])
def test_a_counted_gain_ending_its_clause_reaches_back(text):
    assert asserted(text).get("有车辆") is True


def test_one_of_several_shops_closed_leaves_the_business():
    text = "我是做跨境电商的，亚马逊店铺，月流水五十万，去年被封了一个店，现在想做个经营贷"
    assert asserted(text).get("企业主") is True


def test_a_shop_closed_is_lost():
    assert asserted("我之前开了个网店，去年店被封了").get("企业主") is not True


def test_funds_never_lapsed_together_are_had():
    text = "我在苏州上班十年了社保公积金都没断过"
    assert asserted(text).get("有社保") is True
    assert asserted(text).get("有公积金") is True


def test_funds_both_missing_are_denied():
    text = "社保公积金都没有"
    assert asserted(text).get("有社保") is False


def test_a_firms_loan_is_a_business_loan():
    assert product("我想问你们有没有做企业的贷款，我公司在昆山") == "经营贷"


@pytest.mark.parametrize("text", [
    "我之前做过一笔车抵，现在还清了，车还在，想再做一次，十二万，24期",
    "去年十月在你们这办过车抵，现在还有八个月结清，想再续贷十万",
])
def test_a_product_asked_for_again(text):
    assert product(text) == "车抵贷"


@pytest.mark.parametrize("text, want", [
    ("之前做过车抵，不想再做一次了，这次想信用贷", "信用贷"),
    ("以前做过房抵，现在想做车抵", "车抵贷"),
])
def test_a_product_had_before_and_not_asked_again(text, want):
    assert product(text) == want


@pytest.mark.parametrize("text", ["做生意赔了，现在在物业当保安", "我跟你说实话吧我之前做生意，现在在物业当保安"])
def test_a_business_lost_or_told_as_past(text):
    assert asserted(text).get("企业主") is not True
    assert asserted(text).get("工薪族") is True


@pytest.mark.parametrize("text", [
    "女朋友家有房子，我们还没结婚，能用她的房子贷款吗",
    "我名下没有房子，但是我爸妈有一套房子在我们县城，他们同意给我抵押",
    "有个朋友的房子在昆明，他想借钱，能不能用我的名义",
    "我家男人在外面跑车，车是他名下的，让我问问他那辆车能押多少钱，我们急着用",
])
def test_an_asset_named_as_someone_elses_is_theirs(text):
    assert not ({"有房产", "有车辆"} & tags(text))


@pytest.mark.parametrize("text", [
    "我和我老婆名下有一套房，我们想一起贷",
    "我老公名下有套房，我们两口子想一起抵押贷款",
    "跟进：客户陆阿姨，上海杨浦人，独居，名下一套老公房，想做房抵",
    "房子是我爷爷留下的",
])
def test_an_asset_shared_inherited_or_a_public_flat_is_had(text):
    assert "有房产" in tags(text)


def test_a_pledge_of_parents_house_is_still_a_house_pledge():
    assert product("我名下没有房子，但是我爸妈有一套房子在我们县城，他们同意给我抵押，想贷四五十万") == "房抵贷"


@pytest.mark.parametrize("text", [
    "【跟进】黄师傅，莆田，跑货运的，自己的解放重卡有绿本，想押车贷10万",
    "【跟进】客户荆州人，开了个小面包车跑货运，车贷还剩八期，想车抵3万",
])
def test_an_owner_driver_runs_no_business(text):
    assert asserted(text).get("企业主") is not True


@pytest.mark.parametrize("text", [
    "客户陈生，汕头人，做玩具厂十几年，厂房是自己的，想二押",
    "我係顺德嘅，做家私厂，厂房自己起嘅",
    "做工地的，手下三十多号人，甲方拖款半年了",
])
def test_a_factory_or_a_crew_run_is_a_business(text):
    assert asserted(text).get("企业主") is True


def test_working_at_a_factory_is_no_business():
    assert asserted("我在鞋厂做质检，一个月五千").get("企业主") is not True


@pytest.mark.parametrize("text", [
    "客户在晋江开服装厂，想贷款周转一百万，客户很急，说发不出工资工人要闹",
    "伊在汕头开拖鞋厂，今年生意差，工人都放假了，想借廿万",
    "那套房子想抵押咯，工地上等着付材料款，想搞个五十万出来",
])
def test_an_employers_words_about_staff_are_no_salary(text):
    assert asserted(text).get("工薪族") is not True


@pytest.mark.parametrize("text", ["我是工人，一个月六千", "我在工地上班，工资一天三百"])
def test_a_worker_is_salaried(text):
    assert asserted(text).get("工薪族") is True


@pytest.mark.parametrize("text, tag", [
    ("我老婆在银行上班 有公积金 我是给公司开车的司机 我能贷吗", "有公积金"),
    ("我老公征信不好 有逾期 我自己上班有社保 我能贷吗", "征信逾期"),
    ("女儿在深圳上班，想帮她贷点钱买车，她自己有公积金", "有公积金"),
])
def test_a_clause_with_no_subject_goes_on_about_someone_else(text, tag):
    assert asserted(text).get(tag) is not True


@pytest.mark.parametrize("text, tag", [
    ("客户 名下无房 父母有两套 客户在国企 公积金1w 想公积金贷60w", "工薪族"),
    ("我老婆不上班，我在厂里上班，有社保", "有社保"),
    ("我老公征信不好 我自己上班有社保", "有社保"),
])
def test_a_clause_back_to_the_customer_is_theirs(text, tag):
    assert asserted(text).get(tag) is True


@pytest.mark.parametrize("text", [
    "客户的保单是老公给买的，投保人是老公，客户本人在成都上班",
    "想问问保单可以抵押吗 我老婆买的",
    "我老婆买了好几份保险，能不能拿她的保单来贷款",
    "我老妈给我买的保险，投保人是她，我能用吗",
])
def test_a_policy_someone_else_bought_is_not_the_customers(text):
    assert asserted(text).get("有保单") is not True


@pytest.mark.parametrize("text", ["我有保单，我老婆也有", "保单年交两万，交了五年，想贷款"])
def test_a_policy_of_ones_own_is_had(text):
    assert asserted(text).get("有保单") is True


def test_machines_to_be_bought_are_not_had():
    assert asserted("客户在榆中办了个蔬菜合作社，想办经营贷买两台拖拉机").get("有车辆") is not True


def test_a_loan_paid_off_on_an_asset_lost_does_not_give_it_back():
    assert asserted("客户反馈：车已经卖了，车贷也结清了，现在只有社保").get("有车辆") is False


def test_a_car_loan_paid_off_leaves_the_car():
    assert asserted("车贷结清了，车是自己的").get("有车辆") is True


@pytest.mark.parametrize("text", ["客户 昆明 在政府单位 公积金基数1.2w", "我在绍兴柯桥做纺织的，没有营业执照，跟着老板干，一个月八千"])
def test_an_office_or_a_boss_make_a_salary(text):
    assert asserted(text).get("工薪族") is True
    assert asserted(text).get("企业主") is not True


@pytest.mark.parametrize("text", [
    "跟进：客户杨姐，在超市做收银员，老公在外打工，家里一套房子在老公名下，想用公积金贷十五万，说等老公回来一起商量",
    "跟进：客户李女士，宝妈，无工作，家里两套房一台车都在老公名下，她想自己名下贷款三万",
])
def test_a_house_in_the_spouses_name_is_not_the_customers(text):
    assert asserted(text).get("有房产") is not True


@pytest.mark.parametrize("text", ["房子在我老公名下，我们两口子一起贷，想抵押做80万", "想做个房抵贷，不过房子在我老婆名下 我们一起贷"])
def test_a_house_in_the_spouses_name_borrowed_on_together_is_had(text):
    assert asserted(text).get("有房产") is True


def test_a_note_on_what_is_in_his_name_is_the_customers():
    assert asserted("回访：客户在西宁开出租车，车和运营证都在他名下，问现在还能不能贷").get("有车辆") is not False


@pytest.mark.parametrize("text", [
    "跟进：李师傅，想办公积金贷20万，期限5年，说最近家里事多，下个月再联系",
    "客户想借十万，说年后再联系",
])
def test_contact_put_off_a_month_is_low(text):
    assert intent(text) == "low"


def test_contact_next_week_with_a_need_is_not_low():
    assert intent("客户想做公积金贷二十五万，说不着急，下周再联系") != "low"


def test_work_in_an_office_said_with_zuo_is_salaried():
    assert asserted("退伍后在银行做后台，公积金基数一万二").get("工薪族") is True


@pytest.mark.parametrize("text", ["之前在银行做过一笔消费贷", "在银行做的贷款还没还完"])
def test_a_loan_made_at_a_bank_is_no_job(text):
    assert asserted(text).get("工薪族") is not True


@pytest.mark.parametrize("text", [
    "我在无锡开了个小超市，有营业执照的，就随便问问，阿是要房子抵押的",
    "是不是要押车",
])
def test_asking_whether_a_pledge_is_required_offers_none(text):
    assert product(text) is None
    assert not ({"有房产", "有车辆", "房抵贷", "车抵贷", "信用贷"} & tags(text))


def test_asking_whether_to_pledge_is_no_unsecured_loan():
    assert "信用贷" not in tags("你们这个贷款要不要抵押房子")


def test_a_pledge_offered_then_a_question_of_the_car_is_still_a_pledge():
    assert product("我想押车借五万，要不要押车过去") == "车抵贷"


@pytest.mark.parametrize("text", ["不好意思发错了", "发错人了，抱歉"])
def test_a_message_sent_by_mistake_is_medium(text):
    assert intent(text) == "medium"


def test_a_mistake_then_a_decline_is_low():
    assert intent("不好意思发错了，我不需要贷款") == "low"


def test_pinyin_is_read_as_chinese():
    text = "wo zai fuzhou shang ban, you she bao, xiang wen xia xyd duo jiu neng xia kuan"
    assert {"工薪族", "有社保", "信用贷", "高意向"} <= tags(text)


def test_an_english_word_is_no_pinyin():
    assert normalize("she bought a car") == "she bought a car"


def test_a_screenshot_of_the_fund_shows_it_paid():
    assert asserted("好的收到，我下班了把社保截图发你").get("有社保") is True


@pytest.mark.parametrize("text", ["我在西安做外卖站点的站长，社保公司交", "社保公司交，月薪六千"])
def test_a_station_master_or_insurance_paid_by_the_company_are_salaried(text):
    assert asserted(text).get("工薪族") is True


def test_insurance_paid_through_another_firm_is_no_salary():
    assert asserted("挂靠在别人公司交社保").get("工薪族") is not True


def test_a_shop_in_ones_name_is_no_premises():
    assert asserted("美容院开了五年了，有执照，店是我自己的名字，月流水七八万").get("有房产") is not True


@pytest.mark.parametrize("text", [
    "我是在三亚做民宿的，一年营业额三四百万，今年淡季撑不住，想借点钱过冬",
    "平时进货靠花呗和借呗周转，现在想贷个经营贷，花呗借呗那些利息太高了扛不住",
    "我在黑河做对俄贸易的，公司法人是我，之前的经营贷还欠着银行三十多万没还完",
])
def test_a_season_an_interest_or_a_bank_loan_is_no_debt_too_high(text):
    assert asserted(text).get("负债过高") is not True


@pytest.mark.parametrize("text", ["兄弟 我这是以贷养贷撑不住了", "每个月还网贷要6000多，工资才5000，快撑不住了", "外面欠了三十多万"])
def test_debts_one_cannot_hold_on_under_are_high(text):
    assert asserted(text).get("负债过高") is True


@pytest.mark.parametrize("text", ["我和老公有一套房，想贷点钱", "我跟老婆有套房子在郑州", "我和我老公有一套房"])
def test_an_asset_held_with_the_customer_is_had(text):
    assert asserted(text).get("有房产") is True


@pytest.mark.parametrize("text", ["我老公有套房，我想借十万", "我爸跟我妈有套房，想抵押"])
def test_an_asset_held_by_others_together_is_not_the_customers(text):
    assert "有房产" not in tags(text)


@pytest.mark.parametrize("text, tag", [
    ("朋友介绍的，有房有车，想贷50万", "有房产"),
    ("朋友介绍的 有房有车 想贷50万", "有车辆"),
    ("我老公让我问问 有套房想抵押", "有房产"),
    ("我哥说你们利息低，有车能押吗", "有车辆"),
])
def test_after_someone_who_only_sent_or_told_the_clause_is_the_customers(text, tag):
    assert asserted(text).get(tag) is True


@pytest.mark.parametrize("text", ["去年买商铺花了一百万，想抵押", "门面买下来了，想抵押贷款"])
def test_premises_bought_before_are_owned(text):
    assert asserted(text).get("有房产") is True


@pytest.mark.parametrize("text", ["做鞋厂的工人，月薪五千", "以前做过电子厂的工人，现在没工作"])
def test_a_factorys_worker_runs_no_business(text):
    assert asserted(text).get("企业主") is not True


def test_a_figure_sent_wrong_is_no_message_sent_by_mistake():
    assert intent("急用钱，刚才金额发错了，是五万") == "high"


def test_years_paid_with_statements_are_no_materials_sent():
    assert intent("房贷交了五年的流水都有") != "high"


@pytest.mark.parametrize("text", ["2w能秒批吗", "要贷款吗？我这里有渠道，低息秒批"])
def test_instant_approval_asked_is_no_urgency(text):
    assert intent(text) != "high"


def test_instant_approval_asked_with_urgency_is_high():
    assert intent("你们有没有那种秒批的？急") == "high"


@pytest.mark.parametrize("text, tag", [
    ("【跟进】客户说车上个月被收走了，因为车贷断供了", "有车辆"),
    ("房子卖了，房贷还清了", "有房产"),
])
def test_a_loan_named_on_an_asset_lost_does_not_give_it_back(text, tag):
    assert asserted(text).get(tag) is False


@pytest.mark.parametrize("text", ["车卖了，又买了辆新车，车贷还有一年", "去年买了一辆二手车"])
def test_a_car_bought_is_had(text):
    assert asserted(text).get("有车辆") is True


def test_a_noodle_shop_is_no_bridge():
    assert product("我开了家过桥米线店，想借钱垫资装修") == "经营贷"


@pytest.mark.parametrize("text", ["客户 广州 家庭主妇 老公有房 不是共同贷款 无法做", "老婆名下有房 非共同借款 需2w"])
def test_a_loan_said_not_joint_leaves_the_spouses_house_theirs(text):
    assert "有房产" not in tags(text)


@pytest.mark.parametrize("text", ["我已经到你们公司门口了，保安不让进", "你们前台说要等一下"])
def test_the_lenders_staff_met_are_no_job(text):
    assert asserted(text).get("工薪族") is not True


def test_a_guard_by_trade_is_salaried():
    assert asserted("我在小区当保安，一个月四千").get("工薪族") is True


@pytest.mark.parametrize("text", [
    "我们家车贷还剩一年，想把车贷转到你们这边，月供能不能低一点",
    "跟进记录：客户的车已经押在别家，想转过来降利息",
])
def test_a_pledge_loan_moved_here_is_asked_for(text):
    assert product(text) == "车抵贷"


def test_a_pledge_that_exists_and_stays_offers_none():
    assert product("车抵押在银行了") is None


def test_the_salespersons_plan_to_call_again_is_no_decline():
    text = "跟进：客户说现在征信查询了十几次，网贷也有四五笔，负债挺高，想整合一下，下周再回访"
    assert intent(text) != "low"


@pytest.mark.parametrize("text", ["客户想借五万，下月再回访", "客户说年后再回访吧"])
def test_a_call_put_off_a_month_is_low(text):
    assert intent(text) == "low"
