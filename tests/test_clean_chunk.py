"""Cleaning (ingest/clean.py) and structure-aware chunking (ingest/chunk.py), on hand-made text
and on the bundled corpus. Pure functions: no model, no index."""

from __future__ import annotations

import textwrap
import unicodedata
from pathlib import Path

import pytest

from core.settings import Settings
from core.text import ISO_ROW, split_sentences
from core.values import Chunk
from ingest.chunk import chunk_lines
from ingest.clean import (
    Line,
    clean_pages,
    join_hyphenated,
    join_orphan_bullets,
    normalise,
    repeated_margins,
)
from ingest.load import DocMeta, Page, read_manifest
from ingest.pipeline import chunk_document, resolve_meta

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
META = DocMeta(title="Testpolicy", regions=("Norrbotten",), date="2024-01-01")


def lines_of(*texts: str) -> list[Line]:
    return [Line(t, i, i) for i, t in enumerate(texts, 1)]


def texts(lines: list[Line]) -> list[str]:
    return [ln.text for ln in lines if ln.text]


# --- normalise ------------------------------------------------------------------------------
def test_normalise_composes_swedish_letters_to_nfc() -> None:
    decomposed = "fo\u0308rskrivning i ha\u0308lso- och sjukva\u030ard, A\u030are"
    out = normalise(decomposed)
    assert out == "förskrivning i hälso- och sjukvård, Åre"
    assert unicodedata.is_normalized("NFC", out)
    assert "ö" in out and len("ö") == 1


def test_normalise_removes_soft_hyphens_and_zero_width_marks() -> None:
    assert normalise("förskriv\u00adning") == "förskrivning"
    assert normalise("hjälp\u200bmedel\ufeff") == "hjälpmedel"


def test_normalise_unifies_line_ends_spaces_and_bullets() -> None:
    out = normalise("rad ett\r\nrad\u00a0två\rrad\ttre\f\uf0b7 punkt \u25cf annan")
    assert out == "rad ett\nrad två\nrad tre\n• punkt • annan"


# --- hyphenation ---------------------------------------------------------------------------
def test_join_hyphenated_rejoins_a_word_split_over_a_line_break() -> None:
    out = join_hyphenated(lines_of("Hjälpmedel kräver förskriv-", "ning av legitimerad personal."))
    assert texts(out) == ["Hjälpmedel kräver förskrivning av legitimerad personal."]
    assert (out[0].start, out[0].end) == (1, 2)


@pytest.mark.parametrize("coordinator", ["och", "eller", "samt"])
def test_join_hyphenated_keeps_the_hyphen_before_a_coordinator(coordinator: str) -> None:
    out = join_hyphenated(lines_of("Ansvaret för hälso-", f"{coordinator} sjukvård ligger hos"))
    assert texts(out) == [f"Ansvaret för hälso- {coordinator} sjukvård ligger hos"]


def test_join_hyphenated_leaves_capitalised_next_lines_alone() -> None:
    out = join_hyphenated(lines_of("Samarbete med Region-", "Norrbotten gäller."))
    assert texts(out) == ["Samarbete med Region-", "Norrbotten gäller."]


def test_join_hyphenated_leaves_dashes_and_numbers_alone() -> None:
    out = join_hyphenated(lines_of("Avgift 2024 -", "ingen ändring", "Telefon 0920-", "12345"))
    assert texts(out) == ["Avgift 2024 -", "ingen ändring", "Telefon 0920-", "12345"]


def test_clean_pages_joins_hyphenation_and_keeps_source_line_numbers() -> None:
    raw = "Rubrik\nHjälpmedels-\nförskrivning och hälso-\noch sjukvård ansvarar.\nSlut."
    out = [ln for ln in clean_pages([Page(raw)]) if ln.text]
    assert [(ln.text, ln.start, ln.end) for ln in out] == [
        ("Rubrik", 1, 1),
        ("Hjälpmedelsförskrivning och hälso- och sjukvård ansvarar.", 2, 4),
        ("Slut.", 5, 5),
    ]


# --- headers, footers and page numbers -----------------------------------------------------
BODIES = [
    ["Rollatorer för utomhusbruk förskrivs av vårdcentralen.", "Det gäller alla vuxna."],
    ["Hembesök rekommenderas före förskrivning av gåstol.", "Kommunen gör hembesöket."],
    ["Förskrivaren följer upp hjälpmedlet inom tre månader.", "Uppföljningen dokumenteras."],
    ["Kommunen ansvarar för särskilt boende.", "Regionen ansvarar för övriga."],
]


def pdf_pages(bodies: list[list[str]], header: str, footer: str) -> list[Page]:
    n = len(bodies)
    return [Page("\n".join([header, *body, footer.format(i=i, n=n)]), number=i)
            for i, body in enumerate(bodies, 1)]


def test_repeated_header_and_footer_are_removed_from_three_or_more_pages() -> None:
    pages = pdf_pages(BODIES, "Region Testland – Hjälpmedelspolicy 2024", "Sida {i} av {n}")
    out = clean_pages(pages)
    kept = texts(out)
    assert kept == [line for body in BODIES for line in body]
    assert not any("Hjälpmedelspolicy" in t or t.startswith("Sida") for t in kept)
    # Pages and their own line numbers survive for citations.
    first = next(ln for ln in out if ln.text == BODIES[2][0])
    assert (first.page, first.start, first.page_start) == (3, 2, True)


def test_header_is_kept_when_there_are_fewer_than_three_pages() -> None:
    pages = pdf_pages(BODIES[:2], "Region Testland – Hjälpmedelspolicy 2024", "")
    assert texts(clean_pages(pages)).count("Region Testland – Hjälpmedelspolicy 2024") == 2


def test_repeated_margins_masks_digits() -> None:
    pages = [["Policy", f"Text {i}", f"Sida {i} av 12"] for i in range(1, 5)]
    assert "sida # av #" in repeated_margins(pages)


@pytest.mark.parametrize("number_line", ["7", "- 7 -", "Sida 7", "7 (12)", "sida 7 av 12"])
def test_page_number_lines_are_dropped_from_pdf_pages(number_line: str) -> None:
    page = Page(f"Hjälpmedel förskrivs av arbetsterapeut.\n{number_line}\nSista raden.", number=7)
    assert texts(clean_pages([page])) == ["Hjälpmedel förskrivs av arbetsterapeut.",
                                          "Sista raden."]


def test_numbers_inside_text_survive_cleaning() -> None:
    page = Page("Egenavgiften är 200 kr.\n120606 Rollator Hembesök rekommenderas", number=1)
    assert texts(clean_pages([page])) == ["Egenavgiften är 200 kr.",
                                          "120606 Rollator Hembesök rekommenderas"]


# --- bullets -------------------------------------------------------------------------------
def test_orphan_bullet_is_reattached_to_the_next_line() -> None:
    out = join_orphan_bullets(lines_of("Följande gäller:", "•", "", "Rollator till alla.", "Slut"))
    assert texts(out) == ["Följande gäller:", "• Rollator till alla.", "Slut"]
    bullet = next(ln for ln in out if ln.text.startswith("•"))
    assert (bullet.start, bullet.end) == (2, 4)


def test_orphan_pdf_symbol_bullet_is_normalised_and_reattached() -> None:
    out = clean_pages([Page("Förskrivare är:\n\uf0b7\nArbetsterapeut\n\uf0b7\nFysioterapeut")])
    assert texts(out) == ["Förskrivare är:", "• Arbetsterapeut", "• Fysioterapeut"]


# --- chunking: structure -------------------------------------------------------------------
POLICY = """Policy för hjälpmedelsförskrivning

 Kapitel 2 Riktlinjer

Mål
Målet med hjälpmedelsförskrivningen är att patienten ska kunna leva ett så självständigt liv som \
möjligt. Hjälpmedel förskrivs efter en individuell behovsbedömning och följs alltid upp.

Ansvar
Förskrivaren ansvarar för hela förskrivningsprocessen, från bedömning till uppföljning. \
Verksamhetschefen ansvarar för att förskrivaren har rätt kompetens och den utbildning som behövs.

 Bilaga 1 Gränsdragning

Hjälpmedel enligt ISO Ansvar

120603 Gåstativ Hembesök rekommenderas

120606 Rollator Hembesök rekommenderas
för rollator för inomhusanv.

Vårdcentralen i första hand
för rollator för utomhusan-
vändning.
 120609 Gåstolar Hembesök krävs

120612 Gåbord Hembesök krävs
"""
ROLLATOR_ROW = ("120606 Rollator Hembesök rekommenderas för rollator för inomhusanv. "
                "Vårdcentralen i första hand för rollator för utomhusanvändning.")


def chunk_text(text: str, doc: str = "policy.txt", meta: DocMeta = META,
               **kw: int) -> list[Chunk]:
    return chunk_lines(clean_pages([Page(text)]), doc=doc, meta=meta, **kw)


def test_chunks_keep_the_heading_path() -> None:
    chunks = chunk_text(POLICY)
    by_start = {c.text.split("\n")[-1][:20]: c.section for c in chunks}
    assert "Kapitel 2 Riktlinjer > Mål" in by_start.values()
    assert "Kapitel 2 Riktlinjer > Ansvar" in by_start.values()
    goal = next(c for c in chunks if "självständigt liv" in c.text)
    assert goal.section == "Kapitel 2 Riktlinjer > Mål"
    duty = next(c for c in chunks if "Verksamhetschefen" in c.text)
    assert duty.section == "Kapitel 2 Riktlinjer > Ansvar"
    assert duty.text.startswith("Ansvar\n")  # the heading stays in the text too


def test_iso_row_is_kept_whole_with_its_continuation_lines_and_table_heading() -> None:
    chunks = chunk_text(POLICY)
    [table] = [c for c in chunks if "120606" in c.text]
    assert ROLLATOR_ROW in table.text.split("\n")  # one row, one line, hyphenation re-joined
    assert table.section == "Bilaga 1 Gränsdragning > Hjälpmedel enligt ISO Ansvar"
    rows = [t for t in table.text.split("\n") if ISO_ROW.match(t)]
    assert [r.split()[0] for r in rows] == ["120603", "120606", "120609", "120612"]


def test_every_row_chunk_of_a_long_table_carries_the_table_heading() -> None:
    rows = "\n\n".join(f"1206{n:02d} Gånghjälpmedel modell {n} Hembesök rekommenderas "
                       "för användning i bostaden" for n in range(3, 60, 3))
    intro = "Inledning\n" + " ".join(SENTENCES[:3])
    doc = f"{intro}\n\n Bilaga 2 Gränsdragning\n\nHjälpmedel enligt ISO Ansvar\n\n{rows}\n"
    row_chunks = [c for c in chunk_text(doc) if any(ISO_ROW.match(t) for t in c.text.split("\n"))]
    assert len(row_chunks) >= 3
    for c in row_chunks:
        assert c.section == "Bilaga 2 Gränsdragning > Hjälpmedel enligt ISO Ansvar"
        for line in c.text.split("\n"):
            assert ISO_ROW.match(line) or line in ("Bilaga 2 Gränsdragning",
                                                   "Hjälpmedel enligt ISO Ansvar")
            if ISO_ROW.match(line):
                assert line.endswith("för användning i bostaden")  # never cut


def test_fee_rows_in_kronor_are_kept_as_rows_under_their_heading() -> None:
    [chunk] = chunk_text("Egenavgifter 2025\n\nRollator 200 kr\nRullstol 300 kr\n"
                         "Hörapparat 500 kronor\n")
    assert chunk.section == "Egenavgifter 2025"
    assert chunk.text.split("\n") == ["Egenavgifter 2025", "Rollator 200 kr", "Rullstol 300 kr",
                                      "Hörapparat 500 kronor"]


def test_fee_rows_in_percent_are_kept_as_rows_under_their_heading() -> None:
    """AMOUNT_ROW lists '%' as an amount ("fee rows ending in an amount"), but its trailing
    `\\b` can never match after '%', so a percentage row is not a row (and reads as a heading)."""
    [chunk] = chunk_text("Egenavgifter 2025\n\nRollator 200 kr\nRullstol 300 kr\n"
                         "Hörapparat 50 %\n")
    assert chunk.text.split("\n") == ["Egenavgifter 2025", "Rollator 200 kr", "Rullstol 300 kr",
                                      "Hörapparat 50 %"]


SENTENCES = [
    "Hjälpmedel förskrivs efter en individuell behovsbedömning av legitimerad personal.",
    "Bedömningen omfattar t.ex. boendemiljö, aktivitetsförmåga och patientens egna mål.",
    "Förskrivaren ansvarar för att hjälpmedlet provas ut och att brukaren får instruktioner.",
    "Uppföljning sker inom tre månader, eller tidigare om behovet förändras.",
    "Om hjälpmedlet inte längre behövs ska det återlämnas till hjälpmedelscentralen.",
    "Kostnaden belastar den verksamhet där förskrivaren är anställd enligt bl.a. Avtal 2013.",
    "Vid osäkerhet kring ansvaret kontaktas hjälpmedelskonsulenten i regionen.",
    "Förskrivaren dokumenterar bedömning, utprovning och uppföljning i journalen.",
    "Brukaren informeras om sitt eget ansvar för skötsel och rengöring av hjälpmedlet.",
    "Reparationer beställs via hjälpmedelscentralens kundtjänst under kontorstid.",
    "Särskilda regler gäller för barn och unga upp till 20 år enligt bilaga 2.",
    "Hembesök rekommenderas när hjälpmedlet ska användas i bostaden.",
    "Nya förskrivare genomgår en obligatorisk förskrivarutbildning innan de får förskriva.",
    "Verksamhetschefen beslutar om vilka yrkesgrupper som får förskriva hjälpmedel.",
    "Avvikelser rapporteras i regionens avvikelsesystem och till leverantören.",
    "Denna policy gäller från den 1 januari 2024 och ses över vartannat år.",
]


@pytest.mark.parametrize("copies", [1, 2, 3])
def test_a_long_paragraph_is_split_between_sentences_only(copies: int) -> None:
    sentences = SENTENCES * copies
    paragraph = " ".join(sentences)
    assert len(paragraph) > 1200
    doc = "Rutiner\n" + "\n".join(textwrap.wrap(paragraph, 80)) + "\n"
    chunks = chunk_text(doc, target_chars=700, max_chars=1200)
    assert len(chunks) >= 2
    bodies = []
    for c in chunks:
        assert c.section == "Rutiner"
        assert len(c.text) <= 1200
        body = c.text.removeprefix("Rutiner\n")
        assert body.endswith(".") and body[0].isupper(), body
        bodies.append(body)
    # Every sentence stands whole in exactly one chunk, in the original order.
    assert " ".join(bodies) == paragraph
    for sentence in set(sentences):
        assert sum(b.count(sentence) for b in bodies) == sentences.count(sentence)


def test_split_sentences_keeps_swedish_abbreviations_whole() -> None:
    text = "Se t.ex. Bilaga 2. Enligt bl.a. Socialstyrelsen gäller detta. Nästa mening."
    assert split_sentences(text) == ["Se t.ex. Bilaga 2.",
                                     "Enligt bl.a. Socialstyrelsen gäller detta.",
                                     "Nästa mening."]


# --- chunking: ids and line ranges ---------------------------------------------------------
def test_chunk_ids_are_content_hashes_stable_across_runs() -> None:
    first = chunk_text(POLICY)
    second = chunk_text(POLICY)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


def test_chunk_id_changes_with_the_text_and_only_for_the_changed_chunk() -> None:
    before = chunk_text(POLICY)
    after = chunk_text(POLICY.replace("120612 Gåbord Hembesök krävs",
                                      "120612 Gåbord Hembesök rekommenderas"))
    assert len(before) == len(after)
    changed = [(b.id, a.id) for b, a in zip(before, after, strict=True) if b.id != a.id]
    assert len(changed) == 1
    assert [c.id for c in before if "självständigt" in c.text] == \
        [c.id for c in after if "självständigt" in c.text]


def test_chunk_id_depends_on_the_document() -> None:
    assert chunk_text(POLICY, doc="a.txt")[0].id != chunk_text(POLICY, doc="b.txt")[0].id


def test_chunk_line_ranges_point_at_the_source_lines() -> None:
    source = POLICY.split("\n")
    chunks = chunk_text(POLICY)
    for c in chunks:
        assert 1 <= c.line_start <= c.line_end <= len(source)
        # The first and last source lines of the range open and close the chunk text.
        assert c.text.startswith(source[c.line_start - 1].strip())
        assert c.text.endswith(source[c.line_end - 1].strip())
    # Headings without body of their own open the next chunk: the title and chapter go with Mål.
    goal = next(c for c in chunks if "självständigt" in c.text)
    assert (goal.line_start, goal.line_end) == (1, 6)
    duty = next(c for c in chunks if "Verksamhetschefen" in c.text)
    assert (duty.line_start, duty.line_end) == (8, 9)
    [table] = [c for c in chunks if "120606" in c.text]
    assert source[table.line_start - 1].strip() == "Bilaga 1 Gränsdragning"
    assert source[table.line_end - 1] == "120612 Gåbord Hembesök krävs"
    assert (table.line_start, table.line_end) == (11, 25)


def test_pieces_of_a_split_paragraph_lie_within_their_line_range() -> None:
    paragraph = " ".join(SENTENCES)
    source = ["Rutiner", *textwrap.wrap(paragraph, 80)]
    for c in chunk_text("\n".join(source) + "\n"):
        span = " ".join(source[c.line_start - 1:c.line_end])
        for sentence in split_sentences(c.text.removeprefix("Rutiner\n")):
            assert sentence in span


def test_chunks_carry_the_document_metadata() -> None:
    for c in chunk_text(POLICY):
        assert (c.doc, c.title, c.regions, c.date) == ("policy.txt", "Testpolicy",
                                                       ("Norrbotten",), "2024-01-01")


# --- the bundled corpus --------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_chunks() -> tuple[Settings, list[Chunk]]:
    settings = Settings.load(env={})
    manifest = read_manifest(CORPUS)
    chunks: list[Chunk] = []
    for path in sorted(CORPUS.glob("*.txt")):
        chunks.extend(chunk_document(path, resolve_meta(path, manifest), settings))
    return settings, chunks


def test_every_corpus_chunk_has_doc_title_regions_and_lines(corpus_chunks) -> None:
    _, chunks = corpus_chunks
    assert {c.doc for c in chunks} == {p.name for p in CORPUS.glob("*.txt")}
    for c in chunks:
        assert c.doc and c.title and c.regions, c
        assert c.text.strip()
        assert c.line_start is not None and c.line_end is not None
        assert 1 <= c.line_start <= c.line_end, c


def test_corpus_chunk_ids_are_unique(corpus_chunks) -> None:
    _, chunks = corpus_chunks
    assert len({c.id for c in chunks}) == len(chunks)


def test_no_corpus_chunk_exceeds_max_chars_unless_indivisible(corpus_chunks) -> None:
    settings, chunks = corpus_chunks
    for c in chunks:
        if len(c.text) <= settings.chunk_max_chars:
            continue
        parts = c.text.split("\n")
        longest = max(parts, key=len)
        indivisible = ISO_ROW.match(longest) or len(split_sentences(longest)) == 1
        assert indivisible, f"{c.doc} rad {c.line_start}: {len(c.text)} tecken"
        # The rest of the chunk (headings, small neighbours) stays below the target size.
        assert len(c.text) - len(longest) <= settings.chunk_target_chars


def test_corpus_rollator_row_is_whole_under_the_boundary_appendix(corpus_chunks) -> None:
    _, chunks = corpus_chunks
    [row_chunk] = [c for c in chunks if c.doc.startswith("norrbotten") and "120606" in c.text]
    assert ROLLATOR_ROW in row_chunk.text.split("\n")
    assert "Gränsdragning" in row_chunk.section


def test_survey_answers_are_chunked_per_responding_region() -> None:
    text = textwrap.dedent("""\
        Region Har ni frågan på agendan?

        Blekinge Ja sedan dec 2023. En utredning gick på remiss till nämnderna.

        Blekinges utredning baseras på en juridisk utredning om förskrivning.

        Region Stockholm Nej, den här frågan diskuteras inte på politisk nivå.
        """)
    meta = DocMeta(title="Enkät", regions=("Blekinge", "Stockholm"))
    chunks = chunk_lines(clean_pages([Page(text)]), doc="enkat.txt", meta=meta)
    by_start = {" ".join(c.text.split()[:2]): c.regions for c in chunks}
    assert by_start["Region Har"] == ("Blekinge", "Stockholm")  # the shared question row
    assert by_start["Blekinge Ja"] == ("Blekinge",)
    assert by_start["Region Stockholm"] == ("Stockholm",)
    assert all(c.regions == ("Blekinge",) for c in chunks if "Blekinges" in c.text)
    assert all(c.regions == ("Stockholm",) for c in chunks if "politisk" in c.text)


def test_single_region_document_keeps_its_region_even_when_naming_others() -> None:
    text = "Dalarna har gemensam policy med kommunerna.\n\nStockholm nämns som exempel här.\n"
    chunks = chunk_lines(clean_pages([Page(text)]), doc="d.txt",
                         meta=DocMeta(regions=("Dalarna",)))
    assert {c.regions for c in chunks} == {("Dalarna",)}


def test_table_header_line_above_priced_rows_becomes_their_heading() -> None:
    text = textwrap.dedent("""\
        Hörseltekniska hjälpmedel Egenavgift
        Flyttkostnad (per flyttningstillfälle) 400 kr
        Hörapparat** 800 kr
        """)
    chunks = chunk_lines(clean_pages([Page(text)]), doc="avg.txt")
    assert len(chunks) == 1
    assert chunks[0].section == "Hörseltekniska hjälpmedel Egenavgift"
    assert "Hörapparat** 800 kr" in chunks[0].text.split("\n")


def test_the_examples_in_core_text_run() -> None:
    """The shared text primitives' docstrings (sentences, the quote normaliser) are examples."""
    import doctest

    import core.text

    assert doctest.testmod(core.text).failed == 0
