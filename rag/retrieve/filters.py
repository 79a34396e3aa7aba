"""Filters that explain themselves: which documents a :class:`SearchFilters` leaves, and why not more.

A user who set "năm 2020" in a collapsed panel and then asks about 2021 must read that the
filter removed the 2021 reports, not the generic "Không tìm thấy"; a mistyped ``--doc`` must read
"no such document". Messages are Vietnamese with an English gloss in parentheses, as elsewhere.

How to call it (from the assistant, before retrieving)::

    from rag.retrieve.filters import explain_filters, not_found_note

    if filters is not None and filters.active:
        documents = {row.doc_id: row.metadata for row in self.store.documents_by_id().values()}
        report = explain_filters(filters, documents)
        if report.empty:  # nothing to search: answer with the reason instead of the refusal
            return <refusal Answer, found=False, text=report.message, no citations>
        allowed = set(report.allowed)  # the same set as store.allowed_docs(filters)
    ...
    if not draft.found and filters is not None and filters.active:
        text = NOT_FOUND + " " + not_found_note(filters, report)  # is_refusal(text) stays True

``describe_filters(filters)`` gives a one-line label of the active filters (to show above an
answer or record in an export); every function returns "" / no notes when no filter is active.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from rag.records import DocumentMetadata, SearchFilters, document_years
from rag.text.normalize import fold_diacritics
from rag.text.provinces import PRE_2025_CITIES, canonical_province_name

logger = logging.getLogger(__name__)

__all__ = ["FilterReport", "describe_filters", "explain_filters", "not_found_note"]


@dataclass(frozen=True)
class FilterReport:
    """What the active filters leave of an index, and sentences that say what each one excluded.

    ``allowed``: the documents that pass every filter (all documents when none is active).
    ``excluded``: ``(filter, documents it excludes on its own)`` for each active filter, in the
    order province, year, doc. ``notes``: one sentence per active filter. ``message``: the text
    to answer with when no document is left (``None`` otherwise).
    """

    allowed: frozenset[str]
    total: int
    excluded: tuple[tuple[str, int], ...] = ()
    notes: tuple[str, ...] = ()
    message: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.excluded)

    @property
    def empty(self) -> bool:
        """True when filters are active and leave no document to search."""
        return self.active and not self.allowed


def _province_label(filters: SearchFilters) -> tuple[str, str]:
    """(Vietnamese, English) names of the province filter: ("tỉnh Cà Mau", "Cà Mau")."""
    name = filters.province_name or ""
    if name in PRE_2025_CITIES:
        return f"thành phố {name}", name
    if canonical_province_name(name) is None:
        return f"tỉnh/thành phố {name}", name
    return f"tỉnh {name}", name


_TOGETHER = "Kết hợp lại, các bộ lọc không để lại tài liệu nào (together the filters leave no document)."
_EN_KIND = {"province": "province", "year": "year", "doc": "document"}


def _labels(filters: SearchFilters) -> list[tuple[str, str, str]]:
    """``(kind, Vietnamese label, value)`` of each active filter, in a fixed order."""
    labels = []
    if filters.province is not None:
        vi, name = _province_label(filters)
        labels.append(("province", vi, name))
    if filters.year is not None:
        labels.append(("year", f"năm {filters.year}", str(filters.year)))
    if filters.doc is not None:
        labels.append(("doc", f"tài liệu {filters.doc}", filters.doc))
    return labels


def _joined(filters: SearchFilters) -> tuple[str, str]:
    """The active filters as one Vietnamese and one English list ("năm 2020", "year 2020")."""
    labels = _labels(filters)
    return (", ".join(vi for _, vi, _ in labels),
            ", ".join(f"{_EN_KIND[kind]} {value}" for kind, _, value in labels))


def describe_filters(filters: SearchFilters | None) -> str:
    """One line naming the active filters ("Bộ lọc: tỉnh Cà Mau, năm 2020 (filters: …)"), or ""."""
    if filters is None or not filters.active:
        return ""
    vi, en = _joined(filters)
    return f"Bộ lọc: {vi} (filters: {en})"


def _passes(kind: str, filters: SearchFilters, doc_id: str, metadata: DocumentMetadata) -> bool:
    if kind == "province":
        return filters.accepts_province(metadata)
    if kind == "year":
        return filters.accepts_year(metadata)
    return doc_id == filters.doc


def _sort_key(name: str) -> str:
    return fold_diacritics(name).lower()


def _similar_names(wanted: str, doc_ids: list[str]) -> list[str]:
    """Up to three document names the user may have meant (the name without its folder or extension)."""
    low = wanted.strip().lower()
    containing = [d for d in doc_ids if low and low in d.lower()]
    if containing:
        return sorted(containing)[:3]
    stems: dict[str, str] = {}
    for d in sorted(doc_ids):
        stems.setdefault(PurePosixPath(d.lower()).stem, d)
    close = difflib.get_close_matches(PurePosixPath(low).stem, list(stems), n=3, cutoff=0.6)
    return [stems[s] for s in close]


def _nothing_left(kind: str, filters: SearchFilters, documents: Mapping[str, DocumentMetadata]) -> str:
    """Why one filter alone leaves no document, with what the index holds instead."""
    if kind == "doc":
        doc = filters.doc or ""
        text = f"Không có tài liệu nào tên {doc} (no such document: {doc})."
        close = _similar_names(doc, list(documents))
        if close:
            names = ", ".join(close)
            text += f" Tên gần giống: {names} (similar names: {names})."
        return text
    if kind == "year":
        text = f"Không có tài liệu nào của năm {filters.year} (no document from {filters.year})."
        years = sorted({y for meta in documents.values() for y in document_years(meta)})
        if years:
            listed = ", ".join(map(str, years))
            text += f" Các năm có trong chỉ mục: {listed} (years in the index: {listed})."
        return text
    vi, name = _province_label(filters)
    text = f"Không có tài liệu nào của {vi} (no document from {name})."
    names = {canonical_province_name(m.province) or m.province for m in documents.values() if m.province}
    if names:
        listed = ", ".join(sorted(names, key=_sort_key))
        text += f" Các tỉnh, thành phố có trong chỉ mục: {listed} (provinces in the index: {listed})."
    else:
        text += " Chưa tài liệu nào ghi nhận tỉnh, thành phố (no document has a known province)."
    return text


def _excluded_some(kind: str, vi: str, value: str, excluded: int, total: int) -> str:
    en_filter = f"{_EN_KIND[kind]} filter {value}"
    if excluded == 0:
        return f"Bộ lọc {vi} không loại tài liệu nào ({en_filter} excluded none of {total} documents)."
    return (
        f"Bộ lọc {vi} loại {excluded} trong {total} tài liệu "
        f"({en_filter} excluded {excluded} of {total} documents)."
    )


def explain_filters(filters: SearchFilters | None, documents: Mapping[str, DocumentMetadata]) -> FilterReport:
    """The documents ``filters`` leave of ``documents`` (doc id → metadata), and what each filter excluded.

    When nothing is left, ``message`` names the filter(s) responsible: the one that alone excludes
    every document (with the names, years or provinces the index does hold), else every filter
    and the fact that together they leave nothing.
    """
    total = len(documents)
    if filters is None or not filters.active:
        return FilterReport(allowed=frozenset(documents), total=total)
    allowed = frozenset(d for d, meta in documents.items() if filters.accepts(d, meta))
    excluded: list[tuple[str, int]] = []
    notes: list[str] = []
    culprits: list[str] = []
    for kind, vi, value in _labels(filters):
        kept = sum(1 for d, meta in documents.items() if _passes(kind, filters, d, meta))
        excluded.append((kind, total - kept))
        if kept == 0 and total:
            note = _nothing_left(kind, filters, documents)
            culprits.append(note)
        else:
            note = _excluded_some(kind, vi, value, total - kept, total)
        notes.append(note)
    message = None
    if not allowed:
        if not total:
            message = "Chỉ mục chưa có tài liệu nào (the index holds no documents)."
        elif culprits:
            message = " ".join(culprits)
        else:
            message = " ".join([*notes, _TOGETHER])
    logger.debug("filters %s leave %d of %d documents", filters, len(allowed), total)
    return FilterReport(
        allowed=allowed, total=total, excluded=tuple(excluded), notes=tuple(notes), message=message
    )


def not_found_note(filters: SearchFilters | None, report: FilterReport | None = None) -> str:
    """What to append to a refusal when filters left documents but none held the answer ("" if no filter).

    It names the active filters, so the user knows the search was narrowed and can clear them.
    """
    if filters is None or not filters.active:
        return ""
    vi, en = _joined(filters)
    if report is not None and report.total:
        left, total = len(report.allowed), report.total
        return (
            f"Chỉ tìm trong {left}/{total} tài liệu thỏa bộ lọc: {vi}; "
            "bỏ bộ lọc để tìm trong tất cả tài liệu "
            f"(searched only the {left} of {total} documents matching the filters: {en}; "
            "clear the filters to search all)."
        )
    return (
        f"Chỉ tìm trong các tài liệu thỏa bộ lọc: {vi}; bỏ bộ lọc để tìm trong tất cả tài liệu "
        f"(searched only the documents matching the filters: {en}; clear the filters to search all)."
    )
