"""The vector store: Chroma embedded (a folder) or a Chroma server, chosen by one setting.

Chroma's own default embedding function downloads a model; it is never used here because the
collection is always opened through `langchain_chroma.Chroma` with our embeddings.

A Chroma server can go away and come back. Every store call then retries with back-off
(`store_retries`, `store_retry_backoff_s`) and finally raises :class:`StoreUnavailable` with a
Swedish message saying what to do; the same store object works again once the server is back,
so the app recovers without a restart.

Usage (needs an index folder or a Chroma server, so not a doctest):

    settings = Settings.load()
    store = open_store(settings, make_embeddings(settings))   # core.embeddings
    store.similarity_search_with_score("rollator", k=3)   # [(Document, distance), …]
"""

from __future__ import annotations

import atexit
import errno
import functools
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, TypeVar

from langchain_core.embeddings import Embeddings

from core.settings import Settings, StoreKind
from core.values import Chunk

log = logging.getLogger("hjalp.store")
T = TypeVar("T")


class StoreUnavailable(RuntimeError):
    """The Chroma server or folder cannot be reached; the message says what to do."""


Problem = Literal["full", "readonly"]


class IndexNotWritable(RuntimeError):
    """The index cannot be changed (disk full, read-only); the message is Swedish and says what
    to do, and never advises a command that deletes data."""

    def __init__(self, message: str, kind: Problem = "readonly") -> None:
        super().__init__(message)
        self.kind = kind

_FULL_TEXT = ("disk is full", "no space left", "(code: 13)", "quota exceeded")
_READONLY_TEXT = ("readonly database", "read-only file system", "(code: 8)",
                  "read-only database")


def storage_problem(exc: BaseException | None) -> tuple[Problem, str] | None:
    """('full' | 'readonly', the file concerned or '') when an error, or one it was raised
    from, says the disk is full or the index cannot be written; else None. SQLite (record
    manager), Chroma's Rust core and the file system each say it in their own words."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        where = str(getattr(exc, "filename", None) or "")
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full", where
        if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "readonly", where
        text = str(exc).lower()
        if any(t in text for t in _FULL_TEXT):
            return "full", where
        if any(t in text for t in _READONLY_TEXT):
            return "readonly", where
        exc = exc.__cause__ or exc.__context__
    return None


def not_writable_message(folder: Path, problem: Problem, where: str = "") -> str:
    """What happened to the index in `folder` and what to do, in Swedish; nothing that
    deletes data."""
    file = f" ({where})" if where and Path(where) != folder else ""
    if problem == "full":
        return (f"Disken där indexet ligger är full{file}, så indexet i {folder} kunde inte "
                "uppdateras. Frigör utrymme på disken, eller ange en mapp på en annan disk med "
                "HJALP_INDEX_DIR, och läs in igen. Det som redan fanns i indexet finns kvar och "
                "frågor besvaras som förut; nästa inläsning reparerar det som blev halvfärdigt.")
    return (f"Indexmappen {folder} är skrivskyddad{file}, så dokument kan inte läggas till, "
            "ändras eller tas bort. Frågor besvaras som vanligt från det befintliga indexet. Ge "
            f"skrivrättighet till mappen (t.ex. chmod -R u+w {folder}) eller montera den "
            "skrivbar, och försök igen.")


@contextmanager
def storage_errors(settings: Settings) -> Iterator[None]:
    """Turn a full disk or a read-only index, however it is raised, into IndexNotWritable."""
    try:
        yield
    except IndexNotWritable:
        raise
    except Exception as exc:
        problem = storage_problem(exc)
        if problem is None:
            raise
        raise IndexNotWritable(not_writable_message(settings.index_dir, *problem),
                               problem[0]) from exc


def can_write(folder: Path) -> bool:
    """Whether the folder (or, if missing, the nearest folder above it) and its files can be
    written. Root may write where the mode says not, so this asks the system (`os.access`)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not os.access(existing, os.W_OK):
        return False
    return existing != folder or all(os.access(f, os.W_OK)
                                     for f in folder.iterdir() if f.is_file())


def write_problem(settings: Settings) -> str | None:
    """The message when this index cannot be changed before anything is tried, else None."""
    if read_only_copy(settings) is not None or not can_write(settings.index_dir) or (
            settings.store is StoreKind.EMBEDDED and not can_write(settings.index_dir / "chroma")):
        return not_writable_message(settings.index_dir, "readonly")
    return None


def server_down_message(settings: Settings, exc: BaseException) -> str:
    return (f"Chroma-servern på {settings.chroma_host}:{settings.chroma_port} svarar inte "
            f"({type(exc).__name__}). Starta den med `chroma run --path data/chroma "
            f"--host {settings.chroma_host} --port {settings.chroma_port}` och försök igen, "
            "eller sätt HJALP_STORE=embedded.")


def is_transient(exc: BaseException) -> bool:
    """Connection trouble that a retry can cure (server down, restarting, timing out)."""
    try:
        import httpx

        if isinstance(exc, httpx.TransportError):
            return True
    except ImportError:  # pragma: no cover - httpx comes with chromadb
        pass
    return isinstance(exc, (ConnectionError, TimeoutError))


def with_retries(settings: Settings, call: Callable[[], T]) -> T:
    """`call()`, retried on connection errors with exponential back-off; then StoreUnavailable."""
    attempts = max(0, settings.store_retries) + 1
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if attempt == attempts - 1:
                raise StoreUnavailable(server_down_message(settings, exc)) from exc
            delay = settings.store_retry_backoff_s * 2 ** attempt
            log.warning("Chroma server unreachable (%s), retry %d/%d in %.1f s",
                        type(exc).__name__, attempt + 1, attempts - 1, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


@functools.cache
def server_chroma_class() -> type:
    """LangChain's Chroma over a Chroma server, with retries and a clear error when it is down.

    Built on first use so that importing this module does not import chromadb.

        store = server_chroma_class()(collection_name="hjalpmedel", embedding_function=emb,
                                      client=client, settings=settings)
        store.similarity_search_with_score("rollator", k=3)   # may raise StoreUnavailable
    """
    from langchain_chroma import Chroma

    class ServerChroma(Chroma):
        def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
            self._hjalp_settings = settings
            with_retries(settings, lambda: super(ServerChroma, self).__init__(*args, **kwargs))

        def _retry(self, call: Callable[[], T]) -> T:
            return with_retries(self._hjalp_settings, call)

        def add_texts(self, *args: Any, **kwargs: Any) -> list[str]:
            return self._retry(lambda: super(ServerChroma, self).add_texts(*args, **kwargs))

        def get(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return self._retry(lambda: super(ServerChroma, self).get(*args, **kwargs))

        def delete(self, *args: Any, **kwargs: Any) -> None:
            return self._retry(lambda: super(ServerChroma, self).delete(*args, **kwargs))

        def similarity_search_with_score(self, *args: Any, **kwargs: Any) -> list[Any]:
            return self._retry(lambda: super(
                ServerChroma, self).similarity_search_with_score(*args, **kwargs))

        def similarity_search_by_vector_with_relevance_scores(self, *args: Any,
                                                              **kwargs: Any) -> list[Any]:
            return self._retry(lambda: super(
                ServerChroma, self).similarity_search_by_vector_with_relevance_scores(
                    *args, **kwargs))

        def similarity_search(self, *args: Any, **kwargs: Any) -> list[Any]:
            return self._retry(lambda: super(
                ServerChroma, self).similarity_search(*args, **kwargs))

    return ServerChroma


def chroma_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.store is StoreKind.SERVER:
        def connect() -> Any:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                         settings=chroma_settings)
            client.heartbeat()
            return client

        try:
            return with_retries(settings, connect)
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a port that is no Chroma server
            raise StoreUnavailable(server_down_message(settings, exc)) from exc
    path = settings.index_dir / "chroma"
    if not can_write(path):
        return _read_only_client(settings, chroma_settings)
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        if storage_problem(exc) is None:
            raise
        from chromadb.api.shared_system_client import SharedSystemClient

        # chromadb cached the system that failed to start; a later attempt must not reuse it.
        SharedSystemClient._identifier_to_system.pop(str(path), None)
        return _read_only_client(settings, chroma_settings)


# Index folders opened through a private copy (chromadb writes when it opens a folder, so a
# read-only one cannot be opened in place): folder → the copy.
_READ_ONLY_COPIES: dict[str, Path] = {}


def read_only_copy(settings: Settings) -> Path | None:
    """The private copy an index is read from when its folder cannot be written, if any."""
    return _READ_ONLY_COPIES.get(str(settings.index_dir / "chroma"))


def _read_only_client(settings: Settings, chroma_settings: Any) -> Any:
    """A client over a private copy of a read-only (or full) index: questions are answered
    from it, and `write_problem` refuses every change (it would land in the copy)."""
    import chromadb

    path = settings.index_dir / "chroma"
    copy = Path(tempfile.mkdtemp(prefix="hjalp-index-kopia-")) / "chroma"
    try:
        if path.is_dir():
            shutil.copytree(path, copy)
        else:
            copy.mkdir()
    except OSError as exc:
        shutil.rmtree(copy.parent, ignore_errors=True)
        problem = storage_problem(exc) or ("readonly", "")
        raise IndexNotWritable(not_writable_message(settings.index_dir, *problem),
                               problem[0]) from exc
    atexit.register(shutil.rmtree, copy.parent, True)
    _READ_ONLY_COPIES[str(path)] = copy
    log.warning("Index %s cannot be written; answering from a copy in %s", path, copy)
    return chromadb.PersistentClient(path=str(copy), settings=chroma_settings)


def fresh_chroma_client(settings: Settings, client: Any) -> Any:
    """A client that reads the store as it is now, after another process changed it.

    An embedded client keeps the vector index in memory and does not see another process's
    writes (a CLI ingest), so a new one is made; a server always answers with its current data.
    """
    if settings.store is not StoreKind.EMBEDDED:
        return client
    from chromadb.api.shared_system_client import SharedSystemClient

    # chromadb shares one system per folder in a process. Dropping it from that cache (not
    # stopping it: other threads may still be querying through it) makes the next client open
    # the folder afresh; the old one goes when nothing refers to it any more.
    copy = read_only_copy(settings)
    SharedSystemClient._identifier_to_system.pop(str(copy or settings.index_dir / "chroma"),
                                                 None)
    _READ_ONLY_COPIES.pop(str(settings.index_dir / "chroma"), None)
    return chroma_client(settings)


def open_store(settings: Settings, embeddings: Embeddings, client: Any = None) -> Any:
    """A LangChain `Chroma` vector store over the configured collection (cosine distance)."""
    kwargs: dict[str, Any] = {
        "collection_name": settings.collection,
        "embedding_function": embeddings,
        "client": client if client is not None else chroma_client(settings),
        "collection_metadata": {"hnsw:space": "cosine"},
    }
    if settings.store is StoreKind.SERVER:
        return server_chroma_class()(settings=settings, **kwargs)
    from langchain_chroma import Chroma

    return Chroma(**kwargs)


# Chroma reads a whole collection in one SQL statement with a variable per id; past ~30 000
# chunks SQLite refuses ("too many SQL variables"), so large reads go page by page.
READ_PAGE = 5000


def read_all(store: Any, include: list[str]) -> dict[str, list[Any]]:
    """`store.get(include=…)` over the whole collection, page by page.

        read_all(store, ["metadatas"])   # {"ids": [...], "metadatas": [...]}
    """
    out: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
    offset = 0
    while True:
        page = store.get(include=include, limit=READ_PAGE, offset=offset)
        for key in out:
            # Embeddings come as an array, whose truth value is ambiguous: test for None.
            out[key].extend(page[key] if page[key] is not None else [])
        if len(page["ids"]) < READ_PAGE:
            return out
        offset += READ_PAGE


def chunks_by_store_id(store: Any) -> dict[str, Chunk]:
    """Every chunk in the collection, by its Chroma id (which `nearest` returns)."""
    return chunks_from(read_all(store, ["documents", "metadatas"]))


def chunks_from(data: dict[str, list[Any]]) -> dict[str, Chunk]:
    """The chunks of a `read_all` result that includes documents and metadatas, by id."""
    return {id_: Chunk.from_metadata(text, meta or {})
            for id_, text, meta in zip(data["ids"], data["documents"], data["metadatas"],
                                       strict=True)}


def nearest(store: Any, text: str, k: int) -> list[tuple[str, float]]:
    """(Chroma id, cosine similarity) of the k chunks nearest to `text`, best first.

    Only ids and distances are read: the retriever already holds every chunk, and reading
    thousands of candidates' metadata costs many times what reading their ids costs.
    LangChain's Chroma has no id-only search, hence its collection is queried directly.

        nearest(store, "rollator", 2)   # [(chroma_id, similarity), …], best first
    """
    vector = store.embeddings.embed_query(text)

    def query() -> dict[str, Any]:
        return store._collection.query(query_embeddings=[vector], n_results=k,
                                       include=["distances"])

    retry = getattr(store, "_retry", None)  # a ServerChroma retries while the server is down
    result = retry(query) if retry is not None else query()
    return [(id_, 1.0 - float(distance))
            for id_, distance in zip(result["ids"][0], result["distances"][0], strict=True)]
