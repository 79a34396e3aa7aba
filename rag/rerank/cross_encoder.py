"""Optional cross-encoder reranking with a sentence-transformers ``CrossEncoder`` the user has locally.

Off by default: no Vietnamese cross-encoder can be installed from the package registries. When a
user configures one (``rerank.cross_encoder = "/models/bge-reranker-v2-m3"``), its relevance
score is added to the domain reranker's score, so period and province evidence still count.
Its model calls take the lock every in-process model shares (a question's call goes first), so it
never runs at the same time as an embedding and oversubscribes the cores.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle
from pydantic import Field, PrivateAttr

from embeddings.base import LOCAL_COMPUTE_LOCK

_LOAD_LOCK = threading.Lock()


class CrossEncoderReranker(BaseNodePostprocessor):
    """score = previous score + weight · sigmoid(cross-encoder logit)."""

    model: str
    weight: float = Field(default=1.0, ge=0)
    top_n: int = Field(default=10, gt=0)
    _encoder: Any = PrivateAttr(default=None)

    def __init__(self, encoder: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._encoder = encoder

    @classmethod
    def class_name(cls) -> str:
        return "CrossEncoderReranker"

    def _load(self) -> Any:
        with _LOAD_LOCK:
            if self._encoder is None:
                try:
                    from sentence_transformers import CrossEncoder
                except ImportError as exc:  # pragma: no cover - sentence-transformers is a dependency
                    raise ImportError("the cross-encoder reranker needs sentence-transformers") from exc
                self._encoder = CrossEncoder(self.model, local_files_only=True)
        return self._encoder

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes or query_bundle is None:
            return nodes[: self.top_n]
        encoder = self._load()
        with LOCAL_COMPUTE_LOCK.hold(urgent=True):
            logits = encoder.predict([(query_bundle.query_str, n.node.get_content()) for n in nodes])
        rescored = [
            NodeWithScore(node=n.node, score=(n.score or 0.0) + self.weight / (1.0 + math.exp(-float(z))))
            for n, z in zip(nodes, logits, strict=True)
        ]
        rescored.sort(key=lambda n: n.score or 0.0, reverse=True)
        return rescored[: self.top_n]
