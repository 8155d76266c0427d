"""The classifier of what a message is for, trained from the corpus shipped beside it.

Training is a pure function of the corpus: TF-IDF over character n-grams (robust to typos,
missing diacritics and run-together words) and word n-grams of `text.prepare`, then a
logistic regression with its deterministic solver. It takes a second or two and happens once per
process: at start-up in the background (`warm_up`), or else at the first message. Nothing is
downloaded or pickled.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from bot.services.complaints import Signal, match_triggers
from bot.triage.text import prepare

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

CORPUS = "corpus.jsonl"
HANDLINGS = ("accept", "clarify", "redirect", "reject")

_MARKERS = {Signal.STRONG: "kwstrong", Signal.AMBIGUOUS: "kwambiguous", Signal.NONE: "kwnone"}
_lock = threading.Lock()


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    kind: str
    expected: str
    lang: str


def load_corpus() -> list[Example]:
    """The labelled messages shipped with the package (bot/triage/corpus.jsonl)."""
    source = resources.files("bot.triage").joinpath(CORPUS).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in source.splitlines() if line.strip()]
    return [
        Example(r["id"], r["text"], r["kind"], r["expected"], r.get("lang", "vi")) for r in rows
    ]


def features(text: str) -> str:
    return prepare(text, _MARKERS[match_triggers(text).signal])


def build() -> Pipeline:
    """An untrained pipeline; every step is deterministic."""
    # Imported here: scikit-learn takes seconds to import, which only training needs.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
                            ),
                        ),
                        (
                            "words",
                            TfidfVectorizer(
                                analyzer="word",
                                ngram_range=(1, 2),
                                sublinear_tf=True,
                                token_pattern=r"\S+",
                            ),
                        ),
                    ]
                ),
            ),
            (
                "classifier",
                LogisticRegression(
                    C=10.0, class_weight="balanced", solver="newton-cg", max_iter=1000
                ),
            ),
        ]
    )


def train(examples: Sequence[Example]) -> Pipeline:
    model = build()
    model.fit([features(e.text) for e in examples], [e.expected for e in examples])
    return model


@cache
def _shipped() -> Pipeline:
    return train(load_corpus())


def shipped_model() -> Pipeline:
    """The model trained from the shipped corpus, once per process."""
    with _lock:  # two first messages at once train it once
        return _shipped()


def probabilities(model: Pipeline, texts: Sequence[str]) -> list[dict[str, float]]:
    """Per text, the probability of each handling."""
    rows = model.predict_proba([features(t) for t in texts])
    labels = [str(label) for label in model.classes_]
    return [dict(zip(labels, map(float, row), strict=True)) for row in rows]


def warm_up() -> None:
    """Train now rather than at the first resident's message."""
    shipped_model()
