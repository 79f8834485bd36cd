"""How one Answer is drawn: text, rule badge, warnings, numbered sources, footer.

UI only: every value comes from `assistant.values.Answer`; nothing is recomputed here. Corpus
text is escaped before it is shown as Markdown.

Example (in a page):
    >>> with st.chat_message("assistant"):
    ...     render_answer(answer)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.errors import StreamlitAPIException

from assistant.export import RULE_STATUS_LABELS
from ui.common import (
    _escape_inline,
    escape_markdown,
    format_date,
    format_seconds,
    highlight_quote,
    source_label,
)

if TYPE_CHECKING:
    from assistant.values import Answer, Citation, RuleCheck

log = logging.getLogger("hjalp.app")

REFUSAL = "Det framgår inte av dokumenten."
DOCUMENTS_PAGE = "views/documents.py"
OPEN_DOCUMENT = "Öppna hela dokumentet vid avsnittet"

# Swedish label, badge colour and icon per RuleCheck.status. The text carries the meaning; the
# colour only repeats it (not everyone sees colours).
RULE_BADGES: dict[str, tuple[str, str, str]] = {
    "verified": (RULE_STATUS_LABELS["verified"], "green", ":material/check_circle:"),
    "corrected": (RULE_STATUS_LABELS["corrected"], "orange", ":material/edit:"),
    "conflict": (RULE_STATUS_LABELS["conflict"], "red", ":material/error:"),
    "not_checkable": (RULE_STATUS_LABELS["not_checkable"], "gray", ":material/help:"),
}


def render_answer(answer: Answer) -> None:
    """One reply: text, rule badge, warnings and the numbered sources behind the [n] markers."""
    if answer.refused:
        # No badge: nothing was decided. A refusal may cite what the documents say nearest the
        # question; that source is shown so its [n] leads somewhere.
        st.markdown(escape_markdown(answer.text or REFUSAL))
        render_warnings(answer.warnings)
        if answer.citations:
            render_sources(answer.citations, answer)
        return
    st.markdown(escape_markdown(answer.text))
    # Warnings about the sources and the question first; the rule checker's own notes sit
    # with its badge, in one box (the Assistant copies them into answer.warnings too).
    rule_notes = set(answer.rule_check.warnings)
    render_warnings([w for w in answer.warnings if w not in rule_notes])
    render_rule_check(answer.rule_check)
    render_sources(answer.citations, answer)
    render_footer(answer)


def render_rule_check(rule_check: RuleCheck) -> None:
    label, color, icon = RULE_BADGES.get(rule_check.status, RULE_BADGES["not_checkable"])
    why = rule_reason(rule_check)
    help_text = why or (
        "Svaret har inte kontrollerats mot en regel." if rule_check.status == "not_checkable"
        else None
    )
    st.badge(label, color=color, icon=icon, help=help_text)
    details = rule_details(rule_check)
    if details:
        st.caption(escape_markdown("\n".join(details)))
    notes = list(dict.fromkeys(rule_check.warnings))
    if notes:
        st.warning("**Regelkontrollen påpekar:**\n"
                   + "\n".join(f"- {_escape_inline(note)}" for note in notes),
                   icon=":material/rule:")
    if rule_check.explanation and rule_check.explanation != why:
        with st.popover("Så kontrollerades svaret", icon=":material/account_tree:"):
            st.caption(escape_markdown(rule_check.explanation.replace(" → ", "\n→ ")))


def rule_reason(rule_check: RuleCheck) -> str:
    """The human part of the explanation (what was corrected and why), without the trace of
    rule ids that follows it."""
    text = rule_check.explanation.strip()
    if rule_check.rule_id and rule_check.rule_id in text:
        text = text.split(rule_check.rule_id, 1)[0].strip()
    return text


def rule_details(rule_check: RuleCheck) -> list[str]:
    """The lines under the badge: what was corrected and why, what the rule says, its source
    and validity, or which facts are missing to check it."""
    details: list[str] = []
    checked = rule_check.status != "not_checkable"
    why = rule_reason(rule_check)
    if why and checked:
        details.append(why)
    if rule_check.verdict and checked:
        rule = f" ({rule_check.rule_id})" if rule_check.rule_id else ""
        details.append(f"Regelns utslag{rule}: {rule_check.verdict}")
    if rule_check.citation and checked:
        c = rule_check.citation
        details.append(f"Regelns källa: {c.get('doc', '')}"
                       + (f" – {c['section']}" if c.get("section") else "")
                       + f": ”{c.get('quote', '')}”"
                       + (f" (gäller {c['valid']})" if c.get("valid") else ""))
    if rule_check.missing_facts:
        details.append("Uppgifter som saknas för regelkontroll: "
                       + ", ".join(rule_check.missing_facts))
    return details


def render_warnings(warnings: list[str] | tuple[str, ...]) -> None:
    for warning in dict.fromkeys(warnings):  # the same warning from two stages is shown once
        st.warning(escape_markdown(warning), icon=":material/warning:")


def render_sources(citations: list[Citation], answer: Answer | None = None) -> None:
    if not citations:
        st.caption("Inga källor angavs för svaret.")
        return
    st.markdown("**Källor**")
    for citation in sorted(citations, key=lambda c: c.n):
        with st.expander(source_label(citation)):
            render_citation(citation, answer)


def render_citation(citation: Citation, answer: Answer | None = None) -> None:
    place = " · ".join(p for p in (citation.section, citation.location) if p)
    st.caption(
        f"Utgivare: {_escape_inline(citation.publisher or 'okänd')}  \n"
        f"Datum: {_escape_inline(format_date(citation.date))}  \n"
        f"Plats: {_escape_inline(place or 'okänd')}  \n"
        f"Fil: {_escape_inline(citation.doc)}"
    )
    if citation.copies > 1:
        st.caption(f"Samma avsnitt finns i {citation.copies} dokument. Här citeras det från "
                   "den region du frågar om, annars från det nyaste dokumentet.")
    body, found = highlight_quote(citation.text or citation.quote, citation.quote)
    if not found and citation.quote:
        # Should not happen (quotes are verbatim), but the quote must never silently vanish.
        st.markdown("Citat:  \n> " + escape_markdown(citation.quote).replace("\n", "\n> "))
    st.markdown(body)
    render_document_link(citation, answer)


def document_query(citation: Citation, answer: Answer | None = None) -> dict[str, str]:
    """Query parameters that open the Documents page at this passage (see docs/app.md)."""
    params = {"doc": citation.doc}
    chunk_id = citation_chunk_id(citation, answer)
    if chunk_id:
        params["chunk"] = chunk_id
    if citation.line_start is not None:
        params["line"] = str(citation.line_start)
    if citation.page is not None:
        params["page"] = str(citation.page)
    return params


def citation_chunk_id(citation: Citation, answer: Answer | None) -> str | None:
    """The id of the retrieved chunk a citation was cut from (the Citation carries no id)."""
    if answer is None:
        return None
    for passage in answer.passages:
        chunk = passage.chunk
        if chunk.doc != citation.doc:
            continue
        same_text = citation.text and chunk.text == citation.text
        same_place = (citation.line_start is not None and chunk.line_start == citation.line_start
                      and chunk.page == citation.page)
        if same_text or same_place:
            return chunk.id
    return None


def render_document_link(citation: Citation, answer: Answer | None = None) -> None:
    try:
        st.page_link(DOCUMENTS_PAGE, label=OPEN_DOCUMENT, icon=":material/description:",
                     query_params=document_query(citation, answer))
    except StreamlitAPIException:
        # No Documents page registered (the page runs alone, or the page is not installed).
        log.debug("No Documents page to link %s to", citation.doc)


def render_footer(answer: Answer) -> None:
    parts = []
    if answer.region:
        parts.append(f"Avgränsat till region: {answer.region}")
    mode = getattr(answer, "answer_mode", None)
    if mode == "generative":
        parts.append("Formulerat av språkmodell, kontrollerat mot källorna")
        dropped = getattr(answer, "unsupported_claims", 0) or 0
        if dropped:
            parts.append(f"{dropped} påstående(n) utan stöd i källorna togs bort")
    if answer.timings_ms:
        parts.append(f"Svarstid: {format_seconds(answer.timings_ms)}")
    if parts:
        st.caption(_escape_inline(" · ".join(parts)))
