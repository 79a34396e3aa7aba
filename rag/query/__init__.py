"""Understanding questions: what they ask (:mod:`.analyze`), follow-ups made standalone (:mod:`.followup`)."""

from __future__ import annotations

from rag.query.analyze import QueryAnalysis, analyze
from rag.query.followup import Turn, condense, is_follow_up

__all__ = ["QueryAnalysis", "Turn", "analyze", "condense", "is_follow_up"]
