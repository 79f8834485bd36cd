"""A conversation as a Markdown document with its sources, for copying or downloading.

Pure: values in, text out. Every answer keeps its [n] markers and lists the sources they point
to (number, document title, section, location, verbatim quote) and the rule checker's verdict,
so the exported text can be checked without the app.

Example:
    >>> quote = "Vårdcentralen förskriver."
    >>> answer = Answer("Vem förskriver en rollator?", f"{quote} [1]",
    ...                 [Citation(1, "x.txt", "Riktlinje", "Ansvar", "rad 3", quote, quote)])
    >>> md = conversation_markdown([ExportTurn(answer.question, answer)], region="Norrbotten",
    ...                            exported_at=datetime(2026, 11, 25, 15))
    >>> md.splitlines()[0]
    '# Konversation med Hjälpmedelsassistenten'
    >>> print(md.split("**Källor:**")[1].strip())
    1. **Riktlinje** (x.txt) – Ansvar, rad 3
       > ”Vårdcentralen förskriver.”
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence

from assistant.provenance import UNREVIEWED_LABEL
from core.values import Answer, Citation, RuleCheck

TITLE = "Konversation med Hjälpmedelsassistenten"
# Swedish names of RuleCheck.status, shared with the app's badges.
RULE_STATUS_LABELS: dict[str, str] = {
    "verified": "Stämmer med regeln",
    "corrected": "Rättat enligt regeln",
    "conflict": "Motstridiga regler – se båda",
    "not_checkable": "Ingen regel för detta – läs källan",
}


@dataclass(frozen=True)
class ExportTurn:
    """One question and what came back: an Answer, or the error message shown instead."""

    question: str
    answer: Answer | None = None
    error: str | None = None


def conversation_markdown(turns: Sequence[ExportTurn], region: str | None = None,
                          as_of: date | None = None,
                          exported_at: datetime | None = None) -> str:
    """The whole conversation: a header, then per turn the question, answer, verdict, sources."""
    lines = [f"# {TITLE}", ""]
    meta = []
    if exported_at is not None:
        meta.append(f"Exporterad: {exported_at.strftime('%Y-%m-%d %H:%M')}")
    meta.append(f"Region: {region or 'Alla'}")
    if as_of is not None:
        meta.append(f"Gäller per: {as_of.isoformat()}")
    lines += [" · ".join(meta), ""]
    if not turns:
        lines += ["(Inga frågor ännu.)", ""]
    for i, turn in enumerate(turns, 1):
        lines += _turn_lines(i, turn)
    return "\n".join(lines).rstrip() + "\n"


def _turn_lines(i: int, turn: ExportTurn) -> list[str]:
    lines = [f"## Fråga {i}", "", *_quoted(_inert(turn.question)), ""]
    answer = turn.answer
    if answer is None:
        lines += [f"**Fel:** {turn.error or 'Frågan kunde inte besvaras.'}", ""]
        return lines
    lines += ["**Svar:**", "", _inert(answer.text.strip()) or "(tomt svar)", ""]
    if not answer.refused:
        lines += [*_rule_lines(answer.rule_check), ""]
    warnings = list(dict.fromkeys([*answer.warnings, *answer.rule_check.warnings]))
    if warnings:
        lines += ["**Varningar:**", "", *(f"- {_inert(w)}" for w in warnings), ""]
    if answer.citations:
        lines += ["**Källor:**", ""]
        for citation in sorted(answer.citations, key=lambda c: c.n):
            lines += _citation_lines(citation)
        lines.append("")
    return lines


def _rule_lines(rule_check: RuleCheck) -> list[str]:
    label = RULE_STATUS_LABELS.get(rule_check.status, rule_check.status)
    head = f"**Regelkontroll:** {label}"
    if rule_check.rule_id:
        head += f" (regel {rule_check.rule_id})"
    lines = [head]
    if rule_check.verdict:
        lines.append(f"- Regelns utslag: {rule_check.verdict}")
    if rule_check.reason:
        lines.append(f"- Förklaring: {rule_check.reason}")
    if rule_check.trace:
        lines.append("- Spår: " + " → ".join(rule_check.trace))
    if rule_check.citation:
        c = rule_check.citation
        source = c.get("doc", "") + (f" – {c['section']}" if c.get("section") else "")
        quote = f": ”{c['quote']}”" if c.get("quote") else ""
        valid = f" (gäller {c['valid']})" if c.get("valid") else ""
        lines.append(f"- Regelns källa: {source}{quote}{valid}")
    if rule_check.missing_facts:
        lines.append("- Uppgifter som saknas: " + ", ".join(rule_check.missing_facts))
    return lines


def _citation_lines(citation: Citation) -> list[str]:
    title = citation.title or citation.doc
    place = ", ".join(p for p in (citation.section, citation.location) if p)
    about = [p for p in (citation.publisher, citation.date) if p]
    head = f"{citation.n}. **{title}** ({citation.doc})"
    if place:
        head += f" – {place}"
    if about:
        head += f". {', '.join(about)}"
    if not citation.reviewed:
        head += f" – {UNREVIEWED_LABEL}"
    quote = _inert(" ".join(citation.quote.split()))
    return [_inert(head), f"   > ”{quote}”"]


def _inert(text: str) -> str:
    """Document and question text as plain text in any Markdown viewer: no HTML (an
    `<img onerror>`), no links or images (`[x](javascript:…)`); the `[n]` markers stay."""
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\]\(", "]\\(", text)


def _quoted(text: str) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in text.strip().splitlines()] or [">"]
