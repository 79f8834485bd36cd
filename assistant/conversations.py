"""Saved conversations: the chat's turns in SQLite, by a conversation id, so that a reload or a
link brings them back.

A turn is what the chat draws: a user entry (`{"role": "user", "content": masked question}`)
or an assistant entry (its id, the question it answers, the facts chosen in a question back, and
the answer as `answer_record`). Questions pass through `mask_identifiers` again here, as in the
feedback store, so a personnummer never reaches the file; the file is readable by its owner only.

Example:
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = ConversationStore(Path(folder.name) / "conversations.sqlite")
    >>> store.save(new_id(), [{"role": "user", "content": "En rollator åt 19121212-1212?"}])
    >>> [c.title for c in store.recent()]
    ['En rollator åt [personnummer]?']
    >>> folder.cleanup()
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.privacy import mask_identifiers
from assistant.private_db import connect_private
from core.settings import Settings
from core.values import Answer, answer_from_record, answer_record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    turns TEXT NOT NULL
)
"""
_ID = re.compile(r"[0-9a-f]{32}")
TITLE_CHARS = 80


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str  # the first question, masked and cut
    updated_at: str


def new_id() -> str:
    return uuid.uuid4().hex


def valid_id(value: str | None) -> bool:
    """An id this store made (a URL parameter is checked before it is looked up)."""
    return bool(value and _ID.fullmatch(value))


class ConversationStore:
    """One job: keep and give back the turns of conversations."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def from_settings(cls, settings: Settings) -> ConversationStore:
        return cls(settings.conversations_db)

    def _connect(self) -> sqlite3.Connection:
        return connect_private(self.path, _SCHEMA)

    def save(self, conversation_id: str, turns: list[dict[str, Any]]) -> None:
        """Store the conversation's turns (all of them: a save replaces the earlier one)."""
        if not valid_id(conversation_id):
            raise ValueError(f"Ogiltigt konversations-id / invalid conversation id "
                             f"{conversation_id!r}.")
        records = [_record(turn) for turn in turns]
        first = next((r["content"] for r in records if r["role"] == "user"), "")
        title = first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS - 1] + "…"
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at, turns) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, "
                "updated_at = excluded.updated_at, turns = excluded.turns",
                (conversation_id, title, now, now, json.dumps(records, ensure_ascii=False)))

    def load(self, conversation_id: str) -> list[dict[str, Any]] | None:
        """The turns as the chat keeps them (answers as `Answer`), or None when unknown."""
        if not valid_id(conversation_id):
            return None
        with closing(self._connect()) as db:
            row = db.execute("SELECT turns FROM conversations WHERE id = ?",
                             (conversation_id,)).fetchone()
        if row is None:
            return None
        return [_turn(record) for record in json.loads(row[0])]

    def recent(self, limit: int = 10) -> list[ConversationSummary]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT id, title, updated_at FROM conversations "
                              "ORDER BY updated_at DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def delete(self, conversation_id: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))


def _record(turn: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in turn.items() if k != "answer"}
    for key in ("content", "question"):
        if isinstance(out.get(key), str):
            out[key] = mask_identifiers(out[key]).text
    answer = turn.get("answer")
    if isinstance(answer, Answer):
        record = answer_record(answer)
        record["question"] = mask_identifiers(record.get("question") or "").text
        out["answer"] = record
    return out


def _turn(record: dict[str, Any]) -> dict[str, Any]:
    turn = dict(record)
    if isinstance(record.get("answer"), dict):
        turn["answer"] = answer_from_record(record["answer"])
    return turn
