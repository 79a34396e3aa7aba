from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.answer.features import FEATURES
from rag.answer.reader_model import (
    ANSWER_FEATURES,
    MODEL_FILE,
    Logistic,
    ReaderModel,
    ReaderModelMissing,
    SmallNetwork,
    load_reader_model,
    scorer_from_json,
)


def _logistic(names: tuple[str, ...], seed: int = 0) -> Logistic:
    """A logistic regression with parameters already at the 6 decimals the file keeps."""
    rng = np.random.default_rng(seed)
    n = len(names)
    return Logistic(names, rng.normal(size=n).round(6), (rng.random(n) + 0.5).round(6),
                    rng.normal(size=n).round(6), 0.123456)


def test_logistic_json_round_trip_gives_identical_probabilities():
    model = _logistic(FEATURES)
    again = Logistic.from_json(json.loads(json.dumps(model.to_json())))
    rows = np.random.default_rng(1).normal(size=(7, len(FEATURES)))
    assert again.names == model.names
    np.testing.assert_array_equal(again.probabilities(rows), model.probabilities(rows))


def test_logistic_json_keeps_six_decimals_of_any_parameter():
    rng = np.random.default_rng(2)
    n = len(FEATURES)
    model = Logistic(FEATURES, rng.normal(size=n), rng.random(n) + 0.5, rng.normal(size=n), 0.1234567891)
    again = Logistic.from_json(model.to_json())
    rows = rng.normal(size=(5, n))
    np.testing.assert_allclose(again.probabilities(rows), model.probabilities(rows), atol=1e-5)


def test_logistic_probabilities_are_a_standardised_sigmoid():
    model = Logistic(("x",), np.array([1.0]), np.array([2.0]), np.array([3.0]), -0.5)
    z = (5.0 - 1.0) / 2.0 * 3.0 - 0.5
    assert model.probabilities(np.array([[5.0]]))[0] == pytest.approx(1 / (1 + np.exp(-z)))
    extreme = model.probabilities(np.array([[1e9], [-1e9]]))
    assert np.all(np.isfinite(extreme)) and extreme[0] > 0.999 and extreme[1] < 0.001


def _network(names: tuple[str, ...], units: int = 4, seed: int = 5) -> SmallNetwork:
    rng = np.random.default_rng(seed)
    n = len(names)
    return SmallNetwork(names, rng.normal(size=n).round(6), (rng.random(n) + 0.5).round(6),
                        rng.normal(size=(n, units)).round(6), rng.normal(size=units).round(6),
                        rng.normal(size=units).round(6), -0.25)


def test_a_network_scores_relu_units_through_a_sigmoid():
    model = SmallNetwork(("x",), np.array([1.0]), np.array([2.0]), np.array([[1.0, -1.0]]),
                         np.array([0.0, 0.5]), np.array([2.0, 3.0]), -1.0)
    # x = 5 standardises to 2: units relu(2) = 2 and relu(-2 + 0.5) = 0
    assert model.probabilities(np.array([[5.0]]))[0] == pytest.approx(1 / (1 + np.exp(-(2 * 2.0 - 1.0))))
    # x = -3 standardises to -2: units 0 and relu(2.5) = 2.5
    assert model.probabilities(np.array([[-3.0]]))[0] == pytest.approx(1 / (1 + np.exp(-(2.5 * 3.0 - 1.0))))


def test_a_network_round_trips_through_json_by_its_kind():
    model = _network(FEATURES)
    data = json.loads(json.dumps(model.to_json()))
    assert data["kind"] == "network"
    again = scorer_from_json(data)
    assert isinstance(again, SmallNetwork)
    rows = np.random.default_rng(6).normal(size=(5, len(FEATURES)))
    np.testing.assert_array_equal(again.probabilities(rows), model.probabilities(rows))


def test_a_scorer_without_a_kind_is_a_logistic_regression():
    assert isinstance(scorer_from_json(_logistic(FEATURES).to_json()), Logistic)


def test_a_reader_with_a_network_sentence_model_round_trips(tmp_path: Path):
    model = ReaderModel(_network(FEATURES), _logistic(ANSWER_FEATURES, 3), 0.4)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    rows = np.random.default_rng(7).random((6, len(FEATURES)))
    np.testing.assert_array_equal(load_reader_model(path).sentence_probabilities(rows),
                                  model.sentence_probabilities(rows))


def test_reader_model_json_round_trip(tmp_path: Path):
    model = ReaderModel(_logistic(FEATURES), _logistic(ANSWER_FEATURES, 3), 0.4, {"paragraphs": 12})
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    again = load_reader_model(path)
    rows = np.random.default_rng(4).random((6, len(FEATURES)))
    probs = again.sentence_probabilities(rows)
    np.testing.assert_array_equal(probs, model.sentence_probabilities(rows))
    assert again.confidence(probs, rows) == model.confidence(probs, rows)
    assert again.threshold == 0.4 and again.trained_on == {"paragraphs": 12}


def test_the_shipped_model_loads_with_the_current_features():
    model = load_reader_model()
    assert MODEL_FILE.is_file()
    assert model.sentence.names == FEATURES
    assert model.answer.names == ANSWER_FEATURES
    assert 0.0 < model.threshold < 1.0
    assert isinstance(model.sentence, SmallNetwork) and model.sentence.hidden.shape[0] == len(FEATURES)
    assert len(model.answer.coef) == len(ANSWER_FEATURES)


def test_the_shipped_model_gives_probabilities_and_a_confidence():
    model = load_reader_model()
    rows = np.random.default_rng(5).random((4, len(FEATURES))).astype(np.float32)
    probs = model.sentence_probabilities(rows)
    assert probs.shape == (4,) and np.all((probs > 0) & (probs < 1))
    assert 0.0 < model.confidence(probs, rows) < 1.0


def test_no_candidates_means_no_probabilities_and_zero_confidence():
    model = load_reader_model()
    empty = np.zeros((0, len(FEATURES)), dtype=np.float32)
    assert model.sentence_probabilities(empty).shape == (0,)
    assert model.confidence(np.zeros(0), empty) == 0.0


def test_the_answer_row_describes_the_best_sentence_and_its_lead():
    model = ReaderModel(_logistic(FEATURES), _logistic(ANSWER_FEATURES), 0.5)
    rows = np.zeros((3, len(FEATURES)))
    rows[1, FEATURES.index("semantic")] = 0.9
    rows[1, FEATURES.index("lexical")] = 0.7
    row = model.answer_row(np.array([0.2, 0.8, 0.6]), rows)
    values = dict(zip(ANSWER_FEATURES, row, strict=True))
    assert values["best_probability"] == pytest.approx(0.8)
    assert values["margin"] == pytest.approx(0.2)
    assert values["best_semantic"] == pytest.approx(0.9) and values["best_lexical"] == pytest.approx(0.7)
    assert values["candidates_above_half"] == pytest.approx(np.log1p(2))


def test_a_missing_model_file_says_how_to_fit_one(tmp_path: Path):
    with pytest.raises(ReaderModelMissing, match=r"python -m eval\.train_reader"):
        load_reader_model(tmp_path / "nope.json")


def test_a_model_fitted_on_a_feature_no_longer_computed_is_refused(tmp_path: Path):
    other = ReaderModel(_logistic(("semantic", "old_feature")), _logistic(ANSWER_FEATURES), 0.5)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(other.to_json()), encoding="utf-8")
    with pytest.raises(ReaderModelMissing, match=r"python -m eval\.train_reader"):
        load_reader_model(path)


def test_a_model_with_an_unknown_answer_feature_is_refused():
    data = ReaderModel(_logistic(FEATURES), _logistic(("best_probability", "old_feature")), 0.5).to_json()
    with pytest.raises(ReaderModelMissing):
        ReaderModel.from_json(data)


def test_a_model_on_a_subset_of_the_features_loads_and_scores_full_rows():
    # the cross-lingual twin is fitted without the word features: it must read full rows by name
    subset = ReaderModel(_logistic(("semantic", "passage_rank")), _logistic(("best_probability",)), 0.5)
    loaded = ReaderModel.from_json(json.loads(json.dumps(subset.to_json())))
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("semantic")] = [0.9, 0.5, 0.1]
    probabilities = loaded.sentence_probabilities(rows)
    assert probabilities.shape == (3,)
    assert 0.0 <= loaded.confidence(probabilities, rows) <= 1.0


def test_a_question_sharing_no_word_with_the_candidates_is_read_by_the_cross_lingual_model():
    main = ReaderModel(_logistic(FEATURES), _logistic(ANSWER_FEATURES), 0.5)
    twin = ReaderModel(_logistic(("semantic",)), _logistic(("best_probability",)), 0.4)
    model = ReaderModel(main.sentence, main.answer, 0.5, cross_lingual=twin)
    rows = np.zeros((2, len(FEATURES)))
    assert model.for_question(rows) is twin
    rows[0, FEATURES.index("lexical")] = 0.3
    assert model.for_question(rows) is model
