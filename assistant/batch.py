"""Batch: answer a JSONL file of questions, following up where `followup_of` says so.

Input lines need `id` and `question`; `followup_of` names an earlier id whose question and
answer become the history. Output lines follow the evaluation contract:
`{id, answer, refused, citations[{doc, quote, text, …}], rule_check, latency_ms, …}`.

Example:
    >>> rows = [{"id": "q1", "question": "Vem förskriver en rollator i Norrbotten?"}]
    >>> answer_rows(Assistant.from_settings(), rows)[0]["refused"]
    False
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator

from assistant.pipeline import Assistant
from assistant.values import Turn


class BatchInputError(ValueError):
    """A malformed batch input line; the message names the line."""


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BatchInputError(f"{path.name} rad {n}: ogiltig JSON ({exc.msg}).") from exc
            if not isinstance(row, dict) or not row.get("id") or not isinstance(
                    row.get("question"), str):
                raise BatchInputError(f"{path.name} rad {n}: 'id' och 'question' krävs.")
            parent = row.get("followup_of")
            if parent and parent not in seen:
                raise BatchInputError(
                    f"{path.name} rad {n}: followup_of {parent!r} måste stå på en tidigare rad.")
            seen.add(row["id"])
            rows.append(row)
    return rows


def iter_answers(assistant: Assistant, rows: Iterable[dict[str, Any]],
                 mode: str = "hybrid", answer_mode: str | None = None,
                 ) -> Iterator[tuple[dict[str, Any], Any]]:
    """Yield (row, Answer) in order, with follow-ups answered in their conversation.

    `mode` is the retrieval mode; `answer_mode` (extractive | generative) overrides the
    assistant's settings.answer_mode.
    """
    history: dict[str, list[Turn]] = {}
    for row in rows:
        parent = row.get("followup_of")
        turns = history.get(parent, []) if parent else []
        answer = assistant.ask(row["question"], history=turns, region=row.get("region_filter"),
                               mode=mode, answer_mode=answer_mode)
        history[row["id"]] = [*turns, Turn(row["question"], answer.text)]
        yield row, answer


def answer_rows(assistant: Assistant, rows: Iterable[dict[str, Any]],
                mode: str = "hybrid", answer_mode: str | None = None) -> list[dict[str, Any]]:
    return [{"id": row["id"], **answer.to_json()} for row, answer in
            iter_answers(assistant, rows, mode, answer_mode)]


def run_batch(assistant: Assistant, in_path: Path, out_path: Path,
              answer_mode: str | None = None) -> int:
    rows = read_rows(in_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as fh:
        for result in answer_rows(assistant, rows, answer_mode=answer_mode):
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")
    return len(rows)
