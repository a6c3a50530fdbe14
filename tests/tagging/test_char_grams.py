"""The model's batch character n-gram features give the matrix scikit-learn's fitted vectorizer gives, text by text.
Pure: no database."""

from __future__ import annotations

import numpy as np
import pytest

from scrm.tagging import model as tagger

pytestmark = pytest.mark.pure

TRAIN = ["想贷款二十万，有房子", "车抵贷怎么办理", "信用贷利息多少", "有公积金可以贷吗", "做生意周转五十万",
         "房子抵押能贷多少", "征信有逾期还能贷吗", "不急，先了解一下", "今天就要用钱", "营业执照 满两年"]


@pytest.fixture(scope="module")
def fitted() -> tagger.TaggerModel:
    products = ["房抵贷", "车抵贷", "信用贷", "公积金贷", "经营贷", "房抵贷", None, None, None, "经营贷"]
    intents = ["medium", "medium", "medium", "medium", "high", "medium", "medium", "low", "high", "medium"]
    return tagger.fit(TRAIN * 2, None, products * 2, intents * 2)


@pytest.mark.parametrize("texts", [
    TRAIN,
    ["房子", "贷", ""],  # shorter than a trigram, and empty
    ["营业执照  满两年\t\t有房", "执照 满"],  # runs of spaces fold to one space, a single one stays
    ["完全没见过的句子", "xyz"],  # nothing in the vocabulary: an all-zero row
    ["😀贷款😀", "𠀀房子"],  # characters beyond the basic plane
    ["有房", "子抵押"],  # 房子 must not be read across the two texts
])
def test_batch_features_equal_the_fitted_vectorizer(fitted, texts):
    want, got = fitted.chars.transform(texts), fitted.char_grams.transform(texts)
    want.sort_indices()
    got.sort_indices()
    assert got.shape == want.shape
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.allclose(got.data, want.data, rtol=0, atol=1e-12)


def test_predictions_come_from_the_batch_features(fitted):
    texts = ["想做房子抵押贷款", "今天就要用钱"]
    want_product = fitted.product.predict_proba(fitted.chars.transform(texts))
    got = fitted.predict(texts, None)
    assert [max(p["product"], key=p["product"].get) for p in got] == \
        fitted.product.classes_[want_product.argmax(axis=1)].tolist()
    assert np.allclose([[p["product"][c] for c in fitted.product.classes_] for p in got], want_product, atol=1e-12)


def test_a_saved_model_keeps_no_batch_n_grams_and_rebuilds_them(fitted, tmp_path):
    texts = ["想做房子抵押贷款", "今天就要用钱"]
    before = fitted.predict(texts, None)  # builds the batch n-grams on this instance
    path = tmp_path / "m.joblib"
    tagger.save(fitted, path, {})
    loaded = tagger.load(path)
    assert "char_grams" not in vars(loaded)
    assert loaded.predict(texts, None) == before
