"""The `<file>.meta.json` sidecar: a document's `DocMeta` beside the file itself.

The library writes it (what the upload form says, then an editor's review) and the ingest reads
it for a file that the folder's `manifest.json` does not describe. Its name, its format and how
it is written are here only. The library's files, a document and its sidecar, are written
through a hidden temporary name (`write_atomic`): a whole-corpus ingest skips dot-files, so it
never reads half of one.

Example:
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> doc = Path(folder.name) / "riktlinje.pdf"
    >>> write_sidecar(doc, DocMeta(title="Riktlinje", regions=("Dalarna",), reviewed=False))
    >>> sidecar_path(doc).name, is_sidecar(sidecar_path(doc))
    ('riktlinje.pdf.meta.json', True)
    >>> sidecar_meta(doc)  # doctest: +NORMALIZE_WHITESPACE
    DocMeta(title='Riktlinje', publisher='', regions=('Dalarna',), date=None, doc_type='',
            inferred=(), reviewed=False)
    >>> folder.cleanup()
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from core.names import NAME_MAX, is_too_long
from ingest.load import DocMeta, LoadError, meta_from_dict

SUFFIX = ".meta.json"
TEMP_SUFFIX = ".part"
# The longest document name whose sidecar can be written: its temporary name,
# ".<name>.meta.json.part", must fit in NAME_MAX bytes too.
MAX_NAME_BYTES = NAME_MAX - len(".") - len(SUFFIX + TEMP_SUFFIX)


def sidecar_path(path: Path) -> Path:
    """Where the metadata of the document at `path` is written."""
    return path.with_name(path.name + SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SUFFIX)


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a hidden temporary name, then rename: a reader sees all or nothing."""
    tmp = path.with_name(f".{path.name}{TEMP_SUFFIX}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_sidecar(path: Path, meta: DocMeta | Mapping[str, Any]) -> None:
    """Write the sidecar of the document at `path`: a DocMeta's declared fields, or a JSON
    object read with `read_sidecar` and changed."""
    data = meta.to_json() if isinstance(meta, DocMeta) else dict(meta)
    write_atomic(sidecar_path(path), json.dumps(data, ensure_ascii=False, indent=2)
                 .encode("utf-8"))


def read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar's JSON object as it stands, keys the ingest does not read too ({} when there
    is no sidecar or it holds no object); OSError or ValueError when it cannot be read."""
    sidecar = sidecar_path(path)
    data = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    return data if isinstance(data, dict) else {}


def sidecar_meta(path: Path) -> DocMeta | None:
    """The metadata in the sidecar of a file that is not in the manifest (None: no sidecar)."""
    sidecar = sidecar_path(path)
    try:
        if not sidecar.is_file():
            return None
    except OSError as exc:
        if is_too_long(exc):
            # A name within len(SUFFIX) bytes of the limit can have no sidecar (the OS refuses
            # the longer name), so there is none to read; the manifest can still describe it.
            return None
        raise LoadError(path, f"metadatafilen {sidecar.name} går inte att läsa "
                              f"({exc.strerror}); kontrollera läsrättigheterna.") from exc
    try:
        return meta_from_dict(json.loads(sidecar.read_text(encoding="utf-8")))
    except (ValueError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise LoadError(path, f"metadatafilen {sidecar.name} är trasig ({exc}); rätta "
                              "JSON-filen eller ta bort den.") from exc
