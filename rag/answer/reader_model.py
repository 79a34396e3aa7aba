"""The fitted reader: which sentence answers, and how sure it is.

Two models, fitted by ``python -m eval.train_reader`` on public Vietnamese QA data
(UIT train files, one half of XQuAD-vi; never the dev gold files) and stored as a small JSON file
(``rag/data/reader_model.json``) with the data they were fitted on:

1. the sentence model, a small network: P(this sentence holds the answer | its
   :data:`~rag.answer.features.FEATURES`);
2. the answer model, a logistic regression: P(the documents answer the question | the best sentence's probability, its
   lead over the runner-up, the closest passage's similarity, ...), fitted on questions whose own
   passage was in the index (answerable) and on the same questions with it removed (not).

Its output is the answer's ``confidence``; below the fitted ``threshold`` the reader refuses.
Scoring is a few matrix products in numpy: no learning library is imported on the question path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.features import FEATURES

MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "reader_model.json"

ANSWER_FEATURES: tuple[str, ...] = (
    "best_probability",  # the sentence model's probability for the best sentence
    "margin",  # its lead over the second-best sentence
    "best_semantic",  # the best sentence's similarity to the question
    "best_lexical",  # its coverage of the question's words
    "best_rare_missing",  # whether it lacks the question's rarest word
    "candidates_above_half",  # how many sentences the model finds likelier than not (log)
    "best_passage_semantic",  # the question's similarity to the closest passage
    "best_missing_mass",  # the share of the question's word weight the best sentence lacks
)


# A question that shares no word with the passages (English, or a paraphrase through and through)
# gives no lexical evidence: a second pair of models, fitted on the same rows without the word
# features, weighs what is left (e5's similarity, answer type, passage rank).
_WORD_FEATURES = frozenset(
    {"lexical", "lexical_sentence", "lexical_gap", "lexical_rank", "window_lexical", "rare_missing", "missing_mass"}
)
CROSS_LINGUAL_FEATURES: tuple[str, ...] = tuple(f for f in FEATURES if f not in _WORD_FEATURES)
CROSS_LINGUAL_ANSWER_FEATURES: tuple[str, ...] = tuple(
    f for f in ANSWER_FEATURES if f not in {"best_lexical", "best_rare_missing", "best_missing_mass"}
)


def select(rows: np.ndarray, names: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    """The columns ``wanted`` of ``rows`` whose columns are ``names``."""
    index = [names.index(n) for n in wanted]
    return np.asarray(rows)[..., index]


class ReaderModelMissing(RuntimeError):
    """The fitted parameters are not where they should be."""


@dataclass(frozen=True)
class Logistic:
    """A standardised logistic regression: ``sigmoid(((x - mean) / scale) @ coef + intercept)``."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        z = ((np.asarray(rows, dtype=np.float64) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.names),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Logistic:
        return cls(
            tuple(data["features"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
            np.array(data["coef"]),
            float(data["intercept"]),
        )


@dataclass(frozen=True)
class SmallNetwork:
    """A standardised one-hidden-layer network (ReLU, then a logistic output):
    ``sigmoid(relu(((x - mean) / scale) @ hidden + hidden_bias) @ output + output_bias)``.

    The sentence model is one: which sentence answers depends on signals together, not one by one
    (a high word coverage counts for little when the sentence only restates the question, and
    holding a date counts only when a date is asked). Fitted by scikit-learn, scored by numpy.
    """

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    hidden: np.ndarray  # (features, units)
    hidden_bias: np.ndarray
    output: np.ndarray  # (units,)
    output_bias: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        x = (np.asarray(rows, dtype=np.float64) - self.mean) / self.scale
        z = np.maximum(x @ self.hidden + self.hidden_bias, 0.0) @ self.output + self.output_bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "network",
            "features": list(self.names),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "hidden": self.hidden.round(6).tolist(),
            "hidden_bias": self.hidden_bias.round(6).tolist(),
            "output": self.output.round(6).tolist(),
            "output_bias": round(float(self.output_bias), 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SmallNetwork:
        return cls(
            tuple(data["features"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
            np.array(data["hidden"]),
            np.array(data["hidden_bias"]),
            np.array(data["output"]),
            float(data["output_bias"]),
        )


Scorer = Logistic | SmallNetwork


def scorer_from_json(data: dict[str, Any]) -> Scorer:
    """A fitted scorer from its JSON, by its ``kind`` (a logistic regression when none is written)."""
    return SmallNetwork.from_json(data) if data.get("kind") == "network" else Logistic.from_json(data)


@dataclass(frozen=True)
class ReaderModel:
    """The sentence model, the answer model and the refusal threshold, with how they were fitted."""

    sentence: Scorer
    answer: Logistic
    threshold: float
    trained_on: dict[str, Any] = field(default_factory=dict)
    cross_lingual: ReaderModel | None = None  # for questions sharing no word with the candidates

    def for_question(self, rows: np.ndarray, foreign: bool = False) -> ReaderModel:
        """The model that fits this question's evidence: the cross-lingual one for a question in
        another language (``foreign``) or sharing no word with its candidates."""
        if self.cross_lingual is None or len(rows) == 0:
            return self
        words = select(rows, FEATURES, ("lexical", "lexical_sentence"))
        return self.cross_lingual if foreign or float(words.max()) <= 0.0 else self

    def sentence_probabilities(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        return self.sentence.probabilities(select(rows, FEATURES, self.sentence.names))

    def answer_row(self, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The answer model's features for one question, from its candidates' rows and probabilities."""
        order = np.argsort(-probabilities)
        best = int(order[0])
        second = float(probabilities[order[1]]) if len(order) > 1 else 0.0
        col = {name: i for i, name in enumerate(FEATURES)}
        return np.array(
            [
                probabilities[best],
                probabilities[best] - second,
                rows[best, col["semantic"]],
                rows[best, col["lexical"]],
                rows[best, col["rare_missing"]],
                np.log1p(float((probabilities > 0.5).sum())),
                rows[:, col["passage_semantic"]].max(),
            rows[best, col["missing_mass"]],
            ],
            dtype=np.float64,
        )

    def confidence(self, probabilities: np.ndarray, rows: np.ndarray) -> float:
        """P(the documents answer the question), calibrated on training questions with and without
        their own passage (half each)."""
        if len(probabilities) == 0:
            return 0.0
        row = select(self.answer_row(probabilities, rows), ANSWER_FEATURES, self.answer.names)
        return float(self.answer.probabilities(row[None, :])[0])

    def to_json(self) -> dict[str, Any]:
        out = {
            "sentence_model": self.sentence.to_json(),
            "answer_model": self.answer.to_json(),
            "threshold": round(self.threshold, 6),
            "trained_on": self.trained_on,
        }
        if self.cross_lingual is not None:
            out["cross_lingual"] = self.cross_lingual.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReaderModel:
        cross = cls.from_json(data["cross_lingual"]) if data.get("cross_lingual") else None
        model = cls(
            scorer_from_json(data["sentence_model"]),
            Logistic.from_json(data["answer_model"]),
            float(data["threshold"]),
            data.get("trained_on", {}),
            cross,
        )
        if not set(model.sentence.names) <= set(FEATURES) or not set(model.answer.names) <= set(
            ANSWER_FEATURES
        ):
            raise ReaderModelMissing(
                "the reader model was fitted on other features; refit it: python -m eval.train_reader"
            )
        return model


@lru_cache(maxsize=4)
def load_reader_model(path: Path = MODEL_FILE) -> ReaderModel:
    """The fitted reader, read once per process."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReaderModelMissing(f"no reader model at {path}; fit one: python -m eval.train_reader") from exc
    return ReaderModel.from_json(data)
