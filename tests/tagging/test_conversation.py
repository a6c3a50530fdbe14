"""A customer's profile from a whole conversation, replayed message by message: the newest statement wins,
and a later denial retracts an earlier fact with both pieces of evidence kept. Pure: no database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scrm.tagging import pipeline
from scrm.tagging.profile import Item, merge
from scrm.tagging.rules import shipped_rules

pytestmark = pytest.mark.pure

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def replay(messages: list[str], *, shuffle: bool = False):
    """Each message read by the pipeline and stored as evidence one minute after the one before."""
    items = [Item(i, "message", f"m{i}", T0 + timedelta(minutes=i), text, pipeline.analyze(text).to_evidence())
             for i, text in enumerate(messages)]
    if shuffle:
        items = items[::-1]  # evidence arrives in any order; time decides
    return merge(items, now=T0 + timedelta(days=1), vocabulary_order=shipped_rules().vocabulary_order)


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_later_denial_retracts_the_fact_and_keeps_both_pieces_of_evidence(shuffle):
    p = replay(["你好，我在济南，名下有辆车，想押车借10万", "分12期可以吗", "车也卖了，上个月卖的，还能借吗"], shuffle=shuffle)
    assert "有车辆" not in p.tags
    retracted = p.evidence["retracted"]["有车辆"]
    assert retracted["stated"]["source_key"] == "m0" and retracted["denied"]["source_key"] == "m2"
    assert "卖了" in retracted["denied"]["phrase"]
    assert p.city == "济南" and p.term_months == 12 and p.amount_yuan == 100000


def test_a_fact_stated_again_after_its_denial_is_back_and_no_longer_retracted():
    p = replay(["社保交了三年", "社保去年就停缴了", "这个月社保又交上了，单位给交的"])
    assert "有社保" in p.tags and p.evidence["有社保"]["source_key"] == "m2"
    assert "有社保" not in p.evidence.get("retracted", {})


def test_the_newest_amount_and_term_win_across_messages():
    p = replay(["想借个三十万，分三年", "算了一下，二十万就够了", "能分24期吗"])
    assert (p.amount_yuan, p.term_months) == (200000, 24)
    assert p.evidence["amount_yuan"]["source_key"] == "m1"


def test_an_implied_fact_carries_what_it_was_implied_from():
    p = replay(["在吗", "想做个房抵，大概五十万"])
    assert "有房产" in p.tags and p.product == "房抵贷"
    assert p.evidence["有房产"]["implied_by"] == "房抵贷" and p.evidence["有房产"]["source_key"] == "m1"


def test_a_salesperson_note_and_the_customers_words_make_one_profile():
    p = replay(["客户说开了个五金店，有营业执照，想贷三十万周转", "征信查了十几次，网贷有五六个", "客户已发流水，约周四面签"])
    assert {"企业主", "查询过多", "网贷较多", "经营贷", "高意向"} <= set(p.tags)
    assert p.amount_yuan == 300000 and p.intent == "high"


def behaviour(i: int, event: str, at: datetime) -> Item:
    return Item(100 + i, "behaviour", f"b{i}", at, event, {"behaviour": event})


def test_intent_from_text_and_behaviour_together_with_the_reason_shown():
    now = T0 + timedelta(days=1)
    said = Item(1, "message", "m1", T0 - timedelta(days=2), "想做个车抵，五万",
                pipeline.analyze("想做个车抵，五万").to_evidence())
    order = shipped_rules().vocabulary_order
    assert merge([said], now=now, vocabulary_order=order).intent == "medium"
    busy = [said, behaviour(1, "replied_fast", T0), behaviour(2, "asked_rates", T0 + timedelta(hours=1))]
    p = merge(busy, now=now, vocabulary_order=order)
    assert p.intent == "high" and "很快回复1次" in p.evidence["intent"]["reason"]
    assert "问了利率1次" in p.evidence["intent"]["reason"] and "上调一级" in p.evidence["intent"]["reason"]
    sent = merge([said, behaviour(3, "sent_materials", T0)], now=now, vocabulary_order=order)
    assert sent.intent == "high" and sent.evidence["intent"]["reason"].startswith("发来材料：高")
    gone = merge(busy + [behaviour(4, "deleted_salesperson", T0 + timedelta(hours=2))], now=now,
                 vocabulary_order=order)
    assert gone.intent == "medium" and "删除了跟进人：低" in gone.evidence["intent"]["reason"]  # then busy: up one


def test_silence_lowers_the_intent_and_says_for_how_long():
    said = Item(1, "message", "m1", T0, "急用，今天就要", pipeline.analyze("急用，今天就要").to_evidence())
    p = merge([said], now=T0 + timedelta(days=40), vocabulary_order=shipped_rules().vocabulary_order)
    assert p.intent == "medium"
    assert p.evidence["intent"]["reason"] == "“今天就要”：高；40天没有联系：下调一级"
