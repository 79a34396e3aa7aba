"""Structure-aware chunking of a normalised document into llama-index ``TextNode``s.

Rules: a chunk never crosses a top-level section; a heading starts a new chunk when the current
one already holds some text; sentences are packed up to ``target_chars`` and never split unless
one alone exceeds ``max_chars``; a chunk repeats whole sentences from the previous one up to
``overlap_chars``. Every chunk is ``doc.text[start:end]`` exactly and carries its section path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from rag.chunk.structure import Block, parse_blocks, top_level
from rag.config import ChunkingSettings
from rag.records import LoadedDocument
from rag.text.sentences import sentence_spans

SECTION_SEPARATOR = " > "
_MAX_SECTION_LABEL = 90

#: Bump when the chunker or :func:`contextual_text` would cut or word a stored document's chunks
#: differently: indexes made before are re-chunked from their stored text at the next ingest.
# 2: a title the chunk opens with is not repeated in its embedded text
# 3: the sentences of every chunk are embedded too (the reader's semantic evidence)
# 4: a boundary inside brackets that close on the same line ends no sentence (rag/text/sentences.py)
CHUNKER_VERSION = 4


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a heading, or a piece of an over-long sentence) with its section context."""

    start: int
    end: int
    section: tuple[str, ...]
    top: int  # index of the top-level section it belongs to
    is_heading: bool


def _label(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_SECTION_LABEL else text[: _MAX_SECTION_LABEL - 1].rstrip() + "…"


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at spaces into pieces of at most ``max_chars``."""
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start] == " ":
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def _units(text: str, blocks: list[Block], max_chars: int) -> list[_Unit]:
    outer = top_level(blocks)
    stack: list[tuple[int, str]] = []  # (level, label)
    top_index = 0
    units: list[_Unit] = []
    for block in blocks:
        if block.kind == "heading":
            if outer is not None and block.level <= outer:
                top_index += 1
            stack = [(lvl, lab) for lvl, lab in stack if lvl < block.level]
            stack.append((block.level, _label(text[block.start : block.end])))
            section = tuple(lab for _, lab in stack)
            for s, e in _split_long(text, block.start, block.end, max_chars):
                units.append(_Unit(s, e, section, top_index, True))
            continue
        section = tuple(lab for _, lab in stack)
        for s, e in sentence_spans(text, block.start, block.end):
            for ps, pe in _split_long(text, s, e, max_chars):
                units.append(_Unit(ps, pe, section, top_index, False))
    return units


def _pack(units: list[_Unit], cfg: ChunkingSettings) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if current:
            size_with = unit.end - current[0].start
            new_section = unit.top != current[0].top
            heading_break = unit.is_heading and (current[-1].end - current[0].start) >= cfg.target_chars // 3
            if new_section or heading_break or size_with > cfg.target_chars:
                groups.append(current)
                carry: list[_Unit] = []
                if not new_section and not unit.is_heading and cfg.overlap_chars > 0:
                    for prev in reversed(current):
                        if prev.is_heading or unit.end - prev.start > cfg.max_chars:
                            break
                        if current[-1].end - prev.start > cfg.overlap_chars:
                            break
                        carry.insert(0, prev)
                    if len(carry) == len(current):  # never repeat a whole chunk
                        carry = []
                current = carry
        current.append(unit)
    if current:
        groups.append(current)
    return groups


def chunking_signature(settings: ChunkingSettings) -> str:
    """What decides a document's chunks besides its text: the chunker's version and its settings."""
    return (
        f"v{CHUNKER_VERSION} target={settings.target_chars} max={settings.max_chars} "
        f"overlap={settings.overlap_chars}"
    )


def chunk_id(doc_id: str, start: int, end: int, text: str) -> str:
    """A stable id: the same document text always yields the same chunk ids."""
    digest = hashlib.sha1(f"{doc_id}\0{start}\0{end}\0{text}".encode()).hexdigest()
    return digest[:32]


def chunk_document(doc: LoadedDocument, settings: ChunkingSettings | None = None) -> list[TextNode]:
    """Cut ``doc`` into ``TextNode``s with ``start_char_idx``/``end_char_idx`` into ``doc.text``."""
    cfg = settings or ChunkingSettings()
    text = doc.text
    units = _units(text, parse_blocks(text), cfg.max_chars)
    doc_meta = doc.metadata.to_flat()
    nodes: list[TextNode] = []
    for index, group in enumerate(_pack(units, cfg)):
        start, end = group[0].start, group[-1].end
        body = text[start:end]
        # a chunk that opens with headings is filed under the deepest of them
        first_text = next((u for u in group if not u.is_heading), group[-1])
        section = SECTION_SEPARATOR.join(first_text.section)
        node = TextNode(
            id_=chunk_id(doc.doc_id, start, end, body),
            text=body,
            start_char_idx=start,
            end_char_idx=end,
            metadata={
                **doc_meta,
                "doc_id": doc.doc_id,
                "section": section,
                "chunk_index": index,
                "start": start,
                "end": end,
            },
            # what the embedder and the LLM see is decided by us, not by llama-index's metadata dump
            excluded_embed_metadata_keys=list({*doc_meta, "doc_id", "section", "chunk_index", "start", "end"}),
            excluded_llm_metadata_keys=list({*doc_meta, "doc_id", "section", "chunk_index", "start", "end"}),
        )
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc.doc_id)
        nodes.append(node)
    return nodes


def contextual_text(title: str | None, section: str | None, body: str) -> str:
    """What is embedded and BM25-indexed for a chunk: title and section path give it context.

    A context line the body already opens with (a document's first chunk starts with its title)
    is not repeated: the words are there once, and the embedder, whose cost grows with every
    token, is not made to read them twice.
    """
    head = body.lstrip()
    parts = [p for p in (title, section) if p and not head.startswith(p.strip())]
    return "\n".join([*parts, body])


def embedding_text(node: TextNode) -> str:
    """:func:`contextual_text` of a chunk node."""
    return contextual_text(node.metadata.get("title"), node.metadata.get("section"), node.get_content())


def chunk_sentences(text: str, nodes: Sequence[TextNode]) -> list[tuple[int, int]]:
    """The sentence spans of a document's chunks, once each, in reading order.

    Cut chunk by chunk with :func:`rag.text.sentences.sentence_spans`, exactly as the reader cuts
    the passages it quotes, so the spans the reader asks for are the spans stored at ingest.
    """
    spans: dict[tuple[int, int], None] = {}
    for node in nodes:
        for span in sentence_spans(text, node.start_char_idx or 0, node.end_char_idx or 0):
            spans[span] = None
    return sorted(spans)
