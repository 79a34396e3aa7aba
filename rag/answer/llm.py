"""Generative answering through llama-index's LLM interface (optional; the default is extractive).

Two backends, both fully offline:

* ``openai``: any OpenAI-compatible server on the network (vLLM, llama.cpp's server, Ollama's /v1),
  through llama-index's ``OpenAILike`` (package ``llama-index-llms-openai-like``).
* ``gguf``: a local GGUF file run in-process by llama-cpp-python, through llama-index's ``LlamaCPP``
  (package ``llama-index-llms-llama-cpp``). ``model_url`` is never used: nothing is downloaded.

The model is built lazily, once, on first use. Whatever the model writes is only a draft: callers
run :func:`rag.answer.grounding.check_grounding` on it before showing it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args
from urllib.parse import urlparse

from rag.answer.grounding import MARKER_RE
from rag.answer.prompts import HistoryItem, build_messages, condense_messages, to_chat_history
from rag.config import AnswerMode, LLMSettings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM, ChatMessage

logger = logging.getLogger(__name__)

T = TypeVar("T")


class LLMConfigError(ValueError):
    """The LLM settings are incomplete, or the answer mode needs a package that is not installed."""


class LLMUnavailable(RuntimeError):
    """The model could not be reached or loaded (server down, timeout, unreadable GGUF file)."""


# -- construction ---------------------------------------------------------------------------------


def _api_base(url: str) -> str:
    """The server URL as OpenAI clients want it: a bare ``http://host:port`` gets ``/v1``."""
    url = url.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise LLMConfigError(f"llm.base_url must be an http(s) URL, got {url!r}")
    if parsed.path in ("", "/"):
        logger.info("llm.base_url has no path; using %s/v1", url)
        url = f"{url}/v1"
    return url


def check_mode(answer_mode: str) -> AnswerMode:
    """``answer_mode`` if it is one (``answer.mode``'s values), else LLMConfigError."""
    if answer_mode not in get_args(AnswerMode):
        raise LLMConfigError(f"unknown answer mode {answer_mode!r}; use {', '.join(get_args(AnswerMode))}")
    return answer_mode  # type: ignore[return-value]


def describe_target(settings: LLMSettings, answer_mode: AnswerMode) -> str:
    """Where the model lives, for messages: the URL or the GGUF path."""
    if answer_mode == "openai":
        return f"OpenAI-compatible server {settings.base_url}"
    if answer_mode == "gguf":
        return f"GGUF model {settings.gguf_path}"
    return "extractive mode (no LLM)"


def _make_openai(settings: LLMSettings) -> LLM:
    if not settings.base_url:
        raise LLMConfigError(
            "answer.mode = 'openai' needs llm.base_url (e.g. http://127.0.0.1:8080/v1; "
            "env BAOCAO_LLM__BASE_URL)"
        )
    api_base = _api_base(settings.base_url)
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        raise LLMConfigError(
            "answer.mode = 'openai' needs the package llama-index-llms-openai-like: "
            "pip install llama-index-llms-openai-like"
        ) from exc
    return OpenAILike(
        model=settings.model,
        api_base=api_base,
        api_key=settings.api_key or "not-needed",
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.context_window,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        timeout=settings.timeout_s,
        max_retries=0,  # local servers do not rate-limit; timeout_s stays the real bound
    )


def _gguf_chat_formatter(model: Any) -> Callable[[Sequence[ChatMessage]], str] | None:
    """A messages→prompt function from the chat template stored in the loaded GGUF, if it has one.

    The prompt is then laid out the way the model was trained; LlamaCPP's generic default layout
    makes small instruct models ramble.
    """
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    meta = getattr(model, "metadata", None) or {}
    template = meta.get("tokenizer.chat_template")
    if not template:
        return None

    def token(key: str) -> str:
        tid = meta.get(key)
        if tid is None:
            return ""
        return model.detokenize([int(tid)], special=True).decode("utf-8", errors="ignore")

    # bos_token is left empty: llama.cpp adds BOS itself when tokenizing the prompt
    formatter = Jinja2ChatFormatter(
        template=template,
        eos_token=token("tokenizer.ggml.eos_token_id"),
        bos_token="",
        add_generation_prompt=True,
    )

    def messages_to_prompt(messages: Sequence[ChatMessage]) -> str:
        chat = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        return formatter(messages=chat).prompt

    return messages_to_prompt


def _make_gguf(settings: LLMSettings) -> LLM:
    path = settings.gguf_path
    if path is None:
        raise LLMConfigError("answer.mode = 'gguf' needs llm.gguf_path (env BAOCAO_LLM__GGUF_PATH)")
    path = Path(path).expanduser()
    if not path.is_file():
        raise LLMUnavailable(f"GGUF model file not found: {path}")
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        raise LLMConfigError(
            "answer.mode = 'gguf' needs llama-cpp-python: "
            "pip install llama-cpp-python llama-index-llms-llama-cpp"
        ) from exc
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError as exc:
        raise LLMConfigError(
            "answer.mode = 'gguf' needs the package llama-index-llms-llama-cpp: "
            "pip install llama-index-llms-llama-cpp"
        ) from exc
    model_kwargs: dict[str, Any] = {"n_gpu_layers": 0}
    if settings.n_threads:
        model_kwargs["n_threads"] = settings.n_threads
        model_kwargs["n_threads_batch"] = settings.n_threads
    try:
        llm = LlamaCPP(
            model_path=str(path),
            model_url=None,
            temperature=min(settings.temperature, 1.0),  # LlamaCPP accepts 0..1
            max_new_tokens=settings.max_tokens,
            context_window=settings.context_window,
            generate_kwargs={},
            model_kwargs=model_kwargs,
            verbose=False,
        )
    except (ValueError, OSError, RuntimeError) as exc:
        raise LLMUnavailable(f"cannot load GGUF model {path}: {exc}") from exc
    formatter = _gguf_chat_formatter(llm._model)
    if formatter is not None:
        from llama_index.core.llms import ChatMessage, MessageRole

        llm.messages_to_prompt = formatter
        llm.completion_to_prompt = lambda prompt: formatter(
            [ChatMessage(role=MessageRole.USER, content=prompt)]
        )
    else:
        logger.warning("%s has no chat template; using LlamaCPP's generic prompt layout", path)
    return llm


def make_llm(settings: LLMSettings, answer_mode: AnswerMode) -> LLM:
    """The llama-index LLM of ``answer_mode`` built from ``settings``; LLMConfigError when incomplete."""
    answer_mode = check_mode(answer_mode)
    if answer_mode == "openai":
        return _make_openai(settings)
    if answer_mode == "gguf":
        return _make_gguf(settings)
    raise LLMConfigError("answer.mode = 'extractive' uses no LLM; set it to 'openai' or 'gguf'")


# -- answering ------------------------------------------------------------------------------------


def _field(source: Any, name: str, index: int) -> Any:
    if isinstance(source, (tuple, list)):
        return source[index] if len(source) > index else None
    return getattr(source, name, None)


def prompt_sources(sources: Sequence[Any]) -> list[tuple[int, str, str]]:
    """(n, label, text) for the prompt from any of the source shapes callers have.

    Accepted: ``(n, label, text)`` tuples (as :func:`build_messages` takes), ``(n, doc, title, section,
    text)`` tuples, or objects with ``n``, ``doc``, ``title``, ``section`` and ``text`` (or ``quote``,
    as :class:`rag.records.Citation` has).
    """
    out: list[tuple[int, str, str]] = []
    for s in sources:
        if isinstance(s, (tuple, list)) and len(s) == 3:
            n, label, text = s
            out.append((int(n), str(label or ""), str(text or "")))
            continue
        n = int(_field(s, "n", 0))
        doc, title, section = _field(s, "doc", 1), _field(s, "title", 2), _field(s, "section", 3)
        text = _field(s, "text", 4)
        if text is None:
            text = getattr(s, "quote", "")
        label = " — ".join(str(x) for x in (title or doc, section) if x)
        out.append((n, label, str(text or "")))
    return out


def grounding_sources(sources: Sequence[Any]) -> dict[int, str]:
    """What each source number stands for in :func:`check_grounding`: its label and text, as shown."""
    return {n: f"{label}\n{text}" if label else text for n, label, text in prompt_sources(sources)}


def cited_numbers(text: str, known: Sequence[int] | None = None) -> list[int]:
    """Source numbers cited by markers in ``text``, in order of first appearance (known ones only)."""
    seen: list[int] = []
    for m in MARKER_RE.finditer(text):
        for part in m.group(0).strip("[]").replace(";", ",").split(","):
            n = int(part)
            if (known is None or n in known) and n not in seen:
                seen.append(n)
    return seen


def _clean_question(text: str, fallback: str) -> str:
    """The first useful line of a condense reply, without labels or quotes."""
    for line in text.strip().splitlines():
        line = line.strip().strip('"“”').strip()
        for prefix in ("Câu hỏi độc lập:", "Câu hỏi:", "Người dùng:"):
            if line.lower().startswith(prefix.lower()):
                line = line[len(prefix) :].strip().strip('"“”').strip()
        if line:
            return line
    return fallback


class LLMAnswerer:
    """Drafts answers from numbered sources with a generative model; the caller grounds them."""

    def __init__(self, settings: LLMSettings, answer_mode: AnswerMode, llm: LLM | None = None) -> None:
        """``settings``: ``Settings.llm``; ``answer_mode``: openai or gguf (``answer.mode``, or a caller's choice)."""
        self.settings = settings
        self.answer_mode = check_mode(answer_mode)
        self._llm = llm
        self._init_lock = threading.Lock()
        # llama.cpp contexts are not thread-safe; HTTP servers queue requests themselves.
        self._call_lock: threading.Lock | None = threading.Lock() if self.answer_mode == "gguf" else None

    @property
    def llm(self) -> LLM:
        """The model, built on first use and kept."""
        if self._llm is None:
            with self._init_lock:
                if self._llm is None:
                    logger.info("loading LLM: %s", describe_target(self.settings, self.answer_mode))
                    self._llm = make_llm(self.settings, self.answer_mode)
        return self._llm

    def _guard(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, turning connection failures and timeouts into LLMUnavailable."""
        try:
            if self._call_lock is None:
                return fn()
            with self._call_lock:
                return fn()
        except (LLMUnavailable, LLMConfigError):
            raise
        except self._backend_errors() as exc:
            raise self._unavailable(exc) from exc

    def _backend_errors(self) -> tuple[type[BaseException], ...]:
        """Exceptions meaning "the model is unreachable or failed", per answer mode (not our own bugs)."""
        errors: list[type[BaseException]] = [OSError, TimeoutError]
        try:
            import httpx

            errors.append(httpx.HTTPError)
        except ImportError:  # pragma: no cover - httpx is a dependency
            pass
        if self.answer_mode == "openai":
            try:
                import openai

                errors.append(openai.APIError)
            except ImportError:  # pragma: no cover - make_llm already said what to install
                pass
        elif self.answer_mode == "gguf":
            errors.extend([RuntimeError, ValueError])  # llama.cpp: decode failures, prompt too long
        return tuple(errors)

    def _unavailable(self, exc: BaseException) -> LLMUnavailable:
        timed_out = "timeout" in type(exc).__name__.lower() or isinstance(exc, TimeoutError)
        target = describe_target(self.settings, self.answer_mode)
        what = "timed out" if timed_out else "failed"
        return LLMUnavailable(f"{target} {what}: {type(exc).__name__}: {exc}")

    def _chat(self, messages: list[ChatMessage]) -> str:
        response = self._guard(lambda: self.llm.chat(messages))
        return (response.message.content or "").strip()

    def answer(
        self, question: str, sources: Sequence[Any], history: Sequence[HistoryItem] | None = None
    ) -> tuple[str, list[int]]:
        """The model's draft answer and the known source numbers it cites (not yet grounded)."""
        shown = prompt_sources(sources)
        text = self._chat(build_messages(question, shown, history))
        logger.debug("LLM draft: %r", text)
        return text, cited_numbers(text, [n for n, _, _ in shown])

    def stream(
        self, question: str, sources: Sequence[Any], history: Sequence[HistoryItem] | None = None
    ) -> Iterator[str]:
        """Token deltas of the draft answer, as the model writes them."""
        messages = build_messages(question, prompt_sources(sources), history)
        lock = self._call_lock
        if lock is not None:
            lock.acquire()
        try:
            try:
                chunks = self.llm.stream_chat(messages)
                for chunk in chunks:
                    if chunk.delta:
                        yield chunk.delta
            except (LLMUnavailable, LLMConfigError):
                raise
            except self._backend_errors() as exc:
                raise self._unavailable(exc) from exc
        finally:
            if lock is not None:
                lock.release()

    def condense(self, question: str, history: Sequence[HistoryItem] | None) -> str:
        """A follow-up rewritten as a standalone question; unchanged when there is no history."""
        if not to_chat_history(history):
            return question
        reply = self._chat(condense_messages(question, history))
        return _clean_question(reply, question)
