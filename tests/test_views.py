"""The Dokument and Utbildning pages through `streamlit.testing.v1.AppTest`, each standalone,
against the real Assistant on a private copy of the session index (uploads in a tmp folder).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_page, sign_in, until_jobs_end
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from assistant.library import reading_order

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "views" / "documents.py"
TRAINING = ROOT / "views" / "training.py"
TIMEOUT = 120  # the first run in a process loads the model
NORRBOTTEN = "norrbotten-policy-hjalpmedelsforskrivning-2013.txt"
PDF_LINES = [
    "Riktlinje för sittdynor i Jämtland Härjedalen",
    "",
    "Tryckavlastande sittdynor förskrivs av arbetsterapeut i kommunen.",
    "Vid förskrivning av tryckavlastande sittdyna ska en riskbedömning för trycksår göras.",
    "Sittdynan följs upp efter tre månader.",
]


def _page(path: Path, editor: bool = False, **params: str) -> AppTest:
    """The page in a new session; `editor`: signed in with the editor password (from a
    secrets file holding its hash), as changing the library needs."""
    test = AppTest.from_file(str(path), default_timeout=TIMEOUT)
    for key, value in params.items():
        test.query_params[key] = value
    return sign_in(test) if editor else run_page(test)


def _library_table(test: AppTest):
    return next(df.value for df in test.dataframe if "Textavsnitt" in df.value.columns)


def _texts(test: AppTest) -> str:
    parts = [m.value for m in test.markdown] + [c.value for c in test.caption]
    parts += [_unescape(e.value) for e in (*test.error, *test.success, *test.info, *test.warning)]
    return "\n".join(str(p) for p in parts)


def _assistant(env):
    """A second Assistant on the same index folder (sees what the page wrote)."""
    from assistant.pipeline import Assistant
    from core.settings import Settings

    return Assistant.from_settings(Settings.load(), build_if_missing=False)


# --------------------------------------------------------------------------- Dokument

@pytest.mark.slow
def test_documents_page_lists_the_five_documents_with_chunk_counts(page_env, bundled_index):
    _, report = bundled_index
    test = _page(DOCUMENTS)
    assert test.title[0].value == "Dokument"
    table = _library_table(test)
    assert len(table) == 5
    assert {"Titel", "Utgivare", "Regioner", "Datum", "Typ", "Textavsnitt",
            "Indexerad"} <= set(table.columns)
    assert table["Textavsnitt"].sum() == report.chunks and (table["Textavsnitt"] > 0).all()
    assert set(table["Källa"]) == {"medföljande"}
    assert table["Indexerad"].str.match(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    # Every widget carries a visible label.
    assert all(w.label for w in (*test.selectbox, *test.text_input, *test.multiselect,
                                 *test.button, *test.date_input))


@pytest.mark.slow
def test_open_document_from_chat_link_highlights_the_passage(page_env):
    assistant = _assistant(page_env)
    ordered = reading_order(assistant.retriever.chunks, NORRBOTTEN)
    target = ordered[len(ordered) // 2]
    test = _page(DOCUMENTS, doc=NORRBOTTEN, chunk=target.id)
    assert test.selectbox(key="reader_doc").value == NORRBOTTEN
    texts = _texts(test)
    assert "Avsnittet du kom från" in texts
    marked = [m.value for m in test.markdown if ":orange-background[" in m.value]
    assert marked, "the linked passage is highlighted"
    first_words = target.text.split()[0]
    assert first_words.strip("*:") in marked[0]
    # A line number finds the same passage when the chunk id is stale.
    by_line = _page(DOCUMENTS, doc=NORRBOTTEN, chunk="stale",
                    line=str(target.line_start))
    assert "Avsnittet du kom från" in _texts(by_line)
    # Picking a document without a link shows it whole, nothing highlighted.
    plain = _page(DOCUMENTS)
    plain.selectbox(key="reader_doc").set_value(NORRBOTTEN)
    run_page(plain)
    assert not any(":orange-background[" in m.value for m in plain.markdown)
    assert len([m for m in plain.markdown]) >= len(ordered)


@pytest.mark.slow
def test_unknown_document_link_says_so_in_swedish(page_env):
    test = _page(DOCUMENTS, doc="finns-inte.pdf", chunk="x")
    assert any("finns inte i indexet" in w.value for w in test.warning)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)



def _fill_upload(test: AppTest, name: str, data: bytes, mime: str, title: str = "") -> AppTest:
    test.file_uploader[0].set_value((name, data, mime))
    inputs = {t.label: t for t in test.text_input}
    inputs["Titel"].input(title)
    inputs["Utgivare"].input("Region Jämtland Härjedalen")
    test.multiselect[0].set_value(["Jämtland Härjedalen"])
    next(b for b in test.button if b.label == "Ladda upp och indexera").click()
    return until_jobs_end(run_page(test))


@pytest.mark.slow
def test_upload_real_pdf_through_the_form_then_delete_with_confirmation(page_env, make_pdf):
    pdf = make_pdf("Sittdynor riktlinje.pdf", [PDF_LINES]).read_bytes()
    test = _page(DOCUMENTS, editor=True)
    _fill_upload(test, "Sittdynor riktlinje.pdf", pdf, "application/pdf",
                 title="Riktlinje sittdynor")
    assert not test.error, [e.value for e in test.error]
    assert any("Sittdynor_riktlinje.pdf är uppladdat och indexerat" in _unescape(s.value)
               for s in test.success)
    table = _library_table(test)
    assert len(table) == 6
    row = table[table["Fil"] == "Sittdynor_riktlinje.pdf"].iloc[0]
    assert row["Titel"] == "Riktlinje sittdynor" and row["Källa"] == "uppladdad"
    assert row["Regioner"] == "Jämtland Härjedalen" and row["Textavsnitt"] >= 1

    answer = _assistant(page_env).ask("Vad ska göras vid förskrivning av tryckavlastande "
                                      "sittdyna?")
    assert not answer.refused and answer.citations[0].doc == "Sittdynor_riktlinje.pdf"
    assert "riskbedömning" in answer.text

    # Delete: the button stays disabled until the confirmation is ticked.
    delete = next(b for b in test.button if b.label == "Ta bort dokumentet")
    assert delete.disabled
    assert test.selectbox(key="delete_doc").value == "Sittdynor_riktlinje.pdf"
    test.checkbox(key="delete_confirm").check()
    run_page(test)
    next(b for b in test.button if b.label == "Ta bort dokumentet").click()
    run_page(test)
    assert any("är borttaget" in _unescape(s.value) for s in test.success)
    assert len(_library_table(test)) == 5
    uploads = Path(page_env["HJALP_UPLOAD_DIR"])
    assert not any(uploads.glob("Sittdynor*"))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "data", "mime", "message"), [
    ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream",
     "Filtypen .exe stöds inte"),
    ("binar.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00", "text/plain", "binär"),
])
def test_bad_file_gets_swedish_error_and_index_unchanged(page_env, name, data, mime, message):
    test = _page(DOCUMENTS, editor=True)
    before = _library_table(test)
    _fill_upload(test, name, data, mime)
    assert any(message in _unescape(e.value) for e in test.error), [e.value for e in test.error]
    # The reason stands in plain view, not inside the collapsed status box, and no progress
    # bar is left behind.
    assert any(message in _unescape(e.value) for e in test.main.error)
    assert not test.get("progress")
    after = _library_table(test)
    assert len(after) == len(before) == 5
    assert after["Textavsnitt"].sum() == before["Textavsnitt"].sum()
    uploads = Path(page_env["HJALP_UPLOAD_DIR"])
    assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.slow
def test_reindex_button_reports_nothing_changed(page_env):
    test = _page(DOCUMENTS, editor=True)
    test.button(key="reindex").click()
    until_jobs_end(run_page(test))
    success = " ".join(_unescape(s.value) for s in test.success)
    assert "Omindexerat: 5 dokument" in success and "0 nya" in success
    assert len(_library_table(test)) == 5


# --------------------------------------------------------------------------- Utbildning

class _RecordingStorage(MemoryMediaFileStorage):
    """The in-memory media storage AppTest uses, kept reachable to read download contents."""

    last: _RecordingStorage | None = None

    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        _RecordingStorage.last = self


def _download(test: AppTest, label: str) -> bytes:
    button = next(b for b in test.get("download_button") if b.proto.label == label)
    file_id = Path(button.proto.url).stem
    storage = _RecordingStorage.last
    assert storage is not None
    return storage.get_file(f"{file_id}{Path(button.proto.url).suffix}").content


@pytest.mark.slow
def test_training_page_topic_regions_rules_passages_quiz_and_exports(page_env, monkeypatch):
    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage",
                        _RecordingStorage)
    test = _page(TRAINING)
    assert test.title[0].value == "Utbildning"
    assert test.selectbox(key="training_topic").value == "gränsdragning"
    assert sorted(test.multiselect[0].value) == ["Kronoberg", "Norrbotten"]
    tables = {tuple(df.value.columns): df.value for df in test.dataframe}
    iso = next(v for cols, v in tables.items() if "ISO" in cols)
    assert len(iso) > 50 and set(iso["Kategori"]) == {
        "hembesök krävs", "hembesök rekommenderas", "vårdcentral i första hand"}
    comparison = next(t.value for t in test.table if "Situation" in t.value.columns)
    assert set(comparison["Region"]) == {"Kronoberg", "Norrbotten"}
    assert comparison["Svar enligt regel"].str.len().min() > 5
    assert len(test.expander) >= 5 + 5  # passages + quiz answers
    quiz = [e for e in test.expander if e.label.startswith("Visa svar")]
    assert len(quiz) == 5
    assert any("Källa:" in c.value for c in quiz[0].caption)

    markdown = _download(test, "Ladda ned som Markdown").decode("utf-8")
    assert markdown.startswith("# Utbildning: Gränsdragning – Kronoberg, Norrbotten")
    assert "## Jämförelse mellan regioner" in markdown and "## Quiz" in markdown
    assert "120606" in markdown and "## Relevanta textavsnitt" in markdown

    test.button(key="make_pdf").click()
    run_page(test)
    pdf = _download(test, "Ladda ned som PDF")
    assert pdf.startswith(b"%PDF-")

    # Another topic and one region: national rules, no comparison, other quiz.
    test.selectbox(key="training_topic").set_value("delegering")
    run_page(test)
    test.multiselect(key="training_regions_delegering").set_value(["Dalarna"])
    run_page(test)
    assert test.header[0].value == "Delegering – Dalarna"
    assert any("Ingen jämförelse" in c.value for c in test.caption)
    assert any("delegeringsbeslut" in m.value for m in test.markdown)


@pytest.mark.parametrize("page", [DOCUMENTS, TRAINING])
def test_broken_setting_is_a_swedish_message_not_a_traceback(page, monkeypatch):
    monkeypatch.setenv("HJALP_TOP_K", "många")
    test = AppTest.from_file(str(page), default_timeout=TIMEOUT).run()
    assert not test.exception
    assert any("ogiltig inställning" in e.value for e in test.error)


def test_a_document_name_from_the_url_is_shown_as_text(page_env):
    bad = "[klicka](https://example.invalid/x) ![](https://example.invalid/beacon.png)"
    test = _page(DOCUMENTS, doc=bad)
    # The warning that names it (the editor sign-in's notice names `[auth]` in a code span).
    shown = [w.value for w in test.warning if "finns inte i indexet" in w.value]
    # Every bracket is escaped: Streamlit draws no link and loads no image.
    assert shown and not any(re.search(r"(?<!\\)[\[\]]", w) for w in shown), shown
