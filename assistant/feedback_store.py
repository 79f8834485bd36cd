"""Feedback on answers: a small SQLite store, and its export as JSONL and CSV.

Each row keeps what a reviewer needs to judge an answer later: the (masked) question, the
answer text, its citations, the rule checker's status, the settings the answer was made with,
the rating (up/down) and an optional comment. Questions and comments pass through
`mask_identifiers` again here, so a personnummer never reaches the database even if a caller
forgot to mask.

The JSONL export is the input of `python -m evals gold-from-feedback`; its keys are a contract:
`id, created_at, question, answer, citations[{n, doc, section, location, quote}], rating,
comment, region, settings, rule_status`.

Example:
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = FeedbackStore(Path(folder.name) / "feedback.sqlite")
    >>> answer = Answer("En rollator åt 19121212-1212?", "Vårdcentralen förskriver. [1]")
    >>> entry = store.record(answer, "up", settings=answer_settings(Settings(), "Norrbotten"))
    >>> entry = store.update(entry.id, comment="Tydligt svar")
    >>> row = json.loads(to_jsonl(store.entries(rating="up")))
    >>> list(row)  # doctest: +NORMALIZE_WHITESPACE
    ['id', 'created_at', 'question', 'answer', 'citations', 'rating', 'comment', 'region',
     'settings', 'rule_status']
    >>> row["question"], row["comment"]
    ('En rollator åt [personnummer]?', 'Tydligt svar')
    >>> folder.cleanup()
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Iterable, Literal

from assistant.privacy import mask_identifiers
from assistant.private_db import connect_private
from core.settings import Settings
from core.values import Answer, Citation

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
CITATION_KEYS = ("n", "doc", "section", "location", "quote")
JSONL_KEYS = ("id", "created_at", "question", "answer", "citations", "rating", "comment",
              "region", "settings", "rule_status")
CSV_COLUMNS = ("id", "created_at", "rating", "region", "question", "answer", "comment",
               "rule_status", "citations", "settings")
MAX_COMMENT_CHARS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    rule_status TEXT NOT NULL,
    region TEXT,
    settings TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT ''
)
"""


class FeedbackError(ValueError):
    """Bad feedback input (unknown rating, unknown id); the message is Swedish."""


@dataclass(frozen=True)
class FeedbackEntry:
    """One stored rating of one answer."""

    id: int
    created_at: str
    question: str
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    rating: str = "up"
    comment: str = ""
    region: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    rule_status: str = "not_checkable"

    def to_json(self) -> dict[str, Any]:
        """The JSONL line, with exactly the contract's keys in the contract's order."""
        return {key: getattr(self, key) for key in JSONL_KEYS}


def answer_settings(settings: Settings, region: str | None = None, as_of: date | None = None,
                    retrieval_mode: str = "hybrid",
                    answer_mode: str | None = None) -> dict[str, Any]:
    """What the answer was made with, for the feedback row (JSON-safe)."""
    return {
        "region": region,
        "as_of": as_of.isoformat() if as_of else None,
        "answer_mode": str(answer_mode or settings.answer_mode),
        "retrieval_mode": str(retrieval_mode),
        "fusion": str(settings.fusion),
        "top_k": settings.top_k,
        "dense_k": settings.dense_k,
        "sparse_k": settings.sparse_k,
        "region_boost": settings.region_boost,
        "rules_enabled": settings.rules_enabled,
        "embedding_backend": str(settings.embedding_backend),
    }


def citation_record(citation: Citation) -> dict[str, Any]:
    return {key: getattr(citation, key) for key in CITATION_KEYS}


class FeedbackStore:
    """SQLite table of feedback rows at `path` (created on first use, parent folders too)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(settings.feedback_db)

    def _connect(self) -> sqlite3.Connection:
        connection = connect_private(self.path, _SCHEMA)
        connection.row_factory = sqlite3.Row
        return connection

    def record(self, answer: Answer, rating: str, comment: str = "",
               settings: dict[str, Any] | None = None, region: str | None = None,
               now: datetime | None = None) -> FeedbackEntry:
        """Store a rating of `answer`; returns the stored row (with its id)."""
        rating = _check_rating(rating)
        settings = dict(settings or {})
        # What ran: generative may have fallen back to extractive.
        settings["answer_mode"] = answer.answer_mode
        region = region if region is not None else (answer.region or settings.get("region"))
        created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        row = (
            created,
            mask_identifiers(answer.question).text,
            answer.text,
            json.dumps([citation_record(c) for c in answer.citations], ensure_ascii=False),
            answer.rule_check.status,
            region,
            json.dumps(settings, ensure_ascii=False, default=str),
            rating,
            _clean_comment(comment),
        )
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, question, answer, citations, rule_status,"
                " region, settings, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            entry_id = int(cursor.lastrowid)
        return self.get(entry_id)

    def update(self, entry_id: int, rating: str | None = None,
               comment: str | None = None) -> FeedbackEntry:
        """Change the rating and/or the comment of a stored row."""
        changes: dict[str, str] = {}
        if rating is not None:
            changes["rating"] = _check_rating(rating)
        if comment is not None:
            changes["comment"] = _clean_comment(comment)
        self.get(entry_id)  # a clear error for an unknown id
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            with closing(self._connect()) as db, db:
                db.execute(f"UPDATE feedback SET {assignments} WHERE id = ?",
                           (*changes.values(), entry_id))
        return self.get(entry_id)

    def get(self, entry_id: int) -> FeedbackEntry:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM feedback WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise FeedbackError(f"Återkoppling nr {entry_id} finns inte.")
        return _entry(row)

    def entries(self, rating: str | None = None, region: str | None = None,
                text: str | None = None, since: date | None = None,
                until: date | None = None) -> list[FeedbackEntry]:
        """Stored rows, newest first, filtered by rating, region, free text and date range."""
        clauses: list[str] = []
        params: list[Any] = []
        if rating:
            clauses.append("rating = ?")
            params.append(_check_rating(rating))
        if region:
            clauses.append("region = ?")
            params.append(region)
        if text and text.strip():
            clauses.append("(question LIKE ? OR answer LIKE ? OR comment LIKE ?)")
            params.extend([f"%{text.strip()}%"] * 3)
        if since:
            clauses.append("substr(created_at, 1, 10) >= ?")
            params.append(since.isoformat())
        if until:
            clauses.append("substr(created_at, 1, 10) <= ?")
            params.append(until.isoformat())
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            rows = db.execute(f"SELECT * FROM feedback{where} ORDER BY id DESC", params)
            return [_entry(row) for row in rows.fetchall()]

    def regions(self) -> list[str]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            rows = db.execute("SELECT DISTINCT region FROM feedback WHERE region IS NOT NULL"
                              " ORDER BY region").fetchall()
        return [row[0] for row in rows]


def to_jsonl(entries: Iterable[FeedbackEntry]) -> str:
    """One JSON object per line (UTF-8 text, Swedish letters kept)."""
    return "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in entries)


def to_csv(entries: Iterable[FeedbackEntry]) -> str:
    """A CSV table for a spreadsheet: citations as readable text, settings as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        citations = "; ".join(
            f"[{c['n']}] {c['doc']}" + (f" – {c['section']}" if c.get("section") else "")
            + (f", {c['location']}" if c.get("location") else "")
            for c in e.citations)
        values = (e.id, e.created_at, e.rating, e.region or "", e.question, e.answer, e.comment,
                  e.rule_status, citations, json.dumps(e.settings, ensure_ascii=False))
        writer.writerow([_spreadsheet_safe(v) for v in values])
    return buffer.getvalue()


def _spreadsheet_safe(value: Any) -> Any:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _check_rating(rating: str) -> str:
    if rating not in RATINGS:
        raise FeedbackError(f"Okänt betyg {rating!r}: ange 'up' (tumme upp) eller 'down' "
                            "(tumme ner).")
    return rating


def _clean_comment(comment: str | None) -> str:
    text = mask_identifiers((comment or "").strip()).text
    return text[:MAX_COMMENT_CHARS]


def _entry(row: sqlite3.Row) -> FeedbackEntry:
    return FeedbackEntry(
        id=row["id"], created_at=row["created_at"], question=row["question"],
        answer=row["answer"], citations=json.loads(row["citations"]), rating=row["rating"],
        comment=row["comment"], region=row["region"], settings=json.loads(row["settings"]),
        rule_status=row["rule_status"])
