"""The seventh round of reasoning, one kind at a time: a figurehead legal person, a visit to the broker's shop, a
business left or only the purpose of the loan; workers employed are not a salary; applications in apps are inquiries,
not online loans; the largest inquiry count decides; what someone else lacks is not denied of the customer; houses
pledged to a bank, in someone else's name, small-title, shops bought. Pure: no database."""

from __future__ import annotations

import pytest

from scrm.tagging import pipeline
from tests.tagging.reasoning import asserted, tags

pytestmark = pytest.mark.pure


# ---------------------------------------------------------------------------------------------- business owner

@pytest.mark.parametrize("text", [
    "我是挂名法人 公司其实是我表哥的 我自己上班的",
    "客户约了明天下午来店里 带身份证和流水",
    "我有个厂房 在无锡 但是我已经不做厂了 租出去了 想抵押",
    "吾屋里有套房 在杭州 想抵押贷个一百五十万 做生意用",
    "我是货车司机，自己的车跑运输，想贷款换个大车",
])
def test_a_figurehead_a_visit_a_business_left_or_a_purpose_is_no_business_owner(text):
    assert asserted(text).get("企业主") is not True


def test_a_plant_owned_and_pledged_for_cash_is_a_property_not_a_business():
    assert "企业主" not in tags("厂房是自己的 地也是自己的 想押了周转下")
    assert "有房产" in tags("厂房是自己的 地也是自己的 想押了周转下")


@pytest.mark.parametrize("text", ["我是小饭馆老板 店是租的", "阿姐 我自己做嘢嘅 想攞三十万周转下"])
def test_the_owner_of_a_named_business_or_working_for_oneself_runs_one(text):
    assert asserted(text).get("企业主") is True
    assert "工薪族" not in tags(text)


# ---------------------------------------------------------------------------------------------- salaried

def test_workers_employed_are_not_a_salary():
    assert "工薪族" not in tags("我在泉州开鞋厂的 厂房是自己盖的 工人有五十多个")


def test_what_someone_else_lacks_is_not_denied_of_the_customer():
    assert asserted("月薪两万 老婆不上班 信用卡还有三万多").get("工薪族") is True


def test_going_to_work_in_cantonese_is_salaried():
    assert asserted("我喺工厂返工 冇楼冇车").get("工薪族") is True


# ---------------------------------------------------------------------------------------------- inquiries, online loans

@pytest.mark.parametrize("text", ["我点了很多贷款app 都说额度不足", "前几天在好几个app上点了申请 都没通过"])
def test_applications_in_apps_are_not_online_loans(text):
    assert "网贷较多" not in tags(text)


def test_many_loans_applied_for_online_are_many_inquiries():
    assert asserted("上个月在网上点了好几个贷款 都没过").get("查询过多") is True


def test_the_largest_inquiry_count_decides_and_a_small_count_asked_about_is_not_many():
    assert asserted("征信被查了18次 近一月5次").get("查询过多") is True
    assert asserted("客户近3月查询4次 半年6次").get("查询过多") is True
    assert "查询过多" not in tags("查询五次算多吗")


def test_online_loans_counted_with_a_plus_and_misspelt_are_many():
    assert asserted("客户以贷养贷 10+网贷 已有逾期").get("网贷较多") is True
    assert asserted("网带太多了 十几个 还不起了").get("网贷较多") is True


def test_repayments_above_income_are_high_debt():
    assert asserted("网贷9家 月还款超收入").get("负债过高") is True


# ---------------------------------------------------------------------------------------------- houses

@pytest.mark.parametrize("text", [
    "客户 房子已抵押给银行 红本在银行 想再加一笔信用贷",
    "俺家那房子是小产权的 在郑州郊区",
    "在批发市场有档口 档口是买的 有执照",
    "开面馆 执照齐全 店铺自有产权",
    "我有个铺子 在县城 现在租出去了",
    "阮兜有一间厝 是阮家己的",
    "俺家有楼 有车 啥都不缺",
])
def test_houses_pledged_small_title_or_shops_bought_are_houses(text):
    assert asserted(text).get("有房产") is True


def test_a_house_in_a_brothers_name_is_not_the_customers():
    assert "有房产" not in tags("我家房子是我哥名下的，我能用吗")
    assert "有房产" in tags("我父亲有套房子，我自己也有套房子")


def test_a_deed_in_hand_and_money_wanted_now_is_a_house_pledge():
    assert pipeline.analyze("红本在手，急用钱，今天能办吗").product == "房抵贷"


# ---------------------------------------------------------------------------------------------- intent

@pytest.mark.parametrize("text", ["客户 已发营业执照", "我喺东莞返工 冇楼冇车 想借两万 几时有得批", "想贷十万进化肥 这个月就要"])
def test_a_licence_sent_when_it_is_approved_and_this_month_are_high_intent(text):
    assert pipeline.analyze(text).intent == "high"
