"""The eighteenth round of reasoning, one kind at a time:
- a text asking for someone else (帮我姐问一下, 我舅让我问问, 替我儿子咨询下, 客户帮她老公问的, 我不是本人) tells their
  facts, not the customer's, in every clause but one the customer opens of their own (我自己在医院上班); the loan asked
  for still counts, implies nothing of the customer's, and a couple borrowing together (我们俩想一起贷) shares it.
"""

from __future__ import annotations

import pytest

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
    ("俺娘说让我问问能不能借，俺在县城超市上班，社保有交的", {"工薪族", "有社保"}),
])
def test_the_customers_own_facts_stay_when_someone_else_is_named(text, want):
    assert want <= tags(text)
