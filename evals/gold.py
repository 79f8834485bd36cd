"""Load and validate a gold JSONL file (schema: evals/README.md).

A malformed gold file would silently skew every metric, so loading is strict: any problem raises
:class:`GoldFileError` naming the file, the 1-based line and what is wrong, and nothing is scored.

Example:
    >>> items = parse_gold_lines(['{"id": "x-1", "question": "Q?", "type": "fees", '
    ...     '"answerable": true, "must_include": [["avgift"]], "sources": []}'], name="inline")
    >>> items[0].must_include
    (('avgift',),)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.errors import InputFileError


class GoldFileError(InputFileError):
    """A gold file that cannot be scored."""


@dataclass(frozen=True)
class GoldSource:
    """A corpus file and the verbatim passage the answer rests on."""

    doc: str
    quote: str


@dataclass(frozen=True)
class GoldRule:
    """The facts a deterministic rule needs and the verdict it must reach."""

    facts: dict[str, Any]
    verdict: str


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    type: str
    answerable: bool
    region: str | None = None
    answer: str = ""
    must_include: tuple[tuple[str, ...], ...] = ()
    must_not_include: tuple[str, ...] = ()
    sources: tuple[GoldSource, ...] = ()
    rule: GoldRule | None = None
    followup_of: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # free-form provenance, never scored
    line: int = 0  # 1-based line in the gold file, for messages


REQUIRED = ("id", "question", "type", "answerable")
OPTIONAL = ("region", "answer", "must_include", "must_not_include", "sources", "rule",
            "followup_of", "meta")


def load_gold(path: Path | str) -> list[GoldItem]:
    """Read and validate a gold JSONL file; raises GoldFileError on the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFileError(str(path), None, f"cannot be read ({exc})") from exc
    return parse_gold_lines(text.splitlines(), name=str(path))


def parse_gold_lines(lines: Iterable[str], name: str = "<gold>") -> list[GoldItem]:
    """Validate gold lines (blank lines are skipped but still counted for line numbers)."""
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise GoldFileError(name, lineno, f"bad JSON ({exc.msg} at column {exc.colno})") \
                from exc
        item = _parse_item(data, name, lineno)
        if item.id in seen:
            raise GoldFileError(name, lineno,
                                f"duplicate id {item.id!r} (first on line {seen[item.id]})")
        if item.followup_of is not None and item.followup_of not in seen:
            # Follow-ups are asked in file order with the earlier answer as history, so the
            # question they follow must already have been asked.
            raise GoldFileError(name, lineno, f"followup_of {item.followup_of!r} is not an id "
                                              "defined on an earlier line")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise GoldFileError(name, None, "contains no gold items")
    return items


def _parse_item(data: Any, name: str, line: int) -> GoldItem:
    def fail(problem: str) -> GoldFileError:
        return GoldFileError(name, line, problem)

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object, got {type(data).__name__}")
    for key in REQUIRED:
        if key not in data:
            raise fail(f"missing field {key!r}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        # A misspelt optional field (e.g. "must_not_inclde") would otherwise be ignored silently.
        raise fail(f"unknown field(s) {', '.join(map(repr, unknown))}; "
                   "put free-form notes under 'meta'")

    item_id = _nonempty_str(data["id"], "id", fail)
    question = _nonempty_str(data["question"], "question", fail)
    qtype = _nonempty_str(data["type"], "type", fail)
    answerable = data["answerable"]
    if not isinstance(answerable, bool):
        raise fail(f"field 'answerable' must be true or false, got {answerable!r}")
    region = _opt_str(data.get("region"), "region", fail)
    answer = data.get("answer", "")
    if not isinstance(answer, str):
        raise fail("field 'answer' must be a string")

    groups_raw = data.get("must_include", [])
    if not isinstance(groups_raw, list):
        raise fail("field 'must_include' must be a list of lists of strings")
    groups: list[tuple[str, ...]] = []
    for i, group in enumerate(groups_raw):
        if not isinstance(group, list) or not group or \
                not all(isinstance(s, str) and s for s in group):
            raise fail(f"must_include[{i}] must be a non-empty list of non-empty strings, "
                       f"got {group!r}")
        groups.append(tuple(group))

    forbidden = data.get("must_not_include", [])
    if not isinstance(forbidden, list) or not all(isinstance(s, str) and s for s in forbidden):
        raise fail("field 'must_not_include' must be a list of non-empty strings")

    sources_raw = data.get("sources", [])
    if not isinstance(sources_raw, list):
        raise fail("field 'sources' must be a list of {doc, quote} objects")
    sources: list[GoldSource] = []
    for i, src in enumerate(sources_raw):
        if not isinstance(src, dict) or set(src) != {"doc", "quote"}:
            raise fail(f"sources[{i}] must be an object with exactly 'doc' and 'quote'")
        doc = _nonempty_str(src["doc"], f"sources[{i}].doc", fail)
        quote = _nonempty_str(src["quote"], f"sources[{i}].quote", fail)
        sources.append(GoldSource(doc=doc, quote=quote))

    rule_raw = data.get("rule")
    rule: GoldRule | None = None
    if rule_raw is not None:
        if not isinstance(rule_raw, dict) or "facts" not in rule_raw or "verdict" not in rule_raw:
            raise fail("field 'rule' must be null or an object with 'facts' and 'verdict'")
        if not isinstance(rule_raw["facts"], dict):
            raise fail("rule.facts must be an object")
        verdict = _nonempty_str(rule_raw["verdict"], "rule.verdict", fail)
        rule = GoldRule(facts=dict(rule_raw["facts"]), verdict=verdict)

    followup_of = _opt_str(data.get("followup_of"), "followup_of", fail)
    if followup_of == item_id:
        raise fail("followup_of points to the item itself")
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise fail("field 'meta' must be an object")

    return GoldItem(
        id=item_id, question=question, type=qtype, answerable=answerable, region=region,
        answer=answer, must_include=tuple(groups), must_not_include=tuple(forbidden),
        sources=tuple(sources), rule=rule, followup_of=followup_of, meta=dict(meta), line=line,
    )


Fail = Callable[[str], GoldFileError]


def _nonempty_str(value: Any, key: str, fail: Fail) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(f"field {key!r} must be a non-empty string, got {value!r}")
    return value


def _opt_str(value: Any, key: str, fail: Fail) -> str | None:
    if value is None:
        return None
    return _nonempty_str(value, key, fail)


def conversation(item: GoldItem, by_id: dict[str, GoldItem]) -> list[GoldItem]:
    """The earlier items of `item`'s conversation, oldest first (empty for a first question)."""
    chain: list[GoldItem] = []
    current = item
    while current.followup_of is not None:
        current = by_id[current.followup_of]
        chain.append(current)
    return list(reversed(chain))
