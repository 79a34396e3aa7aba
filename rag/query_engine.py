"""The assistant as a llama-index ``CustomQueryEngine``, for code that speaks llama-index."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore, TextNode

from rag.assistant import Assistant


class BaocaoQueryEngine(CustomQueryEngine):
    """``query(question)`` returns the cited answer; ``source_nodes`` are the cited spans."""

    assistant: Any

    def custom_query(self, query_str: str) -> Response:
        answer = self.assistant.ask(query_str)
        nodes = [
            NodeWithScore(
                node=TextNode(
                    id_=f"{c.doc}:{c.start}-{c.end}", text=c.quote, start_char_idx=c.start, end_char_idx=c.end,
                    metadata={"doc_id": c.doc, "title": c.title, "section": c.section, "n": c.n},
                ),
                score=1.0,
            )
            for c in answer.citations
        ]
        return Response(response=answer.text, source_nodes=nodes, metadata={"found": answer.found})


def query_engine(assistant: Assistant) -> BaocaoQueryEngine:
    return BaocaoQueryEngine(assistant=assistant)
