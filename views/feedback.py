"""Återkoppling: review the prescribers' thumbs and comments, filter them, export them.

Reads the SQLite store at `settings.feedback_db` (assistant/feedback_store.py); needs no model. The
JSONL download is the input of `python -m evals gold-from-feedback`. Only an editor sees the rows
and the exports (`ui.editor_auth`). A page of `app.py`
(`streamlit run app.py`); importing the module draws nothing.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from assistant.export import RULE_STATUS_LABELS
from assistant.feedback_store import FeedbackEntry, FeedbackStore, to_csv, to_jsonl
from ui.common import format_timestamp, load_settings
from ui.editor_auth import editor_gate

ALL = "Alla"
RATING_LABELS = {"up": "Tumme upp", "down": "Tumme ner"}


def feedback_rows(entries: list[FeedbackEntry]) -> list[dict[str, object]]:
    """Table rows with Swedish column names."""
    return [{
        "Nr": e.id,
        "Datum": format_timestamp(e.created_at),
        "Betyg": RATING_LABELS.get(e.rating, e.rating),
        "Region": e.region or "Alla",
        "Fråga": e.question,
        "Svar": e.answer,
        "Kommentar": e.comment,
        "Regelkontroll": RULE_STATUS_LABELS.get(e.rule_status, e.rule_status),
        "Källor": ", ".join(f"[{c['n']}] {c['doc']}" for c in e.citations),
        "Svarsläge": e.settings.get("answer_mode", ""),
    } for e in entries]


def feedback_page() -> None:
    st.title("Återkoppling")
    st.markdown("Förskrivarnas omdömen om svaren. Filtrera, granska och exportera dem, "
                "t.ex. för att bygga nya testfrågor.")
    # The rows quote questions and answers: only an editor reads or exports them.
    if not editor_gate(None, "Återkopplingen kan bara läsas och exporteras av en redaktör. "
                             "Logga in som redaktör för att se den."):
        return
    settings = load_settings()
    if settings is None:
        st.stop()
    store = FeedbackStore.from_settings(settings)
    try:
        regions = store.regions()
    except Exception:
        st.error("Återkopplingen kunde inte läsas från databasen "
                 f"({settings.feedback_db.name}). Kontrollera filen och försök igen.",
                 icon=":material/error:")
        st.stop()

    left, middle, right = st.columns(3)
    rating = left.selectbox("Betyg", [ALL, "up", "down"], key="fb_rating",
                            format_func=lambda r: RATING_LABELS.get(r, r))
    region = middle.selectbox("Region", [ALL, *regions], key="fb_region")
    since = right.date_input("Från och med", value=None, key="fb_since", format="YYYY-MM-DD")
    text = st.text_input("Sök i fråga, svar och kommentar", key="fb_text")

    entries = store.entries(rating=None if rating == ALL else rating,
                            region=None if region == ALL else region,
                            text=text, since=since)
    up = sum(e.rating == "up" for e in entries)
    a, b, c = st.columns(3)
    a.metric("Omdömen", len(entries))
    b.metric("Tumme upp", up)
    c.metric("Tumme ner", len(entries) - up)

    if not entries:
        st.info("Ingen återkoppling matchar filtret ännu.", icon=":material/info:")
    else:
        st.dataframe(feedback_rows(entries), hide_index=True, width="stretch")

    stamp = date.today().isoformat()
    left, right = st.columns(2)
    left.download_button(
        "Ladda ned JSONL", data=to_jsonl(entries).encode("utf-8"),
        file_name=f"aterkoppling-{stamp}.jsonl", mime="application/jsonl", key="fb_jsonl",
        icon=":material/download:", disabled=not entries, on_click="ignore",
        help="En rad per omdöme; underlag för `python -m evals gold-from-feedback`.")
    # BOM so that spreadsheet programs read å, ä, ö correctly.
    right.download_button(
        "Ladda ned CSV", data=to_csv(entries).encode("utf-8-sig"),
        file_name=f"aterkoppling-{stamp}.csv", mime="text/csv", key="fb_csv",
        icon=":material/download:", disabled=not entries, on_click="ignore",
        help="Tabell för kalkylprogram.")


if __name__ == "__main__":  # st.navigation runs a page as __main__; an import draws nothing
    feedback_page()
