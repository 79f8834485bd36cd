"""The Dokument page's review action (issue 16 §1b), through `streamlit.testing.v1.AppTest`.

An upload is listed as "ogranskat"; an editor ticks the confirmation and marks it reviewed; the
table then says "granskat" and the upload's sidecar records it. A real page over a copy of the
bundled index (see conftest.page_env).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_page, sign_in, until_jobs_end
from streamlit.testing.v1 import AppTest

DOCUMENTS = Path(__file__).resolve().parent.parent / "views" / "documents.py"
TEXT = ("Riktlinje för gåbord i Jämtland Härjedalen\n\n"
        "Gåbord förskrivs av fysioterapeut efter en bedömning av gångförmågan i hemmet.\n")


def _unescape(text: str) -> str:
    return str(text).replace("\\", "")


def _table(test: AppTest):
    return next(df.value for df in test.dataframe if "Granskning" in df.value.columns)


def test_an_upload_is_unreviewed_until_an_editor_marks_it_reviewed(page_env) -> None:
    # An editor's session: the secrets file holds the password's hash, the editor signs in.
    test = sign_in(AppTest.from_file(str(DOCUMENTS), default_timeout=120))
    assert set(_table(test)["Granskning"]) == {"granskat"}  # the bundled documents
    assert not any(b.label == "Markera som granskat" for b in test.button)

    test.file_uploader[0].set_value(("gabord.txt", TEXT.encode(), "text/plain"))
    next(t for t in test.text_input if t.label == "Titel").input("Gåbord")
    next(b for b in test.button if b.label == "Ladda upp och indexera").click()
    until_jobs_end(run_page(test))
    assert any("ogranskat tills en redaktör" in _unescape(s.value) for s in test.success)
    row = _table(test).set_index("Fil").loc["gabord.txt"]
    assert row["Granskning"] == "ogranskat"

    review = next(b for b in test.button if b.label == "Markera som granskat")
    assert review.disabled  # until the editor confirms having read it
    assert test.selectbox(key="review_doc").value == "gabord.txt"
    test.checkbox(key="review_confirm").check()
    run_page(test)
    next(b for b in test.button if b.label == "Markera som granskat").click()
    run_page(test)
    assert any("gabord.txt är markerat som granskat" in _unescape(s.value) for s in test.success)
    assert _table(test).set_index("Fil").loc["gabord.txt"]["Granskning"] == "granskat"
    sidecar = Path(page_env["HJALP_UPLOAD_DIR"]) / "gabord.txt.meta.json"
    assert json.loads(sidecar.read_text(encoding="utf-8"))["reviewed"] is True
    assert not any(b.label == "Markera som granskat" for b in test.button)

    # Clean up: the uploaded document goes again.
    test.checkbox(key="delete_confirm").check()
    run_page(test)
    next(b for b in test.button if b.label == "Ta bort dokumentet").click()
    run_page(test)
    assert "gabord.txt" not in set(_table(test)["Fil"])
