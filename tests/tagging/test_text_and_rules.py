"""Pure functions: numerals, amounts in mixed units, terms, cities, negation — no database."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.tagging.rules import apply_rules, build_scanner
from scrm.tagging.text import (MAX_TEXT_CHARS, any_of, extract_amount, extract_city, extract_term, normalize,
                               parse_number, segment, trie_pattern)

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("written, value", [
    ("十二", 12), ("二十五", 25), ("一百零五", 105), ("一百二十", 120), ("两百", 200), ("一千五", 1500),
    ("三万五", 35000), ("十五万", 150000), ("一百二十万", 1200000), ("一亿两千万", 120000000),
    ("50万", 500000), ("1.5w", 15000), ("5w5", 55000), ("八十w", 800000), ("3万5千", 35000),
])
def test_chinese_and_mixed_numerals(written, value):
    assert parse_number(written) == value


@pytest.mark.parametrize("text, yuan", [
    ("想贷50万", 500000), ("三十万左右吧", 300000), ("需要5w", 50000), ("一百二十万", 1200000),
    ("借1.5万", 15000), ("５０万", 500000), ("额度要300000元", 300000), ("贷三万五", 35000),
    ("30-50万都行", 500000), ("二十来万", 200000), ("贷款500000", 500000),
    # spaces people type between a number and its unit
    ("客户想贷 50 万", 500000), ("想贷 5 w 左右", 50000), ("需要 80 万 元", 800000),
    # amounts that are not what they want to borrow
    ("月收入2万，想贷30万", 300000), ("房子值200万，想贷100万", 1000000), ("月供8000", None),
    ("电话13800138000", None), ("千万别骗我", None), ("公积金基数一万二", None),
])
def test_amount_in_yuan_from_mixed_units(text, yuan):
    assert extract_amount(normalize(text)) == yuan


@pytest.mark.parametrize("text, yuan", [
    ("转账备注：6222020200112233445566778899001122334455，想借五万", 50000),
    ("0" * 60, None), ("8" * 300 + "个", None),
])
def test_a_long_run_of_digits_is_read_like_any_other(text, yuan):
    """Found by the API fuzzing: a follow-up of forty digits never finished tagging (the figure patterns
    backtracked exponentially over a run of digits), holding the request and, on SQLite, the write lock."""
    assert extract_amount(normalize(text)) == yuan


@pytest.mark.parametrize("text, months", [
    ("贷3年", 36), ("分24期", 24), ("半年", 6), ("一年半", 18), ("36个月", 36), ("贷两年", 24), ("十年期", 120),
    ("工作3年了，想贷5年", 60), ("分 24 期", 24), ("社保交了两年", None), ("最近半年查询多", None), ("3年前逾期过", None),
])
def test_term_in_months(text, months):
    assert extract_term(normalize(text)) == months


def test_city_prefers_where_they_are():
    assert extract_city(normalize("我在济南")) == "济南"
    assert extract_city(normalize("房子在青岛，人在杭州")) == "青岛"  # a bare 在 counts too: first one wins
    assert extract_city(normalize("坐标成都")) == "成都"
    assert extract_city(normalize("想贷款")) is None


@pytest.mark.parametrize("text, city", [
    ("俺在周口开了个超市", "周口"), ("人在邵阳，想贷五万", "邵阳"), ("坐标宝鸡", "宝鸡"), ("老家上饶的，在义乌做生意", "义乌"),
    ("石嘴山这边能办吗", "石嘴山"), ("我在齐齐哈尔", "齐齐哈尔"),
])
def test_prefecture_cities_are_found(text, city):
    assert extract_city(normalize(text)) == city


@pytest.mark.parametrize("text", ["祝您一路平安顺利", "早上吃了个三明治", "客厅铺的大理石", "祝您身体安康", "进了一车哈密瓜",
                                  "朝阳区的房子"])
def test_words_that_only_contain_a_city_name_are_no_city(text):
    assert extract_city(normalize(text)) is None


@pytest.mark.parametrize("text, tag, asserted", [
    ("没有房", "有房产", False), ("名下有套房", "有房产", True), ("房子是租的", "有房产", False),
    ("征信没问题", "征信逾期", False), ("征信有逾期", "征信逾期", True), ("从来没有逾期过", "征信逾期", False),
    ("没交社保", "有社保", False), ("社保交了3年，公积金没交", "有公积金", False),
    ("之前有网贷都还清了", "网贷较多", False), ("查询次数也多", "查询过多", True), ("查询不多", "查询过多", False),
])
def test_negation(text, tag, asserted):
    assert apply_rules(normalize(text)).tags.get(tag) is asserted


def test_not_urgent_is_low_intent_and_urgent_is_high():
    assert apply_rules(normalize("不急，先了解")).intent == "low"
    assert apply_rules(normalize("不着急用")).intent == "low"
    assert apply_rules(normalize("很急，越快越好")).intent == "high"


def test_a_negated_product_is_not_the_product():
    r = apply_rules(normalize("不做房抵了，想做信用贷"))
    assert r.product == "信用贷" and r.negated_products == {"房抵贷"}


def test_segmentation_uses_the_loan_dictionary_and_bounds_the_text():
    tokens = segment(normalize("我想做房抵贷，公积金交了三年，等额本息"))
    assert {"房抵贷", "公积金", "等额本息"} <= set(tokens)
    assert "，" not in tokens
    assert len(normalize("贷" * 10_000)) == MAX_TEXT_CHARS


@pytest.mark.parametrize("text, tag, asserted", [
    ("我有套学区房 想抵押", "有房产", True),
    ("我爸妈有房 我自己没有", "有房产", False),
    ("公积金月缴三千", "有公积金", True),
    ("在国企 五险一金都有", "有社保", True),
    ("做装修生意的", "企业主", True),
    ("这半年查了二十多次征信", "查询过多", True),
    ("负债五十万", "负债过高", True),
])
def test_how_people_actually_say_it(text, tag, asserted):
    assert apply_rules(normalize(text)).tags.get(tag) is asserted


def test_a_greeting_is_not_a_job():
    assert "工薪族" not in apply_rules(normalize("老师好，想做车抵")).tags
    assert apply_rules(normalize("我是老师 事业编")).tags.get("工薪族") is True


def test_mortgaging_a_named_property_is_a_house_loan():
    assert apply_rules(normalize("想抵押全款那套 贷一百二十万")).product == "房抵贷"
    assert apply_rules(normalize("厂房能抵押吗")).product == "房抵贷"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="房抵贷车押.?", min_size=1, max_size=4), min_size=1, max_size=12, unique=True),
       st.text(alphabet="房抵贷车押.? ", max_size=30))
def test_the_phrase_scanner_finds_the_longest_phrase_at_every_position(phrases, text):
    flat = re.compile("(?=(" + "|".join(map(re.escape, sorted(phrases, key=len, reverse=True))) + "))")
    trie = re.compile("(?=(" + trie_pattern(phrases) + "))")
    assert [(m.start(), m.group(1)) for m in trie.finditer(text)] == [(m.start(), m.group(1)) for m in flat.finditer(text)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="房抵贷车押", min_size=1, max_size=4), min_size=1, max_size=10, unique=True),
       st.lists(st.text(alphabet="房抵贷车押", min_size=1, max_size=3), max_size=6, unique=True),
       st.text(alphabet="房抵贷车押.? ", max_size=30))
def test_one_scan_finds_every_phrase_and_every_watched_word(phrases, words, text):
    scanner = build_scanner(set(phrases), set(words))
    flat = re.compile("(?=(" + "|".join(map(re.escape, sorted(phrases, key=len, reverse=True))) + "))")
    found, present = scanner.scan(text)
    assert found == [(m.start(), m.group(1)) for m in flat.finditer(text)]
    assert present == {w for w in words if w in text}


def test_a_search_for_any_of_no_words_finds_nothing():
    assert any_of(()).search("房抵贷") is None
    assert any_of(("抵押", "押车")).search("想押车").group() == "押车"
