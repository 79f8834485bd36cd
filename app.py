"""Hjälpmedelsassistenten: the Streamlit chat in front of `assistant.pipeline.Assistant`.

UI only: every answer, citation and rule verdict comes from the Assistant; this file decides how
to show them. Run with `streamlit run app.py` (or `make run`).

Document text is shown as Markdown, so everything taken from the corpus goes through
`escape_markdown` first: a stray `*`, `$` or `:` in a policy document must not turn into
italics, LaTeX or an emoji.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:  # imported lazily at runtime so that a broken install shows a Swedish error
    from assistant.pipeline import Assistant
    from assistant.settings import Settings
    from assistant.values import Answer, Citation, RuleCheck, Turn

log = logging.getLogger("hjalp.app")

TITLE = "Hjälpmedelsassistenten"
INTRO = (
    "Ställ frågor om regler för förskrivning av hjälpmedel. Svaren bygger enbart på "
    "regionernas styrdokument och varje påstående har en numrerad källa."
)
PLACEHOLDER = "Ställ en fråga om förskrivning av hjälpmedel …"
LOADING = "Laddar modell och index … (första gången byggs indexet, det kan ta en stund)"
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


# --------------------------------------------------------------------------- Markdown helpers

# Characters that start inline Markdown anywhere in a line. Streamlit adds `$` (LaTeX),
# `:` (emoji, colour directives) and `~` (strikethrough) to CommonMark's set.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>$:|~&])")
# Characters that only matter at the start of a line (headings, quotes, lists, rules).
_BLOCK_START = re.compile(r"^([#>+\-=])|^(\d+)([.)])")


def escape_markdown(text: str) -> str:
    """Text that Streamlit's Markdown shows literally, line breaks kept.

    >>> escape_markdown("1. Se *bilaga* $5")
    '1\\\\. Se \\\\*bilaga\\\\* \\\\$5'
    """
    return "  \n".join(_escape_line(line) for line in text.splitlines())


def _escape_line(line: str) -> str:
    # Leading spaces would make an indented code block; the indentation carries no meaning here.
    return _escape_block_start(_escape_inline(line.lstrip()))


def _escape_inline(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def _escape_block_start(line: str) -> str:
    match = _BLOCK_START.match(line)
    if not match:
        return line
    if match.group(1):
        return "\\" + line
    # "12. text" is an ordered list: escape the dot, not the number.
    digits = match.group(2)
    return f"{digits}\\{line[len(digits):]}"


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` stands in `text`, tolerating different whitespace (line breaks in the
    source become spaces in a quote)."""
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(word) for word in words)
    match = re.search(pattern, text) or re.search(pattern, text, re.IGNORECASE)
    return match.span() if match else None


def highlight_quote(text: str, quote: str) -> tuple[str, bool]:
    """Markdown for `text` with `quote` marked in bold on an orange background.

    Returns the Markdown and whether the quote was found. The mark is set line by line because
    neither bold nor a colour directive may span a paragraph break.
    """
    span = find_quote(text, quote)
    if span is None:
        return escape_markdown(text), False
    start, end = span
    lines: list[str] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        lo, hi = max(start - offset, 0), min(end - offset, len(bare))
        lines.append(_highlight_line(bare, lo, hi) if lo < hi else _escape_line(bare))
        offset += len(line)
    return "  \n".join(lines), True


def _highlight_line(line: str, lo: int, hi: int) -> str:
    pre, mark, post = line[:lo], line[lo:hi], line[hi:]
    # `**` must touch non-space characters to count as bold, so move spaces outside the mark.
    stripped = mark.strip()
    if not stripped:
        return _escape_line(line)
    lead = mark[: len(mark) - len(mark.lstrip())]
    trail = mark[len(mark.rstrip()):]
    pre = _escape_line(pre) + lead if pre.strip() else ""
    marked = f":orange-background[**{_escape_inline(stripped)}**]"
    return f"{pre}{marked}{trail}{_escape_inline(post)}"


# --------------------------------------------------------------------------- small formatters

def source_label(citation: Citation) -> str:
    """Expander title: "[n] <title> – <section>" (escaped, labels render Markdown)."""
    title = citation.title or citation.doc
    label = f"[{citation.n}] {title}"
    if citation.section:
        label += f" – {citation.section}"
    return _escape_inline(label)


def format_date(date: str | None) -> str:
    if not date:
        return "okänt"
    return date.replace("(approx)", "(ungefärligt)")


def format_timestamp(value: str | None) -> str:
    if not value:
        return "aldrig"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return value
    # Stored in UTC; a prescriber reads local time.
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def format_seconds(timings_ms: dict[str, float]) -> str:
    seconds = sum(timings_ms.values()) / 1000
    return f"{seconds:.1f}".replace(".", ",") + " s"


def history_turns(messages: list[dict[str, Any]]) -> list[Turn]:
    """Earlier question/answer pairs for a follow-up; failed turns carry no answer to build on."""
    from assistant.values import Turn

    turns: list[Turn] = []
    question: str | None = None
    for message in messages:
        if message["role"] == "user":
            question = message["content"]
        elif question is not None and message.get("answer") is not None:
            turns.append(Turn(question=question, answer=message["answer"].text))
            question = None
    return turns


def load_error_message(exc: BaseException) -> str:
    """A Swedish explanation of why the assistant could not start, and what to do about it."""
    detail = _first_line(exc)
    if isinstance(exc, ImportError):
        missing = getattr(exc, "name", None) or detail
        return (
            f"Assistenten kunde inte starta: en del av programmet saknas ({missing}). "
            "Installera beroendena (`make install`) och kör `make run` igen."
        )
    if isinstance(exc, FileNotFoundError):
        return (
            f"Assistenten kunde inte starta: en fil saknas ({detail}). Kontrollera att mapparna "
            "`corpus/` och `data/` finns och kör `make run` igen."
        )
    if isinstance(exc, ValueError):
        return (
            f"Assistenten kunde inte starta: ogiltig inställning ({detail}). Rätta `hjalp.toml` "
            "eller miljövariablerna `HJALP_*` och kör `make run` igen."
        )
    return (
        f"Modellen eller indexet kunde inte laddas ({type(exc).__name__}: {detail}). "
        "Kör `make run` igen. Om felet kvarstår: bygg om indexet (`make clean` och sedan "
        "`make run`) eller installera om beroendena (`make install`)."
    )


def ask_error_message(exc: BaseException) -> str:
    return (
        f"Frågan kunde inte besvaras ({type(exc).__name__}: {_first_line(exc)}). "
        "Försök igen; om felet kvarstår, starta om appen med `make run`."
    )


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- assistant

@st.cache_resource(show_spinner=LOADING)
def _cached_assistant(settings_key: str, _settings: Settings) -> Assistant:
    # Keyed on the settings' repr so that another index folder (tests, HJALP_INDEX_DIR) gets
    # its own Assistant instead of the first one loaded in this process.
    from assistant.pipeline import Assistant

    return Assistant.from_settings(_settings)


def load_assistant() -> Assistant | None:
    """The shared Assistant, or None after showing why it could not be loaded."""
    try:
        from assistant.settings import Settings

        settings = Settings.load()
        return _cached_assistant(repr(settings), settings)
    except Exception as exc:  # any failure must become a message, not a traceback
        log.exception("Could not load the assistant")
        st.error(load_error_message(exc), icon=":material/error:")
        return None


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
