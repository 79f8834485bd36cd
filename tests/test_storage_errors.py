"""A full disk or a read-only index (issue 16 §10): clear Swedish errors that say what to do,
never a command that deletes data, and a read-only index still answers.

Real where the machine allows it: a read-only index is a folder made read-only with chmod, or,
as root (chmod does not bind root), a real read-only bind mount; a full disk is a real tmpfs of
a few megabytes filled up (root only). Where neither can be made, the error is raised at the
write point (an OSError with ENOSPC/EROFS) and must come out the same way.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from conftest import base_settings, hjalp_env, write_corpus

from core.settings import PROJECT_ROOT
from core.store import (
    IndexNotWritable,
    not_writable_message,
    storage_problem,
    write_problem,
)

DOCS = {"rollator.txt": "Rollatorer för utomhusbruk förskrivs av vårdcentralen i Testland.\n",
        "sang.txt": "Hygienhjälpmedel som duschpallar förskrivs av kommunen i Testland.\n"}
QUESTION = "Vem förskriver en rollator för utomhusbruk i Testland?"
ROOT = os.geteuid() == 0
# Words that would advise deleting the index or the user's data.
DESTRUCTIVE = re.compile(r"make clean|rm -r|rmtree|ta bort (?:indexet|mappen)|radera", re.I)


def _build(folder: Path) -> object:
    from ingest.pipeline import ingest

    corpus = write_corpus(folder / "corpus", DOCS)
    settings = base_settings(corpus_dir=corpus, index_dir=folder / "index",
                             embedding_cache_dir=folder / "cache", upload_dir=folder / "uploads")
    assert ingest(settings, progress=False).documents == 2
    return settings


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def read_only_index(tmp_path: Path) -> Iterator[object]:
    """Settings of a built index whose folder cannot be written (chmod, or a ro bind mount)."""
    settings = _build(tmp_path / "built")
    if not ROOT:
        paths = [settings.index_dir, *settings.index_dir.rglob("*")]
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(modes[p] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield settings
        finally:
            for p in reversed(paths):
                p.chmod(modes[p])
        return
    view = tmp_path / "readonly"
    view.mkdir()
    if not (_mount("--bind", str(settings.index_dir), str(view))
            and _mount("-o", "remount,bind,ro", str(view))):
        subprocess.run(["umount", "-l", str(view)], capture_output=True)
        pytest.skip("root cannot be refused by chmod and mount is not allowed here; the "
                    "simulated tests below cover the messages")
    try:
        yield settings.with_(index_dir=view)
    finally:
        subprocess.run(["umount", "-l", str(view)], capture_output=True)


def test_a_read_only_index_still_answers_and_refuses_changes_clearly(read_only_index) -> None:
    from assistant.library import Library, LibraryError, UploadError
    from assistant.pipeline import Assistant
    from ingest.load import DocMeta

    settings = read_only_index
    assert write_problem(settings) is not None
    assistant = Assistant.from_settings(settings, build_if_missing=False)
    answer = assistant.ask(QUESTION)
    assert not answer.refused and answer.citations[0].doc == "rollator.txt"

    library = Library(assistant)
    with pytest.raises(UploadError) as upload:
        library.upload("ny.txt", "Sängar förskrivs av kommunen.\n".encode(), DocMeta(title="Ny"))
    assert "skrivskyddad" in str(upload.value) and "chmod" in str(upload.value)
    assert not (settings.upload_dir / "ny.txt").exists()  # nothing saved
    with pytest.raises(LibraryError, match="skrivskyddad"):
        library.reindex()
    assert assistant.ask(QUESTION).citations[0].doc == "rollator.txt"  # still answers

    # The CLI: `ask` answers, `ingest` says what is wrong and what to do, without a traceback.
    env = hjalp_env(corpus_dir=settings.corpus_dir, upload_dir=settings.upload_dir,
                    embedding_cache_dir=settings.embedding_cache_dir)
    cli = [sys.executable, "-m", "assistant", "--index", str(settings.index_dir)]
    asked = subprocess.run([*cli, "ask", QUESTION], env=env, cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=300)
    assert asked.returncode == 0 and "rollator.txt" in asked.stdout
    ingested = subprocess.run([*cli, "ingest"], env=env, cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=300)
    assert ingested.returncode == 2
    assert "Fel: Indexmappen" in ingested.stderr and "skrivskyddad" in ingested.stderr
    assert "Traceback" not in ingested.stderr and not DESTRUCTIVE.search(ingested.stderr)


@pytest.mark.skipif(not ROOT, reason="a size-limited tmpfs needs root")
def test_a_full_disk_stops_the_ingest_with_a_clear_message_and_keeps_answering(
        tmp_path: Path) -> None:
    from assistant.pipeline import Assistant

    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)):
        pytest.skip("mount is not allowed here")
    try:
        settings = base_settings(corpus_dir=write_corpus(tmp_path / "corpus", DOCS),
                                 index_dir=disk / "index", embedding_cache_dir=tmp_path / "c",
                                 upload_dir=tmp_path / "uploads")
        assistant = Assistant.from_settings(settings)
        before = {c.id for c in assistant.retriever.chunks}
        free = os.statvfs(disk)
        with open(disk / "fyllnad", "wb") as fill:  # leave ~100 KB: Chroma's write fails
            fill.write(b"\0" * (free.f_bavail * free.f_frsize - 100_000))
        many = "\n\n".join(f"Stycke {i}: hörapparater förskrivs av hörselvården efter "
                           f"utredning nummer {i}. " * 4 for i in range(60))
        write_corpus(settings.corpus_dir, {**DOCS, "horsel.txt": many})
        with pytest.raises(IndexNotWritable) as full:
            assistant.ingest(progress=False)
        message = str(full.value)
        assert "Disken där indexet ligger är full" in message and "Frigör utrymme" in message
        assert not DESTRUCTIVE.search(message)
        answer = assistant.ask(QUESTION)
        assert answer.citations and answer.citations[0].doc == "rollator.txt"
        # Space again: the next run repairs what was left half-done and indexes the rest.
        (disk / "fyllnad").unlink()
        report = assistant.ingest(progress=False)
        assert report.errors == [] and report.documents == 3
        assert before <= {c.id for c in assistant.retriever.chunks}
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# --------------------------------------------------------------------------- simulated

@pytest.mark.parametrize("code, problem", [(errno.ENOSPC, "full"), (errno.EROFS, "readonly")])
def test_an_error_at_the_write_point_becomes_the_clear_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, problem: str) -> None:
    """The run's first write (its marker) fails; the index stays as it was."""
    import ingest.index
    from ingest.index import Indexer
    from ingest.pipeline import ingest as run_ingest

    settings = _build(tmp_path)
    ids = set(Indexer(settings).records.list_keys())

    def refuse(path: Path, text: str) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(ingest.index, "_write_atomic", refuse)
    with pytest.raises(IndexNotWritable) as raised:
        run_ingest(settings, progress=False)
    message = str(raised.value)
    assert ("full" if problem == "full" else "skrivskyddad") in message
    assert not DESTRUCTIVE.search(message)
    monkeypatch.undo()
    assert set(Indexer(settings).records.list_keys()) == ids
    assert run_ingest(settings, progress=False).errors == []  # and works again after


def test_every_way_the_storage_says_it_is_classified() -> None:
    from chromadb.errors import InternalError
    from sqlalchemy.exc import OperationalError

    full_sqlite = sqlite3.OperationalError("database or disk is full")
    cases = [
        (OSError(errno.ENOSPC, "No space left on device", "/x/index/ingest_state.json"), "full"),
        (OSError(errno.EROFS, "Read-only file system"), "readonly"),
        (PermissionError(errno.EACCES, "Permission denied"), "readonly"),
        (full_sqlite, "full"),
        (OperationalError("INSERT …", {}, full_sqlite), "full"),
        (InternalError("Query error: Database error: error returned from database: (code: 13) "
                       "database or disk is full"), "full"),
        (InternalError("error returned from database: (code: 8) attempt to write a readonly "
                       "database"), "readonly"),
    ]
    for exc, kind in cases:
        found = storage_problem(exc)
        assert found is not None and found[0] == kind, exc
    wrapped = RuntimeError("index() failed")
    wrapped.__cause__ = cases[0][0]
    assert storage_problem(wrapped) == ("full", "/x/index/ingest_state.json")
    assert storage_problem(ValueError("något annat")) is None


def test_no_message_advises_deleting_data() -> None:
    from ui.common import ask_error_message, load_error_message

    folder = Path("/x/index")
    for kind in ("full", "readonly"):
        message = not_writable_message(folder, kind)  # type: ignore[arg-type]
        assert str(folder) in message and not DESTRUCTIVE.search(message)
    shown = [load_error_message(RuntimeError("okänt")),
             load_error_message(OSError(errno.ENOSPC, "No space left on device")),
             load_error_message(IndexNotWritable(not_writable_message(folder, "readonly"))),
             ask_error_message(OSError(errno.EROFS, "Read-only file system"))]
    assert "full" in shown[1] and "skrivskyddad" in shown[2] and "skrivskyddad" in shown[3]
    for message in shown:
        assert not DESTRUCTIVE.search(message), message
    # Nowhere in the program's own messages.
    for folder_name in ("assistant", "ui", "views", "ingest"):
        for path in (PROJECT_ROOT / folder_name).rglob("*.py"):
            assert "make clean" not in path.read_text(encoding="utf-8"), path
