"""Hjälpmedelsassistenten: the Streamlit app, a router over its pages.

Pages, one module each under `views/`: Chatt (default, `views/chat.py`), Dokument
(`views/documents.py`), Utbildning (`views/training.py`) and Återkoppling (`views/feedback.py`);
`ui/` holds the drawing helpers they share (`ui/common.py`, `ui/answer_view.py`,
`ui/chrome.py`). A page whose file is missing is left out, so the app runs while pages are
being built. UI only: every answer, citation and rule verdict comes from
`assistant.pipeline.Assistant`, and the pages draw what it returns. Run with
`streamlit run app.py` (or `make run`); see docs/app.md.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.chrome import swedish_chrome
from ui.common import TITLE

ROOT = Path(__file__).resolve().parent
ABOUT = ("**Hjälpmedelsassistenten** svarar på frågor om regler för hjälpmedelsförskrivning "
         "utifrån regionernas styrdokument, med källor, och kontrollerar nyckelsvar mot en "
         "regelbas.")
# (script, title, icon): the pages after the chat, in menu order.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("views/documents.py", "Dokument", ":material/description:"),
    ("views/training.py", "Utbildning", ":material/school:"),
    ("views/feedback.py", "Återkoppling", ":material/thumbs_up_down:"),
)


def pages() -> list[st.Page]:
    """The chat first (default), then every other page whose script exists."""
    found = [st.Page("views/chat.py", title="Chatt", icon=":material/chat:", default=True)]
    found += [st.Page(script, title=title, icon=icon)
              for script, title, icon in PAGES if (ROOT / script).is_file()]
    return found


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon=":material/accessible:", layout="centered",
                       menu_items={"About": ABOUT})
    swedish_chrome()
    st.navigation(pages()).run()


if __name__ == "__main__":
    main()
