"""The eighteenth round of reasoning, one kind at a time:
- a text asking for someone else (帮我姐问一下, 我舅让我问问, 替我儿子咨询下, 客户帮她老公问的, 我不是本人) tells their
  facts, not the customer's, in every clause but one the customer opens of their own (我自己在医院上班); the loan asked
  for still counts, implies nothing of the customer's, and a couple borrowing together (我们俩想一起贷) shares it;
- a business named by its trade (开烧烤的, 养鹅的, 开广告制作的, 开了两个加油站, 开职业培训学校) is the customer's, and
  money for it (装修 said by its owner, 买鹅苗, 添两台雕刻机, 拿库存抵押) is a business loan, while a vehicle driven
  (开滴滴的, 开大货的), the trade of 装修 itself or a home's 装修, and a salaried worker's wish to borrow are none;
- documents said complete (证件都齐了, 材料全齐了, 资料已经齐了), a need pressing (要快, 房东催得紧, 工人工资发不出来了)
  and a question of speed in days or a week (三天内能下来不, 一个星期能到账吗) are high intent, while documents not yet
  complete (资料还没齐) or a licence said complete (营业执照齐全) are not; "I'll think about it", "let you know" are
  low;
- a question of what a risk's word means (么样才算征信花, 查询多少次才算查询过多, 网贷几个算不算多) says nothing of the
  customer's, while the customer's own clause beside it (我逾期过两次, 我征信花了) still does;
- a pledge loan asked about early, ahead of a need to come (提前了解下房子抵押的手续, 提前问问房抵的流程), says nothing of
  the asset, while an asset named (我那台车) stays;
- a credit report or statement said to be someone else's (这个是我老公的征信, 这是我爸的流水) tells their facts;
- a visit booked and not kept (约了周三来公司没来, 约好了到店面签没到) and a note's 态度一般 / 意向一般 are medium, while
  a visit booked again after one missed (今天又约了明天上午来签合同) is high;
- English read as the Chinese it says: a loan against a house, a job held (I work at, I have a job), a shop owned, by
  next week, and asking for a wife or parents (I'm asking for her), while a job not had (I don't have a job) is none;
- northern intensifiers (贼多, 忒多, 巨多) are 很多 and 公务猿 is 公务员;
- the customer asking why the salesperson does not answer (咋不回消息, 为啥不回我) or asking X不X (还办不办了, 借不借) is
  no low intent, while 算了不办了 is;
- a demand for today or tomorrow (客户要求今天出方案, 催着明天给结果) is high;
- a car said fully paid (车子全款的) is had, while a vehicle driven for an employer (在物流公司开货车, 在建筑公司开渣土车)
  is not;
- a denial right before another topic (单位交了社保没交公积金) denies that topic, not the one before it;
- a business to open, wished earlier in the sentence (想贷款做点小生意，开个早餐店什么的; 我准备回老家，开家奶茶店), is no
  business run, while one more shop by one who runs one (开了个超市，想再开个分店) is;
- a job said before coming back (在迪拜工地干了三年，上个月刚回来; 打工六年，今年回国了; 做护工五年，去年回的成都) is one
  left, and so is one 在那边 after coming back (刚从坦桑尼亚回来，在那边修路干了三年), while a job said after it
  (刚回来，现在在县城厂里上班) or a return only planned (想回老家贷款) leaves it held; 想贷公积金 asks for a housing-fund
  loan;
- a house being done up (新房在装修, 房子还在装修) or the one the customer lives in (把自己住的老房子装修一下) is had,
  while one lived in that is rented or the employer's (我住的房子是租的, 是单位分的宿舍), or a wish to do up a house, is
  not;
- a monthly debt said with its month after the figure (负债一万八一个月) or as 月负债 is weighed against income like any
  monthly repayment;
- work just left or overtime (刚下班, 加班到十点) is a salaried job; a policy counted as had (我有份重疾保险) is had, not
  a friend at an insurer; a loan on the customer's own housing fund (凭我的公积金) is a housing-fund loan; a loan the
  lender did before (你们给我办的那个) is no readiness now;
- a loan done here before (之前在你们这办过) or a question whether it can be done here (能不能在你们这办) is no readiness,
  while 就在你们这办了 is; a pasted SMS's hurry (【招商银行】…请尽快还款) is the sender's, not the customer's;
- a business's slow trade (淡季没什么生意, 厂子生意不好) is said by its owner, not a denial of it, while no experience of
  business (没什么生意经验) is none; a shop let to someone who trades in it (门面租给别人开超市) and a manager said not to
  be the owner (店长（非老板）) are no business of the customer's; 俺老爹 is someone else;
- an asset pointed at as someone else's (我老头那套房子, 我爸那辆车) is theirs even when the customer pledges it, while 我自己
  那套房子 is the customer's; a friend or colleague who wants to ask (同事想问下) is asked for, and only asking;
- a vehicle named right after 买 (买拖拉机想贷八万, 想贷十万买挖掘机) is one to buy, while one bought (去年买的皮卡) or
  counted (有台拖拉机) or bought in the past (前年买拖拉机花了六万) is had;
- a loan wanted only after an event to come (回国后能不能贷款, 毕业后想贷款, 转正以后再申请) is not now, low, while the
  event passed (我转正了，想贷十万) or a job after it (退伍后在小区做保安，想借两万) is not;
- a retirement to come (还有两年退休, 快退休了, 明年退休) is a job still held, while one passed (退休了, 退休三年了) is not;
- a house built (钱都拿来老家盖房子了, 去年在老家盖了栋三层小楼) is had, while one not built or only planned (还没盖房子,
  准备盖房子了, 想贷两万块钱家里盖房子) is not;
- only asking with an amount asked in the same clause (就是想问问我这情况能不能借个三万) states a need, no low intent,
  while only asking of the terms (就是想问问利息多少) is low;
- owing a loan shark (欠了高利贷, 外面欠着高利贷) is debt too high, while asking whether the lender is one is not;
- 我们在太原 only says where the family is, no borrowing together: a husband's business named after it is his;
- 车子是贷款买的 says how the car was bought, as 车是贷款买的 does: it is had;
- workers counted as the customer's (我是做家具的，厂在佛山，工人二十几个) make a business, while a workplace's headcount
  (我们厂工人三百多个，我在车间上班) does not;
- a car or house loan asked about for a purchase to come (想贷款买车…车贷利息多少, 准备买套房，房贷利率多少) is no asset
  had, while one of another asset (想买房，车贷还有两年) still is;
- a car said to be somewhere of the customer's (人在天津，车在老家; 车子在家里放着) is had, while an e-bike there or a
  husband's car is not;
- a sole trader's licence (个体执照) is a business;
- a payday (下周发工资就还, 月底发工资就还你) is no document sent, no readiness, while 下周发资料给你 is;
- what is left after losses (现在只剩社保, 就剩公积金了, 剩下一份保单) is had, and a premium deducted monthly (保险每个月扣
  八百) is a policy paid, while one no longer deducted (保险没扣了，断了) is not;
- rejections counted (被拒了八次, 今年被拒了十几次) are as many applications, many inquiries, while a few (被拒了两次) or a
  vague 好几家 say nothing either way;
- asking whether the loan is paid out before the fee (能不能先放款再收费) is a question of terms, no readiness;
- 帮我X问 asks for X whatever the word for X (帮我老汉问一哈, 帮我屋头那个问一哈), while 帮我再问问 and 你帮我问问领导 ask
  for the customer;
- a line job in a factory (在株洲做电子厂拉长, 在鞋厂做质检) is a salaried job, no factory run.
"""

from __future__ import annotations

import pytest

from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize
from tests.tagging.reasoning import tags

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text, want, absent", [
    ("帮我姐问一下，她在宁波开了家奶茶店，有执照，想贷二十万进设备", {"经营贷"}, {"企业主"}),
    ("我舅让我问问，他名下有套房，想抵押五十万", {"房抵贷"}, {"有房产"}),
    ("替我儿子咨询下，他在富士康上班，社保交了三年，想借三万", set(), {"工薪族", "有社保"}),
    ("客户帮她老公问的，老公征信有逾期，网贷七八个", set(), {"征信逾期", "网贷较多"}),
    ("我不是本人，帮朋友问的，他有辆奥迪想押车", {"车抵贷"}, {"有车辆"}),
    ("帮我妈问的，她想抵押房子，我自己在医院上班，工资八千", {"房抵贷", "工薪族"}, {"有房产"}),
])
def test_someone_elses_facts_asked_for_are_theirs(text, want, absent):
    got = tags(text)
    assert want <= got and not (absent & got)


@pytest.mark.parametrize("text, want", [
    ("麻烦帮我问问，我在上海开了家餐馆，有执照，想周转", {"企业主", "经营贷"}),
    ("我老公让我问问，我们俩想一起贷，我们家有套房想抵押", {"有房产", "房抵贷"}),
    ("我老婆让我问问，我们家那套房能抵押多少", {"有房产"}),
    ("俺娘说让我问问能不能借，俺在县城超市上班，社保有交的", {"工薪族", "有社保"}),
])
def test_the_customers_own_facts_stay_when_someone_else_is_named(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, want", [
    ("俺在菏泽开烧烤的，想借五万装修一下", {"企业主", "经营贷"}),
    ("跟进：客户在南通养鹅的，想贷二十万买鹅苗", {"企业主", "经营贷"}),
    ("我是开广告制作的，要贷三十万添两台雕刻机", {"企业主", "经营贷"}),
    ("客户在绍兴开了两个加油站，想贷三百万", {"企业主"}),
    ("在贵阳开职业培训学校，暑假要装修教室，需要二十万", {"企业主", "经营贷"}),
    ("我是做建材批发的，想拿库存抵押贷款", {"企业主", "经营贷"}),
])
def test_a_business_named_by_its_trade_and_money_for_it(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("我是开滴滴的，想借两万", {"企业主"}),
    ("俺开大货的，想押车借五万", {"企业主", "经营贷"}),
    ("我是做装修的，想借十万装修房子", {"经营贷"}),
    ("在物流公司当调度，年薪十万，社保都有，想贷点钱", {"企业主", "经营贷"}),
    ("我是做建材批发的，想拿库存抵押贷款", {"房抵贷", "有房产"}),
])
def test_a_vehicle_driven_a_home_done_up_or_a_salary_is_no_business(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text", [
    "跟进：客户做餐饮的，证件都齐了，想贷三十万",
    "材料全齐了，啥时候签",
    "我资料已经齐了，想押车借五万",
    "老板说了要快，厂里等着交货，贷五十万",
    "房东催得紧，想借两万",
    "工人工资发不出来了，想贷八十万",
    "三天内能下来不，要十万",
    "一个星期能到账吗，想抵押房子借五十",
])
def test_documents_complete_a_pressing_need_or_speed_in_days_is_high(text):
    assert "高意向" in tags(text)


@pytest.mark.parametrize("text", ["资料还没齐，想贷二十万", "营业执照齐全，想贷二十万", "一个礼拜能还完吗"])
def test_documents_not_complete_or_a_licence_is_not_high(text):
    assert "高意向" not in tags(text)


@pytest.mark.parametrize("text", ["thanks, I'll think about it", "ok let you know next week"])
def test_thinking_it_over_in_english_is_low(text):
    assert "低意向" in tags(text)


@pytest.mark.parametrize("text, absent", [
    ("么样才算征信花？", {"征信逾期"}),
    ("查询多少次才算查询过多", {"查询过多"}),
    ("网贷几个算不算多，我有三个", {"网贷较多"}),
])
def test_what_a_risks_word_means_asked_is_not_had(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text, want", [
    ("我征信花了，什么是征信花", {"征信逾期"}),
    ("逾期多久才算黑户，我逾期过两次", {"征信逾期"}),
])
def test_the_customers_own_risk_beside_a_definition_stays(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("提前了解下房子抵押的手续，下半年才用", {"有房产"}),
    ("提前问问房抵的流程，明年才用", {"有房产"}),
    ("想问下下个月的事，现在先不用，就是提前了解一下车抵的流程", {"有车辆"}),
])
def test_a_pledge_loan_asked_about_early_gives_no_asset(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text, want", [
    ("提前咨询一下，我那台车能押多少", {"有车辆"}),
    ("随便问问，我名下有套房，房抵利息多少", {"有房产"}),
])
def test_an_asset_named_beside_an_early_question_stays(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("[图片] 这个是我老公的征信，逾期那几条都是前年的，他想做个车抵，车是他自己名下的", {"征信逾期", "有车辆"}),
    ("这是我爸的流水，他在工地上班，月薪八千", {"工薪族"}),
])
def test_a_report_said_to_be_someone_elses_tells_their_facts(text, absent):
    assert not (absent & tags(text))


def test_the_customers_own_report_tells_theirs():
    assert "征信逾期" in tags("这是我的征信，逾期两次")


@pytest.mark.parametrize("text", [
    "交接：客户王哥，开面馆的，想贷十万，约了周三来公司没来",
    "想借五万应急，聊了几次态度一般",
    "回访：约好了到店面签没到，做车抵三万",
])
def test_a_visit_not_kept_or_a_middling_attitude_is_medium(text):
    assert "中意向" in tags(text)


@pytest.mark.parametrize("text", ["约了明天来公司面签", "上周约了面签没来，今天又约了明天上午来签合同"])
def test_a_visit_booked_is_high(text):
    assert "高意向" in tags(text)


@pytest.mark.parametrize("text, want", [
    ("I work at a hospital in 上海, want 信用贷 20万", {"工薪族", "信用贷"}),
    ("I own a shop in 东莞, need 30万 for 进货", {"企业主", "经营贷"}),
    ("I have a job in Dubai, need 5万 by next week", {"工薪族", "高意向"}),
    ("Hi, I'm in Vancouver now but my 房子 is still in 青岛, can I do a loan against it? Need 500k RMB, 急", {"房抵贷"}),
])
def test_english_is_read_as_the_chinese_it_says(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("my wife wants a loan, she has a 房子 in 杭州, I'm asking for her", {"有房产"}),
    ("I don't have a job right now, can I borrow 2万", {"工薪族"}),
    ("no job, need 1万", {"工薪族"}),
])
def test_english_of_someone_else_or_no_job_is_not_the_customers(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text, want", [
    ("信用卡忒多了，网贷也巨多", {"网贷较多"}),
    ("俺是公务猿，想贷点", {"工薪族"}),
    ("车子全款的，能贷吗", {"有车辆"}),
    ("单位交了社保没交公积金", {"有社保"}),
    ("跟进：客户催着明天给结果，要二十万", {"高意向"}),
    ("老板要求今天出额度", {"高意向"}),
    ("算了不办了", {"低意向"}),
])
def test_dialect_a_demand_for_today_and_a_denial_of_what_follows(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("为啥不回我消息，到底能不能办", {"低意向"}),
    ("你咋还不回呢，借不借给个话", {"低意向"}),
    ("在建筑公司开渣土车，工资九千", {"有车辆"}),
    ("单位交了社保没交公积金", {"有公积金"}),
    ("网贷不多", {"网贷较多"}),
    ("我没交社保", {"有社保"}),
])
def test_a_question_to_the_salesperson_a_vehicle_driven_for_an_employer_and_a_denial(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text", [
    "想贷款做点小生意，开个早餐店什么的",
    "我准备回老家，开家奶茶店，差二十万",
    "想借点钱，搞个养鸡场",
    "那个，我们家有套房，想抵押一下，嗯，贷个四五十万做点小买卖",
])
def test_a_business_to_open_wished_before_is_not_run(text):
    assert "企业主" not in tags(text)


def test_one_more_shop_by_one_who_runs_one_is_a_business():
    assert {"企业主", "经营贷"} <= tags("我在县城开了个超市，想再开个分店")


@pytest.mark.parametrize("text", [
    "在迪拜工地干了三年，上个月刚回来，想贷十万",
    "跟进：客户在新加坡餐馆打工六年，今年回国了，想买车",
    "在澳洲做护工五年，去年回的成都，想借五万",
    "从迪拜回来了，在那边开塔吊五年",
    "刚从坦桑尼亚回来，在那边修路干了三年，攒了四十万",
])
def test_a_job_before_coming_back_is_left(text):
    assert "工薪族" not in tags(text)


@pytest.mark.parametrize("text", ["刚回来，现在在县城厂里上班，工资五千", "我在上海打工，想回老家贷款"])
def test_a_job_after_coming_back_or_a_return_planned_is_held(text):
    assert "工薪族" in tags(text)


@pytest.mark.parametrize("text", ["新房在装修，想借十万买家具", "房子还在装修，差五万", "想贷点钱把自己住的老房子装修一下"])
def test_a_house_being_done_up_or_lived_in_is_had(text):
    assert "有房产" in tags(text)


@pytest.mark.parametrize("text", ["我住的房子是租的，想借两万", "自己住的房子是单位分的宿舍", "45岁，在事业单位上班，想贷款装修房子"])
def test_a_house_rented_or_only_to_be_done_up_is_not(text):
    assert "有房产" not in tags(text)


@pytest.mark.parametrize("text, high", [
    ("我月入两万，负债一万八一个月，还能贷吗", True),
    ("月负债一万五，工资一万六", True),
    ("工资一万，月负债三千", False),
    ("收入两万五，负债八千一个月", False),
])
def test_a_monthly_debt_said_after_its_figure_is_weighed_against_income(text, high):
    assert ("负债过高" in tags(text)) is high


@pytest.mark.parametrize("text, want", [
    ("刚下班，今天又加班到十点，想借两万", {"工薪族"}),
    ("我有份重疾保险，每年交五千", {"有保单"}),
    ("别家凭我的公积金给批了二十万，你们能低点吗", {"公积金贷", "有公积金"}),
])
def test_overtime_a_policy_counted_and_ones_own_fund(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, absent", [
    ("你们几点下班", {"工薪族"}),
    ("有个保险公司的朋友说你们利息高", {"有保单"}),
    ("上回你们给我办的那个车抵挺快的，还想再借点", {"高意向"}),
])
def test_the_lenders_hours_a_friend_at_an_insurer_and_a_loan_done_before(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text, high", [
    ("我之前在你们这办过，这次想续贷", False),
    ("能不能在你们这办个车抵", False),
    ("【招商银行】您的信用卡账单已出，请尽快还款。 我想问问能贷多少", False),
    ("【XX金融】您有一笔借款待领取，回复Y立即到账。 能先借五千吗", False),
    ("【XX银行】请尽快还款。 我急用钱，今天能到账吗", True),
    ("就在你们这办了，明天过去签", True),
])
def test_a_loan_done_here_before_a_question_or_an_sms_is_no_readiness(text, high):
    assert (apply_rules(normalize(text)).intent == "high") is high


@pytest.mark.parametrize("text", ["我在丽江开了个民宿，这两个月没啥生意，想贷十万周转", "厂子生意不好，想借五十万发工资"])
def test_a_business_slow_trade_is_its_owners(text):
    assert "企业主" in tags(text)


@pytest.mark.parametrize("text, absent", [
    ("我没什么生意经验，想贷款开店", {"企业主"}),
    ("我有个铺面租给人家做餐饮，想抵押贷款", {"企业主"}),
    ("跟进：客户是超市店长（非老板），月薪八千", {"企业主"}),
    ("俺老爹在莱阳有套房，能用他的房子给俺贷款不", {"有房产"}),
])
def test_a_shop_let_a_manager_or_a_fathers_house_is_not_the_customers(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text, want, absent", [
    ("我老头那套房子在江岸，他同意了，我想拿来抵押", {"房抵贷"}, {"有房产"}),
    ("我爸那辆车在老家，想拿来押一下", {"车抵贷"}, {"有车辆"}),
    ("同事想问下你们车抵利息多少", {"低意向"}, {"有车辆"}),
    ("我自己那套房子在洪山，想抵押", {"房抵贷", "有房产"}, set()),
])
def test_an_asset_pointed_at_as_someone_elses_and_a_friends_question(text, want, absent):
    got = tags(text)
    assert want <= got and not (absent & got)


@pytest.mark.parametrize("text, had", [
    ("俺在洛阳种地，买拖拉机想贷八万", False),
    ("想贷十万买挖掘机", False),
    ("我买皮卡想贷五万", False),
    ("去年买的皮卡，想押", True),
    ("家里有台拖拉机，想押", True),
    ("前年买拖拉机花了六万，想押", True),
])
def test_a_vehicle_to_buy_is_not_had(text, had):
    assert ("有车辆" in tags(text)) is had


@pytest.mark.parametrize("text, low", [
    ("我男朋友在日本打工，他叫我帮他问问回国后能不能贷款买车", True),
    ("我明年毕业，毕业后想贷款买车", True),
    ("转正以后再申请信用贷", True),
    ("我转正了，想贷十万", False),
    ("退伍后在小区做保安，想借两万", False),
])
def test_a_loan_only_after_an_event_to_come_is_low(text, low):
    assert ("低意向" in tags(text)) is low


@pytest.mark.parametrize("text, held", [
    ("我还有两年退休，单位公积金还在交，能贷不", True),
    ("快退休了，想借点钱", True),
    ("我明年退休，单位社保在交", True),
    ("退休了，退休金四千", False),
    ("我退休三年了", False),
])
def test_a_retirement_to_come_is_a_job_still_held(text, held):
    assert ("工薪族" in tags(text)) is held


@pytest.mark.parametrize("text, had", [
    ("在安哥拉干了四年工地刚回来，钱都拿来老家盖房子了，现在想买辆车", True),
    ("去年在老家盖了栋三层小楼，想借十万", True),
    ("还没盖房子，想贷款", False),
    ("钱攒着准备盖房子了", False),
    ("想贷两万块钱家里盖房子", False),
])
def test_a_house_built_is_had(text, had):
    assert ("有房产" in tags(text)) is had


def test_a_wish_to_borrow_on_the_fund_asks_for_a_fund_loan():
    assert "公积金贷" in tags("在襄阳看了套房子，首付够，想贷公积金")


@pytest.mark.parametrize("text, low", [
    ("就是想问问我这情况能不能借个三万", False),
    ("我就想问问能不能贷五万", False),
    ("就是想问问利息多少", True),
    ("先问问利息，以后要借十万再说", True),
])
def test_only_asking_with_an_amount_in_the_same_clause_states_a_need(text, low):
    assert (apply_rules(normalize(text)).intent == "low") is low


@pytest.mark.parametrize("text, high", [
    ("跟进：客户后来他朋友透露是在澳门赌输了，欠了高利贷", True),
    ("外面欠着高利贷，天天上门", True),
    ("你们这个是不是高利贷啊？利息咋这么高", False),
])
def test_owing_a_loan_shark_is_debt_too_high(text, high):
    assert ("负债过高" in tags(text)) is high


def test_where_the_family_is_is_no_borrowing_together():
    assert "企业主" not in tags("我们在苏州，我老公开了个厂，我自己在医院上班")
    assert "企业主" in tags("我们在苏州，我老公开了个厂，我们一起贷")


def test_a_car_said_bought_on_credit_is_had():
    assert "有车辆" in tags("我在昆山一家电子厂上班，房子是租的，车子是贷款买的还有两年，想借五万")


@pytest.mark.parametrize("text, owner", [
    ("我是做家具的，厂在佛山，工人二十几个，最近回款慢，想借一百万周转", True),
    ("做服装加工，请了工人十几个，想贷三十万", True),
    ("我们厂工人三百多个，我在车间上班", False),
    ("我是工人，二十几个人一个宿舍", False),
])
def test_workers_counted_as_the_customers_make_a_business(text, owner):
    assert ("企业主" in tags(text)) is owner


@pytest.mark.parametrize("text, tag, had", [
    ("想贷款买车，首付够了，就随便问问车贷利息多少", "有车辆", False),
    ("打算明年买车，车贷一般几年", "有车辆", False),
    ("准备买套房，房贷利率多少", "有房产", False),
    ("想买房，车贷还有两年", "有车辆", True),
    ("房贷还有十年，想买辆车", "有房产", True),
])
def test_a_loan_of_a_purchase_to_come_is_no_asset(text, tag, had):
    assert (tag in tags(text)) is had


@pytest.mark.parametrize("text, had", [
    ("人在天津，车在老家", True),
    ("车子在家里放着，想押一下", True),
    ("电动车在楼下", False),
    ("我老公的车在老家", False),
    ("车在老家，是我爸的", False),
])
def test_a_car_said_to_be_somewhere_of_the_customers_is_had(text, had):
    assert ("有车辆" in tags(text)) is had


def test_a_sole_traders_licence_is_a_business():
    assert "企业主" in tags("跟进：客户在南宁卖水果，个体执照，想借五万")


@pytest.mark.parametrize("text, high", [
    ("我想带款3k，下周发工资就还", False),
    ("月底发工资就还你，先借两千", False),
    ("下周发资料给你", True),
    ("明天发工资，今天急用两千", True),
])
def test_a_payday_is_no_document_sent(text, high):
    assert (apply_rules(normalize(text)).intent == "high") is high


@pytest.mark.parametrize("text, want, absent", [
    ("客户说房子已经卖了，车也没了，现在只剩社保", {"有社保"}, {"有房产", "有车辆"}),
    ("车卖了，就剩公积金了", {"有公积金"}, {"有车辆"}),
    ("房子卖了，剩下一份保单", {"有保单"}, {"有房产"}),
    ("保险每个月扣八百，交了三年，可以贷吗", {"有保单"}, set()),
    ("保险没扣了，断了", set(), {"有保单"}),
])
def test_what_is_left_after_losses_is_had(text, want, absent):
    got = tags(text)
    assert want <= got and not (absent & got)


@pytest.mark.parametrize("text, many", [
    ("😭 被拒了八次了 是不是我征信有问题", True),
    ("今年被拒了十几次了", True),
    ("被拒了两次，还能申请吗", False),
    ("银行没批，网贷被拒了好几家", False),
])
def test_rejections_counted_are_inquiries(text, many):
    assert ("查询过多" in tags(text)) is many


def test_a_few_rejections_do_not_deny_inquiries_said():
    assert "查询过多" in tags("查询很多，被拒了两次")


@pytest.mark.parametrize("text, high", [
    ("能不能先放款再收费，我有公积金的", False),
    ("你们是先放款还是先收费", False),
    ("客户问能不能先放款后面补资料，说很急", True),
])
def test_paid_out_before_the_fee_is_a_question_of_terms(text, high):
    assert (apply_rules(normalize(text)).intent == "high") is high


@pytest.mark.parametrize("text, absent", [
    ("帮我老汉问一哈，他在乐山有套房，想抵押二十万", {"有房产"}),
    ("我老倌让我问下，他开的士的，车是自己的", {"有车辆"}),
    ("帮我屋头那个问一哈，他在工地上班", {"工薪族"}),
])
def test_asking_for_someone_named_any_way(text, absent):
    assert not (absent & tags(text))


@pytest.mark.parametrize("text, want", [
    ("麻烦帮我再问问，我在工地上班", {"工薪族"}),
    ("你帮我问问领导，我有套房想抵押", {"有房产"}),
])
def test_asking_the_salesperson_to_ask_is_for_the_customer(text, want):
    assert want <= tags(text)


@pytest.mark.parametrize("text, want, absent", [
    ("我在株洲做电子厂拉长，月薪七千，想贷个十万装修", {"工薪族"}, {"企业主", "经营贷"}),
    ("我在鞋厂做质检，想借两万", {"工薪族"}, {"企业主"}),
    ("我开了个鞋厂，想贷一百万", {"企业主"}, set()),
])
def test_a_line_job_in_a_factory_is_salaried(text, want, absent):
    got = tags(text)
    assert want <= got and not (absent & got)
