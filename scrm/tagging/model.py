"""The product and intent classifier: TF-IDF over character n-grams (and, in models that say so, jieba tokens),
logistic regression.

``fit`` and ``predict`` are pure; the trained model is a versioned joblib file in ``data/`` with a JSON
beside it holding the training data's hash, the rules version and the held-out metrics.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
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


@dataclass
class TaggerModel:
    words: TfidfVectorizer | None  # None: the character n-grams alone (1–3) stand for words
    chars: TfidfVectorizer
    product: LogisticRegression
    intent: LogisticRegression
    version: str = MODEL_VERSION
    uses_tokens: bool = True  # False: no segmentation is needed

    def features(self, normalized: list[str], tokens: list[list[str]] | None):
        if not self.uses_tokens:
            return self.chars.transform(normalized)
        return sp.hstack([self.words.transform(tokens), self.chars.transform(normalized)], format="csr")

    def predict(self, normalized: list[str], tokens: list[list[str]]) -> list[dict]:
        """Per text: product probabilities and intent probabilities, as {label: p}."""
        if not normalized:
            return []
        x = self.features(normalized, tokens)
        pp, ip = self.product.predict_proba(x), self.intent.predict_proba(x)
        out = []
        for i in range(len(normalized)):
            out.append({"product": dict(zip(self.product.classes_, pp[i].tolist())),
                        "intent": dict(zip(self.intent.classes_, ip[i].tolist()))})
        return out


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
