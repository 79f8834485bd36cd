"""Clean: turn raw page text into numbered lines fit for chunking.

Swedish PDF text comes with words hyphenated across lines ("förskriv-\\nning"), soft hyphens,
page headers/footers repeated on every page, bare page numbers and bullets split from their text.
Each of these is one small pure function; :func:`clean_pages` runs them in order. Line numbers
(1-based, per page for PDFs, per file for text) survive so that citations can point back.

Example:
    >>> [ln.text for ln in clean_pages([Page("Hjälpmedels-\\nförskrivning och hälso-\\noch vård")])]
    ['Hjälpmedelsförskrivning och hälso- och vård']
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from ingest.load import Page

# Words that follow a kept hyphen in Swedish coordinations: "hälso- och sjukvård".
_COORDINATORS = {"och", "eller", "samt", "respektive", "resp", "som", "till", "/"}
# Every format character (Unicode category Cf): soft hyphens and zero-width marks, but also bidi
# overrides and isolates (U+202A–202E, U+2066–2069) and tag characters (U+E0000–E007F). A bidi
# override kept in a chunk would make a quoted passage show other text than it holds ("Trojan
# Source"), and tag characters carry text no reader sees. None of them carries a word; the
# bundled corpus has none. (Planes 0, 1 and 14 hold every Cf character there is.)
_INVISIBLE = dict.fromkeys(
    (code for code in [*range(0x20000), *range(0xE0000, 0xE0080)]
     if unicodedata.category(chr(code)) == "Cf"), None)
_BULLETS = {"\uf0b7": "•", "\uf0a7": "•", "\u25cf": "•", "\u25aa": "•", "\u2022": "•",
            "\u25e6": "•", "\uf0d8": "•", "\u2023": "•"}
_PAGE_NUMBER = re.compile(
    r"^\s*(?:sida\s+)?[-–]?\s*\d{1,4}\s*[-–]?\s*(?:\(\s*\d+\s*\)|av\s+\d+)?\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Line:
    """A cleaned line; `start`..`end` are the source lines it came from (1-based)."""

    text: str
    start: int
    end: int
    page: int | None = None
    page_start: bool = False  # first non-empty line of a PDF page or an indented break in text


def normalise(text: str) -> str:
    """NFC (å stays one character), no format characters (soft hyphens, zero-width marks,
    bidi controls), unified bullets."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u00a0", " ").replace("\t", " ")
    for odd, bullet in _BULLETS.items():
        text = text.replace(odd, bullet)
    return text


def repeated_margins(pages: list[list[str]], min_pages: int = 3) -> set[str]:
    """Lines that open or close at least half of the pages: running headers and footers."""
    if len(pages) < min_pages:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        body = [ln.strip() for ln in lines if ln.strip()]
        edge = set(body[:2] + body[-2:])
        counts.update(_digits_masked(ln) for ln in edge)
    return {key for key, n in counts.items() if n >= max(min_pages, len(pages) / 2)}


def _digits_masked(line: str) -> str:
    # "Sida 3 av 12" and "Sida 4 av 12" are the same footer.
    return re.sub(r"\d+", "#", line.strip().lower())


def join_hyphenated(lines: list[Line]) -> list[Line]:
    """Re-join words split over a line break; keep the hyphen before 'och', 'eller' …"""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and _ends_with_split_word(prev.text) and line.text.strip():
            nxt = line.text.lstrip()
            first_word = re.split(r"[\s,.;:]", nxt, maxsplit=1)[0].lower()
            acronym = re.search(r"\b[A-ZÅÄÖ0-9]{2,}-$", prev.text.rstrip())
            if nxt[0].islower() and first_word not in _COORDINATORS and not acronym:
                joined = prev.text.rstrip()[:-1] + nxt
            elif acronym:
                joined = prev.text.rstrip() + nxt  # "TBE-vaccin" keeps its hyphen
            elif nxt[0] == "/" or nxt[0].islower():
                joined = prev.text.rstrip() + (" " if nxt[0] != "/" else "") + nxt
            else:
                out.append(line)
                continue
            out[-1] = Line(joined, prev.start, line.end, prev.page, prev.page_start)
            continue
        out.append(line)
    return out


def _ends_with_split_word(text: str) -> bool:
    stripped = text.rstrip()
    return len(stripped) >= 2 and stripped[-1] == "-" and stripped[-2].isalpha()


def join_orphan_bullets(lines: list[Line]) -> list[Line]:
    """A bullet alone on its line belongs to the text on the next non-empty line."""
    out: list[Line] = []
    pending: Line | None = None
    for line in lines:
        if line.text.strip() in {"•", "-", "–", "o"}:
            pending = line
            continue
        if pending is not None and line.text.strip():
            line = Line(f"• {line.text.strip()}", pending.start, line.end, line.page,
                        pending.page_start or line.page_start)
            pending = None
        out.append(line)
    return out


def clean_pages(pages: list[Page] | tuple[Page, ...]) -> list[Line]:
    """Run every cleaning step over the pages of one document, in order."""
    raw_pages = [normalise(p.text).split("\n") for p in pages]
    margins = repeated_margins(raw_pages)
    lines: list[Line] = []
    for page, raw_lines in zip(pages, raw_pages, strict=True):
        seen_text = False
        for i, raw in enumerate(raw_lines, start=1):
            text = raw.rstrip()
            stripped = text.strip()
            if stripped and (_digits_masked(stripped) in margins
                             or (page.number is not None and _PAGE_NUMBER.match(stripped))):
                continue
            # A leading space on a non-bullet line marks a page break in the bundled extracts.
            page_start = bool(stripped) and (
                (page.number is not None and not seen_text)
                or (text.startswith(" ") and not stripped.startswith("•") and i > 1)
            )
            seen_text = seen_text or bool(stripped)
            lines.append(Line(stripped, i, i, page.number, page_start))
        if page.number is not None:
            lines.append(Line("", len(raw_lines) + 1, len(raw_lines) + 1, page.number))
    return join_orphan_bullets(join_hyphenated(lines))


# --------------------------------------------------------------------------- hostile text

# Text addressed to an AI rather than to a prescriber. Policy documents never say this; a
# document that does is trying to steer the assistant, so those sentences are left out of the
# index. The patterns read text already folded by `fold_for_screening` (lower case, Latin
# letters), and a gap never runs past a sentence end, so two harmless sentences do not add up.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,40}\b(?:previous|prior|above|earlier|all"
    r"|your)\b[^.!?]{0,30}\b(?:instructions?|prompts?|rules)\b"
    r"|\b(?:ignorera|strunta\s+i|bortse\s+från|glöm(?!\s+inte)|åsidosätt)\b[^.!?]{0,40}"
    r"\b(?:tidigare|föregående|ovanstående|alla|dina|era|givna)\b[^.!?]{0,30}"
    r"\b(?:instruktion\w*|anvisning\w*|regler\w*|direktiv\w*|prompt\w*)"
    r"|\bsystem\s?prompt\w*|\bsystemprompt\w*"
    r"|^\s*(?:system|assistant|assistent)\s*:"
    r"|<\|?\s*(?:im_start|im_end|system|endoftext)\s*\|?>|\[/?inst\]|###\s*(?:instruction|system)"
    r"|\b(?:you\s+are\s+now|du\s+är\s+nu\s+en?)\b"
    r"|\b(?:nya|new)\s+(?:instruktioner|instructions)\s*:"
    r"|\b(?:write|say|include|print)\b[^.!?]{0,40}\bin\s+(?:your|the)\s+(?:answer|response"
    r"|reply)\b"
    r"|\bskriv\b[^.!?]{0,40}\bi\s+(?:svaret|ditt\s+svar)\b"
    r"|\bsvara\s+(?:alltid|på\s+varje\s+fråga|på\s+alla\s+frågor)\b"
    r"|\bciter(?:a|a\s+endast)\s+(?:detta|det\s+här)\s+dokument"
    r"|\b(?:always\s+answer|answer\s+every\s+question)\b",
    re.IGNORECASE,
)
# Letters of other scripts that look like Latin ones ("Ignоrera" with a Cyrillic о): folded
# before screening, so a look-alike cannot slip an instruction past the patterns.
_CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    # Latin look-alikes
    "ı": "i", "ȷ": "j", "ſ": "s", "ɡ": "g", "ⅼ": "l",
})
# "[3]" in a document would read as one of the answer's citation markers.
_MARKER = re.compile(r"\[(\d{1,3})\]")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def fold_for_screening(text: str) -> str:
    """The text as the injection screen reads it: NFKC (fullwidth and mathematical letters
    become plain ones), lower case, look-alike letters of other scripts folded to Latin,
    format characters (zero-width, invisible separators) dropped. Same length per character
    is not kept; only whether something matches is read from it."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_CONFUSABLES)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", text)


def is_instruction(text: str) -> bool:
    """Whether a text speaks to an AI assistant ("Ignorera alla tidigare instruktioner")."""
    return bool(_INSTRUCTION.search(fold_for_screening(text)))


def paragraphs(lines: list[Line]) -> list[list[int]]:
    """Indices of `lines` grouped into paragraphs: runs between blank lines or page breaks."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i, line in enumerate(lines):
        if not line.text.strip() or (current and (line.page_start
                                                  or line.page != lines[current[-1]].page)):
            if current:
                groups.append(current)
            current = [] if not line.text.strip() else [i]
            continue
        current.append(i)
    if current:
        groups.append(current)
    return groups


def _flagged_in_paragraph(lines: list[Line], group: list[int]) -> set[int]:
    """Lines of one paragraph that hold (part of) a sentence that speaks to an AI.

    The paragraph is screened as one text, so an instruction wrapped over two lines is caught;
    the whole sentence around a match goes, so no half of it is left to be quoted.
    """
    folded = [fold_for_screening(lines[i].text) for i in group]
    joined = " ".join(folded)
    starts: list[int] = []
    offset = 0
    for text in folded:
        starts.append(offset)
        offset += len(text) + 1
    spans = [(m.start(), m.end()) for m in _INSTRUCTION.finditer(joined)]
    # Per line too: "SYSTEM:" only counts at the start of a line.
    for start, text in zip(starts, folded, strict=True):
        spans.extend((start + m.start(), start + m.end()) for m in _INSTRUCTION.finditer(text))
    flagged: set[int] = set()
    for begin, end in spans:
        ends_before = [m.end() for m in _SENTENCE_END.finditer(joined, 0, begin)]
        sentence_start = ends_before[-1] if ends_before else 0
        after = _SENTENCE_END.search(joined, max(end - 1, begin))
        sentence_end = after.end() if after else len(joined)
        for i, start, text in zip(group, starts, folded, strict=True):
            if start < sentence_end and start + len(text) > sentence_start:
                flagged.add(i)
    return flagged


def drop_instructions(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """(kept, dropped): sentences that speak to an AI assistant ("ignore previous
    instructions") are dropped with the lines they stand on, so that the answer can never quote
    them as if they were policy. Each paragraph is screened as one folded text (see
    `fold_for_screening`), so line breaks and look-alike letters do not hide an instruction."""
    flagged: set[int] = set()
    for group in paragraphs(lines):
        flagged |= _flagged_in_paragraph(lines, group)
    kept = [line for i, line in enumerate(lines) if i not in flagged]
    dropped = [line for i, line in enumerate(lines) if i in flagged]
    return kept, dropped


def neutralise_markers(lines: list[Line]) -> list[Line]:
    """'[3]' → '(3)': a footnote in the source must not pose as a citation of the answer."""
    return [dataclasses.replace(ln, text=_MARKER.sub(r"(\1)", ln.text))
            if "[" in ln.text else ln for ln in lines]
