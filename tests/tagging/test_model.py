"""The shipped model and the whole pipeline on text it never saw."""

from __future__ import annotations

import pytest

from scrm.tagging import dataset
from scrm.tagging import model as tagger
from scrm.tagging import pipeline
from scrm.tagging.rules import shipped_rules

pytestmark = pytest.mark.pure


def test_shipped_model_carries_its_data_hash_and_meets_the_targets():
    meta = tagger.metadata()
    train_set, held_out = dataset.build(meta["generated"], meta["generator_seed"])
    assert meta["version"] == tagger.MODEL_VERSION
    assert meta["training_data_sha256"] == dataset.data_hash(train_set)  # same generator, same data
    assert meta["rules_version"] == shipped_rules().version
    assert meta["held_out_handwritten_size"] > 0
    # re-evaluated here, not read from the file
    results = pipeline.analyze_many([e.text for e in held_out])
    m = pipeline.evaluate(held_out, results)
    assert m["micro_f1"] >= 0.90
    assert m["amount_exact"] >= 0.95
    train_texts = {e.text for e in train_set}
    assert not any(e.text in train_texts for e in held_out)


def test_generator_is_deterministic():
    assert dataset.data_hash(dataset.generate(200, seed=7)) == dataset.data_hash(dataset.generate(200, seed=7))
    assert dataset.data_hash(dataset.generate(200, seed=7)) != dataset.data_hash(dataset.generate(200, seed=8))


def test_rules_win_over_the_model_and_the_model_fills_in():
    explicit = pipeline.analyze("想做车抵贷，不急")
    assert (explicit.product, explicit.product_by, explicit.intent, explicit.intent_by) == ("车抵贷", "rule", "low", "rule")
    implicit = pipeline.analyze("家里有套房，能贷多少")
    assert implicit.product == "房抵贷" and implicit.product_by == "model"
    assert "房抵贷" not in pipeline.analyze("不做房抵").tags


def test_exactly_one_intent_tag():
    for text in ["你好", "很急", "不急", "想贷50万"]:
        tags = pipeline.analyze(text).tags
        assert sum(t in ("高意向", "中意向", "低意向") for t in tags) == 1
