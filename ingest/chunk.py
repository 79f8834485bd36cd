"""Chunk: split cleaned lines by structure into citable chunks that never cut a sentence.

Blocks (runs of lines between blank lines) are classified as headings, table rows (ISO-coded
product rows such as ``120606 Rollator Hembesök rekommenderas …`` and fee rows ending in an amount)
or body text. Chunks are built from whole blocks under one heading path; table rows are kept whole
and carry their table's heading; an over-long paragraph is split between sentences only.

Example:
    >>> from ingest.clean import Line
    >>> lines = [Line("Mål", 1, 1), Line("Målet är ett självständigt liv.", 2, 2)]
    >>> [c.section for c in chunk_lines(lines, doc="x.txt")]
    ['Mål']
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from core.text import AMOUNT_ROW, ISO_ROW, LIST_ITEM, split_sentences
from core.values import Chunk
from ingest.clean import Line
from ingest.load import DocMeta

_TERMINAL = (".", ":", ";", ",", "!", "?", "”", '"', ")")


@dataclass
class Block:
    """Consecutive lines of one paragraph, heading or table row, joined with spaces."""

    text: str
    start: int
    end: int
    page: int | None
    kind: str  # heading | major_heading | row | body
    lines: list[str] = field(default_factory=list)


def blocks_from_lines(lines: list[Line]) -> list[Block]:
    """Group lines into blocks at blank lines and page starts; split off leading headings."""
    groups: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if not line.text:
            if current:
                groups.append(current)
            current = []
            continue
        starts_row = bool(ISO_ROW.match(line.text))
        if current and (line.page_start or starts_row or line.page != current[-1].page):
            groups.append(current)
            current = []
        current.append(line)
    if current:
        groups.append(current)
    groups = _rejoin_broken_paragraphs(groups)

    blocks: list[Block] = []
    for group in groups:
        blocks.extend(_classify(group))
    return _attach_row_continuations(blocks)


def _rejoin_broken_paragraphs(groups: list[list[Line]]) -> list[list[Line]]:
    """PDF tables and text boxes put blank lines inside sentences: a group that ends without
    punctuation, followed by one that starts in lower case, is the same paragraph."""
    out: list[list[Line]] = []
    for group in groups:
        prev = out[-1] if out else None
        first = group[0].text
        # A bare "150 kr 300 kr" is the price cells of the row text above it.
        amounts_only = bool(AMOUNT_ROW.search(first)) and not AMOUNT_ROW.sub("", first).strip()
        if (prev is not None and not prev[-1].text.endswith((".", "!", "?", ":"))
                and (first[:1].islower() or amounts_only) and not ISO_ROW.match(first)
                and prev[-1].page == group[0].page and not group[0].page_start):
            prev.extend(group)
            continue
        out.append(list(group))
    return out


def _classify(group: list[Line]) -> list[Block]:
    texts = [ln.text for ln in group]
    first = group[0]
    major = first.page_start or texts[0].lower().startswith("bilaga")
    if ISO_ROW.match(texts[0]):
        return [_block(group, "row")]
    if all(_looks_like_heading(t) for t in texts) and sum(map(len, texts)) <= 120:
        return [_block(group, "major_heading" if major else "heading")]
    # "Mål\nMålsättningen med …": a short first line above a paragraph is its heading.
    if len(group) > 1 and _looks_like_heading(texts[0]) and texts[1][:1].isupper() \
            and len(texts[0]) < 0.6 * max(len(t) for t in texts[1:]):
        return [_block(group[:1], "major_heading" if major else "heading"),
                *_classify(group[1:])]
    if all(AMOUNT_ROW.search(t) for t in texts) and len(texts) > 1:
        return [_block([ln], "row") for ln in group]
    # "Läkarbesök Patientavgift Uteblivandeavgift" above priced rows: a table's header.
    if len(group) > 1 and _looks_like_heading(texts[0]) and all(
            AMOUNT_ROW.search(t) for t in texts[1:]):
        return [_block(group[:1], "major_heading" if major else "heading"),
                *(_block([ln], "row") for ln in group[1:])]
    return [_block(group, "body")]


def _looks_like_heading(text: str) -> bool:
    t = text.strip()
    return (0 < len(t) <= 70 and not t.endswith(_TERMINAL) and not t.startswith(("•", "-", "–"))
            and (t[0].isupper() or t[0].isdigit()) and "http" not in t and "www." not in t
            and not AMOUNT_ROW.search(t))


def _block(group: list[Line], kind: str) -> Block:
    texts = [ln.text for ln in group]
    return Block(text=" ".join(texts), start=group[0].start, end=group[-1].end,
                 page=group[0].page, kind=kind, lines=texts)


def _attach_row_continuations(blocks: list[Block]) -> list[Block]:
    """In an ISO list a short block without a code continues the row above it."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind == "row" and ISO_ROW.match(prev.text)
                and block.kind != "row" and len(block.text) <= 160
                and block.kind != "major_heading"):
            prev.text = f"{prev.text} {block.text}"
            prev.end = block.end
            prev.lines.extend(block.lines)
            continue
        out.append(block)
    return out


@dataclass
class _Draft:
    section: tuple[str, ...]
    blocks: list[Block] = field(default_factory=list)
    region: str | None = None  # in a multi-region document: whose answer this text is

    @property
    def size(self) -> int:
        return sum(len(b.text) + 1 for b in self.blocks)

    @property
    def body_size(self) -> int:
        return sum(len(b.text) + 1 for b in self.blocks if not b.kind.endswith("heading"))


def chunk_lines(lines: list[Line], doc: str, meta: DocMeta | None = None,
                target_chars: int = 700, max_chars: int = 1200) -> list[Chunk]:
    """Build chunks for one document from its cleaned lines."""
    meta = meta or DocMeta()
    drafts: list[_Draft] = []
    major = ""
    minor = ""
    draft = _Draft(section=())

    region: str | None = None

    def flush() -> None:
        nonlocal draft
        if draft.blocks:
            drafts.append(draft)
        draft = _Draft(section=_path(major, minor), region=region)

    for block in blocks_from_lines(lines):
        if draft.blocks and block.page != draft.blocks[-1].page:
            flush()  # a chunk's page and line range must point at one page
        named = _region_opening(block.text, meta.regions)
        if named and named != region:
            # A survey's next respondent ("Blekinge Ja sedan …") starts its own chunk, which
            # then belongs to that region alone.
            region = named
            if draft.body_size:
                flush()
            draft.region = region
        if block.kind in ("heading", "major_heading"):
            # A new part of the document ("Bilaga C …") always starts a new chunk.
            if draft.body_size >= 150 or (block.kind == "major_heading" and draft.body_size):
                flush()
            if block.kind == "major_heading":
                major, minor = block.text, ""
            else:
                minor = block.text
            if not draft.body_size:
                draft.section = _path(major, minor)
            # Headings stay in the text too: in slides they often carry the content.
            draft.blocks.append(block)
            continue
        limit = 420 if block.kind == "row" else target_chars
        last_kind = next((b.kind for b in reversed(draft.blocks)
                          if not b.kind.endswith("heading")), None)
        # A sentence that introduces a list ("… är:") stays with the list it introduces.
        opens_list = (draft.blocks[-1].text.rstrip().endswith(":") and not
                      draft.blocks[-1].kind.endswith("heading")) if draft.blocks else False
        # …and a list runs on to its last item.
        opens_list = opens_list or bool(draft.blocks and LIST_ITEM.match(draft.blocks[-1].text)
                                        and LIST_ITEM.match(block.text))
        if draft.body_size and (draft.size + len(block.text) > limit
                                or (block.kind == "row") != (last_kind == "row")) and not (
                opens_list and draft.size + len(block.text) <= max_chars):
            flush()
        if len(block.text) > max_chars:
            for piece in _split_long(block, target_chars):
                if draft.blocks and draft.size + len(piece.text) > target_chars:
                    flush()
                draft.blocks.append(piece)
            continue
        draft.blocks.append(block)
    flush()
    return [_to_chunk(d, doc, meta) for d in drafts]


def _region_opening(text: str, regions: tuple[str, ...]) -> str | None:
    """The region a block opens with, in a document that speaks for several regions."""
    if len(regions) < 2:
        return None
    for region in regions:
        if re.match(rf"(?:Region\s+)?{re.escape(region)}(?!\w)", text):
            return region
    return None


def _path(major: str, minor: str) -> tuple[str, ...]:
    return tuple(h for h in (major, minor) if h)


def _split_long(block: Block, target: int) -> list[Block]:
    """Split one long paragraph into sentence groups of about `target` characters."""
    pieces: list[Block] = []
    buf = ""
    for sentence in split_sentences(block.text):
        if buf and len(buf) + len(sentence) + 1 > target:
            pieces.append(Block(buf, block.start, block.end, block.page, block.kind))
            buf = sentence
        else:
            buf = f"{buf} {sentence}".strip()
    if buf:
        pieces.append(Block(buf, block.start, block.end, block.page, block.kind))
    return pieces


def _to_chunk(draft: _Draft, doc: str, meta: DocMeta) -> Chunk:
    text = "\n".join(b.text for b in draft.blocks)
    digest = hashlib.sha256(f"{doc}\n{text}".encode()).hexdigest()[:24]
    return Chunk(
        id=digest,
        doc=doc,
        text=text,
        title=meta.title,
        section=" > ".join(draft.section),
        regions=(draft.region,) if draft.region else meta.regions,
        date=meta.date,
        doc_type=meta.doc_type,
        publisher=meta.publisher,
        page=draft.blocks[0].page,
        line_start=min(b.start for b in draft.blocks),
        line_end=max(b.end for b in draft.blocks),
        # A survey respondent's own region is read from the text too, but its document's
        # regions were declared.
        regions_inferred="regions" in meta.inferred and not draft.region,
        reviewed=meta.reviewed is not False,
    )
