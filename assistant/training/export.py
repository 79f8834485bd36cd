"""Export a course as Markdown or PDF (the PDF's layout is in `assistant.training.pdf`).

Example (`to_pdf(course)` gives bytes; it raises PdfUnavailable without fpdf2 or a font):
    >>> from assistant.rules.engine import RuleBase
    >>> from assistant.training.course import build_course
    >>> md = to_markdown(build_course(RuleBase.load(), "delegering", ["Dalarna"]))
    >>> md.splitlines()[0]
    '# Utbildning: Delegering – Dalarna'
"""

from __future__ import annotations

import re

from assistant.training.pdf import PdfUnavailable, region_label, to_pdf, unicode_font
from assistant.training.values import Course, KeyRule

__all__ = ["PdfUnavailable", "to_markdown", "to_pdf", "unicode_font"]


def to_markdown(course: Course) -> str:
    """The course as a Markdown document (headings, bullets, tables, quiz with answers)."""
    out: list[str] = [f"# Utbildning: {course.title}", "", course.topic.intro, "",
                      f"*Regler enligt regelbasen, giltighet bedömd per {course.as_of}.*", ""]
    if course.warnings:
        out += ["> **Observera**", *[f"> - {_md(w)}" for w in course.warnings], ""]
    out += ["## Nyckelregler", ""]
    if not course.groups and not course.iso_rows:
        out += ["Inga regler i regelbasen för detta urval.", ""]
    for group in course.groups:
        out += [f"### {_md(region_label(group.region))}: {_md(group.section)}", "",
                f"Källa: {_md(group.doc_title)}", ""]
        if group.as_table:
            out += ["| Villkor | Svar | Giltighet | Citat |", "| --- | --- | --- | --- |"]
            out += [f"| {_cell(r.conditions)} | {_cell(r.verdict)} | {_cell(_validity(r))} | "
                    f"{_cell(r.quote)} |" for r in group.rules]
            out.append("")
        else:
            for r in group.rules:
                out += [f"- {_md(r.statement)}",
                        f"  - Källa: {_md(r.doc_title)}, {_md(r.section)}: ”{_md(r.quote)}”",
                        f"  - Giltighet: {_validity(r)} (regel {', '.join(r.rule_ids)})"]
            out.append("")
    if course.iso_rows:
        out += [f"### Översikt per ISO-kod ({len(course.iso_rows)} rader)", "",
                f"Källa: {_md(course.iso_source)}. Principerna ovan (ålder, hemsjukvård, "
                "särskilt boende, specialistenheter) går före raderna.", "",
                "| ISO | Hjälpmedel | Användning | Kategori | Ansvar | Giltighet |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {r.code} | {_cell(r.product)} | {_cell(r.use or '–')} | {_cell(r.category)} "
                f"| {_cell(r.responsibility)} | {_cell(r.validity)} |" for r in course.iso_rows]
        out.append("")
    if course.comparison:
        out += ["## Jämförelse mellan regioner", "",
                "| Situation | Region | Svar enligt regel | Källa |", "| --- | --- | --- | --- |"]
        out += [f"| {_cell(c.situation)} | {_cell(c.region)} | "
                f"{_cell(c.verdict or 'Ingen regel i dokumenten')} | "
                f"{_cell(c.source + (': ”' + c.quote + '”' if c.quote else '') or '–')} |"
                for c in course.comparison]
        out.append("")
    if course.passages:
        out += ["## Relevanta textavsnitt", ""]
        for n, p in enumerate(course.passages, 1):
            where = ", ".join(x for x in (p.section, p.location) if x)
            out += [f"**[{n}] {_md(p.title)}**" + (f" – {_md(where)}" if where else ""), "",
                    *[f"> {_md(line)}" for line in p.text.splitlines() if line.strip()], ""]
    if course.quiz:
        out += ["## Quiz", ""]
        for n, q in enumerate(course.quiz, 1):
            out += [f"{n}. {_md(q.question)}"]
            if len(q.choices) > 1:
                out += [f"   - {_md(c)}" for c in q.choices]
            out.append("")
        out += ["### Facit", ""]
        for n, q in enumerate(course.quiz, 1):
            out += [f"{n}. {_md(q.conclusion)}",
                    f"   Källa: {_md(q.source)}: ”{_md(q.quote)}” (giltighet {q.validity})", ""]
    return "\n".join(out).rstrip() + "\n"


def _validity(rule: KeyRule) -> str:
    return rule.validity if rule.valid_now else f"{rule.validity} (gäller inte längre)"


def _md(text: str) -> str:
    # Corpus text inside our Markdown: keep it literal (no emphasis, links or HTML).
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", " ".join(str(text).split()))


def _cell(text: str) -> str:
    return _md(text) or "–"
