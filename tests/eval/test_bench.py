"""`baocao bench ingest|query` end to end on a tiny vietnews corpus, and the parts they are made of."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from eval.bench.corpus import (
    BenchQuery,
    CorpusError,
    corpus_name,
    gold_queries,
    iter_articles,
    materialise,
    query_file,
    resolve_docs,
    sample,
)
from eval.bench.ingest_bench import CHANGE, pick_changed
from eval.bench.measure import (
    disk_usage_mb,
    doc_hits,
    latency_summary,
    peak_rss_mb,
    queries_per_second,
    stage_summaries,
)
from eval.bench.paired_ingest import paired_section, prepare_shards, split_shards
from eval.bench.report import merge, ratios, targets
from eval.bench.workspace import BenchOptions, prepare, prepare_cache

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VIETNEWS = SHARED / "bench" / "vietnews-12k.jsonl"
GOLD = SHARED / "eval" / "gold_dev.jsonl"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests expect ../shared beside the project (as in CI)")
    return path


@pytest.fixture(scope="module")
def tiny_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 6 vietnews articles, bodies cut to 60 words: real text, seconds to embed."""
    out = tmp_path_factory.mktemp("vietnews") / "vietnews-tiny.jsonl"
    lines = []
    for article, _ in zip(iter_articles(_need(VIETNEWS)), range(6), strict=False):
        body = " ".join(article.body.split()[:60])
        lines.append(
            json.dumps(
                {"id": article.id, "title": article.title, "summary": article.summary, "body": body},
                ensure_ascii=False,
            )
        )
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


# -- corpus --------------------------------------------------------------------------------------
def test_vietnews_articles_become_title_and_body_files_with_their_summary_as_query(
    tiny_jsonl: Path, tmp_path: Path
):
    corpus = materialise(tiny_jsonl, tmp_path / "c", limit=4, with_samples=False)
    articles = list(iter_articles(tiny_jsonl))[:4]
    assert corpus.name == "vietnews-tiny-4"
    assert corpus.doc_ids == sorted(f"vietnews/{a.id}.txt" for a in articles)
    text = (tmp_path / "c" / f"vietnews/{articles[0].id}.txt").read_text(encoding="utf-8")
    assert text.startswith(articles[0].title + "\n\n") and articles[0].body.split()[0] in text
    assert [(q.question, q.docs) for q in corpus.queries] == [
        (a.summary, (f"vietnews/{a.id}.txt",)) for a in articles
    ]
    assert corpus.written == 4


def test_materialising_again_writes_nothing_and_a_smaller_limit_removes_files(
    tiny_jsonl: Path, tmp_path: Path
):
    materialise(tiny_jsonl, tmp_path / "c", limit=5, with_samples=True)
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "c").rglob("*.txt")}
    again = materialise(tiny_jsonl, tmp_path / "c", limit=5, with_samples=True)
    assert again.written == 0 and {p: p.stat().st_mtime_ns for p in (tmp_path / "c").rglob("*.txt")} == mtimes
    assert sum(d.startswith("samples/") for d in again.doc_ids) == 5
    smaller = materialise(tiny_jsonl, tmp_path / "c", limit=2, with_samples=False)
    assert (
        sorted(p.relative_to(tmp_path / "c").as_posix() for p in (tmp_path / "c").rglob("*.txt"))
        == smaller.doc_ids
    )
    assert len(smaller.doc_ids) == 2


def test_a_folder_is_mirrored_and_limited_in_path_order(sample_dir: Path, tmp_path: Path):
    corpus = materialise(sample_dir, tmp_path / "c", limit=3)
    assert corpus.doc_ids == sorted(p.name for p in sample_dir.iterdir())[:3]
    assert corpus.queries == [] and corpus_name(sample_dir, None) == "sample_reports-5"
    assert (tmp_path / "c" / corpus.doc_ids[0]).read_bytes() == (sample_dir / corpus.doc_ids[0]).read_bytes()


def test_missing_or_malformed_corpora_are_named(tmp_path: Path):
    with pytest.raises(CorpusError, match="nope"):
        materialise(tmp_path / "nope", tmp_path / "c")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="bad.jsonl:1"):
        materialise(bad, tmp_path / "c")


def test_gold_and_query_files_become_queries_pointing_at_corpus_documents(tmp_path: Path):
    gold = gold_queries(_need(GOLD))
    raw = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [q.question for q in gold] == [r["question"] for r in raw]
    assert [bool(q.docs) for q in gold] == [
        bool(r.get("answerable", True) and r.get("evidence")) for r in raw
    ]
    plain = tmp_path / "q.txt"
    plain.write_text("câu một\n\ncâu hai\n", encoding="utf-8")
    assert [q.question for q in query_file(plain)] == ["câu một", "câu hai"]
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text('{"question": "a", "doc": "x.txt"}\n{"question": "b", "docs": ["y.txt", "z.txt"]}\n')
    queries = query_file(jsonl)
    assert [q.docs for q in queries] == [("x.txt",), ("y.txt", "z.txt")]
    resolved = resolve_docs(queries, ["samples/x.txt", "y.txt"])
    assert [q.docs for q in resolved] == [("samples/x.txt",), ("y.txt",)]


def test_sampling_is_deterministic_and_keeps_corpus_order():
    queries = [BenchQuery(str(i), f"q{i}") for i in range(50)]
    a, b = sample(queries, 10, seed=0), sample(queries, 10, seed=0)
    assert a == b and len(a) == 10
    assert [int(q.id) for q in a] == sorted(int(q.id) for q in a)
    assert sample(queries, None) == queries and sample(queries, 99) == queries


# -- measuring helpers ---------------------------------------------------------------------------
def test_latency_and_stage_summaries_use_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]
    summary = latency_summary(values)
    assert summary == {"n": 100, "p50": 51.0, "p95": 95.0, "max": 100.0, "mean": 50.5}
    assert latency_summary([])["p50"] is None
    stages = stage_summaries([{"bm25": 2.0}, {"bm25": 4.0, "fuse": 1.0}], ["bm25", "fuse"])
    assert stages["bm25"]["max"] == 4.0 and stages["fuse"]["p50"] in (0.0, 1.0)


def test_document_hits_count_distinct_documents():
    ranking = ["a", "b", "c"]
    assert doc_hits(ranking, ["a"]) == {"hit@1": 1.0, "hit@10": 1.0}
    assert doc_hits(ranking, ["c"]) == {"hit@1": 0.0, "hit@10": 1.0}
    assert doc_hits(ranking, ["z"]) == {"hit@1": 0.0, "hit@10": 0.0}


def test_queries_per_second_runs_every_question_with_the_clients_asked():
    seen: set[str] = set()
    threads: set[int] = set()
    lock = threading.Lock()

    def call(q: str) -> None:
        with lock:
            seen.add(q)
            threads.add(threading.get_ident())

    qps = queries_per_second(call, [str(i) for i in range(20)], clients=3)
    assert qps > 0 and len(seen) == 20 and 1 <= len(threads) <= 3


def test_changed_files_are_a_ceiling_fraction_of_plain_text_files(tmp_path: Path):
    ids = [f"{i:03d}.txt" for i in range(150)] + ["x.pdf", "u16.txt"]
    for name in ids:
        (tmp_path / name).write_bytes(b"\xff\xfeh\x00" if name == "u16.txt" else b"abc")
    chosen = pick_changed(tmp_path, ids, 0.01)
    assert len(chosen) == 2 and "x.pdf" not in chosen and "u16.txt" not in chosen
    assert pick_changed(tmp_path, ids, 0.0) == []
    assert CHANGE.isascii()


def test_disk_usage_counts_allocated_blocks(tmp_path: Path):
    (tmp_path / "f").write_bytes(b"x" * 200_000)
    assert 0.18 <= disk_usage_mb(tmp_path) <= 0.3


def test_a_fresh_cache_drops_vectors_and_links_model_folders(tmp_path: Path):
    shared = tmp_path / "shared"
    (shared / "models" / "m").mkdir(parents=True)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "embeddings.sqlite3").write_bytes(b"old vectors")
    prepare_cache(cache, shared, empty=True)
    assert not (cache / "embeddings.sqlite3").exists()
    assert (cache / "models" / "m").is_dir() and (cache / "models").is_symlink()


def test_shards_are_contiguous_parts_that_differ_by_one_file_at_most():
    ids = [f"{i:02d}.txt" for i in range(11)]
    parts = split_shards(ids, 4)
    assert [len(p) for p in parts] == [2, 3, 3, 3] and sum(parts, []) == ids
    assert split_shards(ids[:2], 5) == [["00.txt"], ["01.txt"]] and split_shards([], 3) == []


def test_each_shard_folder_holds_its_files_and_the_phase_gets_an_empty_cache(
    tiny_jsonl: Path, tmp_path: Path
):
    ws = prepare(BenchOptions(docs=tiny_jsonl, work=tmp_path / "w", with_samples=False), True, True)
    spec = prepare_shards(ws, 4)
    folders = [Path(f) for f in spec["shards"]]
    held = [sorted(p.relative_to(f).as_posix() for p in f.rglob("*") if p.is_file()) for f in folders]
    assert len(folders) == 4 and sum(held, []) == ws.corpus.doc_ids
    assert (folders[0] / held[0][0]).read_bytes() == (ws.corpus.folder / held[0][0]).read_bytes()
    cache = Path(spec["settings"]["embeddings"]["cache_dir"])
    assert cache.parent == Path(spec["root"]) and not list(cache.glob("*.sqlite3*"))
    # the phase writes indexes of its own, never the bench's
    assert Path(spec["settings"]["index"]["dir"]) == ws.index
    assert len(prepare_shards(ws, 2)["shards"]) == 2  # a second call starts over


def test_paired_ingest_ratio_divides_summed_words_per_second_and_keeps_each_shard():
    def pair(first: str, ours_s: float, their_s: float) -> dict:
        return {
            "first": first,
            "ours": {
                "seconds": ours_s, "files": 2, "failed": 0, "chunks": 6, "words": 100, "chunks_embedded": 6
            },
            "llamaindex": {"seconds": their_s, "files": 2, "chunks": 3, "words": 100},
        }

    raw = {
        "pairs": [pair("ours", 10.0, 12.0), pair("llamaindex", 30.0, 27.0), pair("ours", 10.0, 11.0)],
        "load_average_1m": {"start": 1.0, "end": 1.0},
        "process_peak_rss_mb": 900.0,
    }
    section = paired_section(raw)
    assert section["seconds"] == 50.0 and section["llamaindex_seconds"] == 50.0 and section["ratio"] == 1.0
    assert section["shard_ratios"] == [1.2, 0.9, 1.1] and section["median_shard_ratio"] == 1.1
    assert section["files"] == 6 and section["chunks"] == 18 and section["llamaindex_chunks"] == 9


def test_the_bench_never_empties_an_index_folder_it_did_not_make(tmp_path: Path, sample_dir: Path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    with pytest.raises(CorpusError, match="not made by the bench"):
        prepare(
            BenchOptions(docs=sample_dir, index=foreign, work=tmp_path / "w"),
            fresh_index=True,
            fresh_cache=True,
        )
    assert (foreign / "keep.txt").exists()


def test_ratios_and_targets_come_from_both_halves_of_the_file():
    ingest = {
        "ingest": {
            "words_per_s": 900.0,
            "pipeline_vs_raw": 0.95,
            "reingest_speedup": 80.0,
            "words_per_s_is_speed": True,
        },
        "llamaindex_baseline": {"ingest_words_per_s": 600.0},
    }
    query = {
        "query": {
            "retrieval_ms": {"p50": 40.0, "p95": 70.0},
            "answer_ms": {"p50": 200.0, "p95": 500.0},
            "hit@10": 0.9,
            "peak_rss_mb": 900.0,
            "qps": {"retrieval": {"1": 20.0}},
        },
        "llamaindex_baseline": {
            "retrieval_ms": {"p50": 50.0, "p95": 60.0},
            "hit@10": 0.6,
            "qps": {"retrieval": {"1": 10.0}},
        },
    }
    result = merge(ingest, query)
    assert result["llamaindex_baseline"]["ingest_words_per_s"] == 600.0
    result["ratios"] = ratios(result)
    assert result["ratios"]["ingest_words_per_s"] == 1.5 and result["ratios"]["retrieval_p50_ms"] == 0.8
    assert result["ratios"]["retrieval_qps_1_clients"] == 2.0
    met = {t["target"]: t["met"] for t in targets(result)}
    assert met["retrieval p50 <= 60 ms"] and met["answer p95 <= 2 x p50"] is False
    assert met["ingest words/s >= 0.9 x raw embedder"] and met["hit@10 above LlamaIndex"]
    assert met["retrieval p50 no worse than LlamaIndex (paired)"]  # the separate-process ratio when unpaired
    result["query"]["paired_with_llamaindex"] = {"p50_ratio": 1.2}
    result["ratios"] = ratios(result)
    met = {t["target"]: t["met"] for t in targets(result)}
    assert met["retrieval p50 no worse than LlamaIndex (paired)"] is False
    result["ingest"]["words_per_s"] = 599.8  # 0.9997 of LlamaIndex: rounds to 1.000, but is not as fast
    assert ratios(result)["ingest_words_per_s"] == 1.0
    as_fast = "ingest at least as fast as LlamaIndex (paired)"
    assert {t["target"]: t["met"] for t in targets(result)}[as_fast] is False
    result["ingest"]["paired_with_llamaindex"] = {"ratio": 1.04}  # timed side by side: this one decides
    assert ratios(result)["ingest_words_per_s_paired"] == 1.04
    assert {t["target"]: t["met"] for t in targets(result)}[as_fast] is True
    result["ingest"]["paired_with_llamaindex"] = {"ratio": 0.9996}
    assert {t["target"]: t["met"] for t in targets(result)}[as_fast] is False
    result["ingest"]["words_per_s_is_speed"] = False  # a reused cache: no verdict on speed
    assert {t["target"]: t["met"] for t in targets(result)}["ingest words/s >= 0.9 x raw embedder"] is None


# -- end to end ----------------------------------------------------------------------------------
def _bench(*args: str) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(app, ["bench", *args])
    assert result.exit_code == 0, (result.output[-3000:], result.exception)


@pytest.mark.slow  # six worker processes, each loading the model: about 2 minutes on a busy 2-core box
def test_bench_ingest_then_query_write_the_whole_report(tiny_jsonl: Path, tmp_path: Path):
    work, out = tmp_path / "work", tmp_path / "out"
    common = ["--docs", str(tiny_jsonl), "--no-samples", "--work", str(work), "--out", str(out)]
    _bench("ingest", *common, "--changed-fraction", "0.2", "--paired-shards", "2")
    _bench("query", *common, "--max-queries", "6", "--warmup", "1", "--clients", "1", "--clients", "2")

    result = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    ing, q, lb = result["ingest"], result["query"], result["llamaindex_baseline"]
    assert (
        result["corpus"]["docs"] == 6 and result["corpus"]["chunks"] >= 6 and result["corpus"]["words"] > 300
    )
    assert {"cpu_count", "git_commit", "load_average_1m"} <= set(result["machine"])
    assert result["embedder"]["model_id"] and set(result["settings"]) == {"ingest", "query"}

    # ingest: real speed figures, an unchanged re-run that skips everything, a 20% change re-embedding only it
    assert ing["embedding_cache"] == "fresh" and ing["words_per_s_is_speed"] is True
    assert ing["chunks_from_cache"] == 0 and ing["chunks_embedded"] == ing["chunks"]
    for key in (
        "words_per_s",
        "raw_embed_words_per_s",
        "first_ingest_s",
        "reingest_unchanged_s",
        "peak_rss_mb",
        "index_mb",
        "chunks_per_s",
        "pipeline_vs_raw",
    ):
        assert ing[key] > 0, key
    assert sum(ing["stage_seconds"].values()) <= ing["first_ingest_s"]
    assert (
        ing["reingest_skipped"] == 6 and ing["reingest_indexed"] == 0 and ing["reingest_chunks_embedded"] == 0
    )
    changed = ing["changed"]
    assert changed["files_changed"] == 2 and changed["indexed"] == 2 and changed["unchanged"] == 4
    assert 1 <= changed["chunks_embedded"] <= ing["chunks"]

    # query: both passes timed by stage, hit@k in range, throughput per client count, serving memory
    assert q["queries"] == 6 and q["queries_with_known_doc"] == 6 and q["query_embedding_cache"] == "off"
    for section in ("retrieval_ms", "answer_ms"):
        assert 0 < q[section]["p50"] <= q[section]["p95"] <= q[section]["max"]
    assert q["retrieval_stage_overrun_ms"] <= 0.01 and q["answer_stage_overrun_ms"] <= 0.01
    assert set(q["retrieval_stages_ms"]) == {"normalise", "embed_query", "dense_search", "bm25", "fuse"}
    assert q["answer_stages_ms"]["embed_query"]["p50"] > 0 and q["answer_stages_ms"]["rerank"]["p50"] > 0
    assert 0 <= q["hit@1"] <= q["hit@10"] <= 1
    assert set(q["qps"]["retrieval"]) == set(q["qps"]["answer"]) == {"1", "2"}
    assert q["peak_rss_mb"] >= q["ready_rss_mb"] > 0
    assert q["index_prepare"]["newly_indexed"] == 0  # the ingest bench left the index matching the files

    # LlamaIndex in the same runs, and the ratios
    assert lb["ingest_words_per_s"] > 0 and lb["retrieval_ms"]["p50"] > 0 and 0 <= lb["hit@10"] <= 1
    side = ing["paired_with_llamaindex"]  # both pipelines again, shard by shard, alternating who goes first
    assert side["shards"] == 2 and side["files"] == 6
    assert [p["first"] for p in side["pairs"]] == ["ours", "llamaindex"]
    assert side["chunks"] == ing["chunks"] and side["llamaindex_chunks"] == lb["ingest_chunks"]
    assert all(p["ours"]["chunks_embedded"] == p["ours"]["chunks"] for p in side["pairs"])  # a fresh cache
    assert side["seconds"] > 0 and side["llamaindex_seconds"] > 0
    assert result["ratios"]["ingest_words_per_s_paired"] == round(side["ratio"], 3) > 0
    assert result["ratios"]["ingest_words_per_s"] > 0 and result["ratios"]["retrieval_p50_ms"] > 0
    paired = q["paired_with_llamaindex"]
    assert paired["retrieval_ms"]["n"] == paired["llamaindex_retrieval_ms"]["n"] == 6
    assert paired["p50_ratio"] > 0
    assert q["peak_rss_mb"] <= q["process_peak_rss_mb"]  # serving memory taken before LlamaIndex was opened
    assert len(result["targets"]) == 10
    md = (out / "bench.md").read_text(encoding="utf-8")
    assert "| hit@10 |" in md and "embed_query" in md and "unchanged re-ingest" in md
    assert not (out / "index").exists() and (work / "index").is_dir()  # results stay small


def test_a_spawned_worker_reports_its_own_peak_memory_not_its_parents() -> None:
    """getrusage's ru_maxrss survives fork and exec: a worker spawned by a parent that had just
    ingested a large corpus reported the parent's peak as its own serving memory."""
    ballast = bytearray(400 * 1024 * 1024)
    ballast[:: 4096] = b"\1" * len(ballast[:: 4096])  # touch every page: the parent's peak is > 400 MiB
    assert peak_rss_mb() > 400
    code = "from eval.bench.measure import peak_rss_mb; print(peak_rss_mb())"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    del ballast
    assert 0 < float(child.stdout) < 300
