"""Summaries of scored questions: metrics.json, report.md and matplotlib plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

_RETRIEVAL = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10")


def _mean(values: list[Any]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(sum(vals) / len(vals), 3) if vals else None


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank ``q`` quantile (0..1), rounded to 0.1; ``None`` for no values."""
    if not values:
        return None
    return round(float(np.percentile(values, q * 100, method="nearest")), 1)


def _metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    cited = [ok for r in rows for ok in r["citations_correct"]]
    numbers = [r["numbers"] for r in rows if r["numbers"] is not None]
    supported = sum(n[0] for n in numbers)
    total_numbers = sum(n[1] for n in numbers)
    return {
        "n_questions": len(rows),
        "retrieval": {k: _mean([r[k] for r in rows]) for k in _RETRIEVAL},
        "answer": {
            "all_facts": _mean([r["all_facts"] for r in answerable]),  # min_facts honoured
            "fact_recall": _mean([r["fact_recall"] for r in answerable]),
            "token_f1": _mean([r["token_f1"] for r in answerable]),
            # of the answers that lead with a pinned item, those whose item states a gold fact
            "lead_right": _mean([r.get("lead_right") for r in answerable]),
        },
        "facts": {  # the stricter reading: every must_include fact, min_facts ignored
            "every_fact": _mean([r.get("every_fact", r["all_facts"]) for r in answerable]),
            "with_min_facts": sum(1 for r in answerable if r.get("min_facts") is not None),
        },
        "refusal": {
            "unanswerable_refused": _mean([r["refused"] for r in unanswerable]),
            "answerable_refused": _mean([r["refused"] for r in answerable]),
        },
        "citations": {
            "precision": round(sum(cited) / len(cited), 3) if cited else None,
            "recall": _mean([r["citation_recall"] for r in rows]),
            "quote_mismatches": sum(r["quote_mismatches"] for r in rows),
            # citations of documents with pages (PDF, scan, image) that name their page
            "with_page": _share([ok for r in rows for ok in r.get("citations_paged", [])]),
        },
        "evidence_missing": sum(r.get("evidence_missing", 0) for r in rows),
        "grounding": {"numbers_supported": round(supported / total_numbers, 3) if total_numbers else None},
        "latency_ms": {"p50": percentile([r["latency_ms"] for r in rows], 0.5),
                       "p95": percentile([r["latency_ms"] for r in rows], 0.95)},
    }


def failed(row: dict[str, Any]) -> bool:
    """Listed in the report: answerable and not all facts right (``min_facts`` counted), miscited,
    misquoted or led by an item that states no gold fact; or unanswerable and answered.
    """
    if row["answerable"]:
        return (not row["all_facts"] or not all(row["citations_correct"]) or row["quote_mismatches"] > 0
                or row.get("lead_right") is False)
    return not row["refused"]


def summarise(rows: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    """The metrics.json object of one configuration (plus its failed questions, for the report)."""
    summary = _metrics(rows)
    tags = sorted({t for r in rows for t in r["tags"]})
    summary["by_tag"] = {t: _metrics([r for r in rows if t in r["tags"]]) for t in tags}
    summary["config"] = config
    summary["failures"] = [r for r in rows if failed(r)]
    summary["latencies_ms"] = [round(r["latency_ms"], 1) for r in rows]
    return summary


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["# Evaluation report", ""]
    header = ["config", "hit@1", "hit@5", "mrr@10", "all facts", "token F1", "unans. refused", "ans. refused",
              "cit. precision", "cit. recall", "numbers supported", "p50 ms", "p95 ms"]
    lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for r in results:
        cells = [r["config"]["name"], r["retrieval"]["hit@1"], r["retrieval"]["hit@5"], r["retrieval"]["mrr@10"],
                 r["answer"]["all_facts"], r["answer"]["token_f1"], r["refusal"]["unanswerable_refused"],
                 r["refusal"]["answerable_refused"], r["citations"]["precision"], r["citations"]["recall"],
                 r["grounding"]["numbers_supported"], r["latency_ms"]["p50"], r["latency_ms"]["p95"]]
        lines.append("| " + " | ".join(_fmt(c) for c in cells) + " |")
    lines.append("")
    for r in results:
        paged, missing = r["citations"].get("with_page"), r.get("evidence_missing", 0)
        if paged is not None:
            lines.append(f"{r['config']['name']}: citations of paged documents (PDF, scan) naming their page: {paged:.3f}")
        if missing:
            lines.append(f"{r['config']['name']}: {missing} gold evidence spans not in the indexed text "
                         "(document not indexed, or its extracted text differs)")
        lead = r["answer"].get("lead_right")
        if lead is not None:
            lines.append(f"{r['config']['name']}: answers led by a pinned item whose item states a gold fact: "
                         f"{lead:.3f}")
    lines.append("")
    with_min = max((r["facts"]["with_min_facts"] for r in results), default=0)
    if with_min:
        lines += [f"\"all facts\": {with_min} questions set `min_facts`: they count when at least that "
                  "many of their `must_include` facts are found (metrics.json `facts.every_fact`: all)", ""]
    for r in results:
        name = r["config"]["name"]
        lines += [f"## {name}: by tag", "", "| tag | n | hit@5 | all facts | unans. refused | cit. precision |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for tag, m in r["by_tag"].items():
            lines.append(f"| {tag} | {m['n_questions']} | {_fmt(m['retrieval']['hit@5'])} | "
                         f"{_fmt(m['answer']['all_facts'])} | {_fmt(m['refusal']['unanswerable_refused'])} | "
                         f"{_fmt(m['citations']['precision'])} |")
        lines += ["", f"## {name}: failed questions ({len(r['failures'])})", ""]
        for f in r["failures"]:
            lines += [f"- **{f['id']}** {f['question']}", f"  - understood: {f['understood']}",
                      f"  - answer: {f['answer'][:300]}", f"  - retrieved: {', '.join(f['retrieved'][:3])}",
                      f"  - citations correct: {f['citations_correct']}"]
            if f.get("facts_found") is not None and f.get("facts_required") is not None:
                lines.append(f"  - facts found: {f['facts_found']} (needed {f['facts_required']})")
            if f.get("lead_right") is False:
                lines.append("  - the lead states no gold fact")
        lines.append("")
    return "\n".join(lines)


def plots(out: Path, results: list[dict[str, Any]]) -> list[Path]:
    """Metric per configuration, per-tag bars (first configuration), latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    names = [r["config"]["name"] for r in results]
    metrics = [("hit@5", lambda r: r["retrieval"]["hit@5"]), ("all facts", lambda r: r["answer"]["all_facts"]),
               ("unans. refused", lambda r: r["refusal"]["unanswerable_refused"]),
               ("cit. precision", lambda r: r["citations"]["precision"])]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(metrics)
    for i, (label, get) in enumerate(metrics):
        ax.bar([x + i * width for x in range(len(names))], [get(r) or 0 for r in results], width, label=label)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(names))], names)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Metrics per configuration")
    fig.tight_layout()
    written.append(out / "metrics_by_config.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    first = results[-1]
    tags = list(first["by_tag"])
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(tags, [first["by_tag"][t]["answer"]["all_facts"] or 0 for t in tags])
    ax.set_ylim(0, 1.05)
    ax.set_title(f"All facts found, by tag ({first['config']['name']})")
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    written.append(out / "by_tag.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for r in results:
        ax.hist(r["latencies_ms"], bins=20, alpha=0.5, label=r["config"]["name"])
    ax.set_xlabel("ms per question")
    ax.legend(fontsize=8)
    ax.set_title("Answer latency")
    fig.tight_layout()
    written.append(out / "latency.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)
    return written


def write_outputs(out: Path, results: list[dict[str, Any]], metrics: dict[str, Any]) -> None:
    (out / "report.md").write_text(markdown(results), encoding="utf-8")
    plots(out, results)

    def public(r: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in r.items() if k not in ("failures", "latencies_ms")}

    data = public(metrics) if "configs" not in metrics else {"configs": [public(r) for r in metrics["configs"]]}
    (out / "metrics.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
