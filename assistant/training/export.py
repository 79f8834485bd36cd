"""Export a course as Markdown or PDF (fpdf2 with a Unicode font).

Example:
    >>> md = to_markdown(course)       # str
    >>> pdf = to_pdf(course)           # bytes; raises PdfUnavailable without fpdf2 or a font
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from assistant.training.topics import NATIONAL
from assistant.training.values import Course, KeyRule


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
        region = "Nationellt" if group.region == NATIONAL else group.region
        out += [f"### {_md(region)}: {_md(group.section)}", "", f"Källa: {_md(group.doc_title)}",
                ""]
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
            out += [f"{n}. **{_md(q.answer)}** – {_md(q.explanation)}",
                    f"   Källa: {_md(q.source)}: ”{_md(q.quote)}” (giltighet {q.validity})", ""]
    return "\n".join(out).rstrip() + "\n"


def _validity(rule: KeyRule) -> str:
    return rule.validity if rule.valid_now else f"{rule.validity} (gäller inte längre)"


def _md(text: str) -> str:
    # Corpus text inside our Markdown: keep it literal (no emphasis, links or HTML).
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", " ".join(str(text).split()))


def _cell(text: str) -> str:
    return _md(text) or "–"


# PDF: fpdf2 with a Unicode TTF (core fonts cannot write å, ä, ö).
_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


def unicode_font() -> Path | None:
    """DejaVuSans from the system, else the copy matplotlib ships; None if neither exists."""
    for candidate in _FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    try:
        import matplotlib
    except ImportError:
        return None
    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return bundled if bundled.is_file() else None


class PdfUnavailable(RuntimeError):
    """PDF export needs fpdf2 and a Unicode font; the message says what to install."""


def to_pdf(course: Course) -> bytes:
    """The course as a PDF (the Markdown's content, laid out with fpdf2's markdown support)."""
    try:
        from fpdf import FPDF
    except ImportError as exc:
        raise PdfUnavailable("PDF-export kräver paketet fpdf2 (pip install fpdf2).") from exc
    font = unicode_font()
    if font is None:
        raise PdfUnavailable("PDF-export kräver typsnittet DejaVuSans (apt-get install "
                             "fonts-dejavu-core eller pip install matplotlib).")
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(font))
    # DejaVuSans has no bold/italic file here: register the regular face for every style.
    for style in ("B", "I", "BI"):
        pdf.add_font("DejaVu", style, str(font))
    pdf.set_title(f"Utbildning: {course.title}")
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int) -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(width, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def para(text: str, size: int = 10) -> None:
        pdf.set_font("DejaVu", "", size)
        pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def table(headers: Sequence[str], rows: Iterable[Sequence[str]],
              widths: Sequence[int]) -> None:
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4,
                       first_row_as_headings=True) as tbl:
            row = tbl.row()
            for h in headers:
                row.cell(h)
            for values in rows:
                row = tbl.row()
                for v in values:
                    row.cell(v or "–")
        pdf.ln(2)

    heading(f"Utbildning: {course.title}", 16)
    para(course.topic.intro)
    para(f"Regler enligt regelbasen, giltighet bedömd per {course.as_of}.", 9)
    for warning in course.warnings:
        para(f"Observera: {warning}", 9)
    heading("Nyckelregler", 13)
    for group in course.groups:
        region = "Nationellt" if group.region == NATIONAL else group.region
        heading(f"{region}: {group.section}", 11)
        para(f"Källa: {group.doc_title}", 9)
        if group.as_table:
            table(("Villkor", "Svar", "Giltighet", "Citat"),
                  ((r.conditions, r.verdict, _validity(r), r.quote) for r in group.rules),
                  (3, 4, 2, 4))
        else:
            for r in group.rules:
                para(f"• {r.statement}")
                para(f"   Källa: {r.doc_title}, {r.section}: ”{r.quote}” – giltighet "
                     f"{_validity(r)}", 8)
    if course.iso_rows:
        heading(f"Översikt per ISO-kod ({len(course.iso_rows)} rader)", 11)
        para(f"Källa: {course.iso_source}", 9)
        table(("ISO", "Hjälpmedel", "Användning", "Kategori", "Ansvar"),
              ((r.code, r.product, r.use, r.category, r.responsibility)
               for r in course.iso_rows), (2, 4, 2, 3, 4))
    if course.comparison:
        heading("Jämförelse mellan regioner", 13)
        table(("Situation", "Region", "Svar enligt regel", "Källa"),
              ((c.situation, c.region, c.verdict or "Ingen regel i dokumenten", c.source)
               for c in course.comparison), (3, 2, 5, 4))
    if course.passages:
        heading("Relevanta textavsnitt", 13)
        for n, p in enumerate(course.passages, 1):
            where = ", ".join(x for x in (p.section, p.location) if x)
            para(f"[{n}] {p.title}" + (f" – {where}" if where else ""), 9)
            para(p.text, 9)
    if course.quiz:
        heading("Quiz", 13)
        for n, q in enumerate(course.quiz, 1):
            para(f"{n}. {q.question}")
            if len(q.choices) > 1:
                para("   Alternativ: " + " / ".join(q.choices), 9)
        heading("Facit", 11)
        for n, q in enumerate(course.quiz, 1):
            para(f"{n}. {q.answer} – {q.explanation}", 9)
            para(f"   Källa: {q.source}: ”{q.quote}” (giltighet {q.validity})", 8)
    return bytes(pdf.output())
