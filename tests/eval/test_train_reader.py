from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from eval.train_reader import (
    Asked,
    choose_threshold,
    fit_logistic,
    fit_network,
    holds_answer,
    load_asked,
    save_asked,
)
from rag.answer.candidates import Candidate
from rag.answer.reader_model import Logistic, SmallNetwork
from rag.records import DocumentMetadata

# --- choose_threshold ----------------------------------------------------------------------------


def test_the_threshold_maximises_right_minus_wrong_answers():
    confidence = np.array([0.9, 0.7, 0.5, 0.3])
    correct = np.array([True, True, False, False])
    threshold, utility = choose_threshold(confidence, correct, np.ones(4))
    assert threshold == pytest.approx(0.7)  # answer the two right ones, refuse the two wrong ones
    assert utility == pytest.approx(2 / 4)


def test_a_right_answer_below_a_wrong_one_is_worth_answering_when_it_pays():
    confidence = np.array([0.9, 0.8, 0.6, 0.5, 0.2])
    correct = np.array([True, False, True, True, False])
    threshold, utility = choose_threshold(confidence, correct, np.ones(5))
    assert threshold == pytest.approx(0.5)  # +1 -1 +1 +1 = 2, more than answering only the first
    assert utility == pytest.approx(2 / 5)


def test_weights_move_the_threshold():
    confidence = np.array([0.9, 0.6, 0.4, 0.35])
    correct = np.array([True, False, True, True])
    assert choose_threshold(confidence, correct, np.ones(4))[0] == pytest.approx(0.35)
    heavy_wrong = np.array([1.0, 5.0, 1.0, 1.0])  # the wrong answer costs five right ones
    threshold, utility = choose_threshold(confidence, correct, heavy_wrong)
    assert threshold == pytest.approx(0.9)
    assert utility == pytest.approx(1 / 8)


def test_when_no_answer_pays_every_question_is_refused():
    threshold, utility = choose_threshold(np.array([0.8, 0.3]), np.array([False, False]), np.ones(2))
    assert threshold == 1.0 and utility == 0.0
    assert not np.any(np.array([0.8, 0.3]) >= threshold)


# --- fit_logistic --------------------------------------------------------------------------------


def test_fit_logistic_separates_a_separable_set():
    rng = np.random.default_rng(0)
    positives = rng.normal(loc=[2.0, 0.0], scale=0.3, size=(40, 2))
    negatives = rng.normal(loc=[-2.0, 0.0], scale=0.3, size=(40, 2))
    rows = np.concatenate([positives, negatives])
    labels = np.concatenate([np.ones(40), np.zeros(40)])
    model = fit_logistic(rows, labels, ("signal", "noise"))
    assert isinstance(model, Logistic) and model.names == ("signal", "noise")
    probs = model.probabilities(rows)
    assert np.all(probs[:40] > 0.5) and np.all(probs[40:] < 0.5)
    assert abs(model.coef[0]) > abs(model.coef[1])
    np.testing.assert_allclose(model.mean, rows.mean(axis=0))


def test_fit_logistic_survives_a_constant_feature():
    rows = np.array([[1.0, 3.0], [2.0, 3.0], [-1.0, 3.0], [-2.0, 3.0]])
    model = fit_logistic(rows, np.array([1.0, 1.0, 0.0, 0.0]), ("x", "constant"))
    assert model.scale[1] == 1.0
    probs = model.probabilities(rows)
    assert np.all(np.isfinite(probs)) and probs[0] > 0.5 > probs[3]


def test_fit_network_learns_a_signal_that_counts_only_together_with_another():
    """The sentence network's reason to be: "holds a date" matters only when a date is asked."""
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 2, size=(4000, 2)).astype(float) + rng.normal(scale=0.05, size=(4000, 2))
    labels = ((rows[:, 0] > 0.5) == (rows[:, 1] > 0.5)).astype(float)  # agreement, not either one
    model = fit_network(rows, labels, ("date_asked", "date_held"))
    assert isinstance(model, SmallNetwork) and model.names == ("date_asked", "date_held")
    probs = model.probabilities(np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    assert probs[0] > 0.5 and probs[1] > 0.5 and probs[2] < 0.5 and probs[3] < 0.5


# --- save_asked / load_asked ---------------------------------------------------------------------


def test_asked_rows_round_trip_through_the_cache(tmp_path: Path):
    rng = np.random.default_rng(1)
    asked = [
        Asked("q1", True, rng.random((3, 4)), np.array([0.0, 1.0, 0.0])),
        Asked("q1", False, rng.random((2, 4)), np.zeros(2)),
        Asked("q2", True, rng.random((1, 4)), np.ones(1)),
    ]
    path = tmp_path / "sub" / "asked.npz"
    save_asked(asked, path)
    again = load_asked(path)
    assert len(again) == 3
    for a, b in zip(asked, again, strict=True):
        assert (b.question_id, b.answerable) == (a.question_id, a.answerable)
        assert isinstance(b.question_id, str) and isinstance(b.answerable, bool)
        np.testing.assert_array_equal(b.rows, a.rows)
        np.testing.assert_array_equal(b.labels, a.labels)


def test_a_sentence_is_labelled_by_what_the_reader_reads_and_the_answer_quotes():
    lead_in = "Người nào phạm tội thuộc một trong các trường hợp sau đây thì bị phạt tù từ 7 năm đến 15 năm:"
    item = "phạm tội hai lần trở lên;"
    alone = Candidate("luat.txt", 97, 122, "c1", 0, 1.0, DocumentMetadata(), "", item, "", 1)
    read = replace(alone, reading=f"{lead_in} {item}")
    answers = ["7 năm đến 15 năm"]  # folded: lower case, single spaces
    assert holds_answer(read, "luat.txt", answers)  # the penalty stands in the lead-in it is read with
    assert not holds_answer(alone, "luat.txt", answers)
    assert not holds_answer(read, "other.txt", answers)  # another paragraph's sentence never is
