"""UI helpers shared by every page: Markdown escaping, quote highlighting, formatters, and the
one cached Assistant.

Document text is shown as Markdown, so everything taken from the corpus goes through
`escape_markdown` first: a stray `*`, `$` or `:` in a policy document must not turn into
italics, LaTeX or an emoji.

Usage (in a page; drawing needs a Streamlit run):

    assistant = load_assistant()        # None after showing a Swedish error
    st.markdown(escape_markdown(chunk.text))
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:  # imported lazily at runtime so that a broken install shows a Swedish error
    from assistant.pipeline import Assistant
    from core.settings import Settings
    from core.values import Citation, Turn

log = logging.getLogger("hjalp.app")

# The app's name: the browser tab's title and the chat's heading.
TITLE = "Hjälpmedelsassistenten"
LOADING = "Laddar modell och index … (första gången byggs indexet, det kan ta en stund)"


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
    """Where `quote` stands in `text` as the verbatim test finds it (line breaks in the source
    are spaces in a quote); else where it stands ignoring case."""
    from core.text import find_quote as find

    return find(text, quote) or find(text, quote, fold=True)


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
    from core.values import Turn

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
    from core.embeddings import EmbeddingModelError
    from core.store import (
        IndexNotWritable,
        StoreUnavailable,
        not_writable_message,
        storage_problem,
    )

    detail = _first_line(exc)
    # These already say what to do; a command that deletes the index is never advised.
    if isinstance(exc, IndexNotWritable):
        return f"Indexet kunde inte öppnas: {exc}"
    if (problem := storage_problem(exc)) is not None:
        return f"Indexet kunde inte öppnas: {not_writable_message(_index_dir(), *problem)}"
    if isinstance(exc, StoreUnavailable):
        return (f"Indexet kunde inte nås: {exc} Indexet är orört; ladda om sidan när "
                "Chroma-servern svarar igen.")
    if isinstance(exc, EmbeddingModelError):
        return f"Modellen kunde inte laddas: {exc}"
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
        "Kör `make run` igen. Om felet kvarstår: läs in dokumenten igen (`python -m assistant "
        "ingest`, som reparerar indexet och inte tar bort något du lagt dit) eller installera "
        "om beroendena (`make install`)."
    )


def ask_error_message(exc: BaseException) -> str:
    from core.store import StoreUnavailable, not_writable_message, storage_problem

    if (problem := storage_problem(exc)) is not None:
        return f"Frågan kunde inte besvaras: {not_writable_message(_index_dir(), *problem)}"
    if isinstance(exc, StoreUnavailable):
        return (f"Frågan kunde inte besvaras: indexet kunde inte nås ({_first_line(exc)}). "
                "Försök igen om en stund; appen återansluter av sig själv.")
    return (
        f"Frågan kunde inte besvaras ({type(exc).__name__}: {_first_line(exc)}). "
        "Försök igen; om felet kvarstår, starta om appen med `make run`."
    )


def _index_dir() -> Path:
    """The configured index folder, for a message (never fails: a message must be shown)."""
    from core.settings import Settings

    try:
        return Settings.load().index_dir
    except Exception:  # noqa: BLE001 - settings that cannot be read: the default folder
        return Settings.load(env={}).index_dir


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
    """The shared Assistant, or None after showing why it could not be loaded.

    One Assistant serves both answer modes (`ask_stream(..., answer_mode=...)`).
    """
    try:
        from core.settings import Settings

        settings = Settings.load()
        return _cached_assistant(repr(settings), settings)
    except Exception as exc:  # any failure must become a message, not a traceback
        log.exception("Could not load the assistant")
        st.error(load_error_message(exc), icon=":material/error:")
        return None


def load_settings() -> Settings | None:
    """Settings for pages that need no model (e.g. feedback), or None after a Swedish error."""
    try:
        from core.settings import Settings

        return Settings.load()
    except Exception as exc:
        log.exception("Could not read the settings")
        st.error(load_error_message(exc), icon=":material/error:")
        return None


