"""Turn the app's feedback export (JSONL) into candidate gold items in dev.jsonl's schema.

The rule (also in evals/README.md, "Gold from feedback"):

- thumbs up with citations → an answerable item. Its `sources` are the cited passages whose
  quote stands verbatim in the cited corpus file (others are dropped and listed under
  `meta.dropped_citations`); `must_include` gets the amounts, ISO codes and percentages that
  the approved answer and its quotes share (the checkable facts); `answer` is the approved
  answer. With no verbatim quote left it becomes a review item instead.
- thumbs down with a comment → a review item: the comment is the trainer's correction, so it
  becomes `answer`; the rejected answer and citations go under `meta`; no `sources` and no
  `must_include` (a person must add them). `answerable` is false only when the comment says
  the documents do not answer the question (phrases in UNANSWERABLE_HINTS).
- anything else (thumbs up without citations, thumbs down without a comment, a question seen
  before in the same file) is skipped and counted.

Every candidate has `type: "feedback"` and `meta.review` saying what a person must check, and
is written only after the gold loader accepted the whole file, so candidates.jsonl can be
passed to `python -m evals run --set` as it is. Move an item into dev.jsonl only after review.

Example:
    >>> rec = {"id": "7", "created_at": "2026-11-25T10:00:00", "question": "Vad kostar det?",
    ...        "answer": "Det framgår inte.", "citations": [], "rating": "down",
    ...        "comment": "Framgår inte av dokumenten.", "region": None}
    >>> item = candidate_from_feedback(parse_feedback_record(rec, 1), lambda d: None)
    >>> item["answerable"], item["meta"]["review"][0]
    (False, 'thumbs down: check the trainer comment and write must_include/sources')
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.errors import InputFileError
from evals.gold import load_gold, parse_gold_lines
from evals.textmatch import CorpusTexts, is_verbatim

UNANSWERABLE_HINTS = ("framgår inte", "står inte", "finns inte i dokument", "saknas i dokument",
                      "inte besvar", "obesvarbar", "not in the documents", "unanswerable",
                      "documents do not", "documents don't")

# Checkable facts worth requiring in an answer: amounts, percentages, six-digit ISO codes.
_FACT_RE = re.compile(r"\b\d[\d\u00a0 ]*(?:[.,]\d+)?\s?(?:kr\b|kronor\b|%|procent\b)"
                      r"|\b\d{2} ?\d{2} ?\d{2}\b")


class FeedbackFileError(InputFileError):
    """A feedback export that cannot be converted."""


@dataclass(frozen=True)
class FeedbackCitation:
    doc: str
    quote: str
    section: str = ""
    location: str = ""


@dataclass(frozen=True)
class FeedbackRecord:
    """One line of the app's feedback export."""

    id: str
    question: str
    answer: str
    rating: str  # "up" | "down"
    citations: tuple[FeedbackCitation, ...] = ()
    comment: str = ""
    region: str | None = None
    created_at: str = ""
    rule_status: str | None = None
    line: int = 0


@dataclass
class Conversion:
    """What `write_candidates` did, for the CLI's one-line summary."""

    out: Path
    answerable: int = 0
    review: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        return (f"{self.answerable + self.review} candidate(s) written to {self.out} "
                f"({self.answerable} answerable from thumbs up, {self.review} for review); "
                f"skipped: {skipped}")


def parse_feedback_record(data: Any, line: int, name: str = "<feedback>") -> FeedbackRecord:
    """Validate one exported feedback object; raises FeedbackFileError naming the line."""
    def fail(problem: str) -> FeedbackFileError:
        return FeedbackFileError(name, line, problem)

    if not isinstance(data, dict):
        raise fail("expected a JSON object")
    for key in ("id", "question", "rating"):
        if key not in data:
            raise fail(f"missing field {key!r}")
    question = data["question"]
    if not isinstance(question, str) or not question.strip():
        raise fail("field 'question' must be a non-empty string")
    rating = data["rating"]
    if rating not in ("up", "down"):
        raise fail(f"field 'rating' must be \"up\" or \"down\", got {rating!r}")
    raw_cits = data.get("citations") or []
    if not isinstance(raw_cits, list):
        raise fail("field 'citations' must be a list")
    citations = []
    for i, c in enumerate(raw_cits):
        if not isinstance(c, dict) or not isinstance(c.get("doc"), str):
            raise fail(f"citations[{i}] must be an object with a 'doc' string")
        citations.append(FeedbackCitation(doc=c["doc"], quote=str(c.get("quote") or ""),
                                          section=str(c.get("section") or ""),
                                          location=str(c.get("location") or "")))
    for key in ("answer", "comment"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise fail(f"field {key!r} must be a string")
    region = data.get("region")
    return FeedbackRecord(
        id=str(data["id"]), question=question.strip(), answer=data.get("answer") or "",
        rating=rating, citations=tuple(citations), comment=(data.get("comment") or "").strip(),
        region=region if isinstance(region, str) and region.strip() else None,
        created_at=str(data.get("created_at") or ""),
        rule_status=None if data.get("rule_status") is None else str(data["rule_status"]),
        line=line)


def read_feedback(path: Path | str) -> list[FeedbackRecord]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedbackFileError(str(path), None, f"cannot be read ({exc})") from exc
    records = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FeedbackFileError(str(path), n, f"bad JSON ({exc.msg})") from exc
        records.append(parse_feedback_record(data, n, str(path)))
    return records


def shared_facts(answer: str, quotes: list[str]) -> list[list[str]]:
    """must_include groups: facts (amounts, %, ISO codes) in both the answer and a quote."""
    in_quotes = " ".join(quotes).lower()
    groups: list[list[str]] = []
    for match in _FACT_RE.finditer(answer.lower()):
        fact = " ".join(match.group(0).replace("\u00a0", " ").split())
        if fact in " ".join(in_quotes.replace("\u00a0", " ").split()) and [fact] not in groups:
            groups.append([fact])
    return groups


def candidate_from_feedback(rec: FeedbackRecord, doc_text: Callable[[str], str | None],
                            id_prefix: str = "fb") -> dict[str, Any] | None:
    """The gold item (a dict in dev.jsonl's schema) for one record; None when skipped."""
    from assistant.privacy import mask_identifiers

    # The app masks questions before storing them; mask again in case an export bypassed it.
    question = mask_identifiers(rec.question).text
    meta: dict[str, Any] = {"source": "feedback", "feedback_id": rec.id,
                            "created_at": rec.created_at, "rating": rec.rating,
                            "rule_status": rec.rule_status}
    item: dict[str, Any] = {
        "id": f"{id_prefix}-{_slug(rec.id)}", "question": question, "type": "feedback",
        "region": rec.region, "answerable": True, "answer": "", "must_include": [],
        "must_not_include": [], "sources": [], "rule": None, "followup_of": None, "meta": meta,
    }
    if rec.rating == "up":
        if not rec.citations:
            return None
        kept, dropped = [], []
        for c in rec.citations:
            text = doc_text(c.doc)
            ok = bool(c.quote.strip()) and text is not None and is_verbatim(c.quote, text)
            (kept if ok else dropped).append(c)
        if dropped:
            meta["dropped_citations"] = [{"doc": c.doc, "quote": c.quote} for c in dropped]
        if kept:
            item["answer"] = rec.answer
            item["sources"] = [{"doc": c.doc, "quote": c.quote} for c in kept]
            item["must_include"] = shared_facts(rec.answer, [c.quote for c in kept])
            meta["review"] = ["thumbs up: check that must_include holds the answer's key "
                              "terms (only shared amounts/codes were filled in)"]
            return item
        meta["review"] = ["thumbs up, but no cited quote stands verbatim in the corpus: "
                          "find the passage and write sources/must_include"]
        meta["approved_answer"] = rec.answer
        return item
    if not rec.comment:
        return None
    comment = mask_identifiers(rec.comment).text
    item["answer"] = comment
    item["answerable"] = not any(h in comment.lower() for h in UNANSWERABLE_HINTS)
    meta["review"] = ["thumbs down: check the trainer comment and write must_include/sources"]
    meta["comment"] = comment
    meta["rejected_answer"] = rec.answer
    meta["rejected_citations"] = [{"doc": c.doc, "quote": c.quote} for c in rec.citations]
    return item


def write_candidates(feedback: Path | str, out: Path | str, corpus_dir: Path | str | None = None,
                     id_prefix: str = "fb") -> Conversion:
    """Convert an export, validate the result with the gold loader, then write it to `out`."""
    records = read_feedback(feedback)
    texts = CorpusTexts(Path(corpus_dir)) if corpus_dir and Path(corpus_dir).is_dir() else None
    doc_text: Callable[[str], str | None] = texts if texts is not None else (lambda _d: None)
    result = Conversion(out=Path(out))
    lines: list[str] = []
    seen_questions: set[str] = set()
    seen_ids: set[str] = set()
    for rec in records:
        key = " ".join(rec.question.lower().split())
        if key in seen_questions:
            result.skip("repeated question")
            continue
        item = candidate_from_feedback(rec, doc_text, id_prefix)
        if item is None:
            result.skip("thumbs up without citations" if rec.rating == "up"
                        else "thumbs down without a comment")
            continue
        if item["id"] in seen_ids:
            raise FeedbackFileError(str(feedback), rec.line, f"duplicate feedback id {rec.id!r}")
        seen_ids.add(item["id"])
        seen_questions.add(key)
        if item["sources"]:
            result.answerable += 1
        else:
            result.review += 1
        lines.append(json.dumps(item, ensure_ascii=False))
    if not lines:
        raise FeedbackFileError(str(feedback), None,
                                "no usable feedback (need thumbs up with citations or thumbs "
                                "down with a comment); nothing written")
    parse_gold_lines(lines, name=f"candidates from {feedback}")  # same checks as any gold file
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_gold(out_path)
    return result


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-") or "x"
