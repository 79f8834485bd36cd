"""The ingest pipeline: load → clean → chunk → index, per file, with progress and a summary.

A file that cannot be read is reported (name + what to do) and skipped; its chunks already in
the index stay untouched, and every other file is still ingested. So is a file whose content is
already indexed under another name, and (in a whole-corpus run) a symbolic or hard link that
leads outside the library folders, whose chunks from an earlier run are removed. A run killed
half-way is repaired by the next one (see ingest/index.py). A run given an `IngestControl`
(the app's ingest jobs) reports its steps and can be cancelled until it writes: it reads and
embeds everything first, then writes.

Usage (builds or updates the index, so not a doctest):

    report = ingest(Settings.load())          # the whole corpus/ folder
    print(report.summary())   # '<n> dokument, <n> chunkar (<n> nya, <n> ändrade, …) på <s> s'
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Callable, Sequence

from core.names import is_too_long, too_long_message
from core.settings import Settings
from core.store import storage_errors
from core.terminal import printable
from core.values import Chunk
from ingest.chunk import chunk_lines
from ingest.clean import clean_pages, drop_instructions, neutralise_markers
from ingest.index import (
    IndexCounts,
    Indexer,
    IngestRun,
    drop_broken_cache_entries,
    start_run,
    write_version,
)
from ingest.infer import infer_meta
from ingest.load import (
    SUPPORTED_SUFFIXES,
    DocMeta,
    LoadError,
    load_document,
    read_manifest,
)
from ingest.sidecar import is_sidecar, sidecar_meta


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    counts: IndexCounts = field(default_factory=IndexCounts)
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # ingested, but something was left out
    removed_docs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # What the repair after an interrupted run did: orphan chunks deleted, ghost records
    # dropped, broken embedding-cache files deleted (all zero after a clean run).
    repaired: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        c = self.counts
        line = (f"{self.documents} dokument, {self.chunks} chunkar ({c.added} nya, {c.updated} "
                f"ändrade, {c.skipped} oförändrade, {c.deleted} borttagna) på {self.seconds:.1f} s")
        if self.errors:
            line += f"; {len(self.errors)} fil(er) kunde inte läsas"
        return "\n".join([line, *(f"OBS: {notice}" for notice in self.notices)])

    def to_json(self) -> dict[str, Any]:
        return {"documents": self.documents, "chunks": self.chunks, "added": self.counts.added,
                "updated": self.counts.updated, "skipped": self.counts.skipped,
                "deleted": self.counts.deleted, "errors": self.errors,
                "notices": self.notices,
                "removed_docs": self.removed_docs, "repaired": self.repaired,
                "seconds": round(self.seconds, 2)}


class IngestPhase(StrEnum):
    """What a run that reports its steps (`IngestControl`) is doing."""

    READING = "reading"  # loading, cleaning and chunking the files
    EMBEDDING = "embedding"  # the new chunks' vectors; nothing is written to the index yet
    WRITING = "writing"  # into the store and the record manager; too late to cancel


class IngestCancelled(Exception):  # noqa: N818 - a request, not an error
    """The run was cancelled before it wrote a chunk: the index is as it was."""

    def __init__(self, repaired: bool = False) -> None:
        super().__init__("Inläsningen avbröts innan något skrevs till indexet.")
        self.repaired = repaired  # the repair at the run's start changed the index


def _no_step(_phase: IngestPhase, _done: int, _total: int) -> None:
    pass


@dataclass
class IngestControl:
    """Lets another thread follow a run and cancel it (the app's ingest jobs).

    A run given one reads every file first, then embeds the chunks it has to in batches of
    `batch`, looking at `cancel` between batches, and writes to the index only when all are
    embedded (`PreparedEmbeddings`). A cancel therefore never leaves a half-indexed document:
    a new one is not in the index, a changed one keeps its old chunks. `on_step(phase, done,
    total)` gets files read, or chunks embedded, out of how many.
    """

    on_step: Callable[[IngestPhase, int, int], None] = _no_step
    cancel: threading.Event = field(default_factory=threading.Event)
    batch: int = 8  # texts per embedding step: a cancel waits at most one step

    def check(self) -> None:
        if self.cancel.is_set():
            raise IngestCancelled


def corpus_files(folder: Path) -> list[Path]:
    """Every candidate file in a folder (unsupported ones too: they get a clear message).

    Hidden files (".DS_Store") are left out, except documents by their suffix: a name such as
    "..\\..\\x.pdf" is reported instead of vanishing without a word.
    """
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.name != "manifest.json"
                  and not is_sidecar(p)
                  and not (p.name.startswith(".") and p.suffix.lower() not in SUPPORTED_SUFFIXES))


def library_folders(settings: Settings) -> list[Path]:
    """The folders a whole-corpus ingest reads: the bundled corpus and the app's uploads.

    Both count as "the corpus" so that re-ingesting the bundled documents never prunes a
    document a user uploaded (and vice versa).
    """
    return [settings.corpus_dir] + ([settings.upload_dir] if settings.upload_dir.is_dir() else [])


class HardLinks:
    """Which files in the library folders are hard links to a file elsewhere.

    A hard link is the same file under a second name, so a link in corpus/ or data/uploads/ to
    /etc/passwd (or any file the ingest may read but whoever placed the link may not) would be
    read like a document, and a symbolic-link check never sees it. The rule: a regular file
    with more names (st_nlink) than it has inside the library folders has a name elsewhere
    and is refused. Two names both inside (corpus/a.txt and corpus/b.txt made with `ln`) are
    fine; the duplicate check then keeps one. Git checkouts and the app's uploads write new
    files (one name each); a corpus copied with `cp -l`/`cp -al` shares its files with the
    original and is refused until copied without -l.

    The folders are walked (once per run) only when a file has more than one name.
    """

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self._inside: dict[tuple[int, int], set[str]] | None = None

    def elsewhere(self, path: Path) -> int:
        """How many of the file's names lie outside the library folders (0: none, or not a
        regular file, or unreadable, which loading it reports)."""
        try:
            info = path.stat()
        except OSError:
            return 0
        if not stat.S_ISREG(info.st_mode) or info.st_nlink <= 1:
            return 0
        inside = self._names_inside().get((info.st_dev, info.st_ino), set())
        return max(0, info.st_nlink - len(inside))

    def _names_inside(self) -> dict[tuple[int, int], set[str]]:
        if self._inside is None:
            self._inside = {}
            for folder in self.folders:
                # Not following links: a name is counted where it stands. A set of real paths,
                # so that a folder inside another (uploads in the corpus) is not counted twice.
                for root, _dirs, names in os.walk(folder):
                    for name in names:
                        entry = os.path.join(root, name)
                        try:
                            info = os.lstat(entry)
                        except OSError:
                            continue
                        if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
                            self._inside.setdefault((info.st_dev, info.st_ino), set()).add(
                                os.path.realpath(entry))
        return self._inside


def chunk_document(path: Path, meta: DocMeta, settings: Settings,
                   notices: list[str] | None = None,
                   max_chunks: int | None = None) -> list[Chunk]:
    """Load, clean and chunk one file (raises LoadError on bad input).

    Lines addressed to an AI assistant are left out; `notices` (if given) gets a message that
    names the file and what was left out. More than `max_chunks` chunks (an upload's cap) is
    refused before anything is embedded.
    """
    loaded = load_document(path, meta, max_mb=settings.max_file_mb,
                           max_pages=settings.max_pdf_pages,
                           max_seconds=settings.max_seconds_per_file)
    lines, dropped = drop_instructions(neutralise_markers(clean_pages(loaded.pages)))
    if "title" in meta.inferred:
        meta = infer_meta("\n".join(line.text for line in lines), meta)
    if dropped and notices is not None:
        first = dropped[0].text if len(dropped[0].text) <= 80 else dropped[0].text[:79] + "…"
        notices.append(f"{path.name}: {len(dropped)} rad(er) som ger instruktioner till en "
                       f"AI-assistent lästes inte in (t.ex. ”{first}”); granska dokumentet.")
    chunks = chunk_lines(lines, loaded.doc, meta, settings.chunk_target_chars,
                         settings.chunk_max_chars)
    chunks = split_oversized(chunks, settings.chunk_max_chars)
    if not chunks and dropped:
        # Say why: "no text" of a file that is all instructions would send the user hunting.
        raise LoadError(path, f"alla {len(dropped)} rader med text ger instruktioner till en "
                              "AI-assistent, så inget lästes in; granska dokumentet.")
    if not chunks:
        raise LoadError(path, "inga textstycken hittades efter rensning; kontrollera innehållet.")
    if max_chunks is not None and len(chunks) > max_chunks:
        minutes = len(chunks) / 4 / 60  # ~4 chunks are embedded per second on this machine
        raise LoadError(path, f"dokumentet blir {len(chunks)} textavsnitt, fler än gränsen "
                              f"{max_chunks} för en uppladdning (det skulle ta omkring "
                              f"{minutes:.0f} minuter att indexera och göra andras frågor "
                              "långsamma under tiden); dela upp det i mindre delar, eller låt "
                              "en administratör läsa in det med python -m assistant ingest "
                              "<fil> eller höja gränsen (HJALP_MAX_UPLOAD_CHUNKS).")
    return chunks


def split_oversized(chunks: list[Chunk], max_chars: int) -> list[Chunk]:
    """Cut chunks over twice `max_chars` at spaces into pieces of at most `max_chars`.

    The chunker never cuts a sentence, so a file without sentence ends (a 200 000-character
    line) would become one huge chunk that the answer could quote whole. Real prose never gets
    near the cut (the bundled corpus's longest chunk is 1 645 characters).
    """
    out: dict[str, Chunk] = {}
    for chunk in chunks:
        if len(chunk.text) <= 2 * max_chars:
            out.setdefault(chunk.id, chunk)
            continue
        for piece in _pieces(chunk.text, max_chars):
            digest = hashlib.sha256(f"{chunk.doc}\n{piece}".encode()).hexdigest()[:24]
            # A repeated piece is the same chunk (same id): keep it once.
            out.setdefault(digest, dataclasses.replace(chunk, id=digest, text=piece))
    return list(out.values())


def _pieces(text: str, size: int) -> list[str]:
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= size:
            pieces.append(rest)
            break
        cut = rest.rfind(" ", size // 2, size)
        cut = cut if cut > 0 else size
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [p for p in pieces if p]


def resolve_meta(path: Path, manifest: dict[str, DocMeta]) -> DocMeta:
    """Declared metadata; without any, the file name as title and the rest read from the text
    when the file is chunked (`ingest.infer`)."""
    return manifest.get(path.name) or sidecar_meta(path) or DocMeta(title=path.stem,
                                                                  inferred=("title",))


def with_trust(path: Path, meta: DocMeta, settings: Settings) -> DocMeta:
    """`meta` with its provenance settled: a document in the upload folder is unreviewed
    unless its sidecar says an editor reviewed it; any other (bundled, or named on the command
    line by whoever runs the ingest) is trusted unless its metadata says otherwise."""
    if meta.reviewed is not None:
        return meta
    uploaded = path.resolve().parent == settings.upload_dir.resolve()
    return dataclasses.replace(meta, reviewed=not uploaded)


def ingest(settings: Settings, paths: Sequence[Path] | None = None, progress: bool = True,
           indexer: Indexer | None = None, max_chunks: int | None = None,
           control: IngestControl | None = None) -> IngestReport:
    """Ingest files (default: the whole corpus folder, pruning documents that left it);
    `max_chunks` caps the chunks of each file (uploads); `control` reports the steps and may
    cancel the run before it writes (IngestCancelled)."""
    start = time.perf_counter()
    whole_corpus = not paths
    files: list[Path] = []
    for p in paths or library_folders(settings):
        p = Path(p)
        files.extend(corpus_files(p) if _is_dir(p) else [p])
    manifest: dict[str, DocMeta] = {}
    for folder in {f.parent for f in files} | ({settings.corpus_dir} if whole_corpus else set()):
        try:
            manifest.update(read_manifest(folder))
        except LoadError as exc:
            return IngestReport(errors=[str(exc)], seconds=time.perf_counter() - start)

    indexer = indexer or Indexer(settings)
    # A full disk or a read-only index, wherever it shows (marker, record manager, Chroma,
    # embedding cache), becomes one Swedish message that says what to do.
    with storage_errors(settings):
        run = start_run(settings)
        completed = False
        unchanged = False
        try:
            report = _ingest_files(settings, files, manifest, indexer, whole_corpus, progress,
                                   run, max_chunks, control)
            completed = True
        except IngestCancelled as exc:
            # Stopped before its first write: no repair is owed, and no app needs to reload.
            completed, unchanged = True, not exc.repaired
            raise
        finally:
            run.end(completed)
            if not unchanged:
                write_version(settings)  # also after a failure: part of it may have changed
        report.seconds = time.perf_counter() - start
        indexer.write_state(report.to_json())
    return report


@dataclass
class _Read:
    """One file read and chunked, not yet written."""

    path: Path
    chunks: list[Chunk]
    notices: list[str]
    inside: bool  # in the library folders (else the next whole-corpus run prunes it)
    hard_link: bool = False  # named on the command line: kept, with a notice


def _ingest_files(settings: Settings, files: list[Path], manifest: dict[str, DocMeta],
                  indexer: Indexer, whole_corpus: bool, progress: bool,
                  run: IngestRun, max_chunks: int | None = None,
                  control: IngestControl | None = None) -> IngestReport:
    report = IngestReport()
    # Every run that is alone makes the store and the record manager agree first: a store that
    # lost its chunks (a Chroma server reset, a deleted folder) would otherwise be "unchanged"
    # forever. Beside a live run it would delete that run's chunks in flight.
    orphans, ghosts = (0, 0) if run.concurrent else indexer.reconcile()
    if run.interrupted is not None:
        report.repaired = {"orphan_chunks": orphans, "ghost_records": ghosts,
                           "broken_cache_files": drop_broken_cache_entries(settings,
                                                                           run.interrupted)}
    elif orphans or ghosts:
        report.repaired = {"orphan_chunks": orphans, "ghost_records": ghosts}
    # Files refused because they lead out of the library: what an earlier run indexed of them
    # (one given their explicit path, say) must not stay citable.
    refused: set[str] = set()
    try:
        pending = _read_files(settings, files, manifest, indexer, whole_corpus, progress,
                              report, max_chunks, control, refused)
        if control is not None:
            _embed_ahead(indexer, [c for read in pending for c in read.chunks], control)
    except IngestCancelled as exc:
        exc.repaired = any(report.repaired.values())
        raise
    if control is not None:
        # Every vector is ready: the writes below embed nothing and are over in moments.
        control.on_step(IngestPhase.WRITING, 0, len(pending))
        try:
            for n, read in enumerate(pending, 1):
                _write(settings, indexer, read, report)
                control.on_step(IngestPhase.WRITING, n, len(pending))
        finally:
            indexer.prepared.clear()

    if whole_corpus:
        folders = library_folders(settings)
        present = {f.name for f in files}
        indexed = indexer.indexed_docs()
        for doc in sorted((indexed - present) | (indexed & refused)):
            if doc not in refused and any((folder / doc).is_file() for folder in folders):
                continue  # added after this run listed the folders (an upload meanwhile)
            report.counts.deleted += indexer.delete_document(doc)
            report.removed_docs.append(doc)
    return report


def _read_files(settings: Settings, files: list[Path], manifest: dict[str, DocMeta],
                indexer: Indexer, whole_corpus: bool, progress: bool, report: IngestReport,
                max_chunks: int | None, control: IngestControl | None,
                refused: set[str]) -> list[_Read]:
    """Read and chunk each file; without `control` each is written at once (a run killed
    half-way keeps what it wrote), with it they are returned to be embedded first. The names
    of files refused for leading out of the library are added to `refused`."""
    contents = indexer.contents()
    library = [f.resolve() for f in library_folders(settings)]
    links = HardLinks(library)
    present = {f.name for f in files}
    pending: list[_Read] = []
    bar = _progress(files, progress)
    for i, path in enumerate(bar):
        if control is not None:
            control.check()
            control.on_step(IngestPhase.READING, i, len(files))
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(printable(path.name)[:40])  # a name may hold escape codes
        try:
            if whole_corpus and path.name.startswith("."):
                raise LoadError(path, "namnet börjar med en punkt (en dold fil) och filen "
                                      "hoppades över; byt namn på den om den ska läsas in.")
            inside = any(path.resolve().is_relative_to(f) for f in library)
            if whole_corpus and not inside:
                refused.add(path.name)
                raise LoadError(path, "länken pekar utanför mapparna för dokument och "
                                      "hoppades över; kopiera filen in i mappen i stället.")
            hard_link = inside and links.elsewhere(path) > 0
            if whole_corpus and hard_link:
                refused.add(path.name)
                raise LoadError(path, "filen är en hård länk till en fil utanför mapparna för "
                                      "dokument och hoppades över; kopiera filen in i mappen i "
                                      "stället (cp utan -l).")
            notices: list[str] = []
            meta = with_trust(path, resolve_meta(path, manifest), settings)
            chunks = chunk_document(path, meta, settings, notices, max_chunks)
            content = frozenset(c.text for c in chunks)
            twin = contents.get(content)
            # A twin that left the corpus is about to be pruned: this is a rename, not a copy.
            if twin is not None and twin != path.name and (not whole_corpus or twin in present):
                raise LoadError(path, f"samma innehåll som {twin}, som redan finns i indexet; "
                                      "filen hoppades över. Ta bort en av dem om de inte ska "
                                      "finnas båda.")
        except LoadError as exc:
            report.errors.append(str(exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one file's surprise must not stop the batch
            report.errors.append(_unexpected(path, exc))
            continue
        read = _Read(path, chunks, notices, inside, hard_link)
        if control is None:
            _write(settings, indexer, read, report)
        else:
            pending.append(read)
        contents = {k: v for k, v in contents.items() if v != path.name}
        contents[content] = path.name
    return pending



def _embed_ahead(indexer: Indexer, chunks: list[Chunk], control: IngestControl) -> None:
    """Embed what the writes will need, `control.batch` texts at a time, cancellable between
    batches; nothing is written to the index here."""
    texts = indexer.unindexed_texts(chunks)
    control.on_step(IngestPhase.EMBEDDING, 0, len(texts))
    for start in range(0, len(texts), max(1, control.batch)):
        control.check()
        batch = texts[start:start + max(1, control.batch)]
        indexer.prepared.prepare(batch)
        control.on_step(IngestPhase.EMBEDDING, start + len(batch), len(texts))
    control.check()  # the last moment a cancel leaves the index untouched


def _write(settings: Settings, indexer: Indexer, read: _Read, report: IngestReport) -> None:
    report.counts.add(indexer.index_document(read.path.name, read.chunks))
    report.notices.extend(read.notices)
    if read.hard_link:
        report.notices.append(
            f"{read.path.name}: filen är en hård länk till en fil utanför "
            f"{settings.corpus_dir.name}/ och {settings.upload_dir.name}/, så nästa "
            "fullständiga inläsning tar bort den ur indexet igen; kopiera den in (cp utan "
            "-l) för att behålla den.")
    if not read.inside:
        # Explicit paths may lie anywhere (the CLI user chose them), but the next
        # whole-corpus run prunes what is not in the library folders: say so now.
        report.notices.append(
            f"{read.path.name}: filen ligger utanför {settings.corpus_dir.name}/ och "
            f"{settings.upload_dir.name}/, så nästa fullständiga inläsning tar bort den ur "
            f"indexet igen; kopiera den till {settings.corpus_dir} för att behålla den.")
    report.documents += 1
    report.chunks += len(read.chunks)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long to look up: loading the file says what is wrong
        return False


def _unexpected(path: Path, exc: Exception) -> str:
    """The message for an error no check foresaw; a name the OS finds too long says so and
    what to do rather than "rapportera felet"."""
    if is_too_long(exc):
        return f"{path.name}: {too_long_message(exc.filename or path, show=False)}"
    return (f"{path.name}: oväntat fel vid läsning ({type(exc).__name__}: {exc}); filen "
            "hoppades över, rapportera felet.")


def _progress(files: list[Path], enabled: bool) -> Any:
    if not enabled:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="Indexerar", unit="fil")
