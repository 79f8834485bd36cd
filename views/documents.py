"""Dokument: the library page — every indexed document, reading one, uploads, re-index, delete.

UI only: listing, reading, saving and ingesting are `assistant.library.Library`'s job. The chat
links here with query parameters `doc` (file name) and `chunk` (chunk id) or `line` (+ `page`),
which open that document with the passage highlighted and shown first, with its context.

A page of `app.py` (`streamlit run app.py`); importing the module draws nothing.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import streamlit as st

from ui.common import (
    escape_markdown,
    format_date,
    format_timestamp,
    highlight_quote,
    load_assistant,
)
from ui.editor_auth import editor_gate

if TYPE_CHECKING:
    from assistant.library import DocumentEntry, IngestJob, JobKind, Library
    from core.values import Chunk

log = logging.getLogger("hjalp.app")

FLASH = "documents_flash"  # messages that survive the rerun after an action
UPLOAD_FORM = "upload_form"
NO_DOC = "(välj ett dokument)"
MY_JOBS = "documents_jobs"  # ids of the ingest jobs this session started, to report their end
JOB_REFRESH_S = 1.0  # how often a running job's progress bar is redrawn


def flash(kind: str, text: str) -> None:
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH, []):
        # File names and the library's notices may quote a document: text, not Markdown.
        {"success": st.success, "error": st.error, "info": st.info,
         "warning": st.warning}.get(kind, st.info)(escape_markdown(text))


# --------------------------------------------------------------------------- library table

def table_rows(entries: list[DocumentEntry]) -> list[dict[str, Any]]:
    from assistant.library import DOC_TYPES, REVIEWED, UNREVIEWED

    # The brief columns first in the order a reader scans them; long publisher names last.
    return [{
        "Titel": e.title,
        "Regioner": ", ".join(e.regions) + (" (lästa ur texten)" if e.regions_inferred else ""),
        "Datum": format_date(e.date),
        "Typ": DOC_TYPES.get(e.doc_type, e.doc_type or "–"),
        "Textavsnitt": e.chunks,
        "Indexerad": format_timestamp(e.indexed_at),
        "Utgivare": e.publisher,
        "Källa": e.origin,
        "Granskning": REVIEWED if e.reviewed else UNREVIEWED,
        "Fil": e.doc,
    } for e in entries]


def render_table(entries: list[DocumentEntry]) -> None:
    st.subheader("Biblioteket")
    chunks = sum(e.chunks for e in entries)
    st.caption(f"{len(entries)} dokument, {chunks} textavsnitt i indexet. Medföljande dokument "
               "(mappen corpus/) är skrivskyddade här; uppladdade dokument kan tas bort.")
    if not entries:
        st.info("Indexet är tomt. Ladda upp ett dokument nedan eller indexera om biblioteket.")
        return
    st.dataframe(table_rows(entries), hide_index=True, key="library_table", column_config={
        "Titel": st.column_config.TextColumn("Titel", width=260),
        "Regioner": st.column_config.TextColumn("Regioner", width=110),
        "Datum": st.column_config.TextColumn("Datum", width=100),
        "Typ": st.column_config.TextColumn("Typ", width=130),
        "Textavsnitt": st.column_config.NumberColumn(
            "Textavsnitt", help="Antal indexerade textavsnitt (chunkar)", width=80),
        "Indexerad": st.column_config.TextColumn(
            "Indexerad", help="Senaste indexering som omfattade dokumentet"),
        "Granskning": st.column_config.TextColumn(
            "Granskning", help="Uppladdade dokument är ogranskade tills en redaktör markerar "
                               "dem som granskade; svar som citerar dem märks så."),
    })


def render_read_only(library: Library) -> None:
    """Say up front when the index cannot be changed (the chat still answers from it)."""
    from core.store import write_problem

    problem = write_problem(library.settings)
    if problem is not None:
        st.warning(escape_markdown(problem), icon=":material/lock:")


# --------------------------------------------------------------------------- reading

def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return str(value) if value else None


def _int_param(name: str) -> int | None:
    value = _param(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def chunk_caption(chunk: Chunk) -> str:
    parts = [p for p in (chunk.section, chunk.location) if p]
    return " · ".join(parts)


def render_reader(library: Library, entries: list[DocumentEntry]) -> None:
    from assistant.library import locate

    st.subheader("Läs ett dokument")
    docs = [e.doc for e in entries]
    titles = {e.doc: e.title for e in entries}
    wanted = _param("doc")
    if wanted and wanted not in docs:
        # The name comes from the URL: shown as text, never as Markdown.
        st.warning(f"Dokumentet {escape_markdown(wanted)} finns inte i indexet (borttaget "
                   "eller omdöpt). Välj ett annat dokument nedan.")
        wanted = None
    if st.session_state.get("reader_doc") not in (None, NO_DOC, *docs):
        del st.session_state["reader_doc"]  # the document was deleted meanwhile
    if wanted and st.session_state.get("reader_doc_param") != wanted:
        # A link from the chat selects its document once; the user may pick another after.
        st.session_state["reader_doc"] = wanted
        st.session_state["reader_doc_param"] = wanted
    choice = st.selectbox("Dokument att läsa", [NO_DOC, *docs], key="reader_doc",
                          format_func=lambda d: titles.get(d, d),
                          help="Visar hela dokumentet, textavsnitt för textavsnitt.")
    if choice == NO_DOC:
        return
    ordered = library.chunks_of(choice)
    target = None
    if choice == _param("doc"):
        target = locate(ordered, _param("chunk"), _int_param("line"), _int_param("page"))
        if target is None and (_param("chunk") or _param("line")):
            st.info("Det länkade avsnittet finns inte längre i dokumentet (det kan ha "
                    "indexerats om). Hela dokumentet visas nedan.")
    entry = next(e for e in entries if e.doc == choice)
    st.markdown(f"**{escape_markdown(entry.title)}**  \n"
                f"{escape_markdown(entry.publisher)} · {format_date(entry.date)} · "
                f"{entry.chunks} textavsnitt · fil: {escape_markdown(entry.doc)}")
    if not entry.reviewed:
        from assistant.provenance import UNREVIEWED_NOTE

        st.warning(UNREVIEWED_NOTE, icon=":material/gpp_maybe:")
    if target is not None:
        render_passage_in_context(ordered, target)
    with st.expander("Hela dokumentet", expanded=target is None):
        for i, chunk in enumerate(ordered):
            caption = chunk_caption(chunk)
            if caption:
                st.caption(escape_markdown(caption))
            if i == target:
                marked, _ = highlight_quote(chunk.text, chunk.text)
                st.markdown(marked)
            else:
                st.markdown(escape_markdown(chunk.text))


def render_passage_in_context(ordered: list[Chunk], target: int) -> None:
    """The linked passage first, highlighted, between the passages before and after it."""
    chunk = ordered[target]
    with st.container(border=True):
        st.markdown("**Avsnittet du kom från**" + (f" – {escape_markdown(chunk_caption(chunk))}"
                                                   if chunk_caption(chunk) else ""))
        if target > 0:
            st.caption("Före: " + escape_markdown(_tail(ordered[target - 1].text)))
        marked, _ = highlight_quote(chunk.text, chunk.text)
        st.markdown(marked)
        if target + 1 < len(ordered):
            st.caption("Efter: " + escape_markdown(_head(ordered[target + 1].text)))


def _tail(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else "…" + text[-limit:].split(" ", 1)[-1]


def _head(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


# --------------------------------------------------------------------------- upload

def render_upload(library: Library) -> None:
    from assistant.library import ALLOWED_SUFFIXES, DOC_TYPES, JobKind, UploadError
    from ingest.load import DocMeta

    settings = library.settings
    st.subheader("Ladda upp ett dokument")
    st.caption(f"PDF, .txt eller .md, högst {settings.max_upload_mb:g} MB. Filnamnet rensas "
               "från sökvägar och specialtecken. Dokumentet läses in i bakgrunden (det går att "
               "avbryta) och kan sedan besvaras i chatten.")
    with st.form(UPLOAD_FORM, clear_on_submit=True):
        # No `type=` filter: Streamlit would reject another type with an English exception
        # before this script runs; the library checks type and content with a Swedish message.
        kinds = ", ".join(ALLOWED_SUFFIXES)
        uploaded = st.file_uploader(f"Fil ({kinds})",
                                    max_upload_size=max(1, math.ceil(settings.max_upload_mb)),
                                    help="PDF med textlager, UTF-8-text eller Markdown.")
        title = st.text_input("Titel", help="Visas i källhänvisningarna. Tomt = filnamnet.")
        publisher = st.text_input("Utgivare", help="T.ex. Region Dalarna.")
        regions = st.multiselect("Regioner", library.regions(), accept_new_options=True,
                                 placeholder="Välj eller skriv en region",
                                 help="Vilka regioner dokumentet gäller. Skriv för att lägga "
                                      "till en region som inte finns i listan.")
        day = st.date_input("Datum", value=None, format="YYYY-MM-DD",
                            help="Dokumentets datum (lämna tomt om det är okänt).")
        doc_type = st.selectbox("Dokumenttyp", list(DOC_TYPES), format_func=DOC_TYPES.get,
                                index=list(DOC_TYPES).index("other"))
        submitted = st.form_submit_button("Ladda upp och indexera", type="primary")
    if submitted:
        if uploaded is None:
            st.error("Välj en fil att ladda upp.")
        else:
            meta = DocMeta(title=title, publisher=publisher, regions=tuple(regions),
                           date=day.isoformat() if day else None, doc_type=doc_type)
            try:
                job = library.start_upload(uploaded.name, uploaded.getvalue(), meta)
            except UploadError as exc:  # told at once: the file, its name, a read-only index
                st.error(escape_markdown(str(exc)), icon=":material/error:")
            except Exception as exc:  # the page must not show a traceback
                log.exception("Upload failed")
                st.error(f"Uppladdningen misslyckades ({type(exc).__name__}). Inget sparades; "
                         "försök igen.", icon=":material/error:")
            else:
                st.session_state.setdefault(MY_JOBS, []).append(job.id)
    render_jobs(library, JobKind.UPLOAD)


def render_jobs(library: Library, kind: JobKind) -> None:
    """A progress bar with a cancel button for each running job of this kind (of any session:
    the jobs live in the library's registry, not in this session)."""
    for job in library.jobs(kind):
        if not job.progress().finished:
            job_progress(job)


@st.fragment(run_every=JOB_REFRESH_S)
def job_progress(job: IngestJob) -> None:
    """Redrawn every second on its own; the whole page reruns once the job has ended, so that
    the table and the outcome (report_finished_jobs) are drawn."""
    progress = job.progress()
    if progress.finished:
        st.rerun()
    st.progress(progress.fraction, text=escape_markdown(progress.message))
    # A callback: it runs before the redraw, so the bar says "Avbryter …" at once.
    st.button("Avbryt inläsningen", key=f"cancel_{job.id}", on_click=job.cancel,
              disabled=not progress.cancellable,
              help="Stoppar inläsningen; indexet lämnas som det var före den.")


def report_finished_jobs(library: Library) -> None:
    """The outcome of each job this session started that has ended since the last run: the
    usual success message with the counts, the failure, or what a cancel did."""
    from assistant.library import JobKind, JobPhase

    mine = st.session_state.get(MY_JOBS, [])
    for job_id in list(mine):
        job = library.job(job_id)
        if job is None:  # forgotten by the registry (an old finished job): nothing to say
            mine.remove(job_id)
            continue
        progress = job.progress()
        if not progress.finished:
            continue
        mine.remove(job_id)
        if progress.phase is JobPhase.CANCELLED:
            flash("info", progress.message)
        elif progress.phase is JobPhase.FAILED:
            flash("error", progress.message)
        elif job.kind is JobKind.UPLOAD:
            result = job.result
            flash("success", f"{result.doc} är uppladdat och indexerat: {result.chunks} "
                             f"textavsnitt på {result.seconds:.1f} s. Det kan nu besvaras i "
                             "chatten, men är ogranskat tills en redaktör markerar det som "
                             "granskat: svar som citerar det märks så, och regelkontrollen "
                             "godkänner inget på dess grund.")
            for notice in result.notices:
                flash("warning", notice)
        else:
            report = job.result
            flash("success", f"Omindexerat: {report.summary()}.")
            for error in report.errors:
                flash("error", error)
            for notice in report.notices:
                flash("warning", notice)


# --------------------------------------------------------------------------- manage

def render_manage(library: Library, entries: list[DocumentEntry]) -> None:
    from assistant.library import JobKind, LibraryError

    st.subheader("Indexera om och ta bort")
    busy = library.busy()
    if st.button("Indexera om hela biblioteket", key="reindex", disabled=busy,
                 help="Läser corpus/ och uppladdade filer; oförändrade textavsnitt hoppas över."):
        try:
            job = library.start_reindex()
        except LibraryError as exc:  # a read-only index: what to do
            st.error(escape_markdown(str(exc)))
        else:
            st.session_state.setdefault(MY_JOBS, []).append(job.id)
    render_jobs(library, JobKind.REINDEX)
    if busy:
        st.caption("En inläsning pågår; ta bort och granska när den är klar.")

    render_review(library, entries)
    deletable = [e for e in entries if e.deletable]
    if not deletable:
        st.caption("Det finns inga uppladdade dokument att ta bort. Medföljande dokument kan "
                   "inte tas bort i appen.")
        return
    titles = {e.doc: e.title for e in deletable}
    doc = st.selectbox("Uppladdat dokument att ta bort", [e.doc for e in deletable],
                       format_func=lambda d: f"{titles[d]} ({d})", key="delete_doc")
    confirm = st.checkbox("Ja, ta bort dokumentet och dess textavsnitt ur indexet",
                          key="delete_confirm")
    # While a job runs the library lock is taken: a delete would hold this page until it ends.
    if st.button("Ta bort dokumentet", key="delete", disabled=not confirm or library.busy()):
        try:
            removed = library.delete(doc)
        except LibraryError as exc:
            st.error(escape_markdown(str(exc)))
            return
        except Exception as exc:  # the page must not show a traceback
            log.exception("Delete failed")
            st.error(f"Dokumentet kunde inte tas bort ({type(exc).__name__}); det finns kvar. "
                     "Försök igen.")
            return
        st.session_state.pop("delete_confirm", None)
        flash("success", f"{doc} är borttaget ({removed} textavsnitt).")
        st.rerun()


def render_review(library: Library, entries: list[DocumentEntry]) -> None:
    """Mark an unreviewed upload as reviewed, after an editor has read it."""
    from assistant.library import LibraryError

    reviewable = [e for e in entries if e.reviewable]
    if not reviewable:
        return
    titles = {e.doc: e.title for e in reviewable}
    doc = st.selectbox("Ogranskat dokument att markera som granskat",
                       [e.doc for e in reviewable], key="review_doc",
                       format_func=lambda d: f"{titles[d]} ({d})")
    confirm = st.checkbox("Jag har läst dokumentet och det stämmer med regionens riktlinjer",
                          key="review_confirm")
    if st.button("Markera som granskat", key="review",
                 disabled=not confirm or library.busy()):
        try:
            chunks = library.review(doc)
        except LibraryError as exc:
            st.error(escape_markdown(str(exc)))
            return
        except Exception as exc:  # the page must not show a traceback
            log.exception("Review failed")
            st.error(f"Dokumentet kunde inte markeras som granskat ({type(exc).__name__}); "
                     "det är fortfarande ogranskat. Försök igen.")
            return
        st.session_state.pop("review_confirm", None)
        flash("success", f"{doc} är markerat som granskat ({chunks} textavsnitt indexerade "
                         "om).")
        st.rerun()


# --------------------------------------------------------------------------- page

def main() -> None:
    from assistant.library import Library

    st.title("Dokument")
    assistant = load_assistant()
    if assistant is None:
        st.stop()
    library = Library(assistant)
    report_finished_jobs(library)
    show_flash()
    try:
        entries = library.documents()
    except Exception as exc:  # the page must not show a traceback
        log.exception("Could not list documents")
        st.error(f"Biblioteket kunde inte läsas ({type(exc).__name__}). Ladda om sidan; om "
                 "felet kvarstår, indexera om.")
        entries = []
    render_table(entries)
    render_read_only(library)
    render_reader(library, entries)
    # Reading is open to anyone; what changes the library (and so what the chat cites) needs
    # an editor. The gate draws the sign-in in place of these sections.
    if editor_gate("Ändra biblioteket", "Att ladda upp, granska, ta bort och indexera om "
                   "dokument kräver att du loggar in som redaktör. Biblioteket och dokumenten "
                   "kan alla läsa."):
        render_upload(library)
        render_manage(library, entries)


if __name__ == "__main__":  # st.navigation runs a page as __main__; an import draws nothing
    main()
