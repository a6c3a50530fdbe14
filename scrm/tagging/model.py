"""The product and intent classifier: TF-IDF over character n-grams (and, in models that say so, jieba tokens),
logistic regression.

``fit`` and ``predict`` are pure; the trained model is a versioned joblib file in ``data/`` with a JSON
beside it holding the training data's hash, the rules version and the held-out metrics.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from importlib import resources
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MODEL_VERSION = "tagger-v1"
NO_PRODUCT = "none"


def _identity(tokens: list[str]) -> list[str]:
    return tokens


_RUNS_OF_SPACE = re.compile(r"\s\s+")  # what the fitted vectorizer folds to one space before taking n-grams
_SLOT = 21  # bits for one character (code points end at 0x10FFFF) plus one, so that 0 is "no character"


class CharGrams:
    """The fitted character 1–3-gram TF-IDF, computed for a whole batch at once with numpy: each n-gram is one
    integer (its characters' code points, plus one, in 21-bit slots) looked up in the sorted vocabulary. scikit-learn
    builds and looks up every n-gram of every text in Python, which cost the pipeline a fifth of its time; this gives
    the same matrix (sublinear tf, idf, l2 norm)."""

    def __init__(self, fitted: TfidfVectorizer) -> None:
        settings = (fitted.analyzer, fitted.ngram_range, fitted.lowercase, fitted.sublinear_tf, fitted.norm)
        if settings != ("char", (1, 3), False, True, "l2"):
            raise ValueError(f"batch n-grams are for the model's own character TF-IDF, not {settings}")
        keys, columns = [], []
        for gram, column in fitted.vocabulary_.items():
            keys.append(_gram_key([ord(c) + 1 for c in gram]))
            columns.append(column)
        order = np.argsort(np.array(keys, dtype=np.int64))
        self.keys = np.array(keys, dtype=np.int64)[order]
        self.columns = np.array(columns, dtype=np.int64)[order]
        self.idf = fitted.idf_
        self.width = len(fitted.vocabulary_)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        texts = [_RUNS_OF_SPACE.sub(" ", t) for t in texts]
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        rows, cols = [], []
        for n in (1, 2, 3):
            if len(codes) < n:
                break
            key = codes[:len(codes) - n + 1].copy()
            for k in range(1, n):
                key = (key << _SLOT) | codes[k:len(codes) - n + 1 + k]
            whole = doc[:len(key)] == doc[n - 1:]  # the n-gram does not run into the next text
            at = np.searchsorted(self.keys, key)
            at[at == len(self.keys)] = 0
            known = whole & (self.keys[at] == key)
            rows.append(doc[:len(key)][known])
            cols.append(self.columns[at[known]])
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        x = sp.csr_matrix((np.ones(len(row)), (row, col)), shape=(len(texts), self.width))
        x.sum_duplicates()
        np.log(x.data, x.data)
        x.data += 1.0
        x.data *= self.idf[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x.data /= np.repeat(norms, np.diff(x.indptr))
        return x


def _gram_key(codes: list[int]) -> int:
    key = 0
    for c in codes:
        key = (key << _SLOT) | c
    return key


@dataclass
class TaggerModel:
    words: TfidfVectorizer | None  # None: the character n-grams alone (1–3) stand for words
    chars: TfidfVectorizer
    product: LogisticRegression
    intent: LogisticRegression
    version: str = MODEL_VERSION
    uses_tokens: bool = True  # False: no segmentation is needed

    @cached_property
    def char_grams(self) -> CharGrams:
        return CharGrams(self.chars)

    def __getstate__(self) -> dict:
        # the batch n-grams are derived from the vectorizer on first use, never stored in the artefact
        return {k: v for k, v in self.__dict__.items() if k != "char_grams"}

    def features(self, normalized: list[str], tokens: list[list[str]] | None):
        if not self.uses_tokens:
            return self.char_grams.transform(normalized)
        return sp.hstack([self.words.transform(tokens), self.chars.transform(normalized)], format="csr")

    def predict(self, normalized: list[str], tokens: list[list[str]]) -> list[dict]:
        """Per text: product probabilities and intent probabilities, as {label: p}."""
        if not normalized:
            return []
        x = self.features(normalized, tokens)
        products, intents = self.product.classes_.tolist(), self.intent.classes_.tolist()
        return [{"product": dict(zip(products, p)), "intent": dict(zip(intents, i))}
                for p, i in zip(self.product.predict_proba(x).tolist(), self.intent.predict_proba(x).tolist())]


def fit(normalized: list[str], tokens: list[list[str]] | None, products: list[str | None], intents: list[str],
        *, seed: int = 0) -> TaggerModel:
    """Train on normalised texts, their tokens (None: character 1–3-grams alone, and the model needs no
    segmentation) and labels (product None means no product)."""
    if tokens is None:
        words = None
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=100000,
                                lowercase=False)
        x = chars.fit_transform(normalized)
    else:
        words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1)
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=60000)
        x = sp.hstack([words.fit_transform(tokens), chars.fit_transform(normalized)], format="csr")
    product = LogisticRegression(C=8.0, max_iter=2000, random_state=seed)
    product.fit(x, [p or NO_PRODUCT for p in products])
    intent = LogisticRegression(C=8.0, max_iter=2000, random_state=seed)
    intent.fit(x, intents)
    return TaggerModel(words, chars, product, intent, uses_tokens=tokens is not None)


# ---------------------------------------------------------------------------------------------- files

def shipped_path(version: str = MODEL_VERSION) -> Path:
    return Path(str(resources.files("scrm.tagging.data").joinpath(f"{version}.joblib")))


def save(model: TaggerModel, path: Path, meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=3)
    meta = {"version": model.version, "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **meta}
    path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


_lock = threading.Lock()
_loaded: dict[str, TaggerModel] = {}


def load(path: Path | None = None) -> TaggerModel:
    """The model at ``path`` (default: the shipped one), loaded once per process."""
    path = path or shipped_path()
    key = str(path)
    with _lock:
        if key not in _loaded:
            if not path.exists():
                raise FileNotFoundError(f"no tagging model at {path}; run `scrm tagging train`")
            _loaded[key] = joblib.load(path)
        return _loaded[key]


def metadata(path: Path | None = None) -> dict:
    path = (path or shipped_path()).with_suffix(".json")
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def argmax(probs: dict[str, float]) -> tuple[str, float]:
    label = max(probs, key=probs.get)
    return label, probs[label]


__all__ = ["TaggerModel", "fit", "save", "load", "metadata", "argmax", "np"]
