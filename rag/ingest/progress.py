"""The ingest's bar over the chunks it embeds: "Đang tạo vector: 40/76 đoạn [00:12, còn khoảng 00:11]".

Why a bar over chunks: after the files are read, embedding is most of an ingest (26-111 s for the
sample reports on 2 cores) and showed nothing. The summary counts chunks ("76 đoạn"), so the bar
does too. A chunk's work is its own vector and its sentences' vectors (the reader's), so the bar
follows the characters embedded of both and counts a chunk done when its share of them is; texts
that come from the cache move it at once. The total grows as the ingest queues more chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO

from tqdm import tqdm

LABEL = "Đang tạo vector"
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} đoạn [{elapsed}, còn khoảng {remaining}]"


class ChunkProgress:
    """One bar for a whole ingest; :meth:`batch` adds a batch of chunks and returns its ``on_texts``."""

    def __init__(self, enabled: bool, file: IO[str] | None = None) -> None:
        self._enabled = enabled
        self._file = file
        self._bar: tqdm | None = None

    def batch(self, chunks: int, texts: Sequence[str]) -> Callable[[Sequence[str]], None] | None:
        """Count ``chunks`` more; the callback takes the texts (of ``texts``) each embedding step settled."""
        if not self._enabled or chunks <= 0:
            return None
        if self._bar is None:
            self._bar = tqdm(
                total=chunks, desc=LABEL, bar_format=BAR_FORMAT, file=self._file, dynamic_ncols=True
            )
        else:
            self._bar.total += chunks
            self._bar.refresh()
        bar = self._bar
        total_chars = max(1, sum(len(t) for t in texts))
        done_chars = shown = 0

        def advance(settled: Sequence[str]) -> None:
            nonlocal done_chars, shown
            done_chars += sum(len(t) for t in settled)
            target = min(chunks, chunks * done_chars // total_chars)
            if target > shown:
                bar.update(target - shown)
                shown = target

        return advance

    @property
    def counts(self) -> tuple[int, int]:
        """Chunks shown done, and chunks counted so far."""
        return (0, 0) if self._bar is None else (int(self._bar.n), int(self._bar.total))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
