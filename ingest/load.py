"""Load: read a corpus file (PDF via pypdf, .txt, .md) into pages of raw text plus its metadata.

Bad input never raises anything but :class:`LoadError`, whose message names the file and says
what to do, so that a batch can report it and go on with the other files.

Example:
    >>> from pathlib import Path
    >>> doc = load_document(Path("corpus/stockholm-vardgivarguiden-forskrivningsratt.txt"),
    ...                     DocMeta(title="Vårdgivarguiden"))
    >>> doc.pages[0].number is None
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md")


class LoadError(Exception):
    """A file that cannot be ingested; the message is for the user (Swedish + what to do)."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.file = Path(path).name
        super().__init__(f"{self.file}: {message}")


@dataclass(frozen=True)
class DocMeta:
    """Metadata of one document, from the manifest, a sidecar file or the upload form."""

    title: str = ""
    publisher: str = ""
    regions: tuple[str, ...] = ()
    date: str | None = None
    doc_type: str = ""
    language: str = "sv"


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
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(path, f"manifest.json går inte att läsa ({exc}); "
                              "rätta JSON-filen.") from exc
    return {entry["file"]: meta_from_dict(entry) for entry in data.get("documents", [])}


def meta_from_dict(entry: dict) -> DocMeta:
    regions = entry.get("regions") or ()
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    return DocMeta(
        title=str(entry.get("title") or ""),
        publisher=str(entry.get("publisher") or ""),
        regions=tuple(regions),
        date=str(entry["date"]) if entry.get("date") else None,
        doc_type=str(entry.get("doc_type") or ""),
        language=str(entry.get("language") or "sv"),
    )


def sidecar_meta(path: Path) -> DocMeta | None:
    """Metadata from `<file>.meta.json` beside a file that is not in the manifest."""
    sidecar = path.with_name(path.name + ".meta.json")
    if not sidecar.is_file():
        return None
    try:
        return meta_from_dict(json.loads(sidecar.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(path, f"metadatafilen {sidecar.name} är trasig ({exc}).") from exc


def load_document(path: Path, meta: DocMeta, max_mb: float = 50.0,
                  max_pages: int = 2000) -> LoadedDocument:
    """Read one file into pages. Raises LoadError for anything that cannot be ingested."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(path, f"filtypen '{suffix or '(ingen)'}' stöds inte; "
                              "använd PDF, .txt eller .md.")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(path, f"filen går inte att läsa ({exc.strerror}).") from exc
    if size == 0:
        raise LoadError(path, "filen är tom; välj en fil med innehåll.")
    if size > max_mb * 1024 * 1024:
        raise LoadError(path, f"filen är {size / 1e6:.0f} MB, större än gränsen {max_mb:.0f} MB; "
                              "dela upp den eller höj gränsen (HJALP_MAX_FILE_MB).")
    pages = _load_pdf(path, max_pages) if suffix == ".pdf" else (Page(_read_text(path)),)
    if not any(p.text.strip() for p in pages):
        raise LoadError(path, "ingen text gick att läsa ut (t.ex. en skannad PDF utan textlager); "
                              "kör OCR på filen först eller ladda upp en textversion.")
    return LoadedDocument(doc=path.name, path=path, meta=meta, pages=tuple(pages))


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data[:4096]:
        raise LoadError(path, "filen ser ut att vara binär, inte text; kontrollera filtypen.")
    else:
        # Older Swedish Windows files are often cp1252; decoding it keeps å, ä, ö intact.
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoadError(path, "okänd teckenkodning; spara filen som UTF-8 och försök igen.")


def _load_pdf(path: Path, max_pages: int) -> tuple[Page, ...]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # An empty user password still allows reading; anything else needs the owner.
            try:
                ok = reader.decrypt("")
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
    # pypdf signals damage through many types (unsupported filters, limits, deep recursion).
    except (PyPdfError, NotImplementedError, ValueError, KeyError, OSError, TypeError,
            AttributeError, IndexError, RecursionError) as exc:
        raise LoadError(path, f"PDF:en är skadad och går inte att läsa ({type(exc).__name__}); "
                              "exportera den på nytt från källan.") from exc
