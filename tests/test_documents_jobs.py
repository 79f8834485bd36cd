"""The Dokument page's ingest jobs (issue 16 §7), through `streamlit.testing.v1.AppTest`.

An upload starts a job: the page shows a progress bar "Läser in … N av M textavsnitt" and an
"Avbryt inläsningen" button; another session (a second tab) sees the same running job; the
cancel stops it, the page says "Inläsningen avbröts; indexet är oförändrat." and the table and
the upload folder are as before. A real page over a copy of the bundled index (conftest.page_env)
with the real model and a real thread.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from conftest import run_page, sign_in, until_jobs_end
from streamlit.testing.v1 import AppTest

DOCUMENTS = Path(__file__).resolve().parent.parent / "views" / "documents.py"
EMBEDDING = re.compile(r"Läser in lang\.txt … (\d+) av (\d+) textavsnitt")


def _slow_text(n: int) -> bytes:
    """n one-chunk paragraphs in no embedding cache: embedding takes about n / 4 s here."""
    token = uuid.uuid4().hex[:8]
    return ("\n\n".join(
        f"Avsnitt {i} ({token}): hjälpmedlet provas ut av förskrivaren i hemmet och följs upp "
        f"efter {i + 2} veckor. Förskrivaren dokumenterar bedömningen i journalen och ger "
        "brukaren information om skötsel och återlämning. " * 3 for i in range(n)) + "\n"
    ).encode()


def _bar(test: AppTest) -> str:
    bars = test.get("progress")
    return bars[0].proto.text if bars else ""


def _table(test: AppTest):
    return next(df.value for df in test.dataframe if "Textavsnitt" in df.value.columns)


def _until_embedding(test: AppTest, seconds: float = 120.0) -> re.Match:
    deadline = time.monotonic() + seconds
    while not (found := EMBEDDING.search(_bar(test).replace("\\", ""))) \
            or int(found.group(1)) == 0:
        assert time.monotonic() < deadline, _bar(test)
        time.sleep(0.3)
        run_page(test)
    return found


def test_an_upload_shows_its_progress_and_its_cancel_leaves_the_index(page_env) -> None:
    test = sign_in(AppTest.from_file(str(DOCUMENTS), default_timeout=120))
    before = _table(test)
    test.file_uploader[0].set_value(("lang.txt", _slow_text(40), "text/plain"))
    next(b for b in test.button if b.label == "Ladda upp och indexera").click()
    run_page(test)
    assert test.get("progress"), "no progress bar after the upload started"
    found = _until_embedding(test)
    assert int(found.group(2)) == 40
    assert 0 < test.get("progress")[0].proto.value < 100

    # A second tab (another session) sees the same job running, with its progress.
    other = sign_in(AppTest.from_file(str(DOCUMENTS), default_timeout=120))
    assert EMBEDDING.search(_bar(other).replace("\\", "")), _bar(other)

    cancel = next(b for b in test.button if b.label == "Avbryt inläsningen")
    assert not cancel.disabled
    cancel.click()
    run_page(test)
    assert not test.get("progress") or "Avbryter" in _bar(test), _bar(test)
    until_jobs_end(test)
    infos = [str(i.value).replace("\\", "") for i in test.info]
    assert any("Inläsningen avbröts; indexet är oförändrat." in i and "lang.txt" in i
               for i in infos), infos
    after = _table(test)
    assert len(after) == len(before) and after["Textavsnitt"].sum() == before["Textavsnitt"].sum()
    assert "lang.txt" not in set(after["Fil"])
    uploads = Path(page_env["HJALP_UPLOAD_DIR"])
    assert not any(uploads.glob("lang.txt*"))

    # The other tab: no bar any more, and no message about a job it did not start.
    run_page(other)
    assert not other.get("progress") and not other.info
