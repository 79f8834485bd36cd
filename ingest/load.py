"""Load: read a corpus file (PDF via pypdf, .txt, .md) into pages of raw text plus its metadata.

Bad input never raises anything but :class:`LoadError`, whose message names the file and says
what to do, so that a batch can report it and go on with the other files. PDFs can be read in a
child process with a time limit (`max_seconds`): pypdf can spin for minutes on a hostile file,
and only a process can be stopped from outside.

Example:
    >>> from core.settings import PROJECT_ROOT
    >>> path = PROJECT_ROOT / "corpus" / "stockholm-vardgivarguiden-forskrivningsratt.txt"
    >>> doc = load_document(path, DocMeta(title="Vårdgivarguiden"))
    >>> doc.pages[0].number is None
    True
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import unicodedata
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from core.names import is_too_long, too_long_message

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md")
# Text with more control characters than this is binary data under a text name.
MAX_CONTROL_SHARE = 0.02
# A few stray NUL bytes in otherwise valid UTF-8 are dropped; more mean a binary file.
MAX_NUL_SHARE = 0.001


class LoadError(Exception):
    """A file that cannot be ingested; the message is for the user (Swedish + what to do)."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.file = Path(path).name
        self.reason = message
        super().__init__(f"{self.file}: {message}")


@dataclass(frozen=True)
class DocMeta:
    """Metadata of one document, from the manifest, its sidecar (ingest.sidecar) or the upload
    form."""

    title: str = ""
    publisher: str = ""
    regions: tuple[str, ...] = ()
    date: str | None = None
    doc_type: str = ""
    inferred: tuple[str, ...] = ()  # fields read from the text, not declared (ingest.infer)
    # Whether an editor reviewed the document; None: not stated, so its folder decides
    # (bundled: trusted, uploaded: not; ingest.pipeline.with_trust).
    reviewed: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The declared fields as `meta_from_dict` reads them (a sidecar's JSON object)."""
        data: dict[str, Any] = {"title": self.title, "publisher": self.publisher,
                                "regions": list(self.regions), "date": self.date,
                                "doc_type": self.doc_type}
        if self.reviewed is not None:
            data["reviewed"] = self.reviewed
        return data


@dataclass(frozen=True)
class Page:
    """Raw text of one page (PDF) or of the whole file (text); `number` is 1-based or None."""

    text: str
    number: int | None = None


@dataclass(frozen=True)
class LoadedDocument:
    doc: str  # file name, the document's id in the index
    path: Path
    meta: DocMeta
    pages: tuple[Page, ...] = field(default_factory=tuple)


def read_manifest(corpus_dir: Path) -> dict[str, DocMeta]:
    """Metadata per file name from `manifest.json` (missing manifest → empty mapping)."""
    path = corpus_dir / "manifest.json"
    try:
        if not path.is_file():
            return {}
    except OSError:  # e.g. a folder name too long to open: its files say so one by one
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise LoadError(path, f"manifest.json går inte att läsa ({exc}); "
                              "rätta JSON-filen.") from exc
    entries = data.get("documents", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LoadError(path, 'manifest.json ska vara {"documents": [{"file": …}, …]}; '
                              "rätta JSON-filen.")
    manifest: dict[str, DocMeta] = {}
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise LoadError(path, f"post {n} i manifest.json saknar \"file\" (filens namn); "
                                  "rätta JSON-filen.")
        try:
            manifest[entry["file"]] = meta_from_dict(entry)
        except ValueError as exc:
            raise LoadError(path, f"post {n} i manifest.json ({entry['file']}): {exc}; "
                                  "rätta JSON-filen.") from exc
    return manifest


def meta_from_dict(entry: dict) -> DocMeta:
    """DocMeta from a manifest entry, sidecar or form; ValueError for a malformed one."""
    if not isinstance(entry, dict):
        raise ValueError("metadata ska vara ett JSON-objekt")
    regions = entry.get("regions") or ()
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    if not isinstance(regions, (list, tuple)) or not all(isinstance(r, str) for r in regions):
        raise ValueError('"regions" ska vara en lista med regionnamn')
    return DocMeta(
        title=str(entry.get("title") or ""),
        publisher=str(entry.get("publisher") or ""),
        regions=tuple(regions),
        date=str(entry["date"]) if entry.get("date") else None,
        doc_type=str(entry.get("doc_type") or ""),
        reviewed=_reviewed(entry.get("reviewed")),
    )


def _reviewed(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError('"reviewed" ska vara true eller false')


def load_document(path: Path, meta: DocMeta, max_mb: float = 50.0,
                  max_pages: int = 2000, max_seconds: float | None = None) -> LoadedDocument:
    """Read one file into pages. Raises LoadError for anything that cannot be ingested.

    With `max_seconds` (> 0) a PDF is parsed in a child process that is killed after that time.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(path, f"filtypen '{suffix or '(ingen)'}' stöds inte; "
                              "använd PDF, .txt eller .md.")
    try:
        size = path.stat().st_size
    except OSError as exc:
        if is_too_long(exc):  # only a path typed on the command line can be this long
            raise LoadError(path, too_long_message(path, show=False)) from exc
        raise LoadError(path, f"filen går inte att läsa ({exc.strerror}); kontrollera "
                              "sökvägen och läsrättigheterna.") from exc
    if size == 0:
        raise LoadError(path, "filen är tom; välj en fil med innehåll.")
    if size > max_mb * 1024 * 1024:
        raise LoadError(path, f"filen är {size / 1e6:.0f} MB, större än gränsen {max_mb:.0f} MB; "
                              "dela upp den eller höj gränsen (HJALP_MAX_FILE_MB).")
    if suffix != ".pdf":
        pages: tuple[Page, ...] = (Page(_read_text(path)),)
    elif max_seconds and max_seconds > 0:
        pages = PDF_READER.read(path, max_pages, max_seconds)
    else:
        pages = _load_pdf(path, max_pages)
    if not any(p.text.strip() for p in pages):
        raise LoadError(path, "ingen text gick att läsa ut (t.ex. en skannad PDF utan textlager); "
                              "kör OCR på filen först eller ladda upp en textversion.")
    return LoadedDocument(doc=path.name, path=path, meta=meta, pages=tuple(pages))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"filen går inte att läsa ({exc.strerror}); kontrollera "
                              "läsrättigheterna.") from exc
    if data.lstrip()[:5] == b"%PDF-":
        raise LoadError(path, f"filen är en PDF men heter '{path.suffix}'; byt filändelse till "
                              ".pdf och läs in den igen.")
    text = _decode(path, data)
    if _control_share(text) > MAX_CONTROL_SHARE:
        raise LoadError(path, "filen ser ut att vara binär, inte text; kontrollera filtypen.")
    return text


def _decode(path: Path, data: bytes) -> str:
    # UTF-32's byte-order mark starts like UTF-16's (FF FE), and read as UTF-16 the text would
    # come out with a NUL after every letter and be called binary.
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        try:
            return data.decode("utf-32")
        except UnicodeDecodeError as exc:
            raise LoadError(path, "filen är trasig UTF-32; spara den som UTF-8 och försök "
                                  "igen.") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(path, "filen är trasig UTF-16; spara den som UTF-8 och försök "
                                  "igen.") from exc
    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is not None:
            return utf16
        if data.count(b"\x00") > max(2, MAX_NUL_SHARE * len(data)):
            raise LoadError(path, "filen ser ut att vara binär, inte text; kontrollera filtypen.")
        # A handful of NUL bytes (a bad export) would break the store; they carry no text.
        data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few damaged bytes: keep the UTF-8 reading (cp1252 would garble every å, ä, ö
    # in it) and mark the damage with U+FFFD.
    lenient = data.decode("utf-8-sig", errors="replace")
    damaged = lenient.count("\ufffd")
    if damaged <= max(1, len(data) // 1000) and any(ord(ch) > 127 and ch != "\ufffd"
                                                    for ch in lenient):
        return lenient
    # Older Swedish Windows files are often cp1252; decoding it keeps å, ä, ö intact.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise LoadError(path, "okänd teckenkodning; spara filen som UTF-8 och försök "
                              "igen.") from None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: Latin text has a NUL in every other byte."""
    sample = data[:4096]
    if len(data) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    pairs = len(sample) // 2
    for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros >= 0.6 * pairs and others == 0:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _control_share(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample
              if ch not in "\t\n\r\f\v" and unicodedata.category(ch) in ("Cc", "Cs", "Co"))
    return bad / len(sample)


def _load_pdf(path: Path, max_pages: int) -> tuple[Page, ...]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, LimitReachedError

    # pypdf logs every repair it tries ("EOF marker not found"); the LoadError says it better.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # An empty user password still allows reading; anything else needs the owner.
            try:
                ok = reader.decrypt("")
            except DependencyError:
                raise
            except Exception as exc:  # noqa: BLE001 - pypdf raises several types here
                raise LoadError(path, "PDF:en är krypterad och kan inte öppnas; "
                                      "spara en okrypterad kopia.") from exc
            if not ok:
                raise LoadError(path, "PDF:en är lösenordsskyddad; spara en kopia utan lösenord.")
        n = len(reader.pages)
        if n == 0:
            raise LoadError(path, "PDF:en har inga sidor; kontrollera att filen är hel.")
        if n > max_pages:
            raise LoadError(path, f"PDF:en har {n} sidor, fler än gränsen {max_pages}; "
                                  "dela upp den eller höj gränsen (HJALP_MAX_PDF_PAGES).")
        return tuple(Page(page.extract_text() or "", number=i + 1)
                     for i, page in enumerate(reader.pages))
    except LoadError:
        raise
    # AES needs the cryptography package: pypdf raises this when opening (AES-256) or only
    # when a stream is decrypted (AES-128), and it is no PyPdfError.
    except DependencyError as exc:
        raise LoadError(path, "PDF:en är AES-krypterad och paketet cryptography saknas; "
                              "installera det (pip install cryptography) eller spara en "
                              "okrypterad kopia.") from exc
    except LimitReachedError as exc:
        raise LoadError(path, "PDF:en innehåller data som packas upp till en orimlig storlek "
                              "(möjlig dekomprimeringsbomb) och lästes inte; exportera den på "
                              "nytt från källan.") from exc
    # pypdf signals damage through many types (unsupported filters, deep recursion, zlib.error,
    # struct.error …): at this boundary any of them means "this file cannot be read".
    except Exception as exc:  # noqa: BLE001
        raise LoadError(path, f"PDF:en är skadad och går inte att läsa ({type(exc).__name__}); "
                              "exportera den på nytt från källan.") from exc


class PdfReaderProcess:
    """Parses PDFs in one reusable child process and stops it when a file takes too long.

    The child (`python -m ingest.pdf_worker`) is started on first use and again after it was
    stopped; it exits by itself when the parent goes away (its stdin closes). A plain
    subprocess rather than multiprocessing: a spawned child re-runs the parent's `__main__`,
    which inside Streamlit (or its test harness) is a page script. Thread-safe: one file at a
    time.

        pages = PDF_READER.read(Path("riktlinjer.pdf"), max_pages=2000, max_seconds=120)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None

    def read(self, path: Path, max_pages: int, max_seconds: float) -> tuple[Page, ...]:
        with self._lock:
            send, recv = self._connection()
            try:
                send.send((str(path), max_pages))
                ready = recv.poll(max_seconds)
            except OSError as exc:  # the child died before it could take the file
                self.stop()
                raise LoadError(path, "PDF-läsaren kraschade på filen; exportera den på nytt "
                                      "från källan.") from exc
            if not ready:
                self.stop()
                raise LoadError(path, f"det tog mer än {max_seconds:g} s att läsa PDF:en, så "
                                      "den hoppades över; exportera den på nytt från källan "
                                      "eller höj gränsen (HJALP_MAX_SECONDS_PER_FILE).")
            try:
                kind, payload = recv.recv()
            except (EOFError, OSError) as exc:  # the child died (out of memory, a crash)
                self.stop()
                raise LoadError(path, "PDF-läsaren kraschade på filen; exportera den på nytt "
                                      "från källan.") from exc
        if kind == "error":
            raise LoadError(path, payload)
        return tuple(Page(text, number) for text, number in payload)

    def stop(self) -> None:
        """End the child (a no-op when none runs)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=5)
            for conn in (self._send, self._recv):
                if conn is not None:
                    conn.close()
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()
        self._process = self._send = self._recv = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _connection(self) -> tuple[Connection, Connection]:
        if self._process is None or self._process.poll() is not None:
            self.stop()
            project = str(Path(__file__).resolve().parent.parent)
            env = {**os.environ,
                   "PYTHONPATH": os.pathsep.join(filter(None, [project,
                                                                os.environ.get("PYTHONPATH")]))}
            self._process = subprocess.Popen(
                [sys.executable, "-m", "ingest.pdf_worker"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, env=env, cwd=project)
            assert self._process.stdin is not None and self._process.stdout is not None
            # Own copies of the descriptors: a Connection closes its descriptor itself.
            self._send = Connection(os.dup(self._process.stdin.fileno()), readable=False)
            self._recv = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        assert self._send is not None and self._recv is not None
        return self._send, self._recv


def serve_pdfs(send: Connection, recv: Connection) -> None:
    """The child's loop: read (path, max_pages), answer ("ok", pages) or ("error", reason)."""
    while True:
        try:
            path, max_pages = recv.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            pages = _load_pdf(Path(path), max_pages)
            send.send(("ok", [(p.text, p.number) for p in pages]))
        except LoadError as exc:
            send.send(("error", exc.reason))
        except MemoryError:
            send.send(("error", "PDF:en kräver för mycket minne för att läsas; dela upp den "
                                "eller exportera den på nytt."))
        except Exception as exc:  # noqa: BLE001 - one bad file must not end the reader
            send.send(("error", f"PDF:en går inte att läsa ({type(exc).__name__}); "
                                "exportera den på nytt från källan."))


PDF_READER = PdfReaderProcess()
