"""The course as a PDF for print: ragged-right text, bold headings, a table of contents on the
first page, page numbers, the quiz without answers and the answers on a page of their own.

fpdf2 with DejaVuSans (core PDF fonts cannot write å, ä, ö).

Example (`to_pdf(course)` gives the PDF's bytes, or raises PdfUnavailable without a font):
    >>> from assistant.rules.engine import RuleBase
    >>> from assistant.training.course import build_course
    >>> course = build_course(RuleBase.load(), "delegering", ["Dalarna"])
    >>> [name for name, level in outline(course) if level == 0]
    ['Observera', 'Nyckelregler', 'Quiz', 'Facit']
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from assistant.training.topics import NATIONAL
from assistant.training.values import Course, KeyRule, RuleGroup

if TYPE_CHECKING:
    from fpdf import FPDF
    from fpdf.outline import OutlineSection

_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)
TOC_TITLE = "Innehåll"
FACIT_TITLE = "Facit"

# Layout in millimetres and points.
_MARGIN = 20
_BODY_PT, _SMALL_PT, _TABLE_PT = 10, 8.5, 8
_LINE = 5.0  # body line height
_TOC_LINE = 6.5
_HEADING_PT = (15, 12)  # level 0, level 1
_INK, _MUTED, _ACCENT = (20, 20, 20), (90, 90, 90), (31, 58, 95)


class PdfUnavailable(RuntimeError):
    """PDF export needs fpdf2 and a Unicode font; the message says what to install."""


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


def region_label(region: str) -> str:
    return "Nationellt" if region == NATIONAL else region


def group_title(group: RuleGroup) -> str:
    return f"{region_label(group.region)}: {group.section}"


def outline(course: Course) -> list[tuple[str, int]]:
    """The headings of the PDF in order, with their level (0 chapter, 1 section)."""
    out: list[tuple[str, int]] = []
    if course.warnings:
        out.append(("Observera", 0))
    out.append(("Nyckelregler", 0))
    out += [(group_title(g), 1) for g in course.groups]
    if course.iso_rows:
        out.append((f"Översikt per ISO-kod ({len(course.iso_rows)} rader)", 1))
    for name, present in (("Jämförelse mellan regioner", course.comparison),
                          ("Relevanta textavsnitt", course.passages),
                          ("Quiz", course.quiz), (FACIT_TITLE, course.quiz)):
        if present:
            out.append((name, 0))
    return out


def to_pdf(course: Course) -> bytes:
    """The course as a PDF (the Markdown's content, laid out for print)."""
    try:
        import fpdf  # noqa: F401
    except ImportError as exc:
        raise PdfUnavailable("PDF-export kräver paketet fpdf2 (pip install fpdf2).") from exc
    font = unicode_font()
    if font is None:
        raise PdfUnavailable("PDF-export kräver typsnittet DejaVuSans (apt-get install "
                             "fonts-dejavu-core eller pip install matplotlib).")
    writer = _Writer(course, font)
    writer.front_page()
    writer.notices()
    writer.key_rules()
    writer.iso_overview()
    writer.comparison()
    writer.passages()
    writer.quiz()
    writer.facit()
    return bytes(writer.pdf.output())


def _new_pdf(footer_text: str) -> FPDF:
    from fpdf import FPDF

    class _CoursePdf(FPDF):
        def footer(self) -> None:
            self.set_y(-13)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(*_MUTED)
            self.cell(0, 5, f"{footer_text} · sida {self.page_no()} av {{nb}}", align="C")

    return _CoursePdf(format="A4")


class _Writer:
    """Writes one course into an fpdf2 document, section by section."""

    def __init__(self, course: Course, font: Path) -> None:
        self.course = course
        self.pdf = pdf = _new_pdf(f"Utbildning: {course.title}")
        pdf.set_margins(_MARGIN, 18, _MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        bold = font.with_name("DejaVuSans-Bold.ttf")
        pdf.add_font("DejaVu", "", str(font))
        pdf.add_font("DejaVu", "B", str(bold if bold.is_file() else font))
        # No italic faces are shipped next to these: the regular and bold files serve for them.
        pdf.add_font("DejaVu", "I", str(font))
        pdf.add_font("DejaVu", "BI", str(bold if bold.is_file() else font))
        pdf.set_title(f"Utbildning: {course.title}")
        pdf.set_lang("sv")
        pdf.set_creator("Hjälpmedelsassistenten")

    # ------------------------------------------------------------------ building blocks

    def text(self, text: str, size: float = _BODY_PT, indent: float = 0, bold: bool = False,
             color: tuple[int, int, int] = _INK, after: float = 1.5) -> None:
        """A left-aligned (ragged-right) paragraph."""
        pdf = self.pdf
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_text_color(*color)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(pdf.epw - indent, _LINE * size / _BODY_PT, text, align="L",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(after)

    def bullet(self, text: str, mark: str = "•", indent: float = 0, **style: Any) -> None:
        """A paragraph with a hanging mark, wrapped lines aligned with the text."""
        pdf = self.pdf
        size = style.get("size", _BODY_PT)
        pdf.set_font("DejaVu", "", size)
        pdf.set_text_color(*style.get("color", _INK))
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(5, _LINE * size / _BODY_PT, mark)
        self.text(text, indent=indent + 5, **style)

    def heading(self, name: str, level: int) -> None:
        """A chapter (0) or section (1) heading, kept together with what follows it."""
        pdf = self.pdf
        size = _HEADING_PT[level]
        if pdf.will_page_break(30 if level == 0 else 22):
            pdf.add_page()
        pdf.ln(5 if level == 0 else 2.5)
        pdf.start_section(name, level)
        pdf.set_font("DejaVu", "B", size)
        pdf.set_text_color(*_ACCENT)
        pdf.multi_cell(pdf.epw, size * 0.5, name, align="L", new_x="LMARGIN", new_y="NEXT")
        if level == 0:
            pdf.set_draw_color(*_ACCENT)
            pdf.set_line_width(0.4)
            pdf.line(pdf.l_margin, pdf.y + 1, pdf.l_margin + pdf.epw, pdf.y + 1)
            pdf.ln(3)
        pdf.ln(1.5)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]],
              widths: Sequence[int]) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font("DejaVu", "", _TABLE_PT)
        pdf.set_text_color(*_INK)
        pdf.set_draw_color(160, 160, 160)
        pdf.set_line_width(0.2)
        head = FontFace(emphasis="BOLD", fill_color=(232, 236, 242))
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4,
                       headings_style=head, padding=1.2, v_align="TOP") as tbl:
            row = tbl.row()
            for h in headers:
                row.cell(h)
            for values in rows:
                row = tbl.row()
                for v in values:
                    row.cell(v or "–")
        pdf.ln(3)

    # ------------------------------------------------------------------ sections

    def front_page(self) -> None:
        course, pdf = self.course, self.pdf
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 20)
        pdf.set_text_color(*_ACCENT)
        pdf.multi_cell(pdf.epw, 9, f"Utbildning: {course.title}", align="L",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        self.text(course.topic.intro, size=11)
        self.text(f"Regler enligt regelbasen, giltighet bedömd per {course.as_of}. Varje regel "
                  "anges med sin källa och ett citat ur dokumentet.", size=_SMALL_PT,
                  color=_MUTED, after=6)
        pdf.set_font("DejaVu", "B", _HEADING_PT[0])
        pdf.set_text_color(*_ACCENT)
        pdf.cell(0, 8, TOC_TITLE, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        entries = len(outline(course))
        first = max(0, math.floor((pdf.page_break_trigger - pdf.y) / _TOC_LINE))
        per_page = math.floor((pdf.page_break_trigger - pdf.t_margin) / _TOC_LINE)
        pages = 1 + max(0, math.ceil((entries - first) / per_page))
        pdf.insert_toc_placeholder(_render_toc, pages=pages)

    def notices(self) -> None:
        if not self.course.warnings:
            return
        self.heading("Observera", 0)
        for warning in self.course.warnings:
            self.bullet(warning, size=9.5)

    def key_rules(self) -> None:
        course = self.course
        self.heading("Nyckelregler", 0)
        if not course.groups and not course.iso_rows:
            self.text("Inga regler i regelbasen för detta urval.")
        for group in course.groups:
            self.heading(group_title(group), 1)
            self.text(f"Källa: {group.doc_title}", size=_SMALL_PT, color=_MUTED)
            if group.as_table:
                self.table(("Villkor", "Svar", "Giltighet", "Citat"),
                           ((r.conditions, r.verdict, _validity(r), r.quote)
                            for r in group.rules), (3, 4, 2, 4))
                continue
            for r in group.rules:
                self.bullet(r.statement, after=0.5)
                self.text(f"”{r.quote}” ({r.section}; giltighet {_validity(r)})",
                          size=_SMALL_PT, indent=5, color=_MUTED, after=2)

    def iso_overview(self) -> None:
        course = self.course
        if not course.iso_rows:
            return
        self.heading(f"Översikt per ISO-kod ({len(course.iso_rows)} rader)", 1)
        self.text(f"Källa: {course.iso_source}. Principerna ovan (ålder, hemsjukvård, särskilt "
                  "boende, specialistenheter) går före raderna.", size=_SMALL_PT, color=_MUTED)
        self.table(("ISO", "Hjälpmedel", "Användning", "Kategori", "Ansvar"),
                   ((r.code, r.product, r.use, r.category, r.responsibility)
                    for r in course.iso_rows), (2, 4, 2, 3, 4))

    def comparison(self) -> None:
        if not self.course.comparison:
            return
        self.heading("Jämförelse mellan regioner", 0)
        self.table(("Situation", "Region", "Svar enligt regel", "Källa"),
                   ((c.situation, c.region, c.verdict or "Ingen regel i dokumenten", c.source)
                    for c in self.course.comparison), (3, 2, 5, 4))

    def passages(self) -> None:
        if not self.course.passages:
            return
        self.heading("Relevanta textavsnitt", 0)
        for n, p in enumerate(self.course.passages, 1):
            where = ", ".join(x for x in (p.section, p.location) if x)
            self.text(f"[{n}] {p.title}", size=9.5, bold=True, after=0.5)
            if where:
                self.text(where, size=_SMALL_PT, color=_MUTED, after=1)
            self.text(p.text, size=9, indent=4, after=3)

    def quiz(self) -> None:
        if not self.course.quiz:
            return
        self.pdf.add_page()  # a handout: the questions without the answers
        self.heading("Quiz", 0)
        for n, q in enumerate(self.course.quiz, 1):
            self.bullet(q.question, mark=f"{n}.", bold=True, after=1)
            if q.is_open:
                self.text("Svar: " + "_" * 60, indent=5, color=_MUTED, after=4)
                continue
            for choice in q.choices:
                self.bullet(choice, mark="☐", indent=5, after=0.8)
            self.pdf.ln(3)

    def facit(self) -> None:
        if not self.course.quiz:
            return
        self.pdf.add_page()
        self.heading(FACIT_TITLE, 0)
        for n, q in enumerate(self.course.quiz, 1):
            self.bullet(q.conclusion, mark=f"{n}.", after=0.5)
            self.text(f"Källa: {q.source}: ”{q.quote}” (giltighet {q.validity})",
                      size=_SMALL_PT, indent=5, color=_MUTED, after=2.5)


def _validity(rule: KeyRule) -> str:
    return rule.validity if rule.valid_now else f"{rule.validity} (gäller inte längre)"


def _render_toc(pdf: FPDF, sections: list[OutlineSection]) -> None:
    """One line per heading: name (shortened to fit), dotted leader, page number."""
    for section in sections:
        indent = 7 * section.level
        pdf.set_font("DejaVu", "B" if section.level == 0 else "", 10.5 if section.level == 0
                     else 9.5)
        pdf.set_text_color(*(_INK if section.level == 0 else _MUTED))
        number = str(section.page_number)
        room = pdf.epw - indent - pdf.get_string_width(number) - 6
        name = _fit(pdf, section.name, room)
        link = pdf.add_link(page=section.page_number)
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(pdf.get_string_width(name) + 1, _TOC_LINE, name, link=link)
        dots = pdf.epw - indent - pdf.get_string_width(name) - 1 - pdf.get_string_width(number)
        dot = pdf.get_string_width(" .")
        pdf.cell(dots, _TOC_LINE, " ." * max(0, int(dots / dot) - 1), align="R", link=link)
        pdf.cell(0, _TOC_LINE, number, align="R", link=link, new_x="LMARGIN", new_y="NEXT")


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """The text, shortened at a word with '…' if it is wider than `width`."""
    if pdf.get_string_width(text) <= width:
        return text
    words = text.split()
    while len(words) > 1 and pdf.get_string_width(" ".join(words) + " …") > width:
        words.pop()
    while len(words) > 1 and words[-1] in ("–", "-", ":", "och", "i", "av", "för"):
        words.pop()  # not 'hjälpmedel 2025 – …'
    return " ".join(words).rstrip(",;:") + " …"
