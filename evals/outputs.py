"""The batch output of one answered question, read from a JSONL file or from an assistant Answer.

The batch contract (evals/README.md), one object a line:
`{"id", "answer", "refused", "citations": [{"doc", "quote", "text"}],
"rule_check": {"status", "verdict"}, "latency_ms", "timings_ms"?, "passages"?}`
where `passages` (optional) is the ranked retrieval list as `[{"doc", "text"}]` or
`[[doc, text]]`; without it the retrieval metrics are not measured. Generative answers may add
`answer_mode`, `claims` and `unsupported_claims` (each a count or a list of claims) and
`timings_ms.first_token`; all are optional, so extractive outputs read the same as before.

Example:
    >>> o = output_from_json({"id": "a", "answer": "Ja [1].", "refused": False,
    ...     "citations": [{"doc": "x.txt", "quote": "q", "text": "t"}]})
    >>> o.citations[0].doc, o.rule_status
    ('x.txt', 'not_checkable')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evals.errors import InputFileError


class BatchFileError(InputFileError):
    """A batch output file that cannot be scored."""


@dataclass(frozen=True)
class OutCitation:
    doc: str
    quote: str = ""
    text: str = ""


@dataclass(frozen=True)
class Retrieved:
    """One ranked retrieval result, reduced to what the retrieval metrics need."""

    doc: str
    text: str


@dataclass(frozen=True)
class ItemOutput:
    id: str
    answer: str = ""
    refused: bool = False
    citations: tuple[OutCitation, ...] = ()
    rule_status: str = "not_checkable"
    rule_verdict: str | None = None
    latency_ms: float | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    passages: tuple[Retrieved, ...] | None = None  # None: retrieval not recorded
    error: str | None = None  # the assistant raised; the item is scored as a wrong answer
    answer_mode: str | None = None  # "extractive" / "generative" when the output says so
    claims: int | None = None  # generative: claims checked against the cited passages
    unsupported_claims: int | None = None  # of those, not supported by any cited passage


def missing_output(item_id: str) -> ItemOutput:
    """Stand-in for a gold item that the batch file has no answer for (scored as wrong)."""
    return ItemOutput(id=item_id, error="no output for this id in the batch file")


def output_from_json(data: dict[str, Any]) -> ItemOutput:
    """Parse one batch record; raises ValueError/TypeError/KeyError on a wrong shape."""
    item_id = data["id"]
    if not isinstance(item_id, str):
        raise TypeError("'id' must be a string")
    answer = data.get("answer") or ""
    if not isinstance(answer, str):
        raise TypeError("'answer' must be a string")
    refused = data.get("refused", False)
    if not isinstance(refused, bool):
        raise TypeError("'refused' must be true or false")
    citations = tuple(
        OutCitation(doc=str(c.get("doc") or ""), quote=str(c.get("quote") or ""),
                    text=str(c.get("text") or ""))
        for c in _list(data.get("citations"), "citations")
    )
    rule = data.get("rule_check") or {}
    if not isinstance(rule, dict):
        raise TypeError("'rule_check' must be an object")
    verdict = rule.get("verdict")
    latency = data.get("latency_ms")
    timings = data.get("timings_ms") or {}
    if not isinstance(timings, dict):
        raise TypeError("'timings_ms' must be an object")
    passages_raw = data.get("passages")
    passages = None if passages_raw is None else tuple(
        _retrieved(p) for p in _list(passages_raw, "passages"))
    return ItemOutput(
        id=item_id, answer=answer, refused=refused, citations=citations,
        rule_status=str(rule.get("status") or "not_checkable"),
        rule_verdict=None if verdict is None else str(verdict),
        latency_ms=None if latency is None else float(latency),
        timings_ms={str(k): float(v) for k, v in timings.items()},
        passages=passages, error=data.get("error"),
        answer_mode=None if data.get("answer_mode") is None else str(data["answer_mode"]),
        claims=_count(data.get("claims"), "claims"),
        unsupported_claims=_count(data.get("unsupported_claims"), "unsupported_claims"),
    )


def output_to_json(out: ItemOutput) -> dict[str, Any]:
    """Inverse of :func:`output_from_json` (what `run` writes to outputs.jsonl)."""
    data: dict[str, Any] = {
        "id": out.id,
        "answer": out.answer,
        "refused": out.refused,
        "citations": [{"doc": c.doc, "quote": c.quote, "text": c.text} for c in out.citations],
        "rule_check": {"status": out.rule_status, "verdict": out.rule_verdict},
        "latency_ms": out.latency_ms,
        "timings_ms": dict(out.timings_ms),
    }
    if out.passages is not None:
        data["passages"] = [{"doc": p.doc, "text": p.text} for p in out.passages]
    if out.error is not None:
        data["error"] = out.error
    for key in ("answer_mode", "claims", "unsupported_claims"):
        if getattr(out, key) is not None:
            data[key] = getattr(out, key)
    return data


def load_outputs(path: Path | str) -> dict[str, ItemOutput]:
    """Read a batch output JSONL file into outputs by id (strict, like the gold loader)."""
    path = Path(path)
    name = str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchFileError(name, None, f"cannot be read ({exc})") from exc
    outputs: dict[str, ItemOutput] = {}
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BatchFileError(name, lineno, f"bad JSON ({exc.msg})") from exc
        if not isinstance(data, dict):
            raise BatchFileError(name, lineno, "expected a JSON object")
        try:
            out = output_from_json(data)
        except KeyError as exc:
            raise BatchFileError(name, lineno, f"missing field {exc.args[0]!r}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise BatchFileError(name, lineno, str(exc)) from exc
        if out.id in outputs:
            raise BatchFileError(name, lineno, f"duplicate id {out.id!r}")
        outputs[out.id] = out
    return outputs


def output_from_answer(item_id: str, answer: Any, wall_ms: float | None = None) -> ItemOutput:
    """Convert a `core.values.Answer` (duck-typed, so evals does not import the app).

    `wall_ms`, when given, is used as latency: the end-to-end time the user waits, which
    includes any overhead that the per-stage `timings_ms` do not cover.
    """
    data = dict(answer.to_json())
    data["id"] = item_id
    if wall_ms is not None:
        data["latency_ms"] = wall_ms
    out = output_from_json(data)
    passages = tuple(Retrieved(doc=p.chunk.doc, text=p.chunk.text)
                     for p in getattr(answer, "passages", None) or ())
    return replace(out, passages=passages)


def _list(value: Any, key: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"'{key}' must be a list")
    return value


def _count(value: Any, key: str) -> int | None:
    """A claim count given as a number or as the list of claims (None: not reported)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"'{key}' must be a count or a list")
    if isinstance(value, (list, tuple)):
        return len(value)
    if isinstance(value, (int, float)) and value >= 0 and float(value).is_integer():
        return int(value)
    raise TypeError(f"'{key}' must be a non-negative count or a list, got {value!r}")


def _retrieved(value: Any) -> Retrieved:
    if isinstance(value, dict):
        return Retrieved(doc=str(value.get("doc") or ""), text=str(value.get("text") or ""))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return Retrieved(doc=str(value[0]), text=str(value[1]))
    raise TypeError("each passage must be {doc, text} or [doc, text]")
