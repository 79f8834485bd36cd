"""Hjälpmedelsassistenten: the Streamlit chat in front of `assistant.pipeline.Assistant`.

UI only: every answer, citation and rule verdict comes from the Assistant; this file decides how
to show them. Run with `streamlit run app.py` (or `make run`). Shared helpers (Markdown
escaping, formatters, the cached Assistant) live in `ui/common.py`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import streamlit as st

from ui.common import (  # noqa: F401  (re-exported: tests and pages use app.<helper>)
    _escape_inline,
    ask_error_message,
    escape_markdown,
    find_quote,
    format_date,
    format_seconds,
    format_timestamp,
    highlight_quote,
    history_turns,
    load_assistant,
    load_error_message,
    source_label,
)

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.values import Answer, Citation, RuleCheck

log = logging.getLogger("hjalp.app")

TITLE = "Hjälpmedelsassistenten"
INTRO = (
    "Ställ frågor om regler för förskrivning av hjälpmedel. Svaren bygger enbart på "
    "regionernas styrdokument och varje påstående har en numrerad källa."
)
PLACEHOLDER = "Ställ en fråga om förskrivning av hjälpmedel …"
SEARCHING = "Söker i dokumenten …"
REFUSAL = "Det framgår inte av dokumenten."
ALL_REGIONS = "Alla"
EXAMPLES = (
    "Vem förskriver en rollator för utomhusbruk i Norrbotten?",
    "Får icke-legitimerad personal förskriva hjälpmedel i Region Stockholm?",
)

# Swedish label, badge colour and icon per RuleCheck.status. The text carries the meaning; the
# colour only repeats it (not everyone sees colours).
RULE_BADGES: dict[str, tuple[str, str, str]] = {
    "verified": ("Regelkontrollerad", "green", ":material/check_circle:"),
    "corrected": ("Korrigerad enligt regel", "orange", ":material/edit:"),
    "conflict": ("Reglerna går isär", "red", ":material/error:"),
    "not_checkable": ("Ej kontrollerad", "gray", ":material/help:"),
}


# --------------------------------------------------------------------------- rendering

def render_sidebar(assistant: Assistant) -> str | None:
    """Region filter, index status and "Ny konversation"; returns the chosen region or None."""
    with st.sidebar:
        st.header("Inställningar")
        try:
            regions = list(assistant.regions())
        except Exception:  # the chat still works without the region list
            log.exception("Could not list regions")
            regions = []
        region = st.selectbox(
            "Region",
            [ALL_REGIONS, *regions],
            key="region",
            help="Begränsa svaren till en regions dokument. ”Alla” söker i alla dokument.",
        )
        st.button(
            "Ny konversation",
            key="new_conversation",
            on_click=clear_conversation,
            icon=":material/add_comment:",
            help="Töm chatten och börja om utan tidigare frågor.",
            width="stretch",
        )
        render_index_status(assistant)
    return None if region == ALL_REGIONS else region


def render_index_status(assistant: Assistant) -> None:
    st.subheader("Index")
    try:
        status = assistant.status()
    except Exception:  # status is informative only
        log.exception("Could not read the index status")
        st.caption("Indexets status kunde inte läsas.")
        return
    st.markdown(
        f"Dokument: **{status.documents}**  \n"
        f"Textavsnitt: **{status.chunks}**  \n"
        f"Senast indexerat: **{format_timestamp(status.last_ingest)}**"
    )


def clear_conversation() -> None:
    # A callback runs before the rerun, so the cleared history is what the next run draws.
    st.session_state["messages"] = []


def render_history(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(escape_markdown(message["content"]))
            elif message.get("answer") is not None:
                render_answer(message["answer"])
            else:
                st.error(message.get("error", REFUSAL), icon=":material/error:")


def render_answer(answer: Answer) -> None:
    """One reply: text, rule badge, warnings and the numbered sources behind the [n] markers."""
    if answer.refused:
        # Plainly: no badge and no sources, since nothing in the documents was relied on.
        st.markdown(escape_markdown(answer.text or REFUSAL))
        render_warnings(answer.warnings)
        return
    st.markdown(escape_markdown(answer.text))
    render_rule_check(answer.rule_check)
    render_warnings([*answer.warnings, *answer.rule_check.warnings])
    render_sources(answer.citations)
    render_footer(answer)


def render_rule_check(rule_check: RuleCheck) -> None:
    label, color, icon = RULE_BADGES.get(rule_check.status, RULE_BADGES["not_checkable"])
    help_text = rule_check.explanation or (
        "Svaret har inte kontrollerats mot en regel." if rule_check.status == "not_checkable"
        else None
    )
    st.badge(label, color=color, icon=icon, help=help_text)
    details = []
    if rule_check.verdict and rule_check.status != "not_checkable":
        rule = f" ({rule_check.rule_id})" if rule_check.rule_id else ""
        details.append(f"Regelns utslag{rule}: {rule_check.verdict}")
    if rule_check.explanation and rule_check.status != "not_checkable":
        details.append(rule_check.explanation)
    if rule_check.citation and rule_check.status != "not_checkable":
        c = rule_check.citation
        details.append(f"Regelns källa: {c.get('doc', '')}"
                       + (f" – {c['section']}" if c.get("section") else "")
                       + f": ”{c.get('quote', '')}”"
                       + (f" (gäller {c['valid']})" if c.get("valid") else ""))
    if rule_check.missing_facts:
        details.append("Uppgifter som saknas för regelkontroll: "
                       + ", ".join(rule_check.missing_facts))
    if details:
        st.caption(escape_markdown("\n".join(details)))


def render_warnings(warnings: list[str] | tuple[str, ...]) -> None:
    for warning in dict.fromkeys(warnings):  # the same warning from two stages is shown once
        st.warning(escape_markdown(warning), icon=":material/warning:")


def render_sources(citations: list[Citation]) -> None:
    if not citations:
        st.caption("Inga källor angavs för svaret.")
        return
    st.markdown("**Källor**")
    for citation in sorted(citations, key=lambda c: c.n):
        with st.expander(source_label(citation)):
            render_citation(citation)


def render_citation(citation: Citation) -> None:
    place = " · ".join(p for p in (citation.section, citation.location) if p)
    st.caption(
        f"Utgivare: {_escape_inline(citation.publisher or 'okänd')}  \n"
        f"Datum: {_escape_inline(format_date(citation.date))}  \n"
        f"Plats: {_escape_inline(place or 'okänd')}  \n"
        f"Fil: {_escape_inline(citation.doc)}"
    )
    body, found = highlight_quote(citation.text or citation.quote, citation.quote)
    if not found and citation.quote:
        # Should not happen (quotes are verbatim), but the quote must never silently vanish.
        st.markdown("Citat:  \n> " + escape_markdown(citation.quote).replace("\n", "\n> "))
    st.markdown(body)


def render_footer(answer: Answer) -> None:
    parts = []
    if answer.region:
        parts.append(f"Avgränsat till region: {answer.region}")
    if answer.timings_ms:
        parts.append(f"Svarstid: {format_seconds(answer.timings_ms)}")
    if parts:
        st.caption(_escape_inline(" · ".join(parts)))


# --------------------------------------------------------------------------- the chat

def ask(assistant: Assistant, question: str, region: str | None) -> None:
    """Show the question, ask the Assistant with the earlier turns, show and keep the reply."""
    messages: list[dict[str, Any]] = st.session_state["messages"]
    history = history_turns(messages)
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        try:
            with st.spinner(SEARCHING):
                answer = assistant.ask(question, history=history, region=region)
        except Exception as exc:  # show a message, keep the chat usable
            log.exception("The assistant failed to answer %r", question)
            error = ask_error_message(exc)
            st.error(error, icon=":material/error:")
            messages.append({"role": "assistant", "error": error})
            return
        render_answer(answer)
    messages.append({"role": "assistant", "answer": answer})


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon=":material/accessible:")
    st.title(TITLE)
    st.markdown(INTRO)
    st.session_state.setdefault("messages", [])

    assistant = load_assistant()
    if assistant is None:
        st.stop()
    region = render_sidebar(assistant)

    messages = st.session_state["messages"]
    if not messages:
        st.caption("Till exempel: " + " · ".join(f"”{q}”" for q in EXAMPLES))
    render_history(messages)
    question = st.chat_input(PLACEHOLDER)
    if question and question.strip():
        ask(assistant, question.strip(), region)


if __name__ == "__main__":
    main()
