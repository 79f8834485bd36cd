"""The vector store: Chroma embedded (a folder) or a Chroma server, chosen by one setting.

Chroma's own default embedding function downloads a model; it is never used here because the
collection is always opened through `langchain_chroma.Chroma` with our embeddings.

Example:
    >>> store = open_store(Settings.load(), embeddings)
    >>> store.similarity_search_with_score("rollator", k=3)
"""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.settings import Settings
from assistant.values import Chunk


class StoreUnavailable(RuntimeError):
    """The Chroma server or folder cannot be reached; the message says what to do."""


def chroma_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.store == "server":
        try:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                         settings=chroma_settings)
            client.heartbeat()
            return client
        except Exception as exc:  # noqa: BLE001 - connection errors vary by transport
            raise StoreUnavailable(
                f"Chroma-servern på {settings.chroma_host}:{settings.chroma_port} svarar inte "
                f"({type(exc).__name__}). Starta den med `chroma run --path data/chroma` "
                "eller sätt HJALP_STORE=embedded."
            ) from exc
    if settings.store != "embedded":
        raise StoreUnavailable(f"Okänt lager {settings.store!r}; välj 'embedded' eller 'server'.")
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def open_store(settings: Settings, embeddings: Embeddings, client: Any = None) -> Any:
    """A LangChain `Chroma` vector store over the configured collection (cosine distance)."""
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=settings.collection,
        embedding_function=embeddings,
        client=client if client is not None else chroma_client(settings),
        collection_metadata={"hnsw:space": "cosine"},
    )


def all_chunks(store: Any) -> list[Chunk]:
    """Every chunk in the collection (for BM25 and the document library)."""
    data = store.get(include=["documents", "metadatas"])
    return [Chunk.from_metadata(text, meta or {})
            for text, meta in zip(data["documents"], data["metadatas"], strict=True)]
