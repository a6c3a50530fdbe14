"""The seventeenth round of reasoning, one kind at a time:
- all-pinyin messages are read as the Chinese words they spell, two or more syllables together (fangzi diya 房子抵押,
  fang zi 房子, fang chan zheng 房产证, xiao chan quan 小产权, ying ye zhi zhao 营业执照, gong ji jin dai 公积金贷,
  zen me shen qing 怎么申请, cha xun tai duo 查询太多, zheng xin hua 征信花, bu xu yao 不需要, wang dai 3 ge 网贷3个),
  while a single syllable that could be an English word stays as it is;
- handwriting typos of the pledge and the housing fund (抵钾, 公记金) are read as 抵押 and 公积金, and a pledge for a
  "货款" (抵押货款) is a pledge for a loan (贷款), not money for goods.
"""

from __future__ import annotations

import pytest

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
