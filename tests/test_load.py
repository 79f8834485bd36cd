"""Loading (ingest/load.py) real files: PDFs written with fpdf2 in the test, text in several
encodings, and every kind of bad input, which must end in a LoadError that names the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfWriter

from core.settings import Settings
from ingest.clean import clean_pages
from ingest.load import DocMeta, LoadError, load_document, read_manifest
from ingest.pipeline import chunk_document

HEADER = "Region Testland – Riktlinjer för hjälpmedel 2024"
FOOTER = "Sida {n} av {total}"
PAGES = [
    ["Hjälpmedel förskrivs av legitimerad personal med förskriv-",
     "ningsrätt i regionen.",
     "Åtgärden följs upp av förskrivaren inom tre månader."],
    ["Rollatorer för utomhusbruk förskrivs av vårdcentralen.",
     "Hälso- och sjukvården ansvarar för uppföljningen."],
    ["Övriga hjälpmedel kräver hembesök av kommunens personal.",
     "Kommunen ansvarar för särskilt boende och hemsjukvård."],
]
META = DocMeta(title="Riktlinjer", regions=("Testland",))


def assert_load_error(path: Path, *fragments: str) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_document(path, META)
    err = info.value
    assert err.file == path.name
    assert str(err).startswith(f"{path.name}: ")
    for fragment in fragments:
        assert fragment in str(err)
    return err


# --- a good PDF ----------------------------------------------------------------------------
@pytest.fixture
def policy_pdf(make_pdf) -> Path:
    return make_pdf("riktlinjer.pdf", PAGES, header=HEADER, footer=FOOTER)


def test_pdf_is_loaded_page_by_page(policy_pdf: Path) -> None:
    doc = load_document(policy_pdf, META)
    assert doc.doc == "riktlinjer.pdf"
    assert doc.meta == META
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert "förskriv-" in doc.pages[0].text  # raw text still has the line-break hyphen
    assert "Rollatorer för utomhusbruk" in doc.pages[1].text


def test_cleaned_pdf_text_rejoins_words_keeps_aao_and_drops_margins(policy_pdf: Path) -> None:
    lines = clean_pages(load_document(policy_pdf, META).pages)
    text = "\n".join(ln.text for ln in lines)
    assert ("Hjälpmedel förskrivs av legitimerad personal med förskrivningsrätt i regionen."
            in text)
    assert "förskriv-" not in text
    for word in ("Åtgärden", "Övriga", "hembesök", "särskilt", "Hälso- och sjukvården"):
        assert word in text
    assert HEADER not in text
    assert "Sida" not in text
    assert "\ufffd" not in text
    joined = next(ln for ln in lines if "förskrivningsrätt" in ln.text)
    assert (joined.page, joined.start, joined.end) == (1, 2, 3)


def test_pdf_chunks_carry_page_numbers(policy_pdf: Path) -> None:
    chunks = chunk_document(policy_pdf, META, Settings.load(env={}))
    assert chunks and chunks[0].page == 1
    assert all(c.page in (1, 2, 3) for c in chunks)
    assert all(HEADER not in c.text for c in chunks)
    assert all(c.location.startswith(f"sida {c.page}, rad ") for c in chunks)


def test_pdf_chunk_location_points_at_the_page_and_lines_of_its_text(policy_pdf: Path) -> None:
    """Line numbers are per page for PDFs "so that citations can point back" (clean.py): a
    chunk's (page, line_start..line_end) must hold every line of its text."""
    lines = [ln for ln in clean_pages(load_document(policy_pdf, META).pages) if ln.text]
    for chunk in chunk_document(policy_pdf, META, Settings.load(env={})):
        for ln in lines:
            if ln.text in chunk.text:
                assert ln.page == chunk.page, (
                    f"{ln.text!r} is on page {ln.page} but cited as {chunk.location}")
                assert chunk.line_start <= ln.start and ln.end <= chunk.line_end


def test_pdf_encrypted_with_empty_user_password_is_readable(policy_pdf: Path,
                                                             tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=str(policy_pdf))
    writer.encrypt(user_password="", owner_password="ägarlösen")
    path = tmp_path / "skyddad-men-lasbar.pdf"
    writer.write(path)
    doc = load_document(path, META)
    assert "Rollatorer" in doc.pages[1].text


# --- text encodings ------------------------------------------------------------------------
SWEDISH = "Förskrivning av hjälpmedel – ansvar för hälso- och sjukvård i Åre, Älvsbyn och Örebro."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16",
                                      "utf-16-be-bom"])
def test_text_encodings_are_decoded(tmp_path: Path, encoding: str) -> None:
    text = SWEDISH if encoding != "latin-1" else SWEDISH.replace("–", "-")
    path = tmp_path / f"dokument-{encoding}.txt"
    if encoding == "utf-16-be-bom":
        path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    else:
        path.write_bytes(text.encode(encoding))
    doc = load_document(path, META)
    assert [p.number for p in doc.pages] == [None]
    assert doc.pages[0].text == text


def test_markdown_is_loaded_as_text(tmp_path: Path) -> None:
    path = tmp_path / "rutin.md"
    path.write_text("# Rutin\n\nRollatorer förskrivs av vårdcentralen.\n", encoding="utf-8")
    assert "vårdcentralen" in load_document(path, META).pages[0].text


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tom.txt", "tom.pdf", "tom.md"])
def test_empty_file_raises_load_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert_load_error(path, "tom")


def test_whitespace_only_text_raises_load_error(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n\t \n", encoding="utf-8")
    assert_load_error(path, "ingen text")


@pytest.mark.parametrize("name", ["rutin.docx", "bild.png", "utan-filändelse"])
def test_unknown_extension_raises_load_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 inte ett dokument")
    err = assert_load_error(path, "stöds inte")
    assert "PDF" in str(err)


def test_missing_file_raises_load_error(tmp_path: Path) -> None:
    assert_load_error(tmp_path / "finns-inte.txt", "går inte att läsa")


def test_truncated_pdf_raises_load_error(policy_pdf: Path, tmp_path: Path) -> None:
    data = policy_pdf.read_bytes()
    for cut in (0.3, 0.5, 0.9):
        path = tmp_path / f"avbruten-{int(cut * 100)}.pdf"
        path.write_bytes(data[: int(len(data) * cut)])
        assert_load_error(path, "skadad")


@pytest.mark.parametrize("content", [b"%PDF-1.7\nskr\xe4p skr\xe4p\n", b"det h\xe4r \xe4r text"])
def test_corrupt_pdf_raises_load_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "trasig.pdf"
    path.write_bytes(content)
    assert_load_error(path, "skadad")


def test_pdf_with_unsupported_stream_filter_raises_load_error(policy_pdf: Path,
                                                              tmp_path: Path) -> None:
    """A damaged filter name makes pypdf raise NotImplementedError("Unsupported filter …").

    load.py promises that bad input never raises anything but LoadError (and the ingest loop only
    catches LoadError, so this file would abort a whole corpus run).
    """
    data = policy_pdf.read_bytes()
    assert b"/FlateDecode" in data
    path = tmp_path / "okant-filter.pdf"
    path.write_bytes(data.replace(b"/FlateDecode", b"/FlateDeczde"))  # same length: xref ok
    assert_load_error(path)


def test_password_protected_pdf_raises_load_error(policy_pdf: Path, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=str(policy_pdf))
    writer.encrypt(user_password="hemligt lösen", owner_password="ägarlösen")
    path = tmp_path / "lösenord.pdf"
    writer.write(path)
    assert_load_error(path, "lösenord")


def test_pdf_without_text_layer_raises_load_error(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 60, style="F")  # what a scanned page looks like to a text extractor
    path = tmp_path / "skannad.pdf"
    pdf.output(str(path))
    assert_load_error(path, "OCR")


def test_binary_bytes_as_txt_raise_load_error(tmp_path: Path) -> None:
    path = tmp_path / "program.txt"
    path.write_bytes(bytes(range(256)) * 8)
    assert_load_error(path, "binär")


def test_too_large_file_raises_load_error(tmp_path: Path) -> None:
    path = tmp_path / "stor.txt"
    path.write_text("Rollator. " * 20_000, encoding="utf-8")
    with pytest.raises(LoadError, match=r"stor\.txt: .*HJALP_MAX_FILE_MB"):
        load_document(path, META, max_mb=0.1)


def test_pdf_with_too_many_pages_raises_load_error(policy_pdf: Path) -> None:
    with pytest.raises(LoadError, match=r"riktlinjer\.pdf: .*3 sidor.*HJALP_MAX_PDF_PAGES"):
        load_document(policy_pdf, META, max_pages=2)


# --- metadata ------------------------------------------------------------------------------
def test_manifest_gives_metadata_per_file(tmp_path: Path) -> None:
    manifest = {"documents": [{"file": "a.txt", "title": "A", "regions": "Norrbotten, Dalarna",
                               "date": 2013}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    meta = read_manifest(tmp_path)["a.txt"]
    assert (meta.title, meta.regions, meta.date) == ("A", ("Norrbotten", "Dalarna"), "2013")


def test_broken_manifest_raises_load_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{inte json", encoding="utf-8")
    with pytest.raises(LoadError, match=r"^manifest\.json: "):
        read_manifest(tmp_path)
