"""Fit the reader (rag/answer/reader_model.py) on public QA data: one command, one small JSON file.

    python -m eval.train_reader [--out rag/data/reader_model.json] [--work .bench-work/reader-train]

Training data (issue 17): UIT ``train_wiki.json`` and ``train_reg.json`` and the train half of
XQuAD-vi (eval.benchmarks.squad_data: by article, even index). Never the dev gold files, never
XQuAD's test half or UIT ``test_wiki.json``, which measure the result.

How: the paragraphs are ingested as documents into one index, exactly as a user's reports are
(sentence vectors included). Every question is asked through the real assistant's stages:
understand, retrieve (hybrid + rerank), then the reader's candidate sentences and their
features (``ExtractiveAnswerer.evidence``). A sentence is a positive when it is in the question's
own paragraph and contains a gold answer as the reader reads it (an item with its lead-in, a
sentence that points back with the sentence it points to: what the answer then quotes). Each
question is asked in the forms users type (as written, bare keywords, no diacritics), each twice:
as is, and with its own paragraph removed from the results, which makes it unanswerable. A near
miss is added: the question with its rarest word swapped for another rare word of the corpus,
asked with its paragraph in place, unanswerable. The unanswerable copies teach the answer model
what a question the documents do not answer looks like.

1. Sentence model: a small network (one hidden layer of HIDDEN_UNITS ReLU units) over FEATURES
   (standardised), all candidate sentences.
2. Answer model: logistic regression over ANSWER_FEATURES, one row per question copy, built from
   out-of-fold sentence probabilities (5 folds grouped by question), labelled by whether the copy
   is answerable (its own paragraph is there). Its probability is the answer's ``confidence``.
3. Threshold: the confidence above which answering pays, where answering an answerable copy gains
   1, answering an unanswerable one costs 1, and a refusal is 0; unanswerable copies are weighted
   so that they are ``--unanswerable-share`` of the questions (default 0.25: our assumption of how
   often users ask what the reports do not hold).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.benchmarks.squad_data import SquadParagraph, reader_training_sources, squad_corpus
from rag.answer.candidates import Candidate
from rag.records import chunk_ref
from rag.text.normalize import fold_diacritics

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "rag" / "data" / "reader_model.json"
DEFAULT_WORK = Path(".bench-work") / "reader-train"
FOLDS = 5


@dataclass
class Asked:
    """One question copy: its candidates' feature rows and labels."""

    question_id: str
    answerable: bool  # False: the copy whose own paragraph was removed
    rows: np.ndarray
    labels: np.ndarray


def _fold_text(text: str) -> str:
    return " ".join(text.lower().split())


def write_documents(paragraphs: list[SquadParagraph], docs: Path) -> dict[str, str]:
    """One .txt per paragraph; returns doc_id (file name) → paragraph id."""
    docs.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for p in paragraphs:
        name = p.doc_id.replace("/", "__") + ".txt"
        path = docs / name
        if not (path.is_file() and path.read_text(encoding="utf-8") == p.context):
            path.write_text(p.context, encoding="utf-8")
        names[p.doc_id] = name
    return names


def collect(
    paragraphs: list[SquadParagraph], index: Path, docs: Path, limit: int | None = None
) -> list[Asked]:
    """Ask every question (twice) through the real pipeline; rows and labels of its candidates."""
    from eval.benchmarks.common import ingest_and_open

    names = write_documents(paragraphs, docs)
    corpus = ingest_and_open(docs, index, prune=True)
    assistant = corpus.assistant
    out: list[Asked] = []
    asked = 0
    started = time.perf_counter()
    vocabulary = rare_vocabulary(paragraphs)
    for p in paragraphs:
        gold_doc = names[p.doc_id]
        for q in p.questions:
            answers = [_fold_text(a.text) for a in q.located]
            if not answers:
                continue
            for form in typed_forms(q.question, assistant):
                out += _ask(assistant, q.id, form, gold_doc, answers)
            near = near_miss(q.question, assistant, vocabulary, random.Random(q.id))
            if near is not None:
                out += _ask(assistant, q.id, near, gold_doc, answers, unanswerable=True)
            asked += 1
            if asked % 200 == 0:
                logger.warning("asked %d questions (%.0f s)", asked, time.perf_counter() - started)
            if limit is not None and asked >= limit:
                return out
    return out


def rare_vocabulary(paragraphs: list[SquadParagraph]) -> list[str]:
    """Words of the corpus found in one to three paragraphs: stand-ins for a question's rarest word."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for p in paragraphs:
        counts.update({w.lower() for w in p.context.split() if w.isalpha() and len(w) >= 3})
    return sorted(w for w, n in counts.items() if 1 <= n <= 3)


def near_miss(question: str, assistant: Any, vocabulary: list[str], rng: random.Random) -> str | None:
    """The question with its rarest word replaced by another rare word of the corpus: the same
    question about something the documents do not report ("nhập khẩu" for "xuất khẩu", "rừng
    trồng mới" for "gieo trồng"). Its own paragraph stays in the results, so the reader must learn
    that a sentence missing the asked thing does not answer, however close it reads."""
    analysis = assistant.understand(question)
    matcher = assistant.reranker.matcher(analysis)
    if not matcher.idf or not vocabulary:
        return None
    rarest = max(matcher.idf, key=lambda k: matcher.idf[k])
    words = question.split()
    for i, word in enumerate(words):
        if fold_diacritics(word.strip("?.,:;!\"'()")).lower() == rarest:
            words[i] = rng.choice(vocabulary)
            return " ".join(words)
    return None


def holds_answer(candidate: Candidate, gold_doc: str, answers: list[str]) -> bool:
    """Whether a candidate of the question's own paragraph holds a gold answer (``answers`` folded) as
    the reader reads it: an item with its lead-in, a sentence that points back with the sentence it
    points to. The answer quotes them together, so the pair is what the model must learn to pick."""
    return candidate.doc_id == gold_doc and any(a in _fold_text(candidate.read) for a in answers)


def typed_forms(question: str, assistant: Any) -> list[str]:
    """The question as written, as bare keywords ("thu ngan sach 2021 ca mau" is how users type),
    and without diacritics: the reader must weigh evidence for all three forms."""
    keywords = " ".join(assistant.understand(question).keywords)
    return list(dict.fromkeys(f for f in (question, keywords, fold_diacritics(question)) if f.strip()))


def _ask(
    assistant: Any, question_id: str, question: str, gold_doc: str, answers: list[str], unanswerable: bool = False
) -> list[Asked]:
    """One question form asked twice: as is, and with its own paragraph taken out of the results
    (a near miss, ``unanswerable``, only as is: no sentence answers it)."""
    out: list[Asked] = []
    analysis = assistant.understand(question)
    if not analysis.keywords:
        return out
    nodes = assistant.retrieve(analysis)
    # The accent-free copy is read as typed, not restored (Assistant.for_reading): it teaches the
    # reader the questions restoration cannot fix. A refit on restored copies read the dev reports
    # worse (docs/reading.md, "Tried and dropped").
    matcher = assistant.reranker.matcher(analysis)
    vector = assistant.searcher.query_vector(analysis.text)
    for answerable in (False,) if unanswerable else (True, False):
        own_paragraph = answerable or unanswerable
        kept = nodes if own_paragraph else [n for n in nodes if chunk_ref(n.node).doc_id != gold_doc]
        candidates, rows = assistant.extractive.evidence(analysis, kept, matcher, vector)
        if not candidates:
            continue
        labels = np.array([float(answerable and holds_answer(c, gold_doc, answers)) for c in candidates])
        out.append(Asked(question_id, answerable, rows, labels))
    return out


def save_asked(asked: list[Asked], path: Path) -> None:
    """The collected rows, so that a refit (``--reuse``) need not ask every question again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        ids=np.array([a.question_id for a in asked]),
        answerable=np.array([a.answerable for a in asked]),
        sizes=np.array([len(a.rows) for a in asked]),
        rows=np.concatenate([a.rows for a in asked]),
        labels=np.concatenate([a.labels for a in asked]),
    )


def load_asked(path: Path) -> list[Asked]:
    with np.load(path) as data:  # each data[key] decompresses anew: read every array once
        ids, answerable, sizes, rows, labels = (
            data[k] for k in ("ids", "answerable", "sizes", "rows", "labels")
        )
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return [
        Asked(str(q), bool(a), rows[s:e], labels[s:e])
        for q, a, s, e in zip(ids, answerable, bounds[:-1], bounds[1:], strict=True)
    ]


def _standardise(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_logistic(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> Any:
    """A standardised logistic regression (scikit-learn's, L2, C=1) as a :class:`Logistic`."""
    from sklearn.linear_model import LogisticRegression

    from rag.answer.reader_model import Logistic

    mean, scale = _standardise(rows)
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((rows - mean) / scale, labels)
    return Logistic(names, mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


# The sentence network: one small hidden layer is enough to let signals act together; weight decay
# and early stopping on a tenth of the rows keep it from learning the training questions by heart.
HIDDEN_UNITS = 16


def fit_network(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> Any:
    """A standardised one-hidden-layer network (scikit-learn's MLPClassifier, ReLU, L2 1e-3, early
    stopping, fixed seed) as a :class:`SmallNetwork`."""
    from sklearn.neural_network import MLPClassifier

    from rag.answer.reader_model import SmallNetwork

    mean, scale = _standardise(rows)
    model = MLPClassifier(
        (HIDDEN_UNITS,), alpha=1e-3, max_iter=300, early_stopping=True, random_state=0
    )
    model.fit((rows - mean) / scale, labels)
    (hidden, output), (hidden_bias, output_bias) = model.coefs_, model.intercepts_
    return SmallNetwork(
        names, mean, scale, hidden.astype(np.float64), hidden_bias.astype(np.float64),
        output[:, 0].astype(np.float64), float(output_bias[0]),
    )


def out_of_fold(asked: list[Asked], names: tuple[str, ...]) -> list[np.ndarray]:
    """Each copy's sentence probabilities from a model fitted on the other folds (grouped by question)."""
    ids = sorted({a.question_id for a in asked})
    fold_of = {qid: i % FOLDS for i, qid in enumerate(ids)}
    probs: list[np.ndarray] = [np.zeros(0)] * len(asked)
    for fold in range(FOLDS):
        train = [a for a in asked if fold_of[a.question_id] != fold]
        model = fit_network(
            np.concatenate([a.rows for a in train]), np.concatenate([a.labels for a in train]), names
        )
        for i, a in enumerate(asked):
            if fold_of[a.question_id] == fold:
                probs[i] = model.probabilities(a.rows)
    return probs


def choose_threshold(
    confidence: np.ndarray, answerable: np.ndarray, weights: np.ndarray
) -> tuple[float, float]:
    """The threshold maximising (answered answerable − answered unanswerable), weighted; and that
    utility per question. Refusing costs nothing and earns nothing."""
    best_t, best_u = 1.0, 0.0
    for t in np.unique(np.round(confidence, 4)):
        answered = confidence >= t
        utility = float((weights * answered * np.where(answerable, 1.0, -1.0)).sum())
        if utility > best_u:
            best_t, best_u = float(t), utility
    return best_t, best_u / float(weights.sum())


def _weights(answerable: np.ndarray, share: float) -> np.ndarray:
    """Weights that make the unanswerable copies ``share`` of all questions."""
    n_ans, n_un = int(answerable.sum()), int((~answerable).sum())
    return np.where(answerable, 1.0, share / (1 - share) * n_ans / max(1, n_un))


def _at_share(
    confidence: np.ndarray, correct: np.ndarray, answerable: np.ndarray, share: float
) -> dict[str, float]:
    threshold, _ = choose_threshold(confidence, answerable, _weights(answerable, share))
    answered = confidence >= threshold
    return {
        "threshold": round(threshold, 4),
        "answerable_refused": round(float((~answered)[answerable].mean()), 4),
        "unanswerable_refused": round(float((~answered)[~answerable].mean()), 4),
        "answerable_answered_right": round(float((answered & correct)[answerable].mean()), 4),
    }


def fit_reader(
    asked: list[Asked],
    sentence_names: tuple[str, ...],
    answer_names: tuple[str, ...],
    unanswerable_share: float,
) -> tuple[Any, dict[str, Any]]:
    """The sentence model, the answer model and the threshold over the given features, with figures."""
    from rag.answer.features import FEATURES
    from rag.answer.reader_model import ANSWER_FEATURES, ReaderModel, select

    def rows_of(a: Asked) -> np.ndarray:
        return select(a.rows, FEATURES, sentence_names)

    sentence = fit_network(
        np.concatenate([rows_of(a) for a in asked]), np.concatenate([a.labels for a in asked]), sentence_names
    )
    oof = out_of_fold(
        [Asked(a.question_id, a.answerable, rows_of(a), a.labels) for a in asked], sentence_names
    )
    skeleton = ReaderModel(sentence, sentence, 0.5)  # answer_row needs only the sentence features
    answer_rows = np.stack(
        [
            select(skeleton.answer_row(p, a.rows), ANSWER_FEATURES, answer_names)
            for p, a in zip(oof, asked, strict=True)
        ]
    )
    correct = np.array([bool(a.labels[int(np.argmax(p))]) for p, a in zip(oof, asked, strict=True)])
    answerable = np.array([a.answerable for a in asked])
    answer = fit_logistic(answer_rows, answerable.astype(float), answer_names)
    confidence = answer.probabilities(answer_rows)
    n_ans, n_un = int(answerable.sum()), int((~answerable).sum())
    threshold, utility = choose_threshold(confidence, answerable, _weights(answerable, unanswerable_share))
    answered = confidence >= threshold
    stats = {
        "question_copies": len(asked),
        "answerable_copies": n_ans,
        "unanswerable_copies": n_un,
        "sentences": int(sum(len(a.rows) for a in asked)),
        "positives": int(sum(a.labels.sum() for a in asked)),
        "out_of_fold": {
            "best_sentence_right_answerable": round(float(correct[answerable].mean()), 4),
            "answerable_answered_right": round(float((answered & correct)[answerable].mean()), 4),
            "answerable_refused": round(float((~answered)[answerable].mean()), 4),
            "unanswerable_refused": round(float((~answered)[~answerable].mean()), 4),
            "utility_per_question": round(utility, 4),
        },
        "unanswerable_share": unanswerable_share,
        "answerable_with_a_positive": round(
            float(np.mean([a.labels.any() for a in asked if a.answerable])), 4
        ),
        "by_share": {  # what other assumptions about unanswerable questions would have chosen
            str(share): _at_share(confidence, correct, answerable, share)
            for share in (0.05, 0.1, 0.15, 0.25, 0.4)
        },
    }
    return ReaderModel(sentence, answer, threshold, stats), stats, confidence


def train(asked: list[Asked], unanswerable_share: float) -> tuple[Any, dict[str, Any]]:
    """The reader, and its cross-lingual twin fitted on the same rows without the word features.

    Without word evidence the twin tells answerable from unanswerable questions less well (its
    utility-best threshold answers nearly everything), so its threshold is set to refuse the same
    share of unanswerable training questions as the main model does: no laxer for English.
    """
    from dataclasses import replace

    from rag.answer.features import FEATURES
    from rag.answer.reader_model import ANSWER_FEATURES, CROSS_LINGUAL_ANSWER_FEATURES, CROSS_LINGUAL_FEATURES

    model, stats, _ = fit_reader(asked, FEATURES, ANSWER_FEATURES, unanswerable_share)
    cross, cross_stats, confidence = fit_reader(
        asked, CROSS_LINGUAL_FEATURES, CROSS_LINGUAL_ANSWER_FEATURES, unanswerable_share
    )
    answerable = np.array([a.answerable for a in asked])
    strictness = stats["out_of_fold"]["unanswerable_refused"]
    threshold = max(cross.threshold, float(np.quantile(confidence[~answerable], strictness)))
    refused = confidence < threshold
    stats["cross_lingual"] = {
        "threshold": round(threshold, 4),
        "utility_threshold": round(cross.threshold, 4),
        "best_sentence_right_answerable": cross_stats["out_of_fold"]["best_sentence_right_answerable"],
        "answerable_refused": round(float(refused[answerable].mean()), 4),
        "unanswerable_refused": round(float(refused[~answerable].mean()), 4),
    }
    cross = replace(cross, threshold=threshold, trained_on=stats["cross_lingual"])
    return replace(model, cross_lingual=cross), stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the fitted parameters go")
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="documents and index of the training data"
    )
    parser.add_argument("--limit", type=int, help="only the first N questions (a quick check)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="refit on the rows the last run collected (WORK/asked.npz) without asking again",
    )
    parser.add_argument(
        "--unanswerable-share",
        type=float,
        default=0.25,
        help="the share of unanswerable questions the threshold assumes",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    started = time.perf_counter()
    sources = reader_training_sources()
    paragraphs = squad_corpus(sources)
    cache = args.work / "asked.npz"
    if args.reuse and cache.is_file():
        asked = load_asked(cache)
    else:
        asked = collect(paragraphs, args.work / "index", args.work / "docs", args.limit)
        save_asked(asked, cache)
    model, stats = train(asked, args.unanswerable_share)
    model.trained_on.update(
        {
            "sources": [{"name": s.name, "file": Path(str(s.data)).name, "part": s.part} for s in sources],
            "paragraphs": len(paragraphs),
            "command": "python -m eval.train_reader",
            "seconds": round(time.perf_counter() - started, 1),
        }
    )
    args.out.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(stats, indent=1))
    print(f"→ {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
