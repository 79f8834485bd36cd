"""The document library: what is indexed, the whole text of a document, uploads and deletions.

Pure functions describe the library from the indexed chunks (one row per document, its chunks in
reading order, where a passage stands); `Library` does the I/O around one `Assistant`: saving an
upload with its `<name>.meta.json` sidecar (ingest.sidecar) and ingesting just that file,
deleting an uploaded document, re-indexing everything. A failed upload leaves nothing behind
and the index as it was.

An upload or a re-index from the app runs as an `IngestJob` on a thread of its own
(`Library.start_upload`, `Library.start_reindex`): it reports its progress as a `JobProgress`
and can be cancelled until it starts writing; a cancelled job leaves the index as it was and
no uploaded file behind. Jobs are kept per index folder in this process, so a rerun of the
page or another tab finds a running job again (`Library.jobs`).

Usage (needs an Assistant over a writable index, so not a doctest; see tests/test_library.py):

    library = Library(assistant)
    [d.chunks for d in library.documents()]        # chunks per indexed document
    meta = DocMeta(title="Riktlinje", publisher="Region X", regions=("Dalarna",))
    library.upload("riktlinje.pdf", pdf_bytes, meta).chunks   # the upload's chunks
    library.delete("riktlinje.pdf")                # the chunks removed
    job = library.start_upload("riktlinje.pdf", pdf_bytes, meta)
    job.progress().message                         # 'Läser in riktlinje.pdf …'
    job.cancel(); job.wait().phase                 # JobPhase.CANCELLED
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from core.names import fit_name, is_too_long, name_bytes
from core.settings import Settings
from core.values import Chunk
from ingest.load import SUPPORTED_SUFFIXES, DocMeta
from ingest.pipeline import IngestCancelled, IngestControl, IngestPhase
from ingest.sidecar import (
    MAX_NAME_BYTES,
    read_sidecar,
    sidecar_path,
    write_atomic,
    write_sidecar,
)

log = logging.getLogger("hjalp.library")

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from ingest.pipeline import IngestReport

ALLOWED_SUFFIXES = SUPPORTED_SUFFIXES  # what the loader reads: .pdf, .txt, .md
MAX_NAME_CHARS = 120
# The file system counts bytes (ö takes 2, an emoji 4): an upload's name is cut to
# MAX_NAME_BYTES, so that the longest name made from it, its sidecar's temporary name, fits too.
# Origin of a document, as the table shows it.
BUNDLED = "medföljande"
UPLOADED = "uppladdad"
MISSING = "filen saknas"
# Provenance, as the table and the answer show it.
REVIEWED = "granskat"
UNREVIEWED = "ogranskat"

# Document types offered in the upload form (stored value → Swedish label).
DOC_TYPES: dict[str, str] = {
    "policy": "Policy/styrdokument",
    "guidance": "Vägledning/riktlinje",
    "web_page": "Webbsida",
    "survey": "Enkät",
    "meeting_notes_and_investigation": "Mötesanteckningar/utredning",
    "other": "Annat",
}

Progress = Callable[[float, str], None]


class UploadError(ValueError):
    """An upload that cannot be accepted; the message is Swedish and says what to do."""


class LibraryError(RuntimeError):
    """A library action that is not allowed or failed; the message is Swedish."""


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class DocumentEntry:
    """One row of the library table."""

    doc: str  # file name = the document's id in the index
    title: str
    publisher: str
    regions: tuple[str, ...]
    date: str | None
    doc_type: str
    chunks: int
    indexed_at: str | None  # ISO timestamp (UTC) of the last ingest that touched it
    origin: str  # BUNDLED | UPLOADED | MISSING
    regions_inferred: bool = False  # read from the document's text, no metadata was given
    reviewed: bool = True  # bundled, or an upload an editor marked reviewed

    @property
    def deletable(self) -> bool:
        return self.origin == UPLOADED

    @property
    def reviewable(self) -> bool:
        return self.origin == UPLOADED and not self.reviewed


@dataclass(frozen=True)
class UploadResult:
    doc: str
    path: Path
    chunks: int
    seconds: float
    notices: tuple[str, ...] = ()  # ingested, but something was left out (e.g. AI instructions)


class JobKind(StrEnum):
    UPLOAD = "upload"
    REINDEX = "reindex"


class JobPhase(StrEnum):
    """Where an ingest job is; the last three are final."""

    STARTING = "starting"
    QUEUED = "queued"  # waiting for another change of the library to finish
    SAVING = "saving"  # checking and saving the uploaded file
    READING = IngestPhase.READING.value
    EMBEDDING = IngestPhase.EMBEDDING.value
    WRITING = IngestPhase.WRITING.value  # too late to cancel: over in moments
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINAL_PHASES = frozenset({JobPhase.DONE, JobPhase.CANCELLED, JobPhase.FAILED})
CANCELLED_MESSAGE = "Inläsningen avbröts; indexet är oförändrat."


@dataclass(frozen=True)
class JobProgress:
    """What an ingest job is doing, as one consistent snapshot (`IngestJob.progress`)."""

    job_id: str
    kind: JobKind
    name: str  # the uploaded file as given ("" for a re-index)
    phase: JobPhase
    done: int = 0  # files read, or chunks embedded, so far …
    total: int = 0  # … out of how many (0 until known)
    cancel_requested: bool = False
    error: str | None = None  # FAILED: the Swedish message, as the synchronous path gives it

    @property
    def finished(self) -> bool:
        return self.phase in FINAL_PHASES

    @property
    def cancellable(self) -> bool:
        return not self.finished and self.phase is not JobPhase.WRITING \
            and not self.cancel_requested

    @property
    def fraction(self) -> float:
        """0–1 for the progress bar; embedding is nearly all of the time."""
        part = min(1.0, self.done / self.total) if self.total else 0.0
        return {JobPhase.SAVING: 0.02, JobPhase.READING: 0.05 + 0.05 * part,
                JobPhase.EMBEDDING: 0.1 + 0.85 * part, JobPhase.WRITING: 0.95 + 0.05 * part,
                JobPhase.DONE: 1.0}.get(self.phase, 0.0)

    @property
    def message(self) -> str:
        """One Swedish line for the bar, or the outcome."""
        name = self.name
        if self.phase is JobPhase.FAILED:
            return self.error or "Inläsningen misslyckades."
        if self.phase is JobPhase.CANCELLED:
            return CANCELLED_MESSAGE + (f" Filen {name} sparades inte." if name else "")
        if self.phase is JobPhase.DONE:
            return "Klart."
        if self.cancel_requested:
            return "Avbryter … (de textavsnitt som bäddas in just nu blir klara först)"
        counts = f"{self.done} av {self.total}"
        return {
            JobPhase.STARTING: "Startar …",
            JobPhase.QUEUED: WAITING,
            JobPhase.SAVING: "Kontrollerar och sparar filen …",
            JobPhase.READING: f"Läser och delar upp {name} …" if name
            else f"Läser filerna … {counts}",
            JobPhase.EMBEDDING: (f"Läser in {name} … " if name else "Indexerar om … ")
            + f"{counts} textavsnitt",
            JobPhase.WRITING: "Skriver till indexet …",
        }[self.phase]


# --------------------------------------------------------------------------- pure functions

def clean_regions(regions: Iterable[str]) -> list[str]:
    """Regions from the form: trimmed, comma lists split, duplicates dropped, order kept."""
    out: list[str] = []
    for item in regions:
        for part in str(item).split(","):
            name = " ".join(part.split())
            if name and name.casefold() not in {r.casefold() for r in out}:
                out.append(name)
    return out


def safe_filename(name: str) -> str:
    """A file name that stays inside the upload folder: no path, no hidden file, allowed type;
    a long one is shortened to MAX_NAME_CHARS characters and MAX_NAME_BYTES bytes, keeping its
    suffix and a short hash of the whole name (core.names.fit_name), so that two long names
    that begin alike stay two documents.

    >>> safe_filename("../../etc/Riktlinje 2024 (ny).PDF")
    'Riktlinje_2024_ny.pdf'
    """
    raw = unicodedata.normalize("NFC", str(name or ""))
    # Browsers send a bare name, but a crafted request may carry a path (either separator).
    base = re.split(r"[\\/]", raw)[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in ALLOWED_SUFFIXES:
        shown = suffix or "(ingen filändelse)"
        raise UploadError(f"Filtypen {shown} stöds inte. Ladda upp en PDF, .txt eller .md.")
    # Letters (å, ä, ö too), digits, '-', '_' and '.'; everything else becomes '_'.
    stem = re.sub(r"[^\w.\-]+", "_", stem, flags=re.UNICODE)
    stem = re.sub(r"_+", "_", stem).strip("._- ")
    if not stem:
        raise UploadError("Filnamnet saknar ett giltigt namn före filändelsen; byt namn på "
                          "filen och försök igen.")
    return fit_name(stem + suffix, MAX_NAME_BYTES, MAX_NAME_CHARS)


def check_upload(name: str, data: bytes, settings: Settings,
                 taken: Iterable[str] = ()) -> str:
    """The sanitised file name, or UploadError saying what is wrong with the file."""
    safe = safe_filename(name)
    limit = settings.max_upload_mb
    if not data:
        raise UploadError(f"{safe}: filen är tom. Välj en fil med innehåll.")
    if len(data) > limit * 1024 * 1024:
        raise UploadError(f"{safe}: filen är {len(data) / 1e6:.1f} MB, gränsen är "
                          f"{limit:g} MB. Dela upp dokumentet eller ladda upp en mindre fil.")
    if safe.endswith(".pdf") and not data[:1024].lstrip().startswith(b"%PDF-"):
        raise UploadError(f"{safe}: filen är inte en PDF (den saknar PDF-huvud). Kontrollera "
                          "filtypen eller exportera dokumentet som PDF på nytt.")
    if not safe.endswith(".pdf") and b"\x00" in data[:8192] and not data.startswith(
            (b"\xff\xfe", b"\xfe\xff")):
        raise UploadError(f"{safe}: filen ser ut att vara binär, inte text. Ladda upp en "
                          "textfil (UTF-8) eller en PDF.")
    if safe.casefold() in {t.casefold() for t in taken}:
        raise UploadError(f"Det finns redan ett dokument som heter {safe}. Byt namn på filen, "
                          "eller ta bort det uppladdade dokumentet först.")
    return safe


def reading_order(chunks: Iterable[Chunk], doc: str) -> list[Chunk]:
    """The chunks of one document in the order they stand in it."""
    mine = [c for c in chunks if c.doc == doc]
    return sorted(mine, key=lambda c: (c.page or 0, c.line_start or 0, c.line_end or 0))


def locate(ordered: Sequence[Chunk], chunk_id: str | None = None, line: int | None = None,
           page: int | None = None) -> int | None:
    """Index of the passage a link points at: by chunk id, else by (page and) line."""
    if chunk_id:
        for i, chunk in enumerate(ordered):
            if chunk.id == chunk_id:
                return i
    if line is not None:
        for i, chunk in enumerate(ordered):
            if page is not None and chunk.page is not None and chunk.page != page:
                continue
            start = chunk.line_start or 0
            end = chunk.line_end if chunk.line_end is not None else start
            if start <= line <= end:
                return i
    return None


def document_entries(chunks: Iterable[Chunk], indexed_at: dict[str, str],
                     settings: Settings) -> list[DocumentEntry]:
    """One entry per indexed document, sorted by title."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc, []).append(chunk)
    entries = []
    for doc, mine in by_doc.items():
        first = mine[0]
        # A survey's chunks belong to one responding region each: the document covers them all.
        regions = tuple(dict.fromkeys(r for c in mine for r in c.regions))
        entries.append(DocumentEntry(
            doc=doc, title=first.title or doc, publisher=first.publisher, regions=regions,
            date=first.date, doc_type=first.doc_type, chunks=len(mine),
            indexed_at=indexed_at.get(doc), origin=origin(doc, settings),
            regions_inferred=any(c.regions_inferred for c in mine),
            reviewed=all(c.reviewed for c in mine)))
    return sorted(entries, key=lambda e: e.title.casefold())


def origin(doc: str, settings: Settings) -> str:
    if (settings.upload_dir / doc).is_file():
        return UPLOADED
    if (settings.corpus_dir / doc).is_file():
        return BUNDLED
    return MISSING


def indexed_times(settings: Settings) -> dict[str, str]:
    """When the last ingest touched each document, from the record manager (UTC, ISO).

    The record manager refreshes `updated_at` for every chunk an ingest sees, changed or not,
    so this is "last indexed", which is what a user checking freshness wants.
    """
    path = settings.index_dir / "record_manager.sqlite"
    if not path.is_file():
        return {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            rows = con.execute(
                "SELECT group_id, MAX(updated_at) FROM upsertion_record "
                "WHERE namespace = ? GROUP BY group_id", (f"chroma/{settings.collection}",)
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {str(doc): datetime.fromtimestamp(float(ts), tz=UTC).isoformat(
                timespec="seconds")
            for doc, ts in rows if doc and ts is not None}


def upload_meta(meta: DocMeta, name: str) -> DocMeta:
    """What an upload's sidecar says: the form's values tidied (the file name's stem as the
    title when none is given, "other" as the type), and not reviewed."""
    return replace(meta, title=meta.title.strip() or Path(name).stem,
                   publisher=meta.publisher.strip(), regions=tuple(clean_regions(meta.regions)),
                   doc_type=meta.doc_type or "other",
                   # An upload is not trusted until an editor has read it (Library.review).
                   reviewed=False)


def write_upload(folder: Path, name: str, data: bytes, meta: DocMeta) -> Path:
    """Write the file and its sidecar (each through a temporary file, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise UploadError(f"{name}: ogiltigt filnamn.")
    write_sidecar(path, upload_meta(meta, name))
    try:
        write_atomic(path, data)
    except OSError:
        sidecar_path(path).unlink(missing_ok=True)
        raise
    return path


def remove_upload(path: Path) -> None:
    """Remove an uploaded file and its sidecar (missing ones are fine)."""
    path.unlink(missing_ok=True)
    try:
        sidecar_path(path).unlink(missing_ok=True)
    except OSError as exc:
        if not is_too_long(exc):  # a name that long can have no sidecar: nothing to remove
            raise


def manifest_regions(settings: Settings) -> list[str]:
    """The regions named in the bundled corpus manifest, in order."""
    path = settings.corpus_dir / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return []
    return list(dict.fromkeys(r for d in data.get("documents", []) for r in d.get("regions", [])))


# --------------------------------------------------------------------------- the Library

# One lock per index folder in this process: Streamlit sessions each make their own Library, but
# an upload, a delete, a review and a re-index of the same index must not overlap (a re-index
# that listed the files before an upload was saved would prune it).
_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()
WAITING = "Väntar på att en annan ändring i biblioteket blir klar …"


def library_lock(settings: Settings) -> threading.RLock:
    """The process-wide lock of one index folder's library."""
    key = str(settings.index_dir.resolve())
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


class IngestJob:
    """An upload or a re-index on a thread of its own, that reports and can be cancelled.

    `progress()` is a snapshot (thread-safe); `cancel()` asks the run to stop between two
    embedding batches (see ingest.pipeline.IngestControl); `result` is the UploadResult or
    IngestReport once the phase is DONE.
    """

    def __init__(self, kind: JobKind, name: str = "") -> None:
        self.id = uuid.uuid4().hex[:12]
        self.kind = kind
        self.control = IngestControl(on_step=self._step)
        self.result: UploadResult | IngestReport | None = None
        self.started = time.time()
        self._guard = threading.Lock()
        self._progress = JobProgress(self.id, kind, name, JobPhase.STARTING)
        self._thread: threading.Thread | None = None

    def progress(self) -> JobProgress:
        with self._guard:
            return self._progress

    def cancel(self) -> None:
        """Stop as soon as the run may (between embedding batches, or while it waits); too
        late once it writes."""
        with self._guard:
            if not self._progress.cancellable:
                return
            self._progress = replace(self._progress, cancel_requested=True)
            self.control.cancel.set()

    def wait(self, timeout: float | None = None) -> JobProgress:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.progress()

    def start(self, work: Callable[[IngestJob], UploadResult | IngestReport],
              failure: Callable[[Exception], str]) -> IngestJob:
        """Run `work(self)` on a daemon thread: a server that stops mid-run leaves the
        run's marker, and the next ingest repairs after it (ingest/index.py)."""
        self._thread = threading.Thread(target=self._run, args=(work, failure), daemon=True,
                                        name=f"ingest-{self.kind.value}-{self.id}")
        self._thread.start()
        return self

    def _run(self, work: Callable[[IngestJob], UploadResult | IngestReport],
             failure: Callable[[Exception], str]) -> None:
        try:
            result = work(self)
        except IngestCancelled:
            self._set(phase=JobPhase.CANCELLED)
        except (UploadError, LibraryError) as exc:
            self._set(phase=JobPhase.FAILED, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a job's failure is a message, not a crash
            log.exception("Ingest job %s failed", self.id)
            self._set(phase=JobPhase.FAILED, error=failure(exc))
        else:
            self.result = result
            self._set(phase=JobPhase.DONE)

    def _set(self, **changes: Any) -> None:
        with self._guard:
            if not self._progress.finished:
                self._progress = replace(self._progress, **changes)

    def _step(self, phase: IngestPhase, done: int, total: int) -> None:
        self._set(phase=JobPhase(phase.value), done=done, total=total)

    def note(self, _fraction: float, message: str) -> None:
        """The library's own steps (a Progress): waiting for the lock, then saving the file;
        the ingest's steps (`_step`) say the rest."""
        with self._guard:
            phase = self._progress.phase
        if message == WAITING:
            self._set(phase=JobPhase.QUEUED)
        elif phase in (JobPhase.STARTING, JobPhase.QUEUED) and self.kind is JobKind.UPLOAD:
            self._set(phase=JobPhase.SAVING)


# Jobs per index folder, in the order they started: the page of any session finds them again.
_JOBS: dict[str, dict[str, IngestJob]] = {}
KEEP_FINISHED = 20  # finished jobs kept per index, for a page that reports one late


def _index_key(settings: Settings) -> str:
    return str(settings.index_dir.resolve())


def _register(settings: Settings, job: IngestJob) -> IngestJob:
    with _LOCKS_GUARD:
        jobs = _JOBS.setdefault(_index_key(settings), {})
        jobs[job.id] = job
        finished = [j for j in jobs.values() if j.progress().finished]
        for old in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del jobs[old.id]
    return job


class Library:
    """The library of one Assistant's index: list, read, upload, delete, re-index."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.lock = library_lock(self.settings)

    @contextmanager
    def _changing(self, progress: Progress | None = None,
                  error: type[Exception] = LibraryError,
                  control: IngestControl | None = None) -> Iterator[None]:
        """Hold the library lock (say so first when another change holds it; a cancel of
        `control` ends the wait); a read-only index is refused before anything is written, and
        a full disk or read-only index met on the way is reported as `error` with what to do."""
        from core.store import IndexNotWritable, write_problem

        if not self.lock.acquire(blocking=False):
            if progress is not None:
                progress(0.05, WAITING)
            while not self.lock.acquire(timeout=0.2):
                if control is not None:
                    control.check()
        try:
            problem = write_problem(self.settings)
            if problem is not None:
                raise error(problem)
            yield
        except IndexNotWritable as exc:
            raise error(str(exc)) from exc
        finally:
            self.lock.release()

    def documents(self) -> list[DocumentEntry]:
        self.assistant.follow_index()  # counts as they are, after a CLI ingest too
        return document_entries(self.assistant.retriever.chunks, indexed_times(self.settings),
                                self.settings)

    def chunks_of(self, doc: str) -> list[Chunk]:
        return reading_order(self.assistant.retriever.chunks, doc)

    def regions(self) -> list[str]:
        """Regions to offer in the upload form: the manifest's, then any other indexed one."""
        return list(dict.fromkeys([*manifest_regions(self.settings),
                                   *self.assistant.regions()]))

    def taken_names(self) -> set[str]:
        """Names an upload may not take: bundled files, uploads, anything indexed."""
        names = {c.doc for c in self.assistant.retriever.chunks}
        for folder in (self.settings.corpus_dir, self.settings.upload_dir):
            if folder.is_dir():
                names.update(p.name for p in folder.iterdir() if p.is_file())
        return names

    def upload(self, name: str, data: bytes, meta: DocMeta,
               progress: Progress | None = None,
               control: IngestControl | None = None) -> UploadResult:
        """Save, then ingest just this file; on any failure remove it again and keep the index.
        A cancel through `control` (IngestCancelled) removes the file the same way."""
        report_progress = progress or (lambda _f, _m: None)
        start = time.perf_counter()
        with self._changing(report_progress, UploadError, control):
            return self._upload(name, data, meta, report_progress, start, control)

    def start_upload(self, name: str, data: bytes, meta: DocMeta) -> IngestJob:
        """`upload` as a job on its own thread. What can be told at once (a read-only index,
        a bad or taken name, an empty, oversized or mislabelled file) is raised here as
        UploadError, before a job starts; the rest becomes the job's FAILED message."""
        from core.store import write_problem

        problem = write_problem(self.settings)
        if problem is not None:
            raise UploadError(problem)
        check_upload(name, data, self.settings, self.taken_names())
        job = IngestJob(JobKind.UPLOAD, name)
        return _register(self.settings, job).start(
            lambda j: self.upload(name, data, meta, progress=j.note, control=j.control),
            lambda exc: f"Uppladdningen misslyckades ({type(exc).__name__}). Inget sparades; "
                        "försök igen.")

    def start_reindex(self) -> IngestJob:
        """`reindex` as a job on its own thread (a read-only index is refused at once)."""
        from core.store import write_problem

        problem = write_problem(self.settings)
        if problem is not None:
            raise LibraryError(problem)
        job = IngestJob(JobKind.REINDEX)
        return _register(self.settings, job).start(
            lambda j: self.reindex(progress=j.note, control=j.control),
            lambda exc: f"Omindexeringen misslyckades ({type(exc).__name__}); indexet är "
                        "oförändrat för de filer som inte hann läsas. Försök igen.")

    def jobs(self, kind: JobKind | None = None) -> list[IngestJob]:
        """This index's jobs in this process (running and recently finished), oldest first."""
        with _LOCKS_GUARD:
            jobs = list(_JOBS.get(_index_key(self.settings), {}).values())
        return [j for j in jobs if kind is None or j.kind is kind]

    def job(self, job_id: str) -> IngestJob | None:
        return next((j for j in self.jobs() if j.id == job_id), None)

    def busy(self) -> bool:
        """Whether a job of this index is running (or waiting for the lock)."""
        return any(not j.progress().finished for j in self.jobs())

    def _upload(self, name: str, data: bytes, meta: DocMeta, report_progress: Progress,
                start: float, control: IngestControl | None = None) -> UploadResult:
        safe = check_upload(name, data, self.settings, self.taken_names())
        report_progress(0.1, "Kontrollerar och sparar filen …")
        try:
            path = write_upload(self.settings.upload_dir, safe, data, meta)
        except OSError as exc:
            raise UploadError(f"{safe}: filen kunde inte sparas i {self.settings.upload_dir} "
                              f"({exc.strerror or exc}). Är disken full, frigör utrymme; är "
                              "mappen skrivskyddad, ge skrivrättighet. Inget sparades; försök "
                              "igen sedan.") from exc
        report_progress(0.3, "Läser, delar upp och indexerar texten …")
        try:
            report = self.assistant.ingest([path], progress=False,
                                           max_chunks=self.settings.max_upload_chunks,
                                           control=control)
        except IngestCancelled:
            # The run stopped before it wrote a chunk: only the file has to go again.
            remove_upload(path)
            raise
        except Exception as exc:  # noqa: BLE001 - any failure must leave nothing half-done
            from core.store import IndexNotWritable

            self._undo(path)
            if isinstance(exc, IndexNotWritable):
                raise UploadError(f"{safe}: {exc} Inget sparades.") from exc
            raise UploadError(f"{safe}: indexeringen misslyckades ({type(exc).__name__}: "
                              f"{_first_line(exc)}). Inget sparades; försök igen.") from exc
        if report.errors:
            self._undo(path)
            # The loader's message starts with the file name and says what to do.
            raise UploadError(f"Filen kunde inte läsas in: {report.errors[0]} "
                              "Inget sparades och indexet är oförändrat.")
        report_progress(1.0, "Klart.")
        return UploadResult(doc=safe, path=path, chunks=report.chunks,
                            seconds=time.perf_counter() - start, notices=tuple(report.notices))

    def delete(self, doc: str) -> int:
        """Remove an uploaded document: its chunks, file and sidecar. Returns chunks removed."""
        with self._changing():
            return self._delete(doc)

    def _upload_path(self, doc: str) -> Path | None:
        """Where an uploaded document lies in the upload folder; None for any other document."""
        path = self.settings.upload_dir / doc
        if origin(doc, self.settings) != UPLOADED or path.resolve().parent != \
                self.settings.upload_dir.resolve():
            return None
        return path

    def _delete(self, doc: str) -> int:
        path = self._upload_path(doc)
        if path is None:
            raise LibraryError(f"{doc} är ett medföljande dokument och kan inte tas bort i "
                               "appen. Ta bort filen ur corpus/ och indexera om i stället.")
        # Chunks first: if that fails the file stays, and nothing is lost.
        removed = self._indexer().delete_document(doc)
        remove_upload(path)
        self.assistant.reload()
        return removed

    def review(self, doc: str) -> int:
        """Mark an uploaded document reviewed by an editor: its sidecar says so, and its chunks
        are indexed again carrying the trust. Returns the document's chunk count."""
        with self._changing():
            return self._review(doc)

    def _review(self, doc: str) -> int:
        path = self._upload_path(doc)
        if path is None:
            raise LibraryError(f"{doc} är inte ett uppladdat dokument; medföljande dokument "
                               "räknas redan som granskade.")
        sidecar = sidecar_path(path)
        if name_bytes(doc) > MAX_NAME_BYTES:
            # Only a file put into the folder by hand can have such a name; uploads are cut.
            raise LibraryError(
                f"{doc}: namnet är {name_bytes(doc)} byte, för långt för att granskningen ska "
                f"kunna sparas i en metadatafil bredvid dokumentet (högst {MAX_NAME_BYTES} "
                "byte; å, ä och ö tar 2). Ladda upp dokumentet på nytt (appen kortar namnet) "
                "och ta bort det här, eller byt till ett kortare namn och indexera om.")
        try:
            data = read_sidecar(path)
        except (OSError, ValueError) as exc:
            raise LibraryError(f"Metadatafilen för {doc} går inte att läsa ({exc}); rätta "
                               "eller ta bort den och ladda upp dokumentet igen.") from exc
        before = sidecar.read_bytes() if sidecar.is_file() else None
        data.update(reviewed=True, reviewed_at=datetime.now(tz=UTC).isoformat(
            timespec="seconds"))
        data.setdefault("title", Path(doc).stem)
        write_sidecar(path, data)
        try:
            report = self.assistant.ingest([path], progress=False)
        except Exception:
            _restore(sidecar, before)
            raise
        if report.errors:
            _restore(sidecar, before)
            raise LibraryError(f"Dokumentet kunde inte indexeras om: {report.errors[0]} Det är "
                               "fortfarande markerat som ogranskat.")
        return report.chunks

    def reindex(self, progress: Progress | None = None,
                control: IngestControl | None = None) -> IngestReport:
        """Whole-library ingest (bundled corpus + uploads); unchanged chunks are skipped. With
        `control` every file is read and embedded before anything is written, so a cancel
        (IngestCancelled) leaves every document as it was."""
        with self._changing(progress, control=control):
            return self.assistant.ingest(progress=False, control=control)

    def _indexer(self) -> Any:
        from ingest.index import Indexer

        return Indexer(self.settings, embeddings=self.assistant.embeddings,
                       client=self.assistant.client)

    def _undo(self, path: Path) -> None:
        remove_upload(path)
        try:
            # A new document: whatever reached the index before the failure goes again.
            self._indexer().delete_document(path.name)
        except Exception:  # noqa: BLE001 - e.g. a full disk: the next re-index prunes it
            log.exception("Could not remove the chunks of a failed upload")
        finally:
            self.assistant.reload()


def _restore(path: Path, data: bytes | None) -> None:
    """Put a file back as it was (None: it did not exist)."""
    if data is None:
        path.unlink(missing_ok=True)
    else:
        write_atomic(path, data)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
