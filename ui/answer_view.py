"""How one Answer is drawn: text, rule badge, warnings, numbered sources, footer.

UI only: every value comes from `core.values.Answer`; nothing is recomputed here. Corpus
text is escaped before it is shown as Markdown.

Usage (in a page; drawing needs a Streamlit run):

    with st.chat_message("assistant"):
        render_answer(answer)
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.errors import StreamlitAPIException

from assistant.export import RULE_STATUS_LABELS
from assistant.provenance import UNREVIEWED_LABEL, UNREVIEWED_NOTE
from core.values import REFUSAL
from ui.common import (
    _escape_inline,
    escape_markdown,
    format_date,
    format_seconds,
    highlight_quote,
    source_label,
)

if TYPE_CHECKING:
    from core.values import Answer, Citation, FactOption, FactQuestion, RuleCheck

log = logging.getLogger("hjalp.app")

DOCUMENTS_PAGE = "views/documents.py"
OPEN_DOCUMENT = "Öppna hela dokumentet vid avsnittet"
# Session key of a pending re-ask: the choice made in a question back (read by views/chat.py).
REASK = "reask"

# Swedish label, badge colour and icon per RuleCheck.status. The text carries the meaning; the
# colour only repeats it (not everyone sees colours).
RULE_BADGES: dict[str, tuple[str, str, str]] = {
    "verified": (RULE_STATUS_LABELS["verified"], "green", ":material/check_circle:"),
    "corrected": (RULE_STATUS_LABELS["corrected"], "orange", ":material/edit:"),
    "conflict": (RULE_STATUS_LABELS["conflict"], "red", ":material/error:"),
    "not_checkable": (RULE_STATUS_LABELS["not_checkable"], "gray", ":material/help:"),
}


def render_answer(answer: Answer, key: str = "") -> None:
    """One reply, as an answer card: the conclusion in bold, the evidence with [n] linking to
    its source below, the region and date it was decided for, the rule badge with its reason,
    the question back (when `key` names the message, so that a choice can re-ask it), notes,
    and the numbered sources."""
    if answer.refused:
        # No badge: nothing was decided. A refusal may cite what the documents say nearest the
        # question; that source is shown so its [n] leads somewhere.
        render_text(answer, key)
        render_warnings(answer.warnings)
        if answer.citations:
            render_sources(answer.citations, key)
        return
    render_text(answer, key)
    render_scope(answer)
    render_rule_check(answer.rule_check)
    if key and answer.rule_check.question is not None:
        render_question_back(answer.rule_check.question, key)
    # Warnings about the sources and the question stand alone; the rule checker's notes, which
    # do not change its outcome, are folded into one line with its badge.
    rule_notes = set(answer.rule_check.warnings)
    render_warnings([w for w in answer.warnings if w not in rule_notes])
    render_rule_notes(answer.rule_check)
    render_sources(answer.citations, key)
    render_footer(answer)
    if key:
        render_copy(answer)


def render_copy(answer: Answer) -> None:
    """The answer as plain text with a copy button (for a journal note or an e-mail)."""
    with st.popover("Kopiera svaret", icon=":material/content_copy:"):
        st.code(answer.text, language=None, wrap_lines=True)


def render_text(answer: Answer, key: str = "") -> None:
    """The conclusion in bold, then the rest; each [n] links to source n below."""
    text = answer.text or REFUSAL
    conclusion = answer.conclusion if text.startswith(answer.conclusion) else ""
    rest = text[len(conclusion):].strip()
    unreviewed = {c.n for c in answer.citations if not c.reviewed}
    parts = []
    if conclusion:
        parts.append(f"**{_marked(_linked(_escape_inline(conclusion), key), unreviewed)}**")
    if rest:
        parts.append(_marked(_linked(escape_markdown(rest), key), unreviewed))
    st.markdown("\n\n".join(parts))


def _marked(markdown: str, unreviewed: set[int]) -> str:
    r"""Each [n] of an unreviewed document followed by "(ogranskat dokument)"."""
    if not unreviewed:
        return markdown
    return re.sub(r"(\[?\\\[(\d+)\\\](?:\]\(#[\w-]+\))?)",
                  lambda m: (f"{m.group(1)} *({UNREVIEWED_LABEL})*"
                             if int(m.group(2)) in unreviewed else m.group(1)), markdown)


def _linked(markdown: str, key: str) -> str:
    r"""Escaped "\[2\]" markers as links to the source's anchor (see render_sources)."""
    if not key:
        return markdown
    return re.sub(r"\\\[(\d+)\\\]", lambda m: f"[\\[{m.group(1)}\\]](#{anchor(key, m.group(1))})",
                  markdown)


def anchor(key: str, n: int | str) -> str:
    """The HTML id of source n under the message `key`."""
    return f"kalla-{key}-{n}"


def render_scope(answer: Answer) -> None:
    """Which region and which date the answer was decided for."""
    parts = [f"Region {answer.region}" if answer.region else "Alla regioner"]
    if answer.as_of:
        parts.append(f"gäller per {format_date(answer.as_of)}")
    st.caption(_escape_inline(" · ".join(parts)))


def render_rule_check(rule_check: RuleCheck) -> None:
    """The badge in plain Swedish with its reason beside it (readable without hovering); the
    rule's id, source and trace inside "Så kontrollerades svaret"."""
    label, color, icon = RULE_BADGES.get(rule_check.status, RULE_BADGES["not_checkable"])
    if rule_check.status == "not_checkable" and rule_check.question is not None:
        label = "Svaret beror på en uppgift – välj nedan"
    st.badge(label, color=color, icon=icon)
    reason = rule_reason(rule_check)
    if reason:
        st.caption(escape_markdown(reason))
    details = rule_details(rule_check)
    if details:
        with st.expander("Så kontrollerades svaret", icon=":material/account_tree:"):
            st.caption(escape_markdown("\n".join(details)))


def rule_reason(rule_check: RuleCheck) -> str:
    """What the badge means for this answer: the rule's outcome and, for a correction, why."""
    status = rule_check.status
    if status == "verified":
        return f"Regeln säger: {rule_check.verdict}."
    if status == "corrected":
        return f"Regeln säger: {rule_check.verdict}. {rule_check.reason}".strip()
    if status == "conflict":
        return f"{rule_check.reason} Se båda: {rule_check.verdict}.".strip()
    if rule_check.question is not None:
        return "Regeln ger olika svar beroende på en uppgift som frågan inte anger."
    if rule_check.missing_facts:
        return ("Regeln kan inte avgöras utan fler uppgifter: "
                + "; ".join(rule_check.missing_facts) + ".")
    return rule_check.reason or "Svaret har inte kontrollerats mot en regel."


def rule_details(rule_check: RuleCheck) -> list[str]:
    """How the answer was checked: the rule, its source and validity, the facts chosen, and
    the trace of rules tried."""
    details: list[str] = []
    if rule_check.rule_id:
        details.append(f"Regel: {rule_check.rule_id}")
    if rule_check.citation and rule_check.status != "not_checkable":
        c = rule_check.citation
        details.append(f"Regelns källa: {c.get('doc', '')}"
                       + (f" – {c['section']}" if c.get("section") else "")
                       + f": ”{c.get('quote', '')}”"
                       + (f" (gäller {c['valid']})" if c.get("valid") else ""))
    if rule_check.given:
        details.append("Uppgifter du valt: " + ", ".join(
            f"{fact} = {_said(value)}" for fact, value in rule_check.given.items()))
    if rule_check.trace:
        details.append("Spår: " + "\n→ ".join(rule_check.trace))
    return details


def _said(value: object) -> str:
    return {True: "ja", False: "nej"}.get(value, str(value)) if isinstance(value, bool) \
        else str(value)


def render_question_back(question: FactQuestion, key: str) -> None:
    """The missing fact as a question with one choice per value and where it leads
    ("under 18 år → regionen"); choosing re-asks the question with that fact (views/chat.py)."""
    options = list(range(len(question.options)))
    st.pills(
        question.question, options, key=f"choice_{key}",
        format_func=lambda i: _choice_label(question.options[i]),
        on_change=_choose, args=(key, question),
    )
    if question.unit:
        st.number_input(
            f"Eller ange exakt ({question.unit})", min_value=0, max_value=130, value=None,
            step=1, key=f"number_{key}", on_change=_choose_number, args=(key, question),
        )


def _choice_label(option: FactOption) -> str:
    return f"{option.label} → {option.outcome}" if option.outcome else \
        f"{option.label} → fler uppgifter behövs"


def _choose(key: str, question: FactQuestion) -> None:
    index = st.session_state.get(f"choice_{key}")
    if index is None:
        return
    option = question.options[index]
    st.session_state[REASK] = {"message": key, "fact": question.fact, "value": option.value,
                               "shown": f"{question.question} {option.label}"}


def _choose_number(key: str, question: FactQuestion) -> None:
    value = st.session_state.get(f"number_{key}")
    if value is None:
        return
    st.session_state[REASK] = {"message": key, "fact": question.fact, "value": int(value),
                               "shown": f"{question.question} {int(value)} {question.unit}"}


def render_rule_notes(rule_check: RuleCheck) -> None:
    """The rule checker's notes (they do not change its outcome) on one line."""
    notes = list(dict.fromkeys(rule_check.warnings))
    if notes:
        st.caption(escape_markdown("Observera: " + " · ".join(notes)))


def render_warnings(warnings: list[str] | tuple[str, ...]) -> None:
    for warning in dict.fromkeys(warnings):  # the same warning from two stages is shown once
        st.warning(escape_markdown(warning), icon=":material/warning:")


def render_sources(citations: list[Citation], key: str = "") -> None:
    if not citations:
        st.caption("Inga källor angavs för svaret.")
        return
    st.markdown("**Källor**")
    for citation in sorted(citations, key=lambda c: c.n):
        if key:
            # The target of the answer's [n] link (an id only this app writes).
            st.html(f'<span id="{anchor(key, citation.n)}"></span>')
        with st.expander(citation_label(citation)):
            render_citation(citation)


def citation_label(citation: Citation) -> str:
    """The source's expander title; an unreviewed upload says so beside its number."""
    label = source_label(citation)
    return label if citation.reviewed else f"{label} · :orange[{UNREVIEWED_LABEL}]"


def render_citation(citation: Citation) -> None:
    place = " · ".join(p for p in (citation.section, citation.location) if p)
    if not citation.reviewed:
        st.warning(UNREVIEWED_NOTE, icon=":material/gpp_maybe:")
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
    render_document_link(citation)


def document_query(citation: Citation) -> dict[str, str]:
    """Query parameters that open the Documents page at this passage (see docs/app.md)."""
    params = {"doc": citation.doc}
    if citation.chunk_id:
        params["chunk"] = citation.chunk_id
    if citation.line_start is not None:
        params["line"] = str(citation.line_start)
    if citation.page is not None:
        params["page"] = str(citation.page)
    return params


def render_document_link(citation: Citation) -> None:
    try:
        st.page_link(DOCUMENTS_PAGE, label=OPEN_DOCUMENT, icon=":material/description:",
                     query_params=document_query(citation))
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
