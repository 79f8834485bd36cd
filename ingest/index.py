"""Index: write chunks into Chroma through LangChain's indexing API and a SQL record manager.

The record manager remembers a content hash per chunk, so re-running on an unchanged corpus
embeds nothing, a changed document's old chunks are replaced (`scoped_full` cleanup per
document) and a removed document's chunks are deleted. Nothing is ever duplicated.

Example:
    >>> idx = Indexer(settings)
    >>> idx.index_document("x.txt", chunks).num_added
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Iterable

from langchain_core.documents import Document

from assistant.embeddings import make_embeddings
from assistant.settings import Settings
from assistant.store import chroma_client, open_store
from assistant.values import Chunk


@dataclass
class IndexCounts:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0

    def add(self, result: dict[str, int]) -> None:
        self.added += result.get("num_added", 0)
        self.updated += result.get("num_updated", 0)
        self.skipped += result.get("num_skipped", 0)
        self.deleted += result.get("num_deleted", 0)


def to_document(chunk: Chunk) -> Document:
    return Document(page_content=chunk.text, metadata=chunk.metadata())


class Indexer:
    """Owns the store and record manager for one ingest run."""

    def __init__(self, settings: Settings, embeddings: Any = None, client: Any = None) -> None:
        from langchain_classic.indexes import SQLRecordManager

        self.settings = settings
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        self.embeddings = embeddings if embeddings is not None else make_embeddings(settings)
        self.store = open_store(settings, self.embeddings,
                                client if client is not None else chroma_client(settings))
        self.records = SQLRecordManager(
            namespace=f"chroma/{settings.collection}", db_url=settings.record_manager_url
        )
        self.records.create_schema()

    def index_document(self, doc: str, chunks: Iterable[Chunk]) -> dict[str, int]:
        """Make the index hold exactly these chunks for `doc` (adds, replaces, deletes)."""
        from langchain_core.indexing import index

        return dict(index(
            [to_document(c) for c in chunks],
            self.records,
            self.store,
            cleanup="scoped_full",
            source_id_key="doc",
            key_encoder="sha256",
            batch_size=64,
        ))

    def indexed_docs(self) -> set[str]:
        data = self.store.get(include=["metadatas"])
        return {str(m.get("doc")) for m in data["metadatas"] if m and m.get("doc")}

    def delete_document(self, doc: str) -> int:
        """Remove every chunk of `doc` from the store and the record manager."""
        keys = self.records.list_keys(group_ids=[doc])
        if keys:
            self.store.delete(keys)
            self.records.delete_keys(keys)
        return len(keys)

    def write_state(self, summary: dict[str, Any]) -> None:
        state = {"last_ingest": time.strftime("%Y-%m-%d %H:%M:%S"), **summary}
        (self.settings.index_dir / "ingest_state.json").write_text(
            json.dumps(state, ensure_ascii=False, indent=2), encoding="utf-8"
        )


def read_state(settings: Settings) -> dict[str, Any]:
    path = settings.index_dir / "ingest_state.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
