"""Ranking metrics over retrieved chunks whose relevance is a span overlap with gold evidence."""

from __future__ import annotations

import math
from collections.abc import Sequence

Span = tuple[str, int, int]  # (doc, start, end)


def overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def relevance(retrieved: Sequence[Span], evidence: Sequence[Span]) -> list[bool]:
    """For each retrieved chunk, whether it overlaps some evidence span."""
    return [any(overlaps(r, e) for e in evidence) for r in retrieved]


def hit_at(rel: Sequence[bool], k: int) -> float:
    return 1.0 if any(rel[:k]) else 0.0


def mrr_at(rel: Sequence[bool], k: int) -> float:
    for i, r in enumerate(rel[:k], 1):
        if r:
            return 1.0 / i
    return 0.0


def ndcg_at(rel: Sequence[bool], k: int, n_relevant: int) -> float:
    """Binary nDCG; the ideal ranking puts ``min(n_relevant, k)`` relevant chunks first."""
    dcg = sum(1.0 / math.log2(i + 1) for i, r in enumerate(rel[:k], 1) if r)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(n_relevant, k) + 1))
    return dcg / ideal if ideal else 0.0
