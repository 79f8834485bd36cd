"""Batch: answer a JSONL file of questions, following up where `followup_of` says so.

Input lines need `id` and `question`; `followup_of` names an earlier id whose question and
answer become the history. Output lines follow the evaluation contract:
`{id, answer, refused, citations[{doc, quote, text, …}], rule_check, latency_ms, …}`.

Every line is checked before anything is answered (`check_rows`), and all bad lines are named
at once; the good ones are answered. Answers are written one by one to a temporary file next
to the output, which replaces the output only when the batch is complete: an interrupted run
(Ctrl-C, SIGTERM, an error) leaves the previous output untouched and keeps what it answered in
`<output>.partial`.

Usage (needs the built index, so not a doctest):

    rows = [{"id": "q1", "question": "Vem förskriver en rollator i Norrbotten?"}]
    answer_rows(Assistant.from_settings(), rows)[0]["refused"]   # False
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from assistant.pipeline import Assistant
from core.names import fit_name, name_bytes, name_max
from core.settings import RetrievalMode
from core.terminal import printable
from core.values import Turn

PARTIAL_SUFFIX = ".partial"


class BatchInputError(ValueError):
    """Malformed batch input lines; the message names every bad line."""


class BatchInterrupted(Exception):
    """The batch stopped before its end; what was answered is in `partial`."""

    def __init__(self, answered: int, total: int, partial: Path | None, output: Path) -> None:
        self.answered, self.total, self.partial, self.output = answered, total, partial, output
        kept = (f"de {answered} svaren finns i {printable(partial)}" if partial
                else "inga svar hann skrivas")
        super().__init__(
            f"Avbrutet efter {answered} av {total} frågor; {kept}. {printable(output)} är "
            f"orörd. (Interrupted after {answered} of {total} questions; the previous output "
            f"is unchanged.)")


@dataclass
class CheckedRows:
    """The good rows of a batch file, and one message per bad line ('<fil> rad N: …')."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def message(self, path: Path) -> str:
        """All bad lines in one message, the file's name made safe to print."""
        total = len(self.rows) + len(self.problems)
        head = (f"{printable(path.name)}: {len(self.problems)} av {total} rader är felaktiga "
                f"och hoppas över (invalid lines, skipped); rätta dem och kör dem igen:")
        return "\n".join([head, *self.problems])


def _type_name(value: Any) -> str:
    names = {list: "en lista", dict: "ett objekt", bool: "ett sanningsvärde",
             int: "ett tal", float: "ett tal", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _text_problem(name: str, value: Any, required: bool) -> str | None:
    """Why `value` cannot be the text field `name`, or None."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        if isinstance(value, float) and math.isnan(value):
            return f"'{name}' är NaN, inte en text"
        return f"'{name}' måste vara en text, inte {_type_name(value)}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800") decodes as JSON but cannot be written out again.
        return f"'{name}' innehåller ett ensamt surrogattecken (ogiltig Unicode)"
    if required and not value.strip():
        return f"'{name}' är tom"
    return None


def _row_problem(row: Any, seen: dict[str, int], bad_ids: set[str]) -> str | None:
    if not isinstance(row, dict) or "id" not in row or "question" not in row:
        return "'id' och 'question' krävs."
    for name, required in (("id", True), ("question", True), ("region_filter", False),
                           ("followup_of", False)):
        problem = _text_problem(name, row.get(name), required)
        if problem:
            return problem + "."
    key = row["id"]
    if key in seen:
        return f"id {printable(key)!r} finns redan på rad {seen[key]}; varje id får stå en gång."
    parent = row.get("followup_of")
    if parent and parent in bad_ids:
        return f"followup_of {printable(parent)!r} står på en felaktig rad."
    if parent and parent not in seen:
        return f"followup_of {printable(parent)!r} måste stå på en tidigare rad."
    return None


def check_rows(path: Path) -> CheckedRows:
    """Every line of `path` checked: the good rows in order, and each bad line's problem."""
    checked = CheckedRows()
    seen: dict[str, int] = {}  # id → line of a good row
    bad_ids: set[str] = set()
    for n, raw in enumerate(path.read_bytes().splitlines(), 1):
        prefix = f"{printable(path.name)} rad {n}: "
        try:
            line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            checked.problems.append(prefix + "raden är inte UTF-8; spara filen som UTF-8.")
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            checked.problems.append(prefix + f"ogiltig JSON ({exc.msg}).")
            continue
        except ValueError as exc:
            checked.problems.append(prefix + f"ogiltig JSON ({exc}).")
            continue
        problem = _row_problem(row, seen, bad_ids)
        if problem:
            checked.problems.append(prefix + problem)
            if isinstance(row, dict) and isinstance(row.get("id"), str) \
                    and row["id"] not in seen:
                # A follow-up of this line cannot be answered in its conversation either (a
                # duplicate's follow-ups belong to the first, good, line).
                bad_ids.add(row["id"])
            continue
        seen[row["id"]] = n
        checked.rows.append(row)
    return checked


def _reject_constant(name: str) -> Any:
    # json accepts NaN and Infinity, which are not JSON and no region or question.
    raise ValueError(f"{name} är inte tillåtet")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of `path`, or BatchInputError naming every bad line."""
    checked = check_rows(path)
    if checked.problems:
        raise BatchInputError("\n".join(checked.problems))
    return checked.rows


def iter_answers(assistant: Assistant, rows: Iterable[dict[str, Any]],
                 retrieval_mode: str = RetrievalMode.HYBRID, answer_mode: str | None = None,
                 ) -> Iterator[tuple[dict[str, Any], Any]]:
    """Yield (row, Answer) in order, with follow-ups answered in their conversation.

    `retrieval_mode`: hybrid | dense | bm25; `answer_mode` (extractive | generative) overrides the
    assistant's settings.answer_mode.
    """
    history: dict[str, list[Turn]] = {}
    for row in rows:
        parent = row.get("followup_of")
        turns = history.get(parent, []) if parent else []
        answer = assistant.ask(row["question"], history=turns, region=row.get("region_filter"),
                               retrieval_mode=retrieval_mode, answer_mode=answer_mode)
        history[row["id"]] = [*turns, Turn(row["question"], answer.text)]
        yield row, answer


def answer_rows(assistant: Assistant, rows: Iterable[dict[str, Any]],
                retrieval_mode: str = RetrievalMode.HYBRID,
                answer_mode: str | None = None) -> list[dict[str, Any]]:
    return [{"id": row["id"], **answer.to_json()} for row, answer in
            iter_answers(assistant, rows, retrieval_mode, answer_mode)]


def partial_path(out_path: Path) -> Path:
    """`<out>.partial`; for an output name within 8 bytes of the file system's limit, a
    shortened one that still ends in ".jsonl.partial" (core.names.fit_name)."""
    return out_path.with_name(fit_name(out_path.name + PARTIAL_SUFFIX,
                                       name_max(out_path.parent)))


def temporary_path(out_path: Path) -> Path:
    """`.<out>.<pid>.tmp` beside the output (hidden, one per process); the output's name in it
    is shortened when the whole would pass the file system's limit."""
    tail = f".{os.getpid()}.tmp"
    room = name_max(out_path.parent) - name_bytes("." + tail)
    return out_path.with_name(f".{fit_name(out_path.name, room)}{tail}")


def write_answers(assistant: Assistant, rows: list[dict[str, Any]], out_path: Path,
                  answer_mode: str | None = None) -> int:
    """Answer `rows` into `out_path`, each line written as it is made; see the module docstring.

    Raises BatchInterrupted (after keeping the partial file) on KeyboardInterrupt or any
    error; the caller turns SIGTERM into KeyboardInterrupt.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Next to the output, so the final rename stays on one file system and is atomic.
    tmp = temporary_path(out_path)
    answered = 0
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for row, answer in iter_answers(assistant, rows, answer_mode=answer_mode):
                fh.write(json.dumps({"id": row["id"], **answer.to_json()},
                                    ensure_ascii=False) + "\n")
                fh.flush()  # a killed run still leaves every finished answer on disk
                answered += 1
            os.fsync(fh.fileno())
        os.replace(tmp, out_path)
    except BaseException as exc:
        partial = None
        if tmp.exists():
            if answered:
                partial = partial_path(out_path)
                os.replace(tmp, partial)
            else:
                tmp.unlink()
        if isinstance(exc, KeyboardInterrupt):
            raise BatchInterrupted(answered, len(rows), partial, out_path) from None
        if partial is not None:
            exc.add_note(str(BatchInterrupted(answered, len(rows), partial, out_path)))
        raise
    return answered


def run_batch(assistant: Assistant, in_path: Path, out_path: Path,
              answer_mode: str | None = None) -> int:
    """Answer a whole, valid file (BatchInputError otherwise) into `out_path`."""
    return write_answers(assistant, read_rows(in_path), out_path, answer_mode)
