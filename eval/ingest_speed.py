"""Ingest speed against the raw embedder, in the same run (timings here drift; ratios do not).

    python -m eval.ingest_speed --docs data/sample_reports --out ingest_speed.json

Steps: (1) ingest ``--docs`` into a fresh index with an empty embedding cache; (2) embed exactly the
texts that ingest embedded, with the bare embedder and no cache; (3) re-ingest the unchanged
folder. Reported: words/s of the pipeline (document words / wall seconds), the raw embedder's
words/s on the same chunk texts, and their ratio; the re-ingest time and speed-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from embeddings import get_embedder
from rag.chunk.chunker import embedding_text
from rag.config import Settings
from rag.index.store import IndexStore, chunk_node
from rag.ingest.pipeline import Ingestor

logger = logging.getLogger(__name__)


def measure(docs: Path, work: Path) -> dict[str, object]:
    settings = Settings(index={"dir": work / "index"}, embeddings={"cache_dir": work / "cache"})
    embedder = get_embedder(settings.embeddings)
    embedder.embed_queries(["khởi động"])  # load the model outside the timed part, as a server would

    first = Ingestor(settings, embedder=embedder).run([docs], progress=False)
    store = IndexStore(settings.index.dir, settings)
    texts = [embedding_text(chunk_node(c)) for c in store.chunks().values()]
    store.close()

    raw = get_embedder(settings.embeddings.model_copy(update={"cache": False}))
    start = time.perf_counter()
    raw.embed_passages(texts)
    raw_seconds = time.perf_counter() - start

    again = Ingestor(settings, embedder=embedder).run([docs], progress=False)
    embedded_words = sum(len(t.split()) for t in texts)
    return {
        "corpus": {"docs": len(first.indexed), "chunks": first.chunks, "words": first.words,
                   "embedded_words": embedded_words, "failed": len(first.failed)},
        "first_ingest_s": round(first.seconds, 3),
        "stage_seconds": {k: round(v, 3) for k, v in first.stage_seconds.items()},
        "words_per_s": round(first.words / first.seconds, 1),
        "raw_embed_s": round(raw_seconds, 3),
        "raw_embed_words_per_s": round(embedded_words / raw_seconds, 1),
        "raw_embed_doc_words_per_s": round(first.words / raw_seconds, 1),
        "pipeline_vs_raw_time_ratio": round(raw_seconds / first.seconds, 3),
        "reingest_unchanged_s": round(again.seconds, 3),
        "reingest_skipped": len(again.unchanged),
        "reingest_speedup": round(first.seconds / again.seconds, 1),
        "embedder": embedder.model_id,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True, help="folder of documents")
    parser.add_argument("--out", type=Path, help="write the JSON here as well as to stdout")
    args = parser.parse_args(argv)
    if not args.docs.is_dir():
        parser.error(f"--docs: no such folder: {args.docs}")
    with tempfile.TemporaryDirectory(prefix="baocao-speed-") as tmp:
        result = measure(args.docs, Path(tmp))
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
